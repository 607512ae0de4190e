// The pipeline's built-in steps and the metrics and output documents.
#include <gtest/gtest.h>

#include "core/json.hpp"
#include "core/pipeline.hpp"

namespace pipeline = project_runs::pipeline;
namespace json = project_runs::json;

TEST(Pipeline, StepsRunInTheContractOrder) {
    ASSERT_EQ(pipeline::step_names.size(), 3u);
    EXPECT_EQ(pipeline::step_names[0], "validate_inputs");
    EXPECT_EQ(pipeline::step_names[1], "collect_evidence");
    EXPECT_EQ(pipeline::step_names[2], "generate_opportunities");
    EXPECT_TRUE(pipeline::is_step_name("collect_evidence"));
    EXPECT_FALSE(pipeline::is_step_name("Collect_evidence"));
    EXPECT_FALSE(pipeline::is_step_name(""));
}

TEST(Pipeline, NewStepsArePending) {
    auto steps = pipeline::pending_steps();
    ASSERT_EQ(steps.size(), 3u);
    for (const auto& step : steps) {
        EXPECT_EQ(step.status, pipeline::StepStatus::pending);
        EXPECT_FALSE(step.started_us.has_value());
        EXPECT_TRUE(step.error_json.empty());
    }
}

TEST(Pipeline, Iso8601Utc) {
    EXPECT_EQ(pipeline::iso8601_utc(0), "1970-01-01T00:00:00.000000Z");
    EXPECT_EQ(pipeline::iso8601_utc(1766448000123456LL), "2025-12-23T00:00:00.123456Z");
    EXPECT_EQ(pipeline::iso8601_utc(951782400000000LL), "2000-02-29T00:00:00.000000Z");
    EXPECT_EQ(pipeline::iso8601_utc(-1), "1969-12-31T23:59:59.999999Z");
    EXPECT_EQ(pipeline::iso8601_utc(4102444799999999LL), "2099-12-31T23:59:59.999999Z");
}

TEST(Pipeline, MetricsDocument) {
    auto steps = pipeline::pending_steps();
    steps[0].status = pipeline::StepStatus::succeeded;
    steps[0].started_us = 1000;
    steps[0].finished_us = 3500;
    steps[1].status = pipeline::StepStatus::failed;
    steps[1].started_us = 4000;
    steps[1].finished_us = 4000;
    steps[1].error_json = R"({"sqlstate":"22012","message":"division by zero"})";
    steps[2].status = pipeline::StepStatus::skipped;
    json::Value doc = json::parse(pipeline::metrics_json("v\"1", steps));
    EXPECT_EQ(doc.find("\"pipeline_version\"")->text, "\"v\\\"1\"");
    const json::Value* list = doc.find("\"steps\"");
    ASSERT_NE(list, nullptr);
    ASSERT_EQ(list->items.size(), 3u);
    EXPECT_EQ(list->items[0].find("\"status\"")->text, "\"succeeded\"");
    EXPECT_EQ(list->items[0].find("\"duration_ms\"")->text, "2.500");
    EXPECT_EQ(list->items[0].find("\"started_at\"")->text, "\"1970-01-01T00:00:00.001000Z\"");
    EXPECT_EQ(list->items[1].find("\"error\"")->kind, json::Kind::object);
    EXPECT_EQ(list->items[1].find("\"duration_ms\"")->text, "0.000");
    EXPECT_EQ(list->items[2].find("\"status\"")->text, "\"skipped\"");
    EXPECT_EQ(list->items[2].find("\"started_at\"")->kind, json::Kind::null);
    EXPECT_EQ(list->items[2].find("\"duration_ms\"")->kind, json::Kind::null);
    EXPECT_EQ(list->items[2].find("\"error\"")->kind, json::Kind::null);
}

TEST(Pipeline, ValidateInputsNeedsANonEmptyObject) {
    EXPECT_THROW(pipeline::validate_inputs(json::parse("[]")), pipeline::InvalidInputs);
    EXPECT_THROW(pipeline::validate_inputs(json::parse("{}")), pipeline::InvalidInputs);
    EXPECT_THROW(pipeline::validate_inputs(json::parse("\"text\"")), pipeline::InvalidInputs);
    EXPECT_THROW(pipeline::validate_inputs(json::parse("null")), pipeline::InvalidInputs);
    EXPECT_THROW(pipeline::validate_inputs(json::parse("42")), pipeline::InvalidInputs);
    json::Value ok = pipeline::validate_inputs(json::parse(R"({"a": 1, "b": [2]})"));
    EXPECT_EQ(json::serialize(ok), R"({"fields":2})");
}

TEST(Pipeline, EvidenceAndOpportunitiesAreDeterministic) {
    json::Value input = json::parse(R"({"hypothesis": "x", "size": 40, "tags": ["a"], "q\"uote": null})");
    json::Value evidence = pipeline::collect_evidence(input);
    EXPECT_EQ(json::serialize(evidence),
              R"({"evidence":[{"field":"hypothesis","kind":"text"},{"field":"size","kind":"number"},)"
              R"({"field":"tags","kind":"list"},{"field":"q\"uote","kind":"null"}],"count":4})");
    json::Value opportunities = pipeline::generate_opportunities(input, evidence);
    EXPECT_EQ(json::serialize(opportunities.members[1].second), "4");
    const json::Value& first = opportunities.find("\"opportunities\"")->items[0];
    EXPECT_EQ(first.find("\"title\"")->text, "\"Explore hypothesis\"");
    EXPECT_EQ(first.find("\"rank\"")->text, "1");
    const json::Value& last = opportunities.find("\"opportunities\"")->items[3];
    EXPECT_EQ(last.find("\"title\"")->text, "\"Explore q\\\"uote\"");
    EXPECT_EQ(json::serialize(pipeline::collect_evidence(input)), json::serialize(evidence));
}

TEST(Pipeline, OpportunitiesWithoutEvidence) {
    json::Value none = pipeline::generate_opportunities(json::parse("{}"), json::Value{});
    EXPECT_EQ(json::serialize(none), R"({"opportunities":[],"count":0})");
}

TEST(Pipeline, OutputDocument) {
    std::string out = pipeline::output_json(
        "2025-12-23.v1", 3, {{"validate_inputs", R"({"fields":1})"}, {"collect_evidence", ""}});
    EXPECT_EQ(out,
              R"({"pipeline_version":"2025-12-23.v1","input_version":3,"summary":)"
              R"({"validate_inputs":{"fields":1},"collect_evidence":null}})");
    EXPECT_NO_THROW(json::parse(out));
}

TEST(Json, QuoteEscapes) {
    EXPECT_EQ(json::quote("a\"b\\c\n\t\r"), "\"a\\\"b\\\\c\\n\\t\\r\"");
    EXPECT_EQ(json::quote(std::string("\x01", 1)), "\"\\u0001\"");
    EXPECT_EQ(json::quote("é"), "\"é\"");
    EXPECT_NO_THROW(json::parse(json::quote(std::string("\x1f\x7f end", 6))));
}
