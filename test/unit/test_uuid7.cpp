// Unit tests of version 7 UUID generation, formatting and parsing.
#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <set>
#include <stdexcept>
#include <string>

#include "core/uuid7.hpp"

namespace project_runs {
namespace {

constexpr std::uint64_t kMaxUnixMs = (std::uint64_t{1} << 48) - 1;

// Sixteen copies of one byte.
UuidBytes filled(std::uint8_t byte) {
    UuidBytes bytes;
    bytes.fill(byte);
    return bytes;
}

// Random bytes whose first four bytes (the step source) encode step - 1.
UuidBytes with_step(std::uint64_t step, std::uint8_t rest = 0) {
    UuidBytes bytes = filled(rest);
    const std::uint64_t encoded = step - 1;
    for (int index = 0; index < 4; ++index) {
        bytes[index] = static_cast<std::uint8_t>(encoded >> (8 * (3 - index)));
    }
    return bytes;
}

// The 74-bit random field as (high 12 bits, low 62 bits).
std::pair<std::uint32_t, std::uint64_t> random_field(const UuidBytes& uuid) {
    const std::uint32_t rand_a = ((uuid[6] & 0x0fu) << 8) | uuid[7];
    std::uint64_t rand_b = uuid[8] & 0x3fu;
    for (int index = 9; index < 16; ++index) rand_b = (rand_b << 8) | uuid[index];
    return {rand_a, rand_b};
}

// A version 7 UUID with the given timestamp and random field.
UuidBytes make_uuid(std::uint64_t unix_ms, std::uint32_t rand_a, std::uint64_t rand_b) {
    UuidBytes bytes{};
    for (int index = 0; index < 6; ++index) {
        bytes[index] = static_cast<std::uint8_t>(unix_ms >> (8 * (5 - index)));
    }
    bytes[6] = static_cast<std::uint8_t>(0x70 | (rand_a >> 8));
    bytes[7] = static_cast<std::uint8_t>(rand_a);
    bytes[8] = static_cast<std::uint8_t>(0x80 | (rand_b >> 56));
    for (int index = 9; index < 16; ++index) {
        bytes[index] = static_cast<std::uint8_t>(rand_b >> (8 * (15 - index)));
    }
    return bytes;
}

// Checks the version nibble and the variant bits.
void expect_version_and_variant(const UuidBytes& uuid) {
    EXPECT_EQ(uuid[6] >> 4, 7) << uuid_to_string(uuid);
    EXPECT_EQ(uuid[8] >> 6, 2) << uuid_to_string(uuid);
}

// The timestamp is stored big-endian in bytes 0-5.
TEST(Uuid7Generator, StoresTimestampBigEndian) {
    Uuid7Generator generator;
    const UuidBytes uuid = generator.next(0x0123456789abULL, filled(0));
    EXPECT_EQ(uuid[0], 0x01);
    EXPECT_EQ(uuid[1], 0x23);
    EXPECT_EQ(uuid[2], 0x45);
    EXPECT_EQ(uuid[3], 0x67);
    EXPECT_EQ(uuid[4], 0x89);
    EXPECT_EQ(uuid[5], 0xab);
    EXPECT_EQ(uuid7_unix_ms(uuid), 0x0123456789abULL);
}

// All-zero random bytes give an all-zero random field.
TEST(Uuid7Generator, FreshUuidFromZeroRandom) {
    Uuid7Generator generator;
    EXPECT_EQ(uuid_to_string(generator.next(1, filled(0x00))),
              "00000000-0001-7000-8000-000000000000");
}

// All-one random bytes: version and variant set, top random bit cleared.
TEST(Uuid7Generator, FreshUuidFromOneRandomClearsTopBit) {
    Uuid7Generator generator;
    const UuidBytes uuid = generator.next(1, filled(0xff));
    EXPECT_EQ(uuid_to_string(uuid), "00000000-0001-77ff-bfff-ffffffffffff");
    expect_version_and_variant(uuid);
}

// The fresh random field comes from random bytes 6-15.
TEST(Uuid7Generator, FreshUuidCopiesRandomBytes) {
    UuidBytes random{};
    for (int index = 0; index < 16; ++index)
        random[index] = static_cast<std::uint8_t>(0xa0 + index);
    Uuid7Generator generator;
    const UuidBytes uuid = generator.next(2, random);
    // byte 6 0xa6 -> low nibble 6 (top bit of the field is 0 already), byte 8 0xa8 -> 0x28
    EXPECT_EQ(uuid_to_string(uuid), "00000000-0002-76a7-a8a9-aaabacadaeaf");
}

// Within one millisecond, the field grows by the step taken from bytes 0-3 plus one.
TEST(Uuid7Generator, SameMillisecondAddsRandomStep) {
    Uuid7Generator generator;
    const UuidBytes first = generator.next(100, filled(0));
    const UuidBytes second = generator.next(100, with_step(1));
    EXPECT_EQ(uuid_to_string(second), "00000000-0064-7000-8000-000000000001");
    const UuidBytes third = generator.next(100, with_step(0x1000));
    EXPECT_EQ(uuid_to_string(third), "00000000-0064-7000-8000-000000001001");
    const UuidBytes fourth = generator.next(100, with_step(std::uint64_t{1} << 32));
    EXPECT_EQ(uuid_to_string(fourth), "00000000-0064-7000-8000-000100001001");
    EXPECT_LT(first, second);
    EXPECT_LT(second, third);
    EXPECT_LT(third, fourth);
}

// The counter ignores random bytes 4-15 while counting within a millisecond.
TEST(Uuid7Generator, SameMillisecondIgnoresTheOtherRandomBytes) {
    Uuid7Generator generator;
    const UuidBytes first = generator.next(7, filled(0));
    const UuidBytes second = generator.next(7, with_step(5, 0xff));
    EXPECT_EQ(random_field(second).first, random_field(first).first);
    EXPECT_EQ(random_field(second).second, random_field(first).second + 5);
}

// The step is at least 1 and at most 2^32.
TEST(Uuid7Generator, StepBounds) {
    Uuid7Generator generator;
    UuidBytes previous = generator.next(9, filled(0));
    UuidBytes zero_step_source = filled(0);
    UuidBytes current = generator.next(9, zero_step_source);
    EXPECT_EQ(random_field(current).second - random_field(previous).second, 1u);
    previous = current;
    UuidBytes max_step_source = filled(0);
    max_step_source[0] = max_step_source[1] = max_step_source[2] = max_step_source[3] = 0xff;
    current = generator.next(9, max_step_source);
    EXPECT_EQ(random_field(current).second - random_field(previous).second, std::uint64_t{1} << 32);
}

// A carry out of the low 62 bits moves into the 12 bits before the variant.
TEST(Uuid7Generator, CarriesAcrossTheVariantBits) {
    Uuid7Generator generator(make_uuid(50, 0x123, (std::uint64_t{1} << 62) - 1));
    const UuidBytes next = generator.next(50, with_step(1));
    EXPECT_EQ(uuid7_unix_ms(next), 50u);
    EXPECT_EQ(random_field(next).first, 0x124u);
    EXPECT_EQ(random_field(next).second, 0u);
    expect_version_and_variant(next);
}

// When the clock goes backwards, the last timestamp is kept and the counter advances.
TEST(Uuid7Generator, ClockGoingBackwardsKeepsLastTimestamp) {
    Uuid7Generator generator;
    const UuidBytes first = generator.next(5000, filled(0x11));
    const UuidBytes second = generator.next(4000, with_step(3, 0x99));
    EXPECT_EQ(uuid7_unix_ms(second), 5000u);
    EXPECT_LT(first, second);
    EXPECT_EQ(random_field(second).second, random_field(first).second + 3);
}

// A later millisecond gets fresh random bits, not the continued counter.
TEST(Uuid7Generator, LaterMillisecondIsFresh) {
    Uuid7Generator generator;
    generator.next(10, filled(0x55));
    generator.next(10, with_step(1000));
    const UuidBytes later = generator.next(11, filled(0x00));
    EXPECT_EQ(uuid_to_string(later), "00000000-000b-7000-8000-000000000000");
}

// When the counter overflows, the next millisecond starts with fresh bits.
TEST(Uuid7Generator, CounterOverflowMovesToNextMillisecond) {
    const UuidBytes last = make_uuid(777, 0xfff, (std::uint64_t{1} << 62) - 1);
    Uuid7Generator generator(last);
    const UuidBytes next = generator.next(777, filled(0xff));
    EXPECT_EQ(uuid_to_string(next), "00000000-030a-77ff-bfff-ffffffffffff");
    EXPECT_EQ(uuid7_unix_ms(next), 778u);
    EXPECT_LT(last, next);
    // The generator continues from the rolled-over millisecond.
    const UuidBytes after = generator.next(777, with_step(1));
    EXPECT_EQ(uuid7_unix_ms(after), 778u);
    EXPECT_LT(next, after);
}

// A step that overflows only partly still rolls over.
TEST(Uuid7Generator, CounterOverflowWithLargeStep) {
    const UuidBytes last = make_uuid(1, 0xfff, (std::uint64_t{1} << 62) - 10);
    Uuid7Generator generator(last);
    const UuidBytes exact = generator.next(0, with_step(9));
    EXPECT_EQ(uuid7_unix_ms(exact), 1u);
    EXPECT_EQ(random_field(exact).second, (std::uint64_t{1} << 62) - 1);
    const UuidBytes rolled = generator.next(0, with_step(std::uint64_t{1} << 32, 0x00));
    EXPECT_EQ(uuid7_unix_ms(rolled), 2u);
    EXPECT_EQ(random_field(rolled).first, 0u);
    EXPECT_EQ(random_field(rolled).second, 0u);
}

// A resumed generator sorts after the UUID it resumed from.
TEST(Uuid7Generator, ResumedGeneratorSortsAfterItsStart) {
    const UuidBytes stored = make_uuid(123456, 0x0ab, 0x1234);
    Uuid7Generator same_ms(stored);
    EXPECT_LT(stored, same_ms.next(123456, filled(0xff)));
    Uuid7Generator earlier_clock(stored);
    EXPECT_LT(stored, earlier_clock.next(1, filled(0xff)));
    Uuid7Generator later_clock(stored);
    const UuidBytes later = later_clock.next(123457, filled(0x00));
    EXPECT_EQ(uuid7_unix_ms(later), 123457u);
}

// Timestamps are limited to 48 bits.
TEST(Uuid7Generator, RejectsTimestampsBeyond48Bits) {
    Uuid7Generator generator;
    EXPECT_THROW(generator.next(kMaxUnixMs + 1, filled(0)), std::out_of_range);
    const UuidBytes max = generator.next(kMaxUnixMs, filled(0));
    EXPECT_EQ(uuid7_unix_ms(max), kMaxUnixMs);
    EXPECT_EQ(uuid_to_string(max), "ffffffff-ffff-7000-8000-000000000000");

    Uuid7Generator exhausted(make_uuid(kMaxUnixMs, 0xfff, (std::uint64_t{1} << 62) - 1));
    EXPECT_THROW(exhausted.next(kMaxUnixMs, filled(0)), std::out_of_range);
}

// Many UUIDs under a jittery clock are strictly increasing, valid v7 UUIDs.
TEST(Uuid7Generator, StrictlyIncreasingUnderJitteryClock) {
    std::mt19937_64 engine(20240601);
    std::uniform_int_distribution<int> clock_move(-3, 3);
    std::uniform_int_distribution<int> byte(0, 255);
    Uuid7Generator generator;
    std::uint64_t clock_ms = 1717200000000ULL;
    std::uint64_t highest_ms = 0;
    UuidBytes previous{};
    std::set<UuidBytes> seen;
    for (int round = 0; round < 20000; ++round) {
        clock_ms =
            static_cast<std::uint64_t>(static_cast<std::int64_t>(clock_ms) + clock_move(engine));
        UuidBytes random;
        for (auto& value : random) value = static_cast<std::uint8_t>(byte(engine));
        const UuidBytes uuid = generator.next(clock_ms, random);
        expect_version_and_variant(uuid);
        if (round > 0) {
            ASSERT_LT(previous, uuid) << "round " << round;
        }
        ASSERT_GE(uuid7_unix_ms(uuid), highest_ms);
        ASSERT_GE(uuid7_unix_ms(uuid), clock_ms);
        highest_ms = uuid7_unix_ms(uuid);
        seen.insert(uuid);
        previous = uuid;
    }
    EXPECT_EQ(seen.size(), 20000u);
}

// A stuck clock still produces strictly increasing UUIDs of that millisecond.
TEST(Uuid7Generator, StuckClockKeepsIncreasing) {
    Uuid7Generator generator;
    std::mt19937 engine(7);
    std::uniform_int_distribution<int> byte(0, 255);
    UuidBytes previous = generator.next(42, filled(0xff));
    for (int round = 0; round < 10000; ++round) {
        UuidBytes random;
        for (auto& value : random) value = static_cast<std::uint8_t>(byte(engine));
        const UuidBytes uuid = generator.next(42, random);
        ASSERT_LT(previous, uuid);
        ASSERT_EQ(uuid7_unix_ms(uuid), 42u);
        previous = uuid;
    }
}

// The RFC 9562 example UUIDv7 carries its documented timestamp.
TEST(Uuid7UnixMs, ReadsTheRfcExample) {
    const std::optional<UuidBytes> uuid = parse_uuid("017F22E2-79B0-7CC3-98C4-DC0C0C07398F");
    ASSERT_TRUE(uuid.has_value());
    EXPECT_EQ(uuid7_unix_ms(*uuid), 0x017F22E279B0ULL);
    EXPECT_EQ(uuid7_unix_ms(*uuid), 1645557742000ULL);
    expect_version_and_variant(*uuid);
}

// Formatting is lower case with dashes at 8, 13, 18 and 23.
TEST(UuidToString, CanonicalLowerCase) {
    UuidBytes bytes{};
    for (int index = 0; index < 16; ++index) bytes[index] = static_cast<std::uint8_t>(index * 17);
    EXPECT_EQ(uuid_to_string(bytes), "00112233-4455-6677-8899-aabbccddeeff");
    EXPECT_EQ(uuid_to_string(UuidBytes{}), "00000000-0000-0000-0000-000000000000");
    EXPECT_EQ(uuid_to_string(filled(0xff)), "ffffffff-ffff-ffff-ffff-ffffffffffff");
}

// Parsing accepts either case and round trips.
TEST(ParseUuid, AcceptsCanonicalFormInEitherCase) {
    const UuidBytes expected = {0x01, 0x7f, 0x22, 0xe2, 0x79, 0xb0, 0x7c, 0xc3,
                                0x98, 0xc4, 0xdc, 0x0c, 0x0c, 0x07, 0x39, 0x8f};
    EXPECT_EQ(parse_uuid("017f22e2-79b0-7cc3-98c4-dc0c0c07398f"), expected);
    EXPECT_EQ(parse_uuid("017F22E2-79B0-7CC3-98C4-DC0C0C07398F"), expected);
    EXPECT_EQ(parse_uuid("017f22E2-79b0-7Cc3-98C4-dc0c0C07398f"), expected);
    EXPECT_EQ(uuid_to_string(expected), "017f22e2-79b0-7cc3-98c4-dc0c0c07398f");
}

// Every byte value survives a format-and-parse round trip.
TEST(ParseUuid, RoundTripsEveryByteValue) {
    for (int start = 0; start < 256; start += 16) {
        UuidBytes bytes;
        for (int index = 0; index < 16; ++index)
            bytes[index] = static_cast<std::uint8_t>(start + index);
        EXPECT_EQ(parse_uuid(uuid_to_string(bytes)), bytes);
    }
}

// Parsing is not limited to version 7.
TEST(ParseUuid, AcceptsOtherVersions) {
    EXPECT_TRUE(parse_uuid("00000000-0000-0000-0000-000000000000").has_value());
    EXPECT_TRUE(parse_uuid("f47ac10b-58cc-4372-a567-0e02b2c3d479").has_value());
}

// Anything other than the 36-character canonical form is rejected.
TEST(ParseUuid, RejectsNonCanonicalText) {
    const char* const rejected[] = {
        "",
        "017f22e2-79b0-7cc3-98c4-dc0c0c07398",     // 35 characters
        "017f22e2-79b0-7cc3-98c4-dc0c0c07398f0",   // 37 characters
        "{017f22e2-79b0-7cc3-98c4-dc0c0c07398f}",  // braces
        "017f22e279b07cc398c4dc0c0c07398f",        // no dashes
        "017f22e2-79b07-cc3-98c4-dc0c0c07398f",    // dash moved
        "017f22e2_79b0_7cc3_98c4_dc0c0c07398f",    // wrong separator
        "017f22e2-79b0-7cc3-98c4-dc0c0c07398g",    // not hex
        "017f22e2-79b0-7cc3-98c4-dc0c0c07398 ",    // trailing space
        " 17f22e2-79b0-7cc3-98c4-dc0c0c07398f",    // leading space
        "017f22e2-79b0-7cc3-98c4+dc0c0c07398f",    // plus sign
        "017f22e2--9b0-7cc3-98c4-dc0c0c07398f",    // dash in a hex slot
        "{17f22e2-79b0-7cc3-98c4-dc0c0c07398}",    // braces, 36 characters
        "urn:uuid:017f22e2-79b0-7cc3-98c4-dc0",    // urn prefix, 36 characters
    };
    for (const char* text : rejected) {
        EXPECT_FALSE(parse_uuid(text).has_value()) << '"' << text << '"';
    }
    EXPECT_FALSE(
        parse_uuid(std::string_view("017f22e2-79b0-7cc3-98c4-dc0c0c07398\0", 36)).has_value());
}

// parse_uuid_input accepts what text::uuid accepts, and nothing else.
TEST(ParseUuidInput, AcceptsPostgresInputForms) {
    const UuidBytes expected = *parse_uuid("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11");
    const char* const accepted[] = {
        "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11",    // canonical
        "A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11",    // upper case
        "{a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11}",  // braces
        "a0eebc999c0b4ef8bb6d6bb9bd380a11",        // no dashes
        "a0ee-bc99-9c0b-4ef8-bb6d-6bb9-bd38-0a11", // a dash after every group of four
        "{a0eebc99-9c0b4ef8-bb6d6bb9-bd380a11}",   // some dashes, braces
    };
    for (const char* text : accepted) EXPECT_EQ(parse_uuid_input(text), expected) << text;
}

TEST(ParseUuidInput, RejectsWhatPostgresRejects) {
    const char* const rejected[] = {
        "",
        "{}",
        " a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11",   // leading space
        "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11 ",   // trailing space
        "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11-",   // dash after the last group
        "-a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11",   // leading dash
        "a0e-ebc99-9c0b-4ef8-bb6d-6bb9bd380a11",   // dash inside a group of four
        "a0eebc99--9c0b-4ef8-bb6d-6bb9bd380a11",   // two dashes
        "{a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11",   // unclosed brace
        "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11}",   // closing brace only
        "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a1",     // 31 digits
        "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a111",   // 33 digits
        "g0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11",    // not hex
        "urn:uuid:a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11",
    };
    for (const char* text : rejected) EXPECT_FALSE(parse_uuid_input(text).has_value()) << text;
}

}  // namespace
}  // namespace project_runs
