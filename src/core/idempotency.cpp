// Idempotency keys of project_runs_generate.
#include "core/idempotency.hpp"

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

}  // namespace project_runs
