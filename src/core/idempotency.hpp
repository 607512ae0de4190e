// Idempotency keys and argument limits. Pure C++: no Postgres header.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace project_runs {

// Longest accepted values, in bytes; longer input is INVALID_ARGUMENT.
inline constexpr std::size_t max_pipeline_version_bytes = 200;
inline constexpr std::size_t max_idempotency_key_bytes = 500;
inline constexpr std::size_t max_error_code_bytes = 100;
inline constexpr std::size_t max_error_message_bytes = 10000;
inline constexpr int max_list_rows = 1000;

// The key project_runs_generate uses:
// "<project_id>:<input_version>:<pipeline_version>".
std::string generation_key(std::string_view project_id, std::int32_t input_version,
                           std::string_view pipeline_version);

}  // namespace project_runs
