// Run states and the rules for moving between them. Pure C++: no Postgres header.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace project_runs {

enum class RunStatus { queued, running, succeeded, failed };

// Parses a status label ("queued", ...); nullopt for anything else.
std::optional<RunStatus> parse_status(std::string_view label);

// The label of a status, as stored in the enum type project_run_status.
std::string_view status_label(RunStatus status);

// True for succeeded and failed: such runs are frozen.
bool is_finished(RunStatus status);

enum class Transition {
    allowed,    // a legal move to another state
    unchanged,  // same state on a queued or running run (metrics may change)
    illegal     // anything else, including every change to a finished run
};

// Classifies a move from one state to another.
Transition classify_transition(RunStatus from, RunStatus to);

// Which optional columns of a run hold a value.
struct RunShape {
    RunStatus status = RunStatus::queued;
    bool has_input_version = false;
    bool has_started_at = false;
    bool has_finished_at = false;
    bool has_output = false;
    bool has_error_code = false;
    bool has_error_message = false;
    bool has_error_detail = false;
};

// Checks that the columns filled in fit the status: started_at on running
// and succeeded runs, finished_at on finished runs, output only on
// succeeded runs, error fields only on failed runs (error_code required
// there), input_version null only on failed runs. Returns a description of
// the first problem, or nullopt when the shape is consistent.
std::optional<std::string> check_shape(const RunShape& shape);

}  // namespace project_runs
