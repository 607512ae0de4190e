// The SQLSTATEs the triggers raise, class PR ("project runs"). Each rule
// has its own code; README.md lists them.
#pragma once

#include "pg/postgres.hpp"

namespace project_runs::sqlstate {

// PR001: a status change outside queued→running→succeeded/failed, queued→failed.
inline constexpr int illegal_transition = MAKE_SQLSTATE('P', 'R', '0', '0', '1');
// PR002: any change to a succeeded or failed run.
inline constexpr int run_frozen = MAKE_SQLSTATE('P', 'R', '0', '0', '2');
// PR003: a change to id, project_id, input_version, pipeline_version,
// idempotency_key, created_at or attempt.
inline constexpr int immutable_column = MAKE_SQLSTATE('P', 'R', '0', '0', '3');
// PR004: a value for a column the server sets (id, created_at, started_at,
// finished_at, attempt).
inline constexpr int server_managed_column = MAKE_SQLSTATE('P', 'R', '0', '0', '4');
// PR005: columns that do not fit the status (a new run that is not queued,
// output on a run that did not succeed, a failed run without error_code...).
inline constexpr int invalid_run_fields = MAKE_SQLSTATE('P', 'R', '0', '0', '5');
// PR006: DELETE of a run outside project_runs_purge.
inline constexpr int delete_forbidden = MAKE_SQLSTATE('P', 'R', '0', '0', '6');
// PR007: TRUNCATE of project_runs or project_run_events.
inline constexpr int truncate_forbidden = MAKE_SQLSTATE('P', 'R', '0', '0', '7');
// PR008: a run for a project that does not exist.
inline constexpr int project_not_found = MAKE_SQLSTATE('P', 'R', '0', '0', '8');
// PR009: a write to project_run_events other than the trigger's append.
inline constexpr int events_append_only = MAKE_SQLSTATE('P', 'R', '0', '0', '9');
// PR010: the application's projects table is missing or cannot serve as one
// (not a table or view, or its id or user_id missing or not a uuid).
inline constexpr int config_missing = MAKE_SQLSTATE('P', 'R', '0', '1', '0');
// PR011: an idempotency key of project_runs_generate's form
// ("<project_id>:<input_version>:<pipeline_version>") that names another
// project, input version or pipeline version than the new run's own.
inline constexpr int foreign_generation_key = MAKE_SQLSTATE('P', 'R', '0', '1', '1');

}  // namespace project_runs::sqlstate
