// Unit tests of the generation idempotency key and the argument limits.
#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <string>

#include "core/idempotency.hpp"

namespace project_runs {
namespace {

// The key joins the three parts with colons.
TEST(GenerationKey, JoinsPartsWithColons) {
    EXPECT_EQ(generation_key("0190a5b2-7c3d-7e4f-8a1b-2c3d4e5f6a7b", 3, "v1.2"),
              "0190a5b2-7c3d-7e4f-8a1b-2c3d4e5f6a7b:3:v1.2");
}

// The input version is written in plain decimal.
TEST(GenerationKey, WritesInputVersionInDecimal) {
    EXPECT_EQ(generation_key("p", 0, "v"), "p:0:v");
    EXPECT_EQ(generation_key("p", 10, "v"), "p:10:v");
    EXPECT_EQ(generation_key("p", -7, "v"), "p:-7:v");
    EXPECT_EQ(generation_key("p", std::numeric_limits<std::int32_t>::max(), "v"), "p:2147483647:v");
    EXPECT_EQ(generation_key("p", std::numeric_limits<std::int32_t>::min(), "v"),
              "p:-2147483648:v");
}

// Empty parts still produce both separators.
TEST(GenerationKey, KeepsEmptyParts) {
    EXPECT_EQ(generation_key("", 1, ""), ":1:");
    EXPECT_EQ(generation_key("p", 1, ""), "p:1:");
}

// Colons inside the pipeline version are copied through unchanged.
TEST(GenerationKey, CopiesColonsAndUnicodeVerbatim) {
    EXPECT_EQ(generation_key("p", 2, "git:abc:def"), "p:2:git:abc:def");
    EXPECT_EQ(generation_key("p", 2, "v\xC3\xA9"), "p:2:v\xC3\xA9");
}

// Different inputs give different keys.
TEST(GenerationKey, DistinguishesVersions) {
    EXPECT_NE(generation_key("p", 1, "v1"), generation_key("p", 2, "v1"));
    EXPECT_NE(generation_key("p", 1, "v1"), generation_key("p", 1, "v2"));
    EXPECT_NE(generation_key("p", 1, "v1"), generation_key("q", 1, "v1"));
}

// A maximal pipeline version is kept whole.
TEST(GenerationKey, KeepsLongPipelineVersions) {
    const std::string pipeline(max_pipeline_version_bytes, 'x');
    const std::string key = generation_key("p", 1, pipeline);
    EXPECT_EQ(key.size(), 4 + max_pipeline_version_bytes);
    EXPECT_EQ(key.substr(4), pipeline);
}

// The longest possible generation key fits the idempotency key limit.
TEST(GenerationKey, LongestKeyFitsTheIdempotencyKeyLimit) {
    const std::string project_id = "ffffffff-ffff-7fff-bfff-ffffffffffff";
    const std::string pipeline(max_pipeline_version_bytes, 'x');
    const std::string key =
        generation_key(project_id, std::numeric_limits<std::int32_t>::min(), pipeline);
    EXPECT_LE(key.size(), max_idempotency_key_bytes);
}

// The limits are the documented ones.
TEST(Limits, HaveTheDocumentedValues) {
    EXPECT_EQ(max_pipeline_version_bytes, 200u);
    EXPECT_EQ(max_idempotency_key_bytes, 500u);
    EXPECT_EQ(max_error_code_bytes, 100u);
    EXPECT_EQ(max_error_message_bytes, 10000u);
    EXPECT_EQ(max_list_rows, 1000);
}

}  // namespace
}  // namespace project_runs
