// Creating a run for an idempotency key.
#include "pg/runs.hpp"

#include "pg/config.hpp"
#include "pg/guard.hpp"

namespace project_runs::pg {

namespace {

// True when the run of the last create_lookup row was made with the same
// project, input version and pipeline version as the request.
bool same_parameters(const Call& call, const RunRequest& request) {
    bool null_project, null_input, null_pipeline;
    pg_uuid_t* held_project = DatumGetUUIDP(call.value(0, 3, &null_project));
    Datum held_input = call.value(0, 4, &null_input);
    Datum held_pipeline = call.value(0, 5, &null_pipeline);
    if (memcmp(held_project->data, request.project_id.data, UUID_LEN) != 0) return false;
    if (null_input != !request.has_input_version) return false;
    if (!null_input && DatumGetInt32(held_input) != request.input_version) return false;
    return guard([&] {
        text* t = DatumGetTextPP(held_pipeline);
        return VARSIZE_ANY_EXHDR(t) == request.pipeline_version.size() &&
               memcmp(VARDATA_ANY(t), request.pipeline_version.data(),
                      request.pipeline_version.size()) == 0;
    });
}

}  // namespace

Datum text_datum(const std::string& value) {
    return guard([&] {
        return PointerGetDatum(cstring_to_text_with_len(value.data(), value.size()));
    });
}

KeyedRun create_or_reuse(Call& call, const RunRequest& request) {
    Datum project = UUIDPGetDatum(const_cast<pg_uuid_t*>(&request.project_id));
    Datum pipeline = text_datum(request.pipeline_version);
    Datum key = request.has_key ? text_datum(request.key) : (Datum)0;
    char nulls[] = {' ', request.has_input_version ? ' ' : 'n', ' ', request.has_key ? ' ' : 'n',
                    ' ', '\0'};
    bool null;
    for (int round = 0; round < 5; round++) {
        int32 attempt = 1;
        if (request.has_key && call.run(Statement::create_lookup, {key}, nullptr, false, 1) > 0) {
            if (!same_parameters(call, request)) break;
            RunStatus status = status_from_oid(DatumGetObjectId(call.value(0, 1, &null)));
            if (status != RunStatus::failed)
                return KeyedRun{KeyedRun::Outcome::existing, call.value(0, 6, &null)};
            attempt = DatumGetInt32(call.value(0, 2, &null)) + 1;
        }
        uint64 inserted;
        {
            SessionFlags& flags = session_flags();
            flags.trusted_project = request.project_id;
            FlagScope trusted(flags.trusted_insert);
            inserted = call.run(Statement::create_insert,
                                {project, Int32GetDatum(request.input_version), pipeline, key,
                                 Int32GetDatum(attempt)},
                                nulls);
        }
        if (inserted == 1) return KeyedRun{KeyedRun::Outcome::created, call.row_jsonb()};
        if (!request.has_key) break;
    }
    return KeyedRun{};
}

bool create_fresh(Call& call, const RunRequest& request, const CallerScope& scope) {
    if (scope.kind == Scope::none) return false;
    Datum project = UUIDPGetDatum(const_cast<pg_uuid_t*>(&request.project_id));
    Datum user = UUIDPGetDatum(const_cast<pg_uuid_t*>(&scope.user));
    char nulls[] = {' ', request.has_input_version ? ' ' : 'n', ' ', request.has_key ? ' ' : 'n',
                    scope.kind == Scope::user ? ' ' : 'n', '\0'};
    uint64 inserted;
    {
        SessionFlags& flags = session_flags();
        flags.trusted_project = request.project_id;
        FlagScope trusted(flags.trusted_insert);
        inserted = call.run(Statement::create_fresh,
                            {project, Int32GetDatum(request.input_version),
                             text_datum(request.pipeline_version),
                             request.has_key ? text_datum(request.key) : (Datum)0, user},
                            nulls);
    }
    return inserted == 1;
}

bool insert_first_attempt(Call& call, const RunRequest& request) {
    Datum project = UUIDPGetDatum(const_cast<pg_uuid_t*>(&request.project_id));
    char nulls[] = {' ', request.has_input_version ? ' ' : 'n', ' ', request.has_key ? ' ' : 'n',
                    ' ', '\0'};
    SessionFlags& flags = session_flags();
    flags.trusted_project = request.project_id;
    FlagScope trusted(flags.trusted_insert);
    return call.run(Statement::create_insert,
                    {project, Int32GetDatum(request.input_version),
                     text_datum(request.pipeline_version),
                     request.has_key ? text_datum(request.key) : (Datum)0, Int32GetDatum(1)},
                    nulls) == 1;
}

pg_uuid_t returned_run_id([[maybe_unused]] const Call& call) {
    return guard([&] {
        int column = SPI_fnumber(SPI_tuptable->tupdesc, "id");
        bool is_null;
        Datum id = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, column, &is_null);
        if (column <= 0 || is_null) elog(ERROR, "the new run has no id");
        return *DatumGetUUIDP(id);
    });
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
