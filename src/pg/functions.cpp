// The SQL-callable functions of the run ledger. Each returns the jsonb
// Result of the contract and never raises for an expected error.
#include <optional>
#include <string>

#include "core/error_codes.hpp"
#include "core/idempotency.hpp"
#include "core/json.hpp"
#include "core/run_state.hpp"
#include "pg/config.hpp"
#include "pg/guard.hpp"
#include "pg/result.hpp"
#include "pg/runs.hpp"

extern "C" {
#include "access/xact.h"
#include "utils/acl.h"
}

using namespace project_runs;
using namespace project_runs::pg;

namespace {

// The detail object naming a run.
std::string run_detail(const pg_uuid_t& run_id) {
    return "{\"run_id\": " + json_quote(uuid_text(run_id)) + "}";
}

Datum run_not_found(Call& call, const pg_uuid_t& run_id) {
    return call.error(ErrorCode::not_found, "run " + uuid_text(run_id) + " does not exist",
                      run_detail(run_id));
}

// After a guarded UPDATE matched no row: NOT_FOUND or ILLEGAL_TRANSITION
// from the run's current state.
Datum explain_refused_update(Call& call, const pg_uuid_t& run_id, RunStatus target) {
    Datum id = UUIDPGetDatum(const_cast<pg_uuid_t*>(&run_id));
    if (call.run(Statement::run_status, {id}, nullptr, false, 1) == 0)
        return run_not_found(call, run_id);
    bool is_null;
    RunStatus current = status_from_oid(DatumGetObjectId(call.value(0, 1, &is_null)));
    std::string message = "run " + uuid_text(run_id) + " cannot go from " +
                          std::string(status_label(current)) + " to " +
                          std::string(status_label(target));
    // set_running leaves a queued run queued only when it has no input version
    if (current == RunStatus::queued && target == RunStatus::running)
        message += ": it has no input version, so it can only fail";
    return call.error(ErrorCode::illegal_transition, message,
                      "{\"run_id\": " + json_quote(uuid_text(run_id)) +
                          ", \"from\": " + json_quote(status_label(current)) +
                          ", \"to\": " + json_quote(status_label(target)) + "}");
}

// Checks an optional jsonb argument that must be an object when given.
bool object_or_null(FunctionCallInfo fcinfo, int n, JsonKind* kind) {
    if (PG_ARGISNULL(n)) return true;
    *kind = jsonb_kind(jsonb_argument(fcinfo, n));
    return *kind == JsonKind::object;
}

// The error of an optional metrics argument: not an object, or nested
// deeper than the metrics merge reads.
std::optional<Datum> bad_metrics(Call& call, FunctionCallInfo fcinfo, int n) {
    if (PG_ARGISNULL(n)) return std::nullopt;
    Jsonb* metrics = jsonb_argument(fcinfo, n);
    JsonKind kind = jsonb_kind(metrics);
    if (kind != JsonKind::object) return wrong_kind(call, "metrics", kind);
    if (jsonb_depth(metrics) > json::max_depth) return too_deep(call, "metrics");
    return std::nullopt;
}

}  // namespace

PR_FUNCTION(project_runs_create) {
    Call call(fcinfo);
    RunRequest request;
    if (PG_ARGISNULL(0)) return null_argument(call, "project_id");
    request.project_id = *PG_GETARG_UUID_P(0);
    request.has_input_version = !PG_ARGISNULL(1);
    request.input_version = request.has_input_version ? PG_GETARG_INT32(1) : 0;
    if (auto bad = bounded_text_argument(call, 2, "pipeline_version", max_pipeline_version_bytes,
                                         &request.pipeline_version))
        return *bad;
    if (auto bad = bad_input_version(call, request.input_version)) return *bad;
    request.has_key = !PG_ARGISNULL(3);
    if (request.has_key) {
        if (auto bad = bounded_text_argument(call, 3, "idempotency_key", max_idempotency_key_bytes,
                                             &request.key))
            return *bad;
        // A key of generate's form names its project, input and pipeline
        // version: another run's would block that generate. The answer is
        // the one for any key held for other parameters, whoever's it is.
        std::optional<int32> version;
        if (request.has_input_version) version = request.input_version;
        if (!key_fits_run(request.key, uuid_text(request.project_id), version,
                          request.pipeline_version))
            return call.error(ErrorCode::idempotency_conflict,
                              "idempotency key has the form <project_id>:<input_version>:"
                              "<pipeline_version> of project_runs_generate, for other parameters",
                              "{\"idempotency_key\": " + json_quote(request.key) + "}");
    }

    call.connect();
    if (auto problem = app_tables_problem(AppUse::projects)) return config_error(call, *problem);
    CallerScope scope = caller_scope();
    // A new key takes one INSERT. In a read-only transaction (a hot
    // standby) the run holding the key is looked up first, so that it is
    // answered as in any transaction; only a call that has to write raises.
    if (!XactReadOnly && create_fresh(call, request, scope)) return call.ok_row(1);
    if (!project_visible(call, request.project_id, false))
        return project_not_found(call, request.project_id);
    KeyedRun run = create_or_reuse(call, request);
    if (run.outcome != KeyedRun::Outcome::conflict)
        return call.ok(run.run, false, run.outcome == KeyedRun::Outcome::created);
    // The key is held by a run with other parameters, or by a run the
    // caller cannot see: say so without revealing anything about it.
    return call.error(ErrorCode::idempotency_conflict,
                      "idempotency key is already used for another run",
                      "{\"idempotency_key\": " + json_quote(request.key) + "}");
}

PR_FUNCTION(project_runs_get_by_idempotency_key) {
    Call call(fcinfo);
    std::string key;
    if (auto bad = bounded_text_argument(call, 0, "idempotency_key", max_idempotency_key_bytes,
                                         &key))
        return *bad;
    call.connect();
    if (auto problem = app_tables_problem(AppUse::projects)) return config_error(call, *problem);
    if (caller_scope().kind == Scope::none)
        return call.error(ErrorCode::not_found, "no run has this idempotency key",
                          "{\"idempotency_key\": " + json_quote(key) + "}");
    if (call.run(Statement::get_by_key, {PG_GETARG_DATUM(0)}, nullptr, true, 1) == 0)
        return call.error(ErrorCode::not_found, "no run has this idempotency key",
                          "{\"idempotency_key\": " + json_quote(key) + "}");
    bool is_null;
    return call.ok(call.value(0, 1, &is_null), false);
}

PR_FUNCTION(project_runs_set_running) {
    Call call(fcinfo);
    if (PG_ARGISNULL(0)) return null_argument(call, "run_id");
    pg_uuid_t run_id = *PG_GETARG_UUID_P(0);
    call.connect();
    if (auto problem = app_tables_problem(AppUse::projects)) return config_error(call, *problem);
    // A caller without a user id sees no run (and holds no privilege on the table).
    if (caller_scope().kind == Scope::none) return run_not_found(call, run_id);
    Datum id = UUIDPGetDatum(&run_id);
    bool is_null;
    if (call.run(Statement::set_running, {id}) == 1) return call.ok_row();
    // Already running: nothing changes and the call succeeds.
    if (call.run(Statement::run_status, {id}, nullptr, false, 1) == 0)
        return run_not_found(call, run_id);
    if (status_from_oid(DatumGetObjectId(call.value(0, 1, &is_null))) == RunStatus::running)
        return call.ok(call.value(0, 2, &is_null), false);
    return explain_refused_update(call, run_id, RunStatus::running);
}

PR_FUNCTION(project_runs_set_succeeded) {
    Call call(fcinfo);
    if (PG_ARGISNULL(0)) return null_argument(call, "run_id");
    if (PG_ARGISNULL(1)) return null_argument(call, "output");
    JsonKind kind = jsonb_kind(jsonb_argument(fcinfo, 1));
    if (kind != JsonKind::object) return wrong_kind(call, "output", kind);
    if (auto bad = bad_metrics(call, fcinfo, 2)) return *bad;
    pg_uuid_t run_id = *PG_GETARG_UUID_P(0);
    call.connect();
    if (auto problem = app_tables_problem(AppUse::projects)) return config_error(call, *problem);
    // A caller without a user id sees no run (and holds no privilege on the table).
    if (caller_scope().kind == Scope::none) return run_not_found(call, run_id);
    Datum id = UUIDPGetDatum(&run_id);
    char nulls[] = {' ', ' ', PG_ARGISNULL(2) ? 'n' : ' ', '\0'};
    if (call.run(Statement::set_succeeded,
                 {id, PG_GETARG_DATUM(1), PG_ARGISNULL(2) ? (Datum)0 : PG_GETARG_DATUM(2)},
                 nulls) == 1)
        return call.ok_row();
    return explain_refused_update(call, run_id, RunStatus::succeeded);
}

PR_FUNCTION(project_runs_set_failed) {
    Call call(fcinfo);
    if (PG_ARGISNULL(0)) return null_argument(call, "run_id");
    std::string code, message;
    if (auto bad = bounded_text_argument(call, 1, "error_code", max_error_code_bytes, &code))
        return *bad;
    if (PG_ARGISNULL(2)) return null_argument(call, "error_message");
    message = text_argument(fcinfo, 2);
    if (message.size() > max_error_message_bytes)
        return too_long(call, "error_message", max_error_message_bytes);
    JsonKind kind;
    if (!object_or_null(fcinfo, 3, &kind)) return wrong_kind(call, "error_detail", kind);
    if (auto bad = bad_metrics(call, fcinfo, 4)) return *bad;
    pg_uuid_t run_id = *PG_GETARG_UUID_P(0);
    call.connect();
    if (auto problem = app_tables_problem(AppUse::projects)) return config_error(call, *problem);
    // A caller without a user id sees no run (and holds no privilege on the table).
    if (caller_scope().kind == Scope::none) return run_not_found(call, run_id);
    Datum id = UUIDPGetDatum(&run_id);
    char nulls[] = {' ', ' ', ' ', PG_ARGISNULL(3) ? 'n' : ' ', PG_ARGISNULL(4) ? 'n' : ' ', '\0'};
    if (call.run(Statement::set_failed,
                 {id, PG_GETARG_DATUM(1), PG_GETARG_DATUM(2),
                  PG_ARGISNULL(3) ? (Datum)0 : PG_GETARG_DATUM(3),
                  PG_ARGISNULL(4) ? (Datum)0 : PG_GETARG_DATUM(4)},
                 nulls) == 1)
        return call.ok_row();
    return explain_refused_update(call, run_id, RunStatus::failed);
}

PR_FUNCTION(project_runs_update_metrics) {
    Call call(fcinfo);
    if (PG_ARGISNULL(0)) return null_argument(call, "run_id");
    if (PG_ARGISNULL(1)) return null_argument(call, "metrics");
    if (auto bad = bad_metrics(call, fcinfo, 1)) return *bad;
    pg_uuid_t run_id = *PG_GETARG_UUID_P(0);
    call.connect();
    if (auto problem = app_tables_problem(AppUse::projects)) return config_error(call, *problem);
    // A caller without a user id sees no run (and holds no privilege on the table).
    if (caller_scope().kind == Scope::none) return run_not_found(call, run_id);
    Datum id = UUIDPGetDatum(&run_id);
    bool is_null;
    if (call.run(Statement::update_metrics, {id, PG_GETARG_DATUM(1)}) == 1) return call.ok_row();
    if (call.run(Statement::run_status, {id}, nullptr, false, 1) == 0)
        return run_not_found(call, run_id);
    RunStatus current = status_from_oid(DatumGetObjectId(call.value(0, 1, &is_null)));
    return call.error(ErrorCode::illegal_transition,
                      "run " + uuid_text(run_id) + " is " + std::string(status_label(current)) +
                          ": metrics change only while a run is queued or running",
                      "{\"run_id\": " + json_quote(uuid_text(run_id)) +
                          ", \"from\": " + json_quote(status_label(current)) +
                          ", \"to\": " + json_quote(status_label(current)) + "}");
}

PR_FUNCTION(project_runs_latest) {
    Call call(fcinfo);
    if (PG_ARGISNULL(0)) return null_argument(call, "project_id");
    pg_uuid_t project_id = *PG_GETARG_UUID_P(0);
    call.connect();
    if (auto problem = app_tables_problem(AppUse::projects)) return config_error(call, *problem);
    Datum project = UUIDPGetDatum(&project_id);
    if (!project_visible(call, project_id, true)) return project_not_found(call, project_id);
    uint64 rows;
    {
        LedgerOwnerScope owner;  // the project is visible: read its runs
        rows = call.run(Statement::latest, {project}, nullptr, true, 1);
    }
    if (rows == 0) return call.ok(0, true);
    return call.ok_row();
}

PR_FUNCTION(project_runs_list) {
    Call call(fcinfo);
    if (PG_ARGISNULL(0)) return null_argument(call, "project_id");
    if (PG_ARGISNULL(1)) return null_argument(call, "max_rows");
    int32 max_rows = PG_GETARG_INT32(1);
    if (max_rows < 1 || max_rows > max_list_rows)
        return call.error(ErrorCode::invalid_argument,
                          "max_rows must be between 1 and " + std::to_string(max_list_rows),
                          "{\"argument\": \"max_rows\", \"min\": 1, \"max\": " +
                              std::to_string(max_list_rows) + "}");
    pg_uuid_t project_id = *PG_GETARG_UUID_P(0);
    call.connect();
    if (auto problem = app_tables_problem(AppUse::projects)) return config_error(call, *problem);
    Datum project = UUIDPGetDatum(&project_id);
    if (!project_visible(call, project_id, true)) return project_not_found(call, project_id);
    char nulls[] = {' ', ' ', PG_ARGISNULL(2) ? 'n' : ' ', '\0'};
    {
        LedgerOwnerScope owner;  // the project is visible: read its runs
        call.run(Statement::list,
                 {project, Int32GetDatum(max_rows), PG_ARGISNULL(2) ? (Datum)0 : PG_GETARG_DATUM(2)},
                 nulls, true);
    }
    return call.ok_rows();
}

PR_FUNCTION(project_runs_purge) {
    Call call(fcinfo);
    if (PG_ARGISNULL(0)) return null_argument(call, "project_id");
    pg_uuid_t project_id = *PG_GETARG_UUID_P(0);
    call.connect();
    Oid runs_relid = catalog().runs_relid;
    bool owner = guard([&] { return pg_class_ownercheck(runs_relid, GetUserId()); });
    if (!owner)
        throw Violation(ERRCODE_INSUFFICIENT_PRIVILEGE,
                        "only the owner of project_runs may purge runs",
                        "project_runs_purge erases a project's runs and events for good.");
    Datum project = UUIDPGetDatum(&project_id);
    uint64 events, runs;
    {
        // The runs first: their DELETE waits for any transition in flight
        // on them. The events' DELETE, a statement of its own, then sees
        // the events those transitions appended, so that no event outlives
        // its run. A run created meanwhile is not erased, nor its events.
        FlagScope purging(session_flags().purging);
        runs = call.run(Statement::purge_runs, {project});
        Datum ids = uuid_column_array(SPI_tuptable, runs);
        events = call.run(Statement::purge_events, {ids});
    }
    return call.finish(call.jsonb_from_text(
        "{\"ok\": true, \"data\": {\"project_id\": " + json_quote(uuid_text(project_id)) +
        ", \"runs_deleted\": " + std::to_string(runs) +
        ", \"events_deleted\": " + std::to_string(events) + "}}"));
}
