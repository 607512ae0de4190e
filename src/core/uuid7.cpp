// UUID version 7 (RFC 9562) generation, formatting and parsing.
#include "core/uuid7.hpp"

#include <stdexcept>

#include "core/hex.hpp"

namespace project_runs {

namespace {

constexpr std::uint64_t kMaxUnixMs = (std::uint64_t{1} << 48) - 1;
constexpr std::uint32_t kRandAMask = 0x0fff;                   // 12 bits
constexpr std::uint32_t kRandATopBit = 0x0800;                 // counter headroom
constexpr std::uint64_t kRandBLimit = std::uint64_t{1} << 62;  // 62 bits
constexpr std::size_t kCanonicalLength = 36;
constexpr const char* kHexDigits = "0123456789abcdef";

// The 74-bit random field of a version 7 UUID, split around the version and
// variant bits: rand_a (12 bits, the high part) and rand_b (62 bits).
struct RandomField {
    std::uint32_t rand_a = 0;
    std::uint64_t rand_b = 0;
};

// Reads the random field from the UUID bytes.
RandomField read_random_field(const UuidBytes& bytes) {
    RandomField field;
    field.rand_a = ((static_cast<std::uint32_t>(bytes[6]) & 0x0f) << 8) | bytes[7];
    field.rand_b = static_cast<std::uint64_t>(bytes[8] & 0x3f);
    for (int index = 9; index < 16; ++index) field.rand_b = (field.rand_b << 8) | bytes[index];
    return field;
}

// Fresh random field from the caller's random bytes, top bit cleared.
RandomField fresh_random_field(const UuidBytes& random) {
    RandomField field = read_random_field(random);
    field.rand_a &= (kRandAMask & ~kRandATopBit);
    return field;
}

// The random step in [1, 2^32] taken from random bytes 0-3 (never part of the field).
std::uint64_t random_increment(const UuidBytes& random) {
    std::uint64_t value = 0;
    for (int index = 0; index < 4; ++index) value = (value << 8) | random[index];
    return value + 1;
}

// Adds a step to the field as one 74-bit counter; false when it overflows.
bool advance_random_field(RandomField& field, std::uint64_t step) {
    field.rand_b += step;  // rand_b < 2^62 and step <= 2^32: no 64-bit overflow
    if (field.rand_b >= kRandBLimit) {
        field.rand_b -= kRandBLimit;
        field.rand_a += 1;
    }
    return field.rand_a <= kRandAMask;
}

// Assembles timestamp, version, variant and random field into UUID bytes.
UuidBytes assemble_uuid(std::uint64_t unix_ms, const RandomField& field) {
    UuidBytes bytes{};
    for (int index = 0; index < 6; ++index) {
        bytes[index] = static_cast<std::uint8_t>(unix_ms >> (8 * (5 - index)));
    }
    bytes[6] = static_cast<std::uint8_t>(0x70 | ((field.rand_a >> 8) & 0x0f));
    bytes[7] = static_cast<std::uint8_t>(field.rand_a & 0xff);
    bytes[8] = static_cast<std::uint8_t>(0x80 | ((field.rand_b >> 56) & 0x3f));
    for (int index = 9; index < 16; ++index) {
        bytes[index] = static_cast<std::uint8_t>(field.rand_b >> (8 * (15 - index)));
    }
    return bytes;
}

// Throws when a timestamp does not fit the 48-bit field.
void require_48_bit_timestamp(std::uint64_t unix_ms) {
    if (unix_ms > kMaxUnixMs) throw std::out_of_range("uuid7 timestamp exceeds 48 bits");
}

// True at the positions of the four dashes of the canonical form.
bool is_dash_position(std::size_t position) {
    return position == 8 || position == 13 || position == 18 || position == 23;
}

}  // namespace

// Resumes after last, taking its timestamp and random field as the state.
Uuid7Generator::Uuid7Generator(const UuidBytes& last)
    : last_ms_(uuid7_unix_ms(last)), last_(last), has_last_(true) {}

// Next UUID: a fresh one for a later millisecond, otherwise the previous one
// advanced by a random step (rolling over to the next millisecond on overflow).
// Throws std::out_of_range if the timestamp would not fit in 48 bits.
UuidBytes Uuid7Generator::next(std::uint64_t unix_ms, const UuidBytes& random) {
    std::uint64_t stamp_ms = unix_ms;
    RandomField field;
    if (!has_last_ || unix_ms > last_ms_) {
        field = fresh_random_field(random);
    } else {
        stamp_ms = last_ms_;
        field = read_random_field(last_);
        if (!advance_random_field(field, random_increment(random))) {
            stamp_ms = last_ms_ + 1;
            field = fresh_random_field(random);
        }
    }
    require_48_bit_timestamp(stamp_ms);
    last_ = assemble_uuid(stamp_ms, field);
    last_ms_ = stamp_ms;
    has_last_ = true;
    return last_;
}

// Reads bytes 0-5 as a big-endian millisecond count.
std::uint64_t uuid7_unix_ms(const UuidBytes& uuid) {
    std::uint64_t unix_ms = 0;
    for (int index = 0; index < 6; ++index) unix_ms = (unix_ms << 8) | uuid[index];
    return unix_ms;
}

// Formats the 16 bytes as lowercase hex with dashes after bytes 4, 6, 8 and 10.
void write_uuid(const UuidBytes& uuid, char* out) {
    for (std::size_t index = 0; index < uuid.size(); ++index) {
        if (index == 4 || index == 6 || index == 8 || index == 10) *out++ = '-';
        *out++ = kHexDigits[uuid[index] >> 4];
        *out++ = kHexDigits[uuid[index] & 0x0f];
    }
}

std::string uuid_to_string(const UuidBytes& uuid) {
    std::string text(kCanonicalLength, '\0');
    write_uuid(uuid, text.data());
    return text;
}

// Accepts exactly 36 characters: 8-4-4-4-12 hex digits of either case.
std::optional<UuidBytes> parse_uuid(std::string_view text) {
    if (text.size() != kCanonicalLength) return std::nullopt;
    UuidBytes bytes{};
    std::size_t nibble_count = 0;
    for (std::size_t position = 0; position < text.size(); ++position) {
        const char character = text[position];
        if (is_dash_position(position)) {
            if (character != '-') return std::nullopt;
            continue;
        }
        const int value = hex_digit_value(character);
        if (value < 0) return std::nullopt;
        std::uint8_t& byte = bytes[nibble_count / 2];
        byte = static_cast<std::uint8_t>(nibble_count % 2 == 0 ? value << 4 : byte | value);
        ++nibble_count;
    }
    return bytes;
}

// The grammar of PostgreSQL's string_to_uuid: '{'? then 16 bytes of two hex
// digits each, where a '-' may follow bytes 1, 3, 5, ..., 13 (after every
// group of four digits but the last), then '}' if the text opened with '{'.
std::optional<UuidBytes> parse_uuid_input(std::string_view text) {
    std::size_t position = 0;
    const bool braces = !text.empty() && text.front() == '{';
    if (braces) ++position;
    UuidBytes bytes{};
    for (std::size_t index = 0; index < bytes.size(); ++index) {
        if (position + 2 > text.size()) return std::nullopt;
        const int high = hex_digit_value(text[position]);
        const int low = hex_digit_value(text[position + 1]);
        if (high < 0 || low < 0) return std::nullopt;
        bytes[index] = static_cast<std::uint8_t>(high << 4 | low);
        position += 2;
        if (position < text.size() && text[position] == '-' && index % 2 == 1 &&
            index < bytes.size() - 1)
            ++position;
    }
    if (braces) {
        if (position >= text.size() || text[position] != '}') return std::nullopt;
        ++position;
    }
    if (position != text.size()) return std::nullopt;
    return bytes;
}

}  // namespace project_runs
