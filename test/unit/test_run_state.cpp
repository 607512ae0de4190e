// Unit tests of run statuses, transitions and column shapes.
#include <gtest/gtest.h>

#include <array>
#include <optional>
#include <string>

#include "core/run_state.hpp"

namespace project_runs {
namespace {

constexpr std::array<RunStatus, 4> kAllStatuses = {RunStatus::queued, RunStatus::running,
                                                   RunStatus::succeeded, RunStatus::failed};

// Labels parse to their statuses and back.
TEST(RunStatusLabels, RoundTrip) {
    for (RunStatus status : kAllStatuses) {
        const std::optional<RunStatus> parsed = parse_status(status_label(status));
        ASSERT_TRUE(parsed.has_value());
        EXPECT_EQ(*parsed, status);
    }
    EXPECT_EQ(status_label(RunStatus::queued), "queued");
    EXPECT_EQ(status_label(RunStatus::running), "running");
    EXPECT_EQ(status_label(RunStatus::succeeded), "succeeded");
    EXPECT_EQ(status_label(RunStatus::failed), "failed");
}

// Only the exact lower-case labels parse.
TEST(RunStatusLabels, RejectsOtherText) {
    EXPECT_FALSE(parse_status("").has_value());
    EXPECT_FALSE(parse_status("Queued").has_value());
    EXPECT_FALSE(parse_status("RUNNING").has_value());
    EXPECT_FALSE(parse_status(" failed").has_value());
    EXPECT_FALSE(parse_status("failed ").has_value());
    EXPECT_FALSE(parse_status("success").has_value());
    EXPECT_FALSE(parse_status("cancelled").has_value());
    EXPECT_FALSE(parse_status(std::string_view("queued\0", 7)).has_value());
}

// Only succeeded and failed are finished.
TEST(RunStatusLabels, FinishedStates) {
    EXPECT_FALSE(is_finished(RunStatus::queued));
    EXPECT_FALSE(is_finished(RunStatus::running));
    EXPECT_TRUE(is_finished(RunStatus::succeeded));
    EXPECT_TRUE(is_finished(RunStatus::failed));
}

// The expected classification of a move, as the contract states it.
Transition expected_transition(RunStatus from, RunStatus to) {
    using S = RunStatus;
    if (from == S::queued && (to == S::running || to == S::failed)) return Transition::allowed;
    if (from == S::running && (to == S::succeeded || to == S::failed)) return Transition::allowed;
    if (from == to && (from == S::queued || from == S::running)) return Transition::unchanged;
    return Transition::illegal;
}

// All sixteen pairs are classified as the contract says.
TEST(Transitions, FullMatrix) {
    for (RunStatus from : kAllStatuses) {
        for (RunStatus to : kAllStatuses) {
            EXPECT_EQ(classify_transition(from, to), expected_transition(from, to))
                << status_label(from) << " -> " << status_label(to);
        }
    }
}

// The four legal moves.
TEST(Transitions, LegalMoves) {
    EXPECT_EQ(classify_transition(RunStatus::queued, RunStatus::running), Transition::allowed);
    EXPECT_EQ(classify_transition(RunStatus::queued, RunStatus::failed), Transition::allowed);
    EXPECT_EQ(classify_transition(RunStatus::running, RunStatus::succeeded), Transition::allowed);
    EXPECT_EQ(classify_transition(RunStatus::running, RunStatus::failed), Transition::allowed);
}

// Staying put is fine while the run is active.
TEST(Transitions, SameStateOnActiveRunIsUnchanged) {
    EXPECT_EQ(classify_transition(RunStatus::queued, RunStatus::queued), Transition::unchanged);
    EXPECT_EQ(classify_transition(RunStatus::running, RunStatus::running), Transition::unchanged);
}

// Skipping running and going backwards are illegal.
TEST(Transitions, SkipsAndBackwardMovesAreIllegal) {
    EXPECT_EQ(classify_transition(RunStatus::queued, RunStatus::succeeded), Transition::illegal);
    EXPECT_EQ(classify_transition(RunStatus::running, RunStatus::queued), Transition::illegal);
}

// Finished runs are frozen, even against a repeat of their own state.
TEST(Transitions, FinishedRunsAreFrozen) {
    for (RunStatus to : kAllStatuses) {
        EXPECT_EQ(classify_transition(RunStatus::succeeded, to), Transition::illegal)
            << status_label(to);
        EXPECT_EQ(classify_transition(RunStatus::failed, to), Transition::illegal)
            << status_label(to);
    }
}

// A valid shape for each status, to be spoiled one column at a time.
RunShape valid_shape(RunStatus status) {
    RunShape shape;
    shape.status = status;
    shape.has_input_version = true;
    switch (status) {
        case RunStatus::queued:
            break;
        case RunStatus::running:
            shape.has_started_at = true;
            break;
        case RunStatus::succeeded:
            shape.has_started_at = true;
            shape.has_finished_at = true;
            break;
        case RunStatus::failed:
            shape.has_finished_at = true;
            shape.has_error_code = true;
            break;
    }
    return shape;
}

// Runs the check and returns its message, "" when the shape is accepted.
std::string problem_of(const RunShape& shape) { return check_shape(shape).value_or(""); }

// The minimal valid shapes are accepted.
TEST(CheckShape, AcceptsMinimalShapes) {
    for (RunStatus status : kAllStatuses) {
        EXPECT_EQ(check_shape(valid_shape(status)), std::nullopt) << status_label(status);
    }
}

// Optional columns are accepted where they are allowed.
TEST(CheckShape, AcceptsOptionalColumns) {
    RunShape succeeded = valid_shape(RunStatus::succeeded);
    succeeded.has_output = true;
    EXPECT_EQ(check_shape(succeeded), std::nullopt);

    RunShape failed = valid_shape(RunStatus::failed);
    failed.has_started_at = true;
    failed.has_error_message = true;
    failed.has_error_detail = true;
    EXPECT_EQ(check_shape(failed), std::nullopt);

    failed.has_input_version = false;
    EXPECT_EQ(check_shape(failed), std::nullopt);
}

// A queued run has none of the optional columns.
TEST(CheckShape, QueuedRunHasNoOptionalColumns) {
    RunShape shape = valid_shape(RunStatus::queued);
    shape.has_started_at = true;
    EXPECT_EQ(problem_of(shape), "a queued run has no started_at");

    shape = valid_shape(RunStatus::queued);
    shape.has_finished_at = true;
    EXPECT_EQ(problem_of(shape), "a queued run has no finished_at");

    shape = valid_shape(RunStatus::queued);
    shape.has_output = true;
    EXPECT_EQ(problem_of(shape), "only succeeded runs have output");

    for (bool RunShape::*error_field :
         {&RunShape::has_error_code, &RunShape::has_error_message, &RunShape::has_error_detail}) {
        shape = valid_shape(RunStatus::queued);
        shape.*error_field = true;
        EXPECT_EQ(problem_of(shape), "only failed runs have error fields");
    }
}

// A running run has started and nothing more.
TEST(CheckShape, RunningRunShape) {
    RunShape shape = valid_shape(RunStatus::running);
    shape.has_started_at = false;
    EXPECT_EQ(problem_of(shape), "a running run needs a started_at");

    shape = valid_shape(RunStatus::running);
    shape.has_finished_at = true;
    EXPECT_EQ(problem_of(shape), "a running run has no finished_at");

    shape = valid_shape(RunStatus::running);
    shape.has_output = true;
    EXPECT_EQ(problem_of(shape), "only succeeded runs have output");

    for (bool RunShape::*error_field :
         {&RunShape::has_error_code, &RunShape::has_error_message, &RunShape::has_error_detail}) {
        shape = valid_shape(RunStatus::running);
        shape.*error_field = true;
        EXPECT_EQ(problem_of(shape), "only failed runs have error fields");
    }
}

// A succeeded run has both timestamps and no error fields.
TEST(CheckShape, SucceededRunShape) {
    RunShape shape = valid_shape(RunStatus::succeeded);
    shape.has_started_at = false;
    EXPECT_EQ(problem_of(shape), "a succeeded run needs a started_at");

    shape = valid_shape(RunStatus::succeeded);
    shape.has_finished_at = false;
    EXPECT_EQ(problem_of(shape), "a succeeded run needs a finished_at");

    for (bool RunShape::*error_field :
         {&RunShape::has_error_code, &RunShape::has_error_message, &RunShape::has_error_detail}) {
        shape = valid_shape(RunStatus::succeeded);
        shape.*error_field = true;
        EXPECT_EQ(problem_of(shape), "only failed runs have error fields");
    }
}

// A failed run has finished_at and an error_code, and no output.
TEST(CheckShape, FailedRunShape) {
    RunShape shape = valid_shape(RunStatus::failed);
    shape.has_finished_at = false;
    EXPECT_EQ(problem_of(shape), "a failed run needs a finished_at");

    shape = valid_shape(RunStatus::failed);
    shape.has_error_code = false;
    EXPECT_EQ(problem_of(shape), "a failed run needs an error_code");

    shape.has_error_message = true;
    shape.has_error_detail = true;
    EXPECT_EQ(problem_of(shape), "a failed run needs an error_code");

    shape = valid_shape(RunStatus::failed);
    shape.has_output = true;
    EXPECT_EQ(problem_of(shape), "only succeeded runs have output");
}

// A run without an input version may be queued (on its way to failed) or
// failed, never running or succeeded.
TEST(CheckShape, InputVersionRequiredToRun) {
    for (RunStatus status : {RunStatus::running, RunStatus::succeeded}) {
        RunShape shape = valid_shape(status);
        shape.has_input_version = false;
        EXPECT_EQ(problem_of(shape), "only queued and failed runs may lack an input version")
            << status_label(status);
    }
    for (RunStatus status : {RunStatus::queued, RunStatus::failed}) {
        RunShape shape = valid_shape(status);
        shape.has_input_version = false;
        EXPECT_EQ(problem_of(shape), "") << status_label(status);
    }
}

// With several problems, the status-specific one is reported first.
TEST(CheckShape, ReportsTheFirstProblem) {
    RunShape shape;
    shape.status = RunStatus::running;
    shape.has_input_version = false;
    shape.has_finished_at = true;
    EXPECT_EQ(problem_of(shape), "a running run needs a started_at");

    RunShape failed;
    failed.status = RunStatus::failed;
    EXPECT_EQ(problem_of(failed), "a failed run needs a finished_at");
}

// Every message is short and lower case.
TEST(CheckShape, MessagesAreLowerCase) {
    RunShape everything;
    everything.has_started_at = everything.has_finished_at = everything.has_output = true;
    everything.has_error_code = everything.has_error_message = everything.has_error_detail = true;
    for (RunStatus status : kAllStatuses) {
        RunShape shape = everything;
        shape.status = status;
        const std::string problem = problem_of(shape);
        ASSERT_FALSE(problem.empty()) << status_label(status);
        for (char character : problem) {
            EXPECT_FALSE(character >= 'A' && character <= 'Z') << problem;
        }
    }
}

}  // namespace
}  // namespace project_runs
