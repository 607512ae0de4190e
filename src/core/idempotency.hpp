// Idempotency keys and argument limits. Pure C++: no Postgres header.
#pragma once

#include <cstdint>
#include <optional>
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

// Whether key has the form generation_key gives it: a UUID in canonical
// lowercase text, ':', an int32 in plain decimal (no '+', no leading zero,
// no "-0"), ':', then anything.
bool has_generation_key_form(std::string_view key);

// Whether a run of that project (canonical UUID text), input version (none:
// nullopt) and pipeline version may hold key: any key, except one of the
// generation key's form that is not the run's own generation key. Such a key
// is the one project_runs_generate looks up for another project, input
// version or pipeline version; a run of this project holding it would make
// that generate fail with IDEMPOTENCY_CONFLICT for as long as the run is not
// failed.
bool key_fits_run(std::string_view key, std::string_view project_id,
                  std::optional<std::int32_t> input_version, std::string_view pipeline_version);

}  // namespace project_runs
