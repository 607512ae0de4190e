// The analysis pipeline: its steps, their built-in implementations, and the
// metrics and output documents of a run. Pure C++: no Postgres header.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "core/json.hpp"

namespace project_runs::pipeline {

// The steps, in the order they run.
inline constexpr std::array<std::string_view, 3> step_names = {
    "validate_inputs", "collect_evidence", "generate_opportunities"};

// The pipeline version project_runs_generate uses by default.
inline constexpr std::string_view default_pipeline_version = "2025-12-23.v1";

// True when name is one of step_names.
bool is_step_name(std::string_view name);

enum class StepStatus { pending, running, succeeded, failed, skipped };
std::string_view step_status_label(StepStatus status);

// What happened to one step of one run.
struct StepRecord {
    std::string name;
    StepStatus status = StepStatus::pending;
    std::optional<std::int64_t> started_us;   // Unix microseconds
    std::optional<std::int64_t> finished_us;
    std::string error_json;  // JSON object text, empty when no error
};

// The steps of a new run, all pending.
std::vector<StepRecord> pending_steps();

// {"pipeline_version": ..., "steps": [{"name", "status", "started_at",
// "finished_at", "duration_ms", "error"}, ...]}
std::string metrics_json(std::string_view pipeline_version, const std::vector<StepRecord>& steps);

// ISO 8601 UTC text of Unix microseconds: 2026-01-02T03:04:05.678901Z.
std::string iso8601_utc(std::int64_t unix_us);

// The input is not a non-empty JSON object (INVALID_INPUTS).
class InvalidInputs : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// Built-in validate_inputs: input_json must be a non-empty object.
// Returns {"fields": n}; throws InvalidInputs otherwise.
json::Value validate_inputs(const json::Value& input);

// Built-in collect_evidence: one piece of evidence per input field, in
// field order: {"evidence": [{"field", "kind"}], "count": n}.
json::Value collect_evidence(const json::Value& input);

// Built-in generate_opportunities: one opportunity per piece of evidence:
// {"opportunities": [{"title", "field", "score"}], "count": n}.
json::Value generate_opportunities(const json::Value& input, const json::Value& evidence);

// The output of a succeeded run:
// {"pipeline_version", "input_version", "summary": {<step>: <step output>}}.
std::string output_json(std::string_view pipeline_version, std::int32_t input_version,
                        const std::vector<std::pair<std::string, std::string>>& step_outputs);

}  // namespace project_runs::pipeline
