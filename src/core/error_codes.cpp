// The stable error codes of the jsonb results and their HTTP statuses.
#include "core/error_codes.hpp"

#include <array>
#include <utility>

namespace project_runs {

namespace {

// Every code with its name, in enum order.
constexpr std::array<std::pair<ErrorCode, std::string_view>, 11> kErrorCodeNames = {{
    {ErrorCode::not_found, "NOT_FOUND"},
    {ErrorCode::project_not_found, "PROJECT_NOT_FOUND"},
    {ErrorCode::no_inputs, "NO_INPUTS"},
    {ErrorCode::input_not_found, "INPUT_NOT_FOUND"},
    {ErrorCode::invalid_inputs, "INVALID_INPUTS"},
    {ErrorCode::invalid_argument, "INVALID_ARGUMENT"},
    {ErrorCode::illegal_transition, "ILLEGAL_TRANSITION"},
    {ErrorCode::idempotency_conflict, "IDEMPOTENCY_CONFLICT"},
    {ErrorCode::step_failed, "STEP_FAILED"},
    {ErrorCode::config, "CONFIG"},
    {ErrorCode::internal, "INTERNAL"},
}};

}  // namespace

// Returns the stable upper-case name of a code.
std::string_view error_code_name(ErrorCode code) {
    for (const auto& [known_code, name] : kErrorCodeNames) {
        if (known_code == code) return name;
    }
    return "INTERNAL";
}

// Finds the code with exactly this (case-sensitive) name.
std::optional<ErrorCode> parse_error_code(std::string_view name) {
    for (const auto& [code, known_name] : kErrorCodeNames) {
        if (known_name == name) return code;
    }
    return std::nullopt;
}

// Maps a code name to its HTTP status; unknown names are internal errors.
int http_status(std::string_view name) {
    const std::optional<ErrorCode> code = parse_error_code(name);
    if (!code) return 500;
    switch (*code) {
        case ErrorCode::not_found:
        case ErrorCode::project_not_found:
        case ErrorCode::input_not_found:
            return 404;
        case ErrorCode::invalid_argument:
            return 400;
        case ErrorCode::no_inputs:
        case ErrorCode::invalid_inputs:
            return 422;
        case ErrorCode::illegal_transition:
        case ErrorCode::idempotency_conflict:
            return 409;
        case ErrorCode::step_failed:
        case ErrorCode::config:
        case ErrorCode::internal:
            return 500;
    }
    return 500;
}

}  // namespace project_runs
