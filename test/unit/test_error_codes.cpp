// Unit tests of the error code names and their HTTP statuses.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/error_codes.hpp"

namespace project_runs {
namespace {

// One code with its expected name and status.
struct ExpectedCode {
    ErrorCode code;
    std::string name;
    int status;
};

// The full contract table.
std::vector<ExpectedCode> expected_codes() {
    return {
        {ErrorCode::not_found, "NOT_FOUND", 404},
        {ErrorCode::project_not_found, "PROJECT_NOT_FOUND", 404},
        {ErrorCode::no_inputs, "NO_INPUTS", 422},
        {ErrorCode::input_not_found, "INPUT_NOT_FOUND", 404},
        {ErrorCode::invalid_inputs, "INVALID_INPUTS", 422},
        {ErrorCode::invalid_argument, "INVALID_ARGUMENT", 400},
        {ErrorCode::illegal_transition, "ILLEGAL_TRANSITION", 409},
        {ErrorCode::idempotency_conflict, "IDEMPOTENCY_CONFLICT", 409},
        {ErrorCode::step_failed, "STEP_FAILED", 500},
        {ErrorCode::config, "CONFIG", 500},
        {ErrorCode::internal, "INTERNAL", 500},
    };
}

// Every code has its documented name.
TEST(ErrorCodes, NamesMatchTheContract) {
    for (const ExpectedCode& expected : expected_codes()) {
        EXPECT_EQ(error_code_name(expected.code), expected.name);
    }
}

// Every name parses back to its code.
TEST(ErrorCodes, NamesRoundTrip) {
    for (const ExpectedCode& expected : expected_codes()) {
        const std::optional<ErrorCode> parsed = parse_error_code(expected.name);
        ASSERT_TRUE(parsed.has_value()) << expected.name;
        EXPECT_EQ(*parsed, expected.code);
        EXPECT_EQ(error_code_name(*parsed), expected.name);
    }
}

// Every name maps to its documented HTTP status.
TEST(ErrorCodes, HttpStatusMatchesTheContract) {
    for (const ExpectedCode& expected : expected_codes()) {
        EXPECT_EQ(http_status(expected.name), expected.status) << expected.name;
    }
}

// Spot checks of each status class.
TEST(ErrorCodes, HttpStatusSpotChecks) {
    EXPECT_EQ(http_status("NOT_FOUND"), 404);
    EXPECT_EQ(http_status("INVALID_ARGUMENT"), 400);
    EXPECT_EQ(http_status("NO_INPUTS"), 422);
    EXPECT_EQ(http_status("ILLEGAL_TRANSITION"), 409);
    EXPECT_EQ(http_status("STEP_FAILED"), 500);
}

// Unknown names, wrong case and padded names are not codes.
TEST(ErrorCodes, UnknownNamesDoNotParse) {
    EXPECT_FALSE(parse_error_code("").has_value());
    EXPECT_FALSE(parse_error_code("not_found").has_value());
    EXPECT_FALSE(parse_error_code("Not_Found").has_value());
    EXPECT_FALSE(parse_error_code(" NOT_FOUND").has_value());
    EXPECT_FALSE(parse_error_code("NOT_FOUND ").has_value());
    EXPECT_FALSE(parse_error_code("NOT_FOUNDX").has_value());
    EXPECT_FALSE(parse_error_code("TIMEOUT").has_value());
}

// Unknown names, including wrong case, are internal errors.
TEST(ErrorCodes, UnknownNamesAre500) {
    EXPECT_EQ(http_status(""), 500);
    EXPECT_EQ(http_status("not_found"), 500);
    EXPECT_EQ(http_status("invalid_argument"), 500);
    EXPECT_EQ(http_status("TIMEOUT"), 500);
    EXPECT_EQ(http_status("NOT_FOUND\n"), 500);
    EXPECT_EQ(http_status(std::string_view("NOT_FOUND\0", 10)), 500);
}

// Names that share a prefix or suffix with another code stay distinct.
TEST(ErrorCodes, SimilarNamesAreDistinct) {
    EXPECT_EQ(parse_error_code("NOT_FOUND"), ErrorCode::not_found);
    EXPECT_EQ(parse_error_code("PROJECT_NOT_FOUND"), ErrorCode::project_not_found);
    EXPECT_EQ(parse_error_code("INPUT_NOT_FOUND"), ErrorCode::input_not_found);
    EXPECT_EQ(parse_error_code("INVALID_INPUTS"), ErrorCode::invalid_inputs);
    EXPECT_EQ(parse_error_code("INVALID_ARGUMENT"), ErrorCode::invalid_argument);
}

}  // namespace
}  // namespace project_runs
