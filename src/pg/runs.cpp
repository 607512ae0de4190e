// Creating a run for an idempotency key.
#include "pg/runs.hpp"

#include "pg/config.hpp"
#include "pg/guard.hpp"

extern "C" {
#include "mb/pg_wchar.h"
}

namespace project_runs::pg {

namespace {

// True when the run of the last create_lookup row was made with the same
// project, input version and pipeline version as the request.
bool same_parameters(const RunRequest& request) {
    return guard([&] {
        return row_has_parameters(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 3, 4, 5, request);
    });
}

// Runs an INSERT of the request's run (create_insert or create_fresh: the
// request's four columns, then $5) with the trigger told that the project
// and the attempt are checked; returns the rows inserted (0 or 1).
uint64 trusted_insert(Call& call, const RunRequest& request, Statement statement, Datum fifth,
                      bool fifth_null) {
    Datum project = UUIDPGetDatum(const_cast<pg_uuid_t*>(&request.project_id));
    char nulls[] = {' ', request.has_input_version ? ' ' : 'n', ' ', request.has_key ? ' ' : 'n',
                    fifth_null ? 'n' : ' ', '\0'};
    Datum pipeline = text_datum(request.pipeline_version);
    Datum key = request.has_key ? text_datum(request.key) : (Datum)0;
    SessionFlags& flags = session_flags();
    flags.trusted_project = request.project_id;
    FlagScope trusted(flags.trusted_insert);
    return call.run(statement, {project, Int32GetDatum(request.input_version), pipeline, key, fifth},
                    nulls);
}

}  // namespace

bool row_has_parameters(HeapTuple row, TupleDesc desc, int project_column, int input_column,
                        int pipeline_column, const RunRequest& request) {
    bool is_null;
    Datum project = heap_getattr(row, project_column, desc, &is_null);
    if (is_null || memcmp(DatumGetUUIDP(project)->data, request.project_id.data, UUID_LEN) != 0)
        return false;
    Datum input = heap_getattr(row, input_column, desc, &is_null);
    if (is_null != !request.has_input_version) return false;
    if (!is_null && DatumGetInt32(input) != request.input_version) return false;
    Datum pipeline = heap_getattr(row, pipeline_column, desc, &is_null);
    if (is_null) return false;
    text* t = DatumGetTextPP(pipeline);
    return VARSIZE_ANY_EXHDR(t) == request.pipeline_version.size() &&
           memcmp(VARDATA_ANY(t), request.pipeline_version.data(),
                  request.pipeline_version.size()) == 0;
}

Datum text_datum(const std::string& value) {
    return guard([&] {
        return PointerGetDatum(cstring_to_text_with_len(value.data(), value.size()));
    });
}

KeyedRun create_or_reuse(Call& call, const RunRequest& request) {
    Datum key = request.has_key ? text_datum(request.key) : (Datum)0;
    bool null;
    bool lost = false;  // a racing session inserted the attempt this call tried to
    for (int round = 0; round < 5; round++) {
        int32 attempt = 1;
        if (request.has_key && call.run(Statement::create_lookup, {key}, nullptr, false, 1) > 0) {
            if (!same_parameters(request)) break;
            RunStatus status = status_from_oid(DatumGetObjectId(call.value(0, 1, &null)));
            // The run holding the key; or, once another session won the
            // insert, the run it made, even if that failed meanwhile: racing
            // calls get one run, not one attempt each (nor, after losing
            // every round to a new failed attempt, a conflict).
            if (status != RunStatus::failed || lost)
                return KeyedRun{KeyedRun::Outcome::existing, call.value(0, 6, &null)};
            attempt = DatumGetInt32(call.value(0, 2, &null)) + 1;
        }
        if (trusted_insert(call, request, Statement::create_insert, Int32GetDatum(attempt), false) == 1)
            return KeyedRun{KeyedRun::Outcome::created, call.row_jsonb()};
        if (!request.has_key) break;
        lost = true;
    }
    return KeyedRun{};
}

bool create_fresh(Call& call, const RunRequest& request, const CallerScope& scope) {
    if (scope.kind == Scope::none) return false;
    Datum user = UUIDPGetDatum(const_cast<pg_uuid_t*>(&scope.user));
    return trusted_insert(call, request, Statement::create_fresh, user,
                          scope.kind != Scope::user) == 1;
}

bool insert_first_attempt(Call& call, const RunRequest& request) {
    return trusted_insert(call, request, Statement::create_insert, Int32GetDatum(1), false) == 1;
}

pg_uuid_t returned_run_id() {
    return guard([&] {
        int column = SPI_fnumber(SPI_tuptable->tupdesc, "id");
        if (column <= 0) elog(ERROR, "the new run has no id");
        bool is_null;
        Datum id = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, column, &is_null);
        if (is_null) elog(ERROR, "the new run has no id");
        return *DatumGetUUIDP(id);
    });
}

std::string clipped_text(const std::string& text, std::size_t limit) {
    if (text.size() <= limit) return text;
    int keep = guard([&] {
        return pg_mbcliplen(text.data(), static_cast<int>(text.size()), static_cast<int>(limit));
    });
    return text.substr(0, static_cast<std::size_t>(keep)) + "...";
}

std::optional<Datum> bad_input_version(Call& call, int32 input_version) {
    if (input_version >= 0) return std::nullopt;
    return call.error(ErrorCode::invalid_argument, "input_version must not be negative",
                      "{\"argument\": \"input_version\"}");
}

std::optional<Datum> bounded_text_argument(Call& call, int n, const char* name, std::size_t limit,
                                           std::string* value) {
    FunctionCallInfo fcinfo = call.fcinfo();
    if (PG_ARGISNULL(n)) return null_argument(call, name);
    *value = text_argument(fcinfo, n);
    if (value->empty())
        return call.error(ErrorCode::invalid_argument, std::string(name) + " must not be empty",
                          "{\"argument\": " + json_quote(name) + "}");
    if (value->size() > limit) return too_long(call, name, limit);
    return std::nullopt;
}

}  // namespace project_runs::pg
