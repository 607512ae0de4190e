// The analysis pipeline's steps, built-ins and documents.
#include "core/pipeline.hpp"

#include <cstdio>

namespace project_runs::pipeline {

bool is_step_name(std::string_view name) {
    for (std::string_view step : step_names)
        if (step == name) return true;
    return false;
}

std::string_view step_status_label(StepStatus status) {
    switch (status) {
        case StepStatus::pending: return "pending";
        case StepStatus::running: return "running";
        case StepStatus::succeeded: return "succeeded";
        case StepStatus::failed: return "failed";
        case StepStatus::skipped: return "skipped";
    }
    return "pending";
}

std::vector<StepRecord> pending_steps() {
    std::vector<StepRecord> steps;
    for (std::string_view name : step_names) {
        StepRecord step;
        step.name = name;
        steps.push_back(std::move(step));
    }
    return steps;
}

std::string iso8601_utc(std::int64_t unix_us) {
    std::int64_t seconds = unix_us / 1000000;
    std::int64_t micros = unix_us % 1000000;
    if (micros < 0) {
        micros += 1000000;
        seconds -= 1;
    }
    std::int64_t days = seconds / 86400;
    std::int64_t rest = seconds % 86400;
    if (rest < 0) {
        rest += 86400;
        days -= 1;
    }
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    days += 719468;
    std::int64_t era = (days >= 0 ? days : days - 146096) / 146097;
    std::int64_t doe = days - era * 146097;
    std::int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    std::int64_t year = yoe + era * 400;
    std::int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    std::int64_t mp = (5 * doy + 2) / 153;
    std::int64_t day = doy - (153 * mp + 2) / 5 + 1;
    std::int64_t month = mp < 10 ? mp + 3 : mp - 9;
    if (month <= 2) year += 1;
    char buf[64];
    snprintf(buf, sizeof buf, "%04lld-%02lld-%02lldT%02lld:%02lld:%02lld.%06lldZ",
             static_cast<long long>(year), static_cast<long long>(month),
             static_cast<long long>(day), static_cast<long long>(rest / 3600),
             static_cast<long long>(rest / 60 % 60), static_cast<long long>(rest % 60),
             static_cast<long long>(micros));
    return buf;
}

std::string metrics_json(std::string_view pipeline_version, const std::vector<StepRecord>& steps) {
    std::string out = "{\"pipeline_version\":" + json::quote(pipeline_version) + ",\"steps\":[";
    bool first = true;
    for (const StepRecord& step : steps) {
        if (!first) out += ',';
        first = false;
        out += "{\"name\":" + json::quote(step.name);
        out += ",\"status\":" + json::quote(step_status_label(step.status));
        out += ",\"started_at\":" +
               (step.started_us ? json::quote(iso8601_utc(*step.started_us)) : "null");
        out += ",\"finished_at\":" +
               (step.finished_us ? json::quote(iso8601_utc(*step.finished_us)) : "null");
        if (step.started_us && step.finished_us) {
            char buf[32];
            snprintf(buf, sizeof buf, "%.3f", (*step.finished_us - *step.started_us) / 1000.0);
            out += ",\"duration_ms\":";
            out += buf;
        } else {
            out += ",\"duration_ms\":null";
        }
        out += ",\"error\":" + (step.error_json.empty() ? std::string("null") : step.error_json);
        out += '}';
    }
    out += "]}";
    return out;
}

json::Value validate_inputs(const json::Value& input) {
    if (input.kind != json::Kind::object)
        throw InvalidInputs("input_json must be a JSON object");
    if (input.members.empty()) throw InvalidInputs("input_json must not be an empty object");
    json::Value out;
    out.kind = json::Kind::object;
    out.members.emplace_back(json::quote("fields"),
                             json::number_value(static_cast<long long>(input.members.size())));
    return out;
}

namespace {

// The kind of a value, as a word.
std::string_view kind_word(json::Kind kind) {
    switch (kind) {
        case json::Kind::null: return "null";
        case json::Kind::boolean: return "boolean";
        case json::Kind::number: return "number";
        case json::Kind::string: return "text";
        case json::Kind::array: return "list";
        case json::Kind::object: return "object";
    }
    return "null";
}

// The unquoted text of a quoted JSON key (escapes left as they are).
std::string unquoted(const std::string& quoted) {
    return quoted.size() >= 2 ? quoted.substr(1, quoted.size() - 2) : quoted;
}

json::Value object_of(std::vector<std::pair<std::string, json::Value>> members) {
    json::Value v;
    v.kind = json::Kind::object;
    v.members = std::move(members);
    return v;
}

}  // namespace

json::Value collect_evidence(const json::Value& input) {
    json::Value evidence;
    evidence.kind = json::Kind::array;
    for (const auto& [key, value] : input.members) {
        json::Value field;
        field.kind = json::Kind::string;
        field.text = key;
        evidence.items.push_back(object_of(
            {{json::quote("field"), field}, {json::quote("kind"), json::string_value(kind_word(value.kind))}}));
    }
    long long count = static_cast<long long>(evidence.items.size());
    return object_of({{json::quote("evidence"), std::move(evidence)},
                      {json::quote("count"), json::number_value(count)}});
}

json::Value generate_opportunities(const json::Value& input, const json::Value& evidence) {
    (void)input;
    json::Value opportunities;
    opportunities.kind = json::Kind::array;
    const json::Value* items = evidence.find("\"evidence\"");
    if (items != nullptr && items->kind == json::Kind::array) {
        long long rank = 0;
        for (const json::Value& item : items->items) {
            const json::Value* field = item.find("\"field\"");
            if (field == nullptr || field->kind != json::Kind::string) continue;
            rank++;
            json::Value title;
            title.kind = json::Kind::string;
            title.text = "\"Explore " + unquoted(field->text) + "\"";
            opportunities.items.push_back(object_of({{json::quote("title"), title},
                                                     {json::quote("field"), *field},
                                                     {json::quote("rank"), json::number_value(rank)}}));
        }
    }
    long long count = static_cast<long long>(opportunities.items.size());
    return object_of({{json::quote("opportunities"), std::move(opportunities)},
                      {json::quote("count"), json::number_value(count)}});
}

std::string output_json(std::string_view pipeline_version, std::int32_t input_version,
                        const std::vector<std::pair<std::string, std::string>>& step_outputs) {
    std::string out = "{\"pipeline_version\":" + json::quote(pipeline_version) +
                      ",\"input_version\":" + std::to_string(input_version) + ",\"summary\":{";
    bool first = true;
    for (const auto& [name, output] : step_outputs) {
        if (!first) out += ',';
        first = false;
        out += json::quote(name) + ":" + (output.empty() ? std::string("null") : output);
    }
    out += "}}";
    return out;
}

}  // namespace project_runs::pipeline
