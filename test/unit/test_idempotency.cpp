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

constexpr const char* kProject = "0190a5b2-7c3d-7e4f-8a1b-2c3d4e5f6a7b";
constexpr const char* kOther = "0190a5b2-7c3d-7e4f-8a1b-2c3d4e5f6a7c";

// Every key generation_key makes has its form, whatever the version.
TEST(GenerationKeyForm, HoldsForEveryGeneratedKey) {
    for (std::int32_t v : {0, 1, 9, 10, 123456, -1, -10, std::numeric_limits<std::int32_t>::max(),
                           std::numeric_limits<std::int32_t>::min()}) {
        EXPECT_TRUE(has_generation_key_form(generation_key(kProject, v, "2025-12-23.v1"))) << v;
        EXPECT_TRUE(has_generation_key_form(generation_key(kProject, v, ""))) << v;
        EXPECT_TRUE(has_generation_key_form(generation_key(kProject, v, "git:a:b"))) << v;
    }
}

// Keys generate never makes: free for any run.
TEST(GenerationKeyForm, RejectsWhatGenerateNeverWrites) {
    const std::string p = kProject;
    for (const std::string& key : {std::string(""), std::string("alpha:1:v1"), p, p + ":", p + ":1",
                                   p + "::v", p + ":01:v", p + ":+1:v", p + ":-0:v", p + ":-:v",
                                   p + ":1x:v", p + ": 1:v", p + ":2147483648:v",
                                   p + ":-2147483649:v", p + ":99999999999:v",
                                   std::string("0190A5B2-7C3D-7E4F-8A1B-2C3D4E5F6A7B:1:v"),
                                   std::string("0190a5b27c3d7e4f8a1b2c3d4e5f6a7b:1:v"),
                                   std::string("{0190a5b2-7c3d-7e4f-8a1b-2c3d4e5f6a7b}:1:v"),
                                   std::string("0190a5b2-7c3d-7e4f-8a1b-2c3d4e5f6a7g:1:v"),
                                   std::string("0190a5b2x7c3d-7e4f-8a1b-2c3d4e5f6a7b:1:v"),
                                   "x" + p + ":1:v"})
        EXPECT_FALSE(has_generation_key_form(key)) << key;
    EXPECT_TRUE(has_generation_key_form(p + ":2147483647:v"));
    EXPECT_TRUE(has_generation_key_form(p + ":-2147483648:v"));
}

// A run may hold its own generation key and any key of another form.
TEST(KeyFitsRun, AcceptsItsOwnKeyAndOtherForms) {
    EXPECT_TRUE(key_fits_run(generation_key(kProject, 3, "v1"), kProject, 3, "v1"));
    EXPECT_TRUE(key_fits_run(generation_key(kProject, 3, "a:b"), kProject, 3, "a:b"));
    EXPECT_TRUE(key_fits_run("alpha:1:v1", kProject, 3, "v1"));
    EXPECT_TRUE(key_fits_run("alpha:1:v1", kProject, std::nullopt, "v1"));
    EXPECT_TRUE(key_fits_run(std::string(kOther) + ":03:v1", kProject, 3, "v1"));
}

// The generation key of another project, input version or pipeline version
// is refused: it would block that generate.
TEST(KeyFitsRun, RefusesAnotherRunsGenerationKey) {
    EXPECT_FALSE(key_fits_run(generation_key(kOther, 3, "v1"), kProject, 3, "v1"));
    EXPECT_FALSE(key_fits_run(generation_key(kProject, 4, "v1"), kProject, 3, "v1"));
    EXPECT_FALSE(key_fits_run(generation_key(kProject, 3, "v2"), kProject, 3, "v1"));
    EXPECT_FALSE(key_fits_run(generation_key(kProject, 3, "v1:x"), kProject, 3, "v1"));
    EXPECT_FALSE(key_fits_run(generation_key(kProject, 3, "v1"), kProject, std::nullopt, "v1"));
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
