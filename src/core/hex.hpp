// Hex digits, for the parsers of the core (JSON \u escapes, UUID text).
// Pure C++: no Postgres header.
#pragma once

namespace project_runs {

// The value of one hex digit of either case, or -1 if the character is not one.
constexpr int hex_digit_value(char character) {
    if (character >= '0' && character <= '9') return character - '0';
    if (character >= 'a' && character <= 'f') return character - 'a' + 10;
    if (character >= 'A' && character <= 'F') return character - 'A' + 10;
    return -1;
}

}  // namespace project_runs
