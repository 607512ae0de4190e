// Idempotency keys of project_runs_generate.
#include "core/idempotency.hpp"

#include "core/uuid7.hpp"

namespace project_runs {

// Joins project id, decimal input version and pipeline version with ':'.
std::string generation_key(std::string_view project_id, std::int32_t input_version,
                           std::string_view pipeline_version) {
    const std::string version_text = std::to_string(input_version);
    std::string key;
    key.reserve(project_id.size() + version_text.size() + pipeline_version.size() + 2);
    key.append(project_id);
    key.push_back(':');
    key.append(version_text);
    key.push_back(':');
    key.append(pipeline_version);
    return key;
}

namespace {

// "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx", lowercase hex: what uuid_out
// writes, so what parses and prints back the same.
bool is_canonical_uuid(std::string_view text) {
    std::optional<UuidBytes> bytes = parse_uuid(text);
    return bytes && uuid_to_string(*bytes) == text;
}

// What std::to_string writes for an int32: "0", or an optional '-' and
// digits without a leading zero, within the int32 range.
bool is_canonical_int32(std::string_view text) {
    std::string_view digits = text;
    bool negative = !digits.empty() && digits.front() == '-';
    if (negative) digits.remove_prefix(1);
    if (digits.empty() || digits.size() > 10) return false;
    for (char c : digits)
        if (c < '0' || c > '9') return false;
    if (digits.front() == '0') return digits.size() == 1 && !negative;
    std::int64_t value = 0;
    for (char c : digits) value = value * 10 + (c - '0');
    return negative ? value <= 2147483648LL : value <= 2147483647LL;
}

}  // namespace

bool has_generation_key_form(std::string_view key) {
    if (key.size() < 39 || key[36] != ':' || !is_canonical_uuid(key.substr(0, 36))) return false;
    std::size_t end = key.find(':', 37);
    return end != std::string_view::npos && is_canonical_int32(key.substr(37, end - 37));
}

bool key_fits_run(std::string_view key, std::string_view project_id,
                  std::optional<std::int32_t> input_version, std::string_view pipeline_version) {
    if (!has_generation_key_form(key)) return true;
    return input_version.has_value() &&
           key == generation_key(project_id, *input_version, pipeline_version);
}

}  // namespace project_runs
