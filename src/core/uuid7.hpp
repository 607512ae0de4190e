// UUID version 7 (RFC 9562): 48-bit Unix milliseconds, then random bits.
// Pure C++: no Postgres header.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace project_runs {

using UuidBytes = std::array<std::uint8_t, 16>;

// Generates version 7 UUIDs that are strictly increasing (as bytes) within
// one generator, even when the clock stands still or goes backwards
// (RFC 9562 section 6.2, method 2: the 74 random bits act as a counter that
// is advanced by a random step within the same millisecond).
class Uuid7Generator {
public:
    // A generator with no history: its first result is fresh.
    Uuid7Generator() = default;

    // A generator that continues after a known version 7 UUID (e.g. the last
    // one stored): every result sorts after it.
    explicit Uuid7Generator(const UuidBytes& last);

    // unix_ms: current time in milliseconds; random: 16 fresh random bytes.
    // Throws std::out_of_range if the timestamp would not fit in 48 bits.
    UuidBytes next(std::uint64_t unix_ms, const UuidBytes& random);

private:
    std::uint64_t last_ms_ = 0;
    UuidBytes last_{};
    bool has_last_ = false;
};

// The 48-bit millisecond timestamp stored in a version 7 UUID.
std::uint64_t uuid7_unix_ms(const UuidBytes& uuid);

// Canonical lowercase 8-4-4-4-12 form.
std::string uuid_to_string(const UuidBytes& uuid);

// The same 36 characters written to out (no terminator).
void write_uuid(const UuidBytes& uuid, char* out);

// Parses the canonical form (either case); nullopt if it is not one.
std::optional<UuidBytes> parse_uuid(std::string_view text);

// Parses what PostgreSQL's uuid input accepts (text::uuid): 32 hex digits
// of either case, a dash allowed after any group of four but the last, the
// whole optionally in braces; nullopt for anything else.
std::optional<UuidBytes> parse_uuid_input(std::string_view text);

}  // namespace project_runs
