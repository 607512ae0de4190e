// Creating a run for an idempotency key, shared by project_runs_create and
// project_runs_generate.
#pragma once

#include <optional>
#include <string>

#include "pg/result.hpp"

namespace project_runs::pg {

// What a new run is made of.
struct RunRequest {
    pg_uuid_t project_id{};
    bool has_input_version = false;
    int32 input_version = 0;
    std::string pipeline_version;
    bool has_key = false;
    std::string key;
};

struct KeyedRun {
    enum class Outcome { created, existing, conflict } outcome = Outcome::conflict;
    Datum run = 0;  // the run as jsonb, in SPI memory (created or existing)
};

// Looks for the run holding the key, creates a run (a new attempt when
// every run with the key failed), and when a racing session won the insert,
// looks again: every caller ends with the one run that holds the key, or
// the one the winner made, whatever its status. A key held by a run with
// other parameters, or by a run the caller cannot see, is a conflict.
// Without a key, always creates.
KeyedRun create_or_reuse(Call& call, const RunRequest& request);

// The fast path of a new key: inserts attempt 1 when the project is
// visible to the caller and no run holds the key, in one statement. Returns
// true with the new run as the first row of the result (RETURNING r.*), or
// false when the caller must take the full path (project_visible, then
// create_or_reuse).
bool create_fresh(Call& call, const RunRequest& request, const CallerScope& scope);

// True when the run in a row (its project_id, input_version and
// pipeline_version at these 1-based columns) was made with the request's
// parameters. Postgres calls only: run it inside guard().
bool row_has_parameters(HeapTuple row, TupleDesc desc, int project_column, int input_column,
                        int pipeline_column, const RunRequest& request);

// Inserts attempt 1 of the request's key for a project the caller already
// found visible; true with the new run as the first row of the result
// (RETURNING r.*), false when a run holds the key (then create_or_reuse).
bool insert_first_attempt(Call& call, const RunRequest& request);

// The id of the run in the first row of the last statement's result
// (RETURNING r.*).
pg_uuid_t returned_run_id();

// text cut to at most limit bytes of whole characters (the database's
// encoding) with "..." after them; text itself when it is no longer.
std::string clipped_text(const std::string& text, std::size_t limit);

// The error result for an input version below 0, or nullopt when it is good.
std::optional<Datum> bad_input_version(Call& call, int32 input_version);

// Reads text argument n, which must be non-empty and at most limit bytes.
// Returns the error result to answer with, or nullopt when *value is good.
std::optional<Datum> bounded_text_argument(Call& call, int n, const char* name, std::size_t limit,
                                           std::string* value);

// A text datum (palloc'd in the current memory context).
Datum text_datum(const std::string& value);

}  // namespace project_runs::pg
