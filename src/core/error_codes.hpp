// The stable error codes of the jsonb results and their HTTP statuses.
// Pure C++: no Postgres header.
#pragma once

#include <optional>
#include <string_view>

namespace project_runs {

enum class ErrorCode {
    not_found,
    project_not_found,
    no_inputs,
    input_not_found,
    invalid_inputs,
    invalid_argument,
    illegal_transition,
    idempotency_conflict,
    step_failed,
    config,
    internal
};

// "NOT_FOUND", "PROJECT_NOT_FOUND", ...
std::string_view error_code_name(ErrorCode code);

// The code named by a string; nullopt for an unknown name.
std::optional<ErrorCode> parse_error_code(std::string_view name);

// HTTP status for a code name: 404, 400, 422, 409, or 500 for anything else
// (unknown names included).
int http_status(std::string_view name);

}  // namespace project_runs
