// One call of a SQL-callable function: its SPI connection, the statements
// it runs, and the jsonb Result it returns.
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>

#include "core/error_codes.hpp"
#include "pg/config.hpp"
#include "pg/last_runs.hpp"
#include "pg/postgres.hpp"

namespace project_runs::pg {

// The JSON text of a string, quoted and escaped.
std::string json_quote(std::string_view text);

class Call {
public:
    explicit Call(FunctionCallInfo fcinfo) : fcinfo_(fcinfo), caller_context_(CurrentMemoryContext) {}
    Call(const Call&) = delete;
    Call& operator=(const Call&) = delete;

    // Connects to SPI, for the statements of the call.
    void connect();

    // Runs a prepared statement; returns the number of rows.
    uint64 run(Statement statement, std::initializer_list<Datum> values, const char* nulls = nullptr,
               bool read_only = false, long max_rows = 0);

    // A column (1-based) of a row of the last statement's result.
    Datum value(uint64 row, int column, bool* is_null) const;

    // A column of the first row, copied out to the caller's memory.
    Datum copy_column(int column) const;

    // Disconnects and returns result.
    Datum finish(Datum result);

    // {"ok": true, "data": <jsonb>} with an optional "created" flag.
    Datum ok(Datum data_jsonb, bool data_is_null, int created = -1);

    // {"ok": true, "data": <run>} with an optional "created" flag, where the
    // run is the first row of the last statement's result (RETURNING r.*,
    // or the run's columns from first_column on, 0-based), turned into JSON
    // in one pass.
    Datum ok_row(int created = -1, int first_column = 0);

    // {"ok": true, "data": [{"project_id", "name", "last_run"}, ...]}: the
    // dashboard, from its projects (rows of project id and name as jsonb, in
    // order) and the rows of the last statement (dashboard_last_runs: n,
    // then the last run's columns, null when the project has none).
    Datum ok_dashboard(const SPITupleTable* projects, uint64 project_count);
    // The same from the runs read_last_runs found.
    Datum ok_dashboard(const SPITupleTable* projects, uint64 project_count, const LastRuns& last);

    // {"ok": true, "data": [<run>, ...]}: every row of the last statement's
    // result (runs, r.*), in order, each as to_jsonb() would give it.
    Datum ok_rows();

    // The run in the first row of the last statement's result, as jsonb.
    Datum row_jsonb() const;

    // {"ok": false, "error": {"code", "message", "detail"}}; detail_json is
    // JSON text or empty for null.
    Datum error(ErrorCode code, std::string_view message, std::string_view detail_json = {});

    // {"ok": false, "created": created, "error": {...}, "data": <run>}: the
    // result of a run that exists and failed.
    Datum failed_run(ErrorCode code, std::string_view message, std::string_view detail_json,
                     Datum run, bool created);

    // A run (jsonb) as generate answers with it: {"ok": true, "created":
    // created, "data": run}, or for a failed run {"ok": false, "created":
    // created, "error": its error_code, error_message and error_detail,
    // "data": run}.
    Datum run_result(Datum run, bool created);

    // A jsonb built from JSON text in the caller's memory.
    Datum jsonb_from_text(const std::string& text) const;

    // The JSON text of a jsonb datum.
    std::string jsonb_text(Datum jsonb) const;

    FunctionCallInfo fcinfo() const { return fcinfo_; }

private:
    // {"ok": true, ["created": created,] "data": <what push_data pushes>},
    // built in a scratch context kept for the session and copied to the
    // caller's memory; then finish(). push_data runs inside guard().
    template <typename F>
    Datum build_ok(int created, F&& push_data);

    FunctionCallInfo fcinfo_;
    MemoryContext caller_context_;
    bool connected_ = false;
};

// The characters of a text datum (detoasted if need be).
std::string text_string(Datum value);

// Argument helpers: each reads argument n, which must not be null.
std::string text_argument(FunctionCallInfo fcinfo, int n);
Jsonb* jsonb_argument(FunctionCallInfo fcinfo, int n);

enum class JsonKind { object, array, scalar };
JsonKind jsonb_kind(const Jsonb* value);
const char* json_kind_name(JsonKind kind);

// The canonical text of a uuid.
std::string uuid_text(const pg_uuid_t& uuid);

// How deeply a jsonb value's containers nest (an object or array: 1).
int jsonb_depth(const Jsonb* value);

// A uuid[] of the first column (a uuid) of the first count rows.
Datum uuid_column_array(const SPITupleTable* rows, uint64 count);

// Error results shared by the functions.
Datum null_argument(Call& call, const char* name);
Datum too_long(Call& call, const char* name, std::size_t limit);
Datum wrong_kind(Call& call, const char* name, JsonKind kind);
// metrics that nest deeper than the metrics merge reads (json::max_depth).
Datum too_deep(Call& call, const char* name);
// CONFIG: the application's tables cannot serve the call (missing, or a
// column missing or of another type).
Datum config_error(Call& call, const AppTableProblem& problem);
Datum project_not_found(Call& call, const pg_uuid_t& project_id);

// True when the project exists and the caller may see it: its own project
// under row-level security, any project for a role that bypasses it.
bool project_visible(Call& call, const pg_uuid_t& project_id, bool read_only);
// The same for a caller scope already read.
bool project_visible(Call& call, const pg_uuid_t& project_id, const CallerScope& scope,
                     bool read_only);

}  // namespace project_runs::pg
