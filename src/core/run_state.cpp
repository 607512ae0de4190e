// Run states, their transitions and the column shape each state requires.
#include "core/run_state.hpp"

namespace project_runs {

// Maps an exact lower-case label to its status.
std::optional<RunStatus> parse_status(std::string_view label) {
    if (label == "queued") return RunStatus::queued;
    if (label == "running") return RunStatus::running;
    if (label == "succeeded") return RunStatus::succeeded;
    if (label == "failed") return RunStatus::failed;
    return std::nullopt;
}

// Returns the enum label of a status.
std::string_view status_label(RunStatus status) {
    switch (status) {
        case RunStatus::queued:
            return "queued";
        case RunStatus::running:
            return "running";
        case RunStatus::succeeded:
            return "succeeded";
        case RunStatus::failed:
            return "failed";
    }
    return "failed";
}

// True for the terminal states.
bool is_finished(RunStatus status) {
    return status == RunStatus::succeeded || status == RunStatus::failed;
}

// Applies the state machine: queued -> running|failed, running -> succeeded|failed.
Transition classify_transition(RunStatus from, RunStatus to) {
    if (is_finished(from)) return Transition::illegal;
    if (from == to) return Transition::unchanged;
    if (from == RunStatus::queued && (to == RunStatus::running || to == RunStatus::failed)) {
        return Transition::allowed;
    }
    if (from == RunStatus::running && (to == RunStatus::succeeded || to == RunStatus::failed)) {
        return Transition::allowed;
    }
    return Transition::illegal;
}

namespace {

// True when any of the three error columns holds a value.
bool has_any_error_field(const RunShape& shape) {
    return shape.has_error_code || shape.has_error_message || shape.has_error_detail;
}

// The first problem of a queued run's columns.
std::optional<std::string> check_queued_shape(const RunShape& shape) {
    if (shape.has_started_at) return "a queued run has no started_at";
    if (shape.has_finished_at) return "a queued run has no finished_at";
    if (shape.has_output) return "only succeeded runs have output";
    if (has_any_error_field(shape)) return "only failed runs have error fields";
    return std::nullopt;
}

// The first problem of a running run's columns.
std::optional<std::string> check_running_shape(const RunShape& shape) {
    if (!shape.has_started_at) return "a running run needs a started_at";
    if (shape.has_finished_at) return "a running run has no finished_at";
    if (shape.has_output) return "only succeeded runs have output";
    if (has_any_error_field(shape)) return "only failed runs have error fields";
    return std::nullopt;
}

// The first problem of a succeeded run's columns.
std::optional<std::string> check_succeeded_shape(const RunShape& shape) {
    if (!shape.has_started_at) return "a succeeded run needs a started_at";
    if (!shape.has_finished_at) return "a succeeded run needs a finished_at";
    if (has_any_error_field(shape)) return "only failed runs have error fields";
    return std::nullopt;
}

// The first problem of a failed run's columns (started_at is optional).
std::optional<std::string> check_failed_shape(const RunShape& shape) {
    if (!shape.has_finished_at) return "a failed run needs a finished_at";
    if (!shape.has_error_code) return "a failed run needs an error_code";
    if (shape.has_output) return "only succeeded runs have output";
    return std::nullopt;
}

}  // namespace

// Checks the status-specific columns, then the input version.
std::optional<std::string> check_shape(const RunShape& shape) {
    std::optional<std::string> problem;
    switch (shape.status) {
        case RunStatus::queued:
            problem = check_queued_shape(shape);
            break;
        case RunStatus::running:
            problem = check_running_shape(shape);
            break;
        case RunStatus::succeeded:
            problem = check_succeeded_shape(shape);
            break;
        case RunStatus::failed:
            problem = check_failed_shape(shape);
            break;
    }
    if (problem) return problem;
    // A run without an input version is created queued and then failed
    // (NO_INPUTS): it may never run.
    if (!shape.has_input_version &&
        (shape.status == RunStatus::running || shape.status == RunStatus::succeeded)) {
        return "only queued and failed runs may lack an input version";
    }
    return std::nullopt;
}

}  // namespace project_runs
