// The C++ triggers that enforce the ledger's rules for every role: inserts
// start queued with server-set fields, only legal transitions, finished runs
// frozen, identity columns fixed, no DELETE or TRUNCATE, and an event row
// for every insert and transition.
#include <cctype>
#include <optional>
#include <string>
#include <unordered_set>

#include "core/idempotency.hpp"
#include "core/json.hpp"
#include "core/run_state.hpp"
#include "core/uuid7.hpp"
#include "pg/config.hpp"
#include "pg/fault.hpp"
#include "pg/guard.hpp"
#include "pg/result.hpp"
#include "pg/runs.hpp"
#include "pg/sqlstate.hpp"

extern "C" {
#include "access/table.h"
#include "access/tableam.h"
#include "executor/executor.h"
#include "utils/datum.h"
#include "utils/inval.h"
#include "utils/regproc.h"
}

using namespace project_runs;
using namespace project_runs::pg;

namespace {

// The trigger data of a call, checked to be the kind of trigger expected.
TriggerData* trigger_data(FunctionCallInfo fcinfo, const char* name) {
    if (!CALLED_AS_TRIGGER(fcinfo))
        throw Violation(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED,
                        std::string(name) + " must be called as a trigger");
    return reinterpret_cast<TriggerData*>(fcinfo->context);
}

// One row of project_runs, read through the catalog's column numbers.
class RunRow {
public:
    RunRow(HeapTuple tuple, TupleDesc desc) : tuple_(tuple), desc_(desc) {}
    Datum get(AttrNumber column, bool* is_null) const {
        return heap_getattr(tuple_, column, desc_, is_null);
    }
    bool is_null(AttrNumber column) const {
        bool null;
        heap_getattr(tuple_, column, desc_, &null);
        return null;
    }
    RunStatus status() const {
        bool null;
        Datum d = get(catalog().runs.status, &null);
        if (null) throw Violation(sqlstate::invalid_run_fields, "a run needs a status");
        return status_from_oid(DatumGetObjectId(d));
    }
    pg_uuid_t uuid(AttrNumber column) const {
        bool null;
        Datum d = get(column, &null);
        pg_uuid_t out{};
        if (!null) out = *DatumGetUUIDP(d);
        return out;
    }
    std::string id_text() const { return uuid_text(uuid(catalog().runs.id)); }
    RunShape shape() const {
        const RunColumns& c = catalog().runs;
        RunShape s;
        s.status = status();
        s.has_input_version = !is_null(c.input_version);
        s.has_started_at = !is_null(c.started_at);
        s.has_finished_at = !is_null(c.finished_at);
        s.has_output = !is_null(c.output);
        s.has_error_code = !is_null(c.error_code);
        s.has_error_message = !is_null(c.error_message);
        s.has_error_detail = !is_null(c.error_detail);
        return s;
    }

private:
    HeapTuple tuple_;
    TupleDesc desc_;
};

// Refuses metrics that are not a JSON object.
void check_metrics(const RunRow& row, const std::string& whose) {
    bool null;
    Datum metrics = row.get(catalog().runs.metrics, &null);
    if (null) return;  // NOT NULL reports it
    Jsonb* j = guard([&] { return DatumGetJsonbP(metrics); });
    if (!JB_ROOT_IS_OBJECT(j))
        throw Violation(sqlstate::invalid_run_fields,
                        "metrics of " + whose + " must be a JSON object");
    if (jsonb_depth(j) > json::max_depth)
        throw Violation(sqlstate::invalid_run_fields,
                        "metrics of " + whose + " nest deeper than " +
                            std::to_string(json::max_depth) + " levels");
}

// True when a column holds the same value in both rows.
bool same_value(const RunRow& a, const RunRow& b, AttrNumber column, TupleDesc desc) {
    bool a_null, b_null;
    Datum x = a.get(column, &a_null);
    Datum y = b.get(column, &b_null);
    if (a_null || b_null) return a_null == b_null;
    Form_pg_attribute attr = TupleDescAttr(desc, column - 1);
    return guard([&] { return datum_image_eq(x, y, attr->attbyval, attr->attlen); });
}

// Ids of runs inserted the ordinary way in a restore session, whose insert
// events must still be written. Emptied at the end of every transaction:
// a row the BEFORE trigger saw but that was never inserted (ON CONFLICT DO
// NOTHING, an error after the trigger) leaves its id behind.
std::unordered_set<std::string>& ordinary_inserts_in_restore() {
    static std::unordered_set<std::string> ids;
    return ids;
}

// Refuses a value the caller gave to a column the server sets: of a new
// run (run and move empty), or of run in an update from one status to
// another (move: "queued to running").
void refuse_server_column(const char* column, const std::string& run = {},
                          const std::string& move = {}) {
    std::string what = run.empty() ? std::string(column) + " of a new run is set by the server"
                                   : "run " + run + " cannot change " + column + " (" + move +
                                         "): the server sets it";
    throw Violation(sqlstate::server_managed_column, what,
                    "Leave " + std::string(column) + " out of the statement.");
}

// An idempotency key as a message quotes it: its first 100 bytes or so.
std::string key_for_message(const std::string& key) { return clipped_text(key, 100); }

// Refuses a key of project_runs_generate's form that is not the new run's
// own generation key (project_runs_create answers IDEMPOTENCY_CONFLICT first).
void check_key_fits(const RunRow& row, Datum key, const pg_uuid_t& project) {
    const RunColumns& c = catalog().runs;
    bool null;
    Datum version = row.get(c.input_version, &null);
    std::optional<int32> input_version;
    if (!null) input_version = DatumGetInt32(version);
    Datum pipeline = row.get(c.pipeline_version, &null);
    std::string key_text = text_string(key);
    std::string pipeline_text = null ? std::string() : text_string(pipeline);
    if (key_fits_run(key_text, uuid_text(project), input_version, pipeline_text)) return;
    throw Violation(sqlstate::foreign_generation_key,
                    "idempotency key \"" + key_for_message(key_text) +
                        "\" is project_runs_generate's key for another project, input version "
                        "or pipeline version",
                    "",
                    "A key of the form <project_id>:<input_version>:<pipeline_version> must name "
                    "the run's own; any other form is free.");
}

// The checks of an insert the ordinary way; returns the attempt number.
int32 check_ordinary_insert(FunctionCallInfo fcinfo, const RunRow& row) {
    const Catalog& cat = catalog();
    const RunColumns& c = cat.runs;
    if (!row.is_null(c.id)) refuse_server_column("id");
    if (!row.is_null(c.created_at)) refuse_server_column("created_at");
    if (!row.is_null(c.started_at)) refuse_server_column("started_at");
    if (!row.is_null(c.finished_at)) refuse_server_column("finished_at");
    RunStatus status = row.status();
    if (status != RunStatus::queued)
        throw Violation(sqlstate::invalid_run_fields,
                        "a new run starts as queued, not " + std::string(status_label(status)),
                        "Insert with status queued and move it on with project_runs_set_running.");
    if (!row.is_null(c.output) || !row.is_null(c.error_code) || !row.is_null(c.error_message) ||
        !row.is_null(c.error_detail))
        throw Violation(sqlstate::invalid_run_fields,
                        "a new run has no output or error fields yet");
    check_metrics(row, "a new run");

    bool null;
    int32 given_attempt = DatumGetInt32(row.get(c.attempt, &null));
    pg_uuid_t project = row.uuid(c.project_id);
    const SessionFlags& flags = session_flags();
    if (flags.trusted_insert && memcmp(flags.trusted_project.data, project.data, UUID_LEN) == 0)
        return given_attempt;  // project_runs_create checked both already

    Call call(fcinfo);
    call.connect();
    if (auto problem = app_tables_problem(AppUse::projects)) {
        std::string hint = std::string(problem->hint()) + ".";
        hint[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(hint[0])));
        throw Violation(sqlstate::config_missing, problem->message, {}, hint);
    }
    Datum project_datum = UUIDPGetDatum(&project);
    if (call.run(Statement::project_exists, {project_datum}, nullptr, false, 1) == 0)
        throw Violation(sqlstate::project_not_found,
                        "project " + uuid_text(project) + " does not exist");

    int32 attempt = 1;
    bool key_null;
    Datum key = row.get(c.idempotency_key, &key_null);
    if (!key_null) check_key_fits(row, key, project);
    if (!key_null && call.run(Statement::max_attempt_for_key, {key}, nullptr, false, 1) > 0) {
        // At most one run per key is not failed: a new attempt only after
        // the newest one failed (failed is final, and (key, attempt) is
        // unique, so two sessions never both add the same attempt).
        RunStatus newest = status_from_oid(DatumGetObjectId(call.value(0, 1, &null)));
        if (newest != RunStatus::failed) {
            std::string holder = uuid_text(*DatumGetUUIDP(call.value(0, 3, &null)));
            std::string key_text = text_string(key);
            throw Violation(ERRCODE_UNIQUE_VIOLATION,
                            "idempotency key \"" + key_for_message(key_text) +
                                "\" is held by run " + holder +
                                ", which is " + std::string(status_label(newest)),
                            "",
                            "A key takes a new attempt only once its runs failed; "
                            "project_runs_create returns the run that holds it.");
        }
        attempt = DatumGetInt32(call.value(0, 2, &null)) + 1;
    }
    if (given_attempt != 1 && given_attempt != attempt)
        throw Violation(sqlstate::server_managed_column,
                        "attempt of a new run is set by the server (it would be " +
                            std::to_string(attempt) + ", not " + std::to_string(given_attempt) +
                            ")",
                        "attempt counts the runs that share an idempotency key.");
    call.finish(0);
    return attempt;
}

// Refuses a row whose started_at or finished_at comes before created_at,
// or finished_at before started_at.
void check_timestamp_order(const RunRow& row, const std::string& what) {
    const RunColumns& c = catalog().runs;
    bool null;
    TimestampTz created = DatumGetTimestampTz(row.get(c.created_at, &null));
    TimestampTz started = DatumGetTimestampTz(row.get(c.started_at, &null));
    bool no_start = null;
    TimestampTz finished = DatumGetTimestampTz(row.get(c.finished_at, &null));
    bool no_finish = null;
    if ((!no_start && started < created) || (!no_finish && finished < created) ||
        (!no_start && !no_finish && finished < started))
        throw Violation(sqlstate::invalid_run_fields, what + " has timestamps out of order");
}

// The checks of a complete row inserted by a restore session or a logical
// replication worker.
void check_restored_run(const RunRow& row) {
    const RunColumns& c = catalog().runs;
    std::string run = row.id_text();
    if (row.is_null(c.created_at))
        throw Violation(sqlstate::invalid_run_fields, "restored run " + run + " has no created_at");
    if (auto problem = check_shape(row.shape()))
        throw Violation(sqlstate::invalid_run_fields, "restored run " + run + ": " + *problem);
    check_metrics(row, "restored run " + run);
    bool null;
    if (DatumGetInt32(row.get(c.attempt, &null)) < 1)
        throw Violation(sqlstate::invalid_run_fields, "restored run " + run + " has an attempt below 1");
    check_timestamp_order(row, "restored run " + run);
}

// Appends one row to project_run_events: straight into the heap and its
// indexes, without SPI, the executor or the table's own triggers and
// policies (the run row that caused it was already checked). WAL-logged
// like any insert, so replication and logical decoding see it.
void append_event(const RunRow& row, bool has_from, RunStatus from, RunStatus to, Datum at) {
    const Catalog& cat = catalog();
    const RunColumns& c = cat.runs;
    const EventColumns& e = cat.events;
    bool null;
    Datum run_id = row.get(c.id, &null);
    Datum project_id = row.get(c.project_id, &null);
    Oid from_label = has_from ? status_to_oid(from) : InvalidOid;
    Oid to_label = status_to_oid(to);
    Oid events_relid = cat.events_relid;
    guard([&] {
        Relation rel = table_open(events_relid, RowExclusiveLock);
        TupleDesc desc = RelationGetDescr(rel);
        Datum* values = static_cast<Datum*>(palloc0(desc->natts * sizeof(Datum)));
        bool* nulls = static_cast<bool*>(palloc(desc->natts * sizeof(bool)));
        memset(nulls, true, desc->natts * sizeof(bool));
        values[e.run_id - 1] = run_id;
        nulls[e.run_id - 1] = false;
        values[e.project_id - 1] = project_id;
        nulls[e.project_id - 1] = false;
        values[e.from_status - 1] = ObjectIdGetDatum(from_label);
        nulls[e.from_status - 1] = !has_from;
        values[e.to_status - 1] = ObjectIdGetDatum(to_label);
        nulls[e.to_status - 1] = false;
        values[e.at - 1] = at;
        nulls[e.at - 1] = false;

        EState* estate = CreateExecutorState();
        ResultRelInfo* result_rel = makeNode(ResultRelInfo);
        InitResultRelInfo(result_rel, rel, 1, nullptr, 0);
        ExecOpenIndices(result_rel, false);
        TupleTableSlot* slot = ExecInitExtraTupleSlot(estate, desc, &TTSOpsHeapTuple);
        ExecStoreHeapTuple(heap_form_tuple(desc, values, nulls), slot, true);
        table_tuple_insert(rel, slot, GetCurrentCommandId(true), 0, nullptr);
        if (result_rel->ri_NumIndices > 0)
            ExecInsertIndexTuples(result_rel, slot, estate, false, false, nullptr, NIL);
        ExecCloseIndices(result_rel);
        ExecResetTupleTable(estate->es_tupleTable, false);
        FreeExecutorState(estate);
        table_close(rel, NoLock);
    });
}

}  // namespace

void project_runs::pg::forget_restore_inserts() { ordinary_inserts_in_restore().clear(); }

// BEFORE INSERT on project_runs: sets id, created_at and attempt, and
// refuses anything but a queued run of an existing project. A restore
// session or a logical replication worker may insert a complete, consistent
// row as it is.
PR_FUNCTION(project_runs_guard_insert) {
    TriggerData* td = trigger_data(fcinfo, "project_runs_guard_insert");
    HeapTuple tuple = td->tg_trigtuple;
    TupleDesc desc = td->tg_relation->rd_att;
    const RunColumns& c = catalog().runs;
    maybe_inject_fault(FaultSite::trigger);
    RunRow row(tuple, desc);
    Oid relid = RelationGetRelid(td->tg_relation);
    bool restore = is_restore_session(relid);
    if ((restore || is_replication_apply(relid)) && !row.is_null(c.id)) {
        check_restored_run(row);
        return PointerGetDatum(tuple);
    }
    int32 attempt = check_ordinary_insert(fcinfo, row);

    pg_uuid_t* id = static_cast<pg_uuid_t*>(guard([] { return palloc(sizeof(pg_uuid_t)); }));
    *id = new_run_uuid();
    if (restore) ordinary_inserts_in_restore().insert(uuid_text(*id));
    int columns[] = {c.id, c.created_at, c.attempt};
    Datum values[] = {UUIDPGetDatum(id), TimestampTzGetDatum(GetCurrentTimestamp()),
                      Int32GetDatum(attempt)};
    bool nulls[] = {false, false, false};
    return guard([&] {
        return PointerGetDatum(heap_modify_tuple_by_cols(tuple, desc, 3, columns, values, nulls));
    });
}

// BEFORE UPDATE on project_runs: legal transitions only, finished runs
// frozen, identity columns fixed; sets started_at and finished_at. A logical
// replication worker replays the publisher's transition as it is: its
// timestamps are kept (write-once still), and its event arrives on its own.
PR_FUNCTION(project_runs_guard_update) {
    TriggerData* td = trigger_data(fcinfo, "project_runs_guard_update");
    TupleDesc desc = td->tg_relation->rd_att;
    const RunColumns& c = catalog().runs;
    maybe_inject_fault(FaultSite::trigger);
    RunRow old_row(td->tg_trigtuple, desc);
    RunRow new_row(td->tg_newtuple, desc);
    RunStatus from = old_row.status();
    bool no_status = new_row.is_null(c.status);
    RunStatus to = no_status ? from : new_row.status();
    // The words of a refusal, built only when there is one.
    auto run = [&] { return old_row.id_text(); };
    auto move = [&] {
        return std::string(status_label(from)) + " to " +
               (no_status ? std::string("no status") : std::string(status_label(to)));
    };
    // The run and its move, for the refusals that name a column.
    auto run_moving = [&] { return "run " + run() + " (" + move() + ")"; };

    if (is_finished(from))
        throw Violation(sqlstate::run_frozen,
                        "run " + run() + " cannot go from " + move() + ": finished runs are frozen");
    if (no_status)
        throw Violation(sqlstate::invalid_run_fields, "run " + run() + " cannot go from " + move());
    const std::pair<AttrNumber, const char*> fixed[] = {
        {c.id, "id"}, {c.project_id, "project_id"}, {c.input_version, "input_version"},
        {c.pipeline_version, "pipeline_version"}, {c.idempotency_key, "idempotency_key"},
        {c.created_at, "created_at"}, {c.attempt, "attempt"}};
    for (const auto& [column, name] : fixed)
        if (!same_value(old_row, new_row, column, desc))
            throw Violation(sqlstate::immutable_column,
                            "run " + run() + " cannot change " + name + " (" + move() + ")");
    Transition transition = classify_transition(from, to);
    if (transition == Transition::illegal)
        throw Violation(sqlstate::illegal_transition, "run " + run() + " cannot go from " + move());
    bool replica = is_replication_apply(RelationGetRelid(td->tg_relation));
    for (const auto& [column, name] : {std::pair{c.started_at, "started_at"},
                                       std::pair{c.finished_at, "finished_at"}})
        if (!same_value(old_row, new_row, column, desc) && !(replica && old_row.is_null(column)))
            refuse_server_column(name, run(), move());

    HeapTuple result = td->tg_newtuple;
    Datum now = TimestampTzGetDatum(GetCurrentTimestamp());
    if (transition == Transition::allowed && !replica) {
        int columns[] = {to == RunStatus::running ? c.started_at : c.finished_at};
        Datum values[] = {now};
        bool nulls[] = {false};
        result = guard([&] {
            return heap_modify_tuple_by_cols(td->tg_newtuple, desc, 1, columns, values, nulls);
        });
    }
    if (auto problem = check_shape(RunRow(result, desc).shape()))
        throw Violation(sqlstate::invalid_run_fields,
                        "run " + run() + " cannot go from " + move() + ": " + *problem);
    if (replica) check_timestamp_order(new_row, run_moving());
    if (!same_value(old_row, new_row, c.metrics, desc)) check_metrics(new_row, run_moving());
    // The transition's event is appended here rather than in an AFTER
    // trigger: the row is locked by now and the update goes ahead, and any
    // error after this point rolls the event back with it.
    if (transition == Transition::allowed && !replica) append_event(new_row, true, from, to, now);
    return PointerGetDatum(result);
}

// AFTER INSERT on project_runs: appends the insert's event. (An insert
// needs an AFTER trigger: with ON CONFLICT DO NOTHING, BEFORE triggers fire
// for rows that are then not inserted.)
PR_FUNCTION(project_runs_log_event) {
    TriggerData* td = trigger_data(fcinfo, "project_runs_log_event");
    TupleDesc desc = td->tg_relation->rd_att;
    const RunColumns& c = catalog().runs;
    RunRow row(td->tg_trigtuple, desc);
    Oid relid = RelationGetRelid(td->tg_relation);
    if ((is_restore_session(relid) || is_replication_apply(relid)) &&
        ordinary_inserts_in_restore().erase(row.id_text()) == 0)
        return PointerGetDatum(nullptr);  // a restored or replicated run: so are its events
    bool null;
    append_event(row, false, RunStatus::queued, RunStatus::queued, row.get(c.created_at, &null));
    return PointerGetDatum(nullptr);
}

// BEFORE DELETE on project_runs: runs are append-only; only
// project_runs_purge deletes (and a logical replication worker replays the
// publisher's purge).
PR_FUNCTION(project_runs_guard_delete) {
    TriggerData* td = trigger_data(fcinfo, "project_runs_guard_delete");
    if (session_flags().purging || is_replication_apply(RelationGetRelid(td->tg_relation)))
        return PointerGetDatum(td->tg_trigtuple);
    Call call(fcinfo);
    call.connect();
    RunRow row(td->tg_trigtuple, td->tg_relation->rd_att);
    std::string run = row.id_text();
    std::string status(status_label(row.status()));
    call.finish(0);
    throw Violation(sqlstate::delete_forbidden,
                    "run " + run + " (" + status + ") cannot be deleted: runs are append-only",
                    "", "The database owner can erase a project's runs with project_runs_purge.");
}

// BEFORE TRUNCATE on project_runs and project_run_events.
PR_FUNCTION(project_runs_guard_truncate) {
    TriggerData* td = trigger_data(fcinfo, "project_runs_guard_truncate");
    std::string table = guard([&] { return std::string(RelationGetRelationName(td->tg_relation)); });
    throw Violation(sqlstate::truncate_forbidden,
                    table + " cannot be truncated: runs and their events are append-only", "",
                    "The database owner can erase a project's runs with project_runs_purge.");
}

// BEFORE INSERT, UPDATE or DELETE on project_run_events: only the runs
// trigger appends (directly, without firing this), and a restore session or
// a logical replication worker replays; nothing changes an event, and only
// project_runs_purge (or its replay by a replication worker) deletes one.
PR_FUNCTION(project_runs_guard_events) {
    TriggerData* td = trigger_data(fcinfo, "project_runs_guard_events");
    const SessionFlags& flags = session_flags();
    Oid relid = RelationGetRelid(td->tg_relation);
    if (TRIGGER_FIRED_BY_INSERT(td->tg_event)) {
        if (is_restore_session(relid) || is_replication_apply(relid))
            return PointerGetDatum(td->tg_trigtuple);
        throw Violation(sqlstate::events_append_only,
                        "project_run_events is written only by the project_runs trigger",
                        "Events are appended when a run is inserted or changes status.");
    }
    if (TRIGGER_FIRED_BY_DELETE(td->tg_event)) {
        if (flags.purging || is_replication_apply(relid)) return PointerGetDatum(td->tg_trigtuple);
        throw Violation(sqlstate::events_append_only,
                        "events of project_run_events cannot be deleted: the log is append-only",
                        "", "The database owner can erase a project's runs with project_runs_purge.");
    }
    throw Violation(sqlstate::events_append_only,
                    "events of project_run_events cannot change: the log is append-only");
}

// project_runs_settings: checks each value names schema.table (BEFORE ROW),
// and tells every session to reload the settings (AFTER STATEMENT).
PR_FUNCTION(project_runs_settings_changed) {
    TriggerData* td = trigger_data(fcinfo, "project_runs_settings_changed");
    if (TRIGGER_FIRED_FOR_STATEMENT(td->tg_event)) {
        Oid relid = RelationGetRelid(td->tg_relation);
        guard([&] { CacheInvalidateRelcacheByRelid(relid); });
        return PointerGetDatum(nullptr);
    }
    HeapTuple tuple = td->tg_newtuple != nullptr && TRIGGER_FIRED_BY_UPDATE(td->tg_event)
                          ? td->tg_newtuple
                          : td->tg_trigtuple;
    TupleDesc desc = td->tg_relation->rd_att;
    guard([&] {
        bool null;
        Datum value = heap_getattr(tuple, 2, desc, &null);
        if (!null) {
            List* names = stringToQualifiedNameList(TextDatumGetCString(value));
            if (list_length(names) != 2)
                ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
                                errmsg("\"%s\" is not a schema-qualified table name",
                                       TextDatumGetCString(value)),
                                errhint("Write it as schema.table, for example public.projects.")));
        }
    });
    return PointerGetDatum(tuple);
}

// project_runs_pipeline_steps: a registered step must be a function
// (run_id uuid, input jsonb, context jsonb) returning jsonb (BEFORE ROW);
// every session reloads the registered steps (AFTER STATEMENT).
PR_FUNCTION(project_runs_pipeline_steps_check) {
    TriggerData* td = trigger_data(fcinfo, "project_runs_pipeline_steps_check");
    if (TRIGGER_FIRED_FOR_STATEMENT(td->tg_event)) {
        Oid relid = RelationGetRelid(td->tg_relation);
        guard([&] { CacheInvalidateRelcacheByRelid(relid); });
        return PointerGetDatum(nullptr);
    }
    HeapTuple tuple = TRIGGER_FIRED_BY_UPDATE(td->tg_event) ? td->tg_newtuple : td->tg_trigtuple;
    TupleDesc desc = td->tg_relation->rd_att;
    guard([&] {
        bool null;
        Oid function = DatumGetObjectId(heap_getattr(tuple, 3, desc, &null));
        if (!null) require_step_function(function);
    });
    return PointerGetDatum(tuple);
}
