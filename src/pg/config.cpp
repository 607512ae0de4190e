// What the extension knows about its own objects at run time.
#include "pg/config.hpp"

#include <cctype>
#include <cstdlib>
#include <cstring>
#include <stdexcept>

#include "core/json.hpp"
#include "core/uuid7.hpp"
#include "pg/fault.hpp"
#include "pg/guard.hpp"

extern "C" {
#include "access/table.h"
#include "access/xact.h"
#include "access/xlog.h"
#include "catalog/pg_class.h"
#include "catalog/pg_enum.h"
#include "catalog/pg_proc.h"
#include "datatype/timestamp.h"
#include "mb/pg_wchar.h"
#include "replication/logicalworker.h"
#include "storage/bufmgr.h"
#include "utils/acl.h"
#include "utils/guc.h"
#include "utils/inval.h"
#include "utils/regproc.h"
#include "utils/rls.h"
#include "utils/catcache.h"
#include "utils/syscache.h"
#include "utils/varlena.h"
}

namespace project_runs::pg {

namespace {

Catalog g_catalog;
bool g_catalog_valid = false;
unsigned g_generation = 0;
unsigned g_steps_epoch = 1;
SessionFlags g_flags;

// What the statements' text takes from the application's inputs table
// ({inputs_newest}, read from g_inputs_check), and an epoch bumped when it
// changes: a column added or dropped there has the statements prepared
// again at the next call, in every session.
struct InputsOrder {
    std::string order;
    unsigned epoch = 0;
};
InputsOrder g_inputs;

// A column the statements read from an application table: the base types
// they can read it as (none listed: any type, read through a cast to text
// or to_jsonb), and how to name them in an error.
struct NeededColumn {
    const char* name;
    const char* type_name;  // nullptr: any type
    Oid types[3];           // InvalidOid ends the list
    bool optional;          // the table may lack it (not of another type)
};

const NeededColumn project_columns[] = {
    {"id", "uuid", {UUIDOID}, false},
    {"user_id", "uuid", {UUIDOID}, false},
};
const NeededColumn dashboard_columns[] = {
    {"name", nullptr, {}, false},
    {"created_at", "timestamptz, timestamp or date", {TIMESTAMPTZOID, TIMESTAMPOID, DATEOID},
     false},
};
const NeededColumn input_columns[] = {
    {"project_id", "uuid", {UUIDOID}, false},
    {"version", "integer or smallint", {INT4OID, INT2OID}, false},
    {"status", nullptr, {}, false},
    {"input_json", "jsonb", {JSONBOID}, false},
    {"created_at", "timestamptz, timestamp or date", {TIMESTAMPTZOID, TIMESTAMPOID, DATEOID},
     true},
};

// What an application table lacks for each use of it ([0]: projects' or
// project_inputs' own columns, [1]: the dashboard's columns of projects),
// read again when its relcache entry changes, the table is replaced or the
// catalog is reloaded (check_table).
struct TableCheck {
    Oid relid = InvalidOid;
    unsigned generation = 0;
    bool valid = false;
    std::optional<AppTableProblem> problem[2];
    bool has_created_at = false;  // inputs: the newest row of a version can be told
};
TableCheck g_projects_check;
TableCheck g_inputs_check;

// The raw values read while loading, kept in palloc'd memory until they
// are copied into the Catalog outside the guarded call.
struct RawCatalog {
    Oid schema_oid, runs, runs_owner, runs_created_index, events, settings, steps, status_type;
    Oid labels[4];
    const char* schema_quoted;
    const char* schema_name;
    AttrNumber run_attnums[15];
    AttrNumber event_attnums[5];
    const char* setting_names[8];
    const char* setting_values[8];
    int setting_count;
};

const char* const run_column_names[15] = {
    "id", "project_id", "input_version", "pipeline_version", "status",
    "created_at", "started_at", "finished_at", "error_code", "error_message",
    "error_detail", "output", "metrics", "idempotency_key", "attempt"};
const char* const event_column_names[5] = {"run_id", "project_id", "from_status", "to_status",
                                           "at"};
const char* const status_labels[4] = {"queued", "running", "succeeded", "failed"};

// The number of a column of one of the extension's own tables, which must
// have the type the script gave it. Postgres calls only.
AttrNumber own_column(Oid relid, const char* table, const char* column, Oid type) {
    AttrNumber attnum = get_attnum(relid, column);
    if (attnum == InvalidAttrNumber)
        ereport(ERROR, (errcode(ERRCODE_UNDEFINED_COLUMN),
                        errmsg("%s has no column %s", table, column),
                        errhint("Reinstall the extension.")));
    Oid found = get_atttype(relid, attnum);
    if (found != type)
        ereport(ERROR, (errcode(ERRCODE_DATATYPE_MISMATCH),
                        errmsg("column %s of %s is %s, not %s", column, table,
                               format_type_be(found), format_type_be(type)),
                        errhint("Give the column its type back, or reinstall the extension.")));
    return attnum;
}

// The security context of statements run as the ledger's owner: the user
// id changed for them only, the policies not forced on the owner.
int owner_context(int context) {
    return context | SECURITY_LOCAL_USERID_CHANGE | SECURITY_NOFORCE_RLS;
}

// Reads the catalog entries of the extension's objects (SPI connected).
void read_raw_catalog(RawCatalog* raw) {
    // get_extension_schema() is not exported before PostgreSQL 16.
    if (SPI_execute("SELECT e.extnamespace FROM pg_catalog.pg_extension e "
                    "WHERE e.extname OPERATOR(pg_catalog.=) 'project_runs'",
                    true, 1) != SPI_OK_SELECT ||
        SPI_processed != 1)
        ereport(ERROR, (errcode(ERRCODE_UNDEFINED_OBJECT),
                        errmsg("extension project_runs is not installed in this database")));
    bool is_null;
    raw->schema_oid = DatumGetObjectId(
        SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &is_null));
    raw->schema_name = get_namespace_name(raw->schema_oid);
    raw->schema_quoted = quote_identifier(raw->schema_name);
    raw->runs = get_relname_relid("project_runs", raw->schema_oid);
    raw->events = get_relname_relid("project_run_events", raw->schema_oid);
    raw->settings = get_relname_relid("project_runs_settings", raw->schema_oid);
    raw->steps = get_relname_relid("project_runs_pipeline_steps", raw->schema_oid);
    raw->runs_created_index =
        get_relname_relid("project_runs_project_created_idx", raw->schema_oid);
    if (!OidIsValid(raw->runs) || !OidIsValid(raw->events) || !OidIsValid(raw->settings))
        ereport(ERROR, (errcode(ERRCODE_UNDEFINED_TABLE),
                        errmsg("project_runs tables are missing from schema %s",
                               raw->schema_name)));
    HeapTuple class_tuple = SearchSysCache1(RELOID, ObjectIdGetDatum(raw->runs));
    if (!HeapTupleIsValid(class_tuple)) elog(ERROR, "cache lookup failed for project_runs");
    raw->runs_owner = reinterpret_cast<Form_pg_class>(GETSTRUCT(class_tuple))->relowner;
    ReleaseSysCache(class_tuple);
    // The status type is the status column's (whatever its name now), an
    // enum of exactly the four labels the code knows.
    AttrNumber status_attnum = get_attnum(raw->runs, "status");
    raw->status_type =
        status_attnum == InvalidAttrNumber ? InvalidOid : get_atttype(raw->runs, status_attnum);
    if (!OidIsValid(raw->status_type) || get_typtype(raw->status_type) != TYPTYPE_ENUM)
        ereport(ERROR, (errcode(ERRCODE_DATATYPE_MISMATCH),
                        errmsg("column status of project_runs is not the enum project_run_status"),
                        errhint("Give the column its type back, or reinstall the extension.")));
    CatCList* labels =
        SearchSysCacheList1(ENUMTYPOIDNAME, ObjectIdGetDatum(raw->status_type));
    int label_count = labels->n_members;
    ReleaseSysCacheList(labels);
    for (int i = 0; i < 4; i++) {
        HeapTuple label = SearchSysCache2(ENUMTYPOIDNAME, ObjectIdGetDatum(raw->status_type),
                                          CStringGetDatum(status_labels[i]));
        if (!HeapTupleIsValid(label) || label_count != 4) {
            if (HeapTupleIsValid(label)) ReleaseSysCache(label);
            ereport(ERROR,
                    (errcode(ERRCODE_DATATYPE_MISMATCH),
                     errmsg("type %s has other labels than queued, running, succeeded, failed",
                            format_type_be(raw->status_type)),
                     errhint("The ledger knows these four statuses only: reinstall the "
                             "extension (after a dump) to have them back.")));
        }
        raw->labels[i] = reinterpret_cast<Form_pg_enum>(GETSTRUCT(label))->oid;
        ReleaseSysCache(label);
    }
    // The code reads these columns as the types the script gives them: a
    // table altered by its owner stops every call with an error instead.
    const Oid run_types[15] = {UUIDOID,          UUIDOID,        INT4OID,        TEXTOID,
                               raw->status_type, TIMESTAMPTZOID, TIMESTAMPTZOID, TIMESTAMPTZOID,
                               TEXTOID,          TEXTOID,        JSONBOID,       JSONBOID,
                               JSONBOID,         TEXTOID,        INT4OID};
    const Oid event_types[5] = {UUIDOID, UUIDOID, raw->status_type, raw->status_type,
                                TIMESTAMPTZOID};
    for (int i = 0; i < 15; i++)
        raw->run_attnums[i] =
            own_column(raw->runs, "project_runs", run_column_names[i], run_types[i]);
    for (int i = 0; i < 5; i++)
        raw->event_attnums[i] =
            own_column(raw->events, "project_run_events", event_column_names[i], event_types[i]);
    // The extension's own settings, read with the ledger owner's rights
    // (what this backend caches must not depend on which caller loaded it).
    const char* query = psprintf("SELECT name, value FROM %s.project_runs_settings",
                                 raw->schema_quoted);
    Oid saved_user;
    int saved_context;
    GetUserIdAndSecContext(&saved_user, &saved_context);
    SetUserIdAndSecContext(raw->runs_owner, owner_context(saved_context));
    volatile int read_status = 0;
    PG_TRY();
    {
        read_status = SPI_execute(query, true, 0);
    }
    PG_FINALLY();
    {
        SetUserIdAndSecContext(saved_user, saved_context);
    }
    PG_END_TRY();
    if (read_status != SPI_OK_SELECT) elog(ERROR, "could not read project_runs_settings");
    raw->setting_count = 0;
    for (uint64 i = 0; i < SPI_processed && i < 8; i++) {
        raw->setting_names[i] = SPI_getvalue(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1);
        raw->setting_values[i] = SPI_getvalue(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 2);
        // the table's NOT NULL constraints dropped by its owner
        if (raw->setting_names[i] == nullptr || raw->setting_values[i] == nullptr)
            ereport(ERROR, (errcode(ERRCODE_NOT_NULL_VIOLATION),
                            errmsg("project_runs_settings has a row with a null %s",
                                   raw->setting_names[i] == nullptr ? "name" : "value"),
                            errhint("Delete that row, and give the columns NOT NULL back.")));
        raw->setting_count++;
    }
}

// Splits "schema.table" (either part may be quoted) into its two names.
void split_qualified_name(const char* value, const char** schema, const char** table) {
    List* names = stringToQualifiedNameList(value);
    if (list_length(names) != 2)
        ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
                        errmsg("\"%s\" is not a schema-qualified table name", value),
                        errhint("Write it as schema.table, for example public.projects.")));
    *schema = strVal(linitial(names));
    *table = strVal(lsecond(names));
}

// The quoted "schema"."table" form of a table name.
std::string qualified_sql(const std::string& schema, const std::string& table) {
    return guard([&] {
        return std::string(
            quote_qualified_identifier(schema.c_str(), table.c_str()));
    });
}

// Fills the catalog from the system catalogs and the settings table.
void load_catalog() {
    RawCatalog raw{};
    guard([&] { read_raw_catalog(&raw); });
    Catalog c;
    c.schema_oid = raw.schema_oid;
    c.schema = raw.schema_quoted;
    c.runs_relid = raw.runs;
    c.runs_owner = raw.runs_owner;
    c.runs_created_index = raw.runs_created_index;
    c.events_relid = raw.events;
    c.settings_relid = raw.settings;
    c.steps_relid = raw.steps;
    c.status_type = raw.status_type;
    for (int i = 0; i < 4; i++) c.status_label_oids[i] = raw.labels[i];
    AttrNumber* run = &c.runs.id;
    for (int i = 0; i < 15; i++) run[i] = raw.run_attnums[i];
    AttrNumber* event = &c.events.run_id;
    for (int i = 0; i < 5; i++) event[i] = raw.event_attnums[i];
    c.projects_schema = c.inputs_schema = raw.schema_name;
    c.projects_name = "projects";
    c.inputs_name = "project_inputs";
    for (int i = 0; i < raw.setting_count; i++) {
        const char* schema = nullptr;
        const char* table = nullptr;
        const char* value = raw.setting_values[i];
        guard([&] { split_qualified_name(value, &schema, &table); });
        if (strcmp(raw.setting_names[i], "projects_table") == 0) {
            c.projects_schema = schema;
            c.projects_name = table;
        } else if (strcmp(raw.setting_names[i], "project_inputs_table") == 0) {
            c.inputs_schema = schema;
            c.inputs_name = table;
        }
    }
    c.projects_sql = qualified_sql(c.projects_schema, c.projects_name);
    c.inputs_sql = qualified_sql(c.inputs_schema, c.inputs_name);
    // Plans follow the generation: keep it when nothing they depend on
    // changed (a relcache flush after ANALYZE, say), so they stay prepared.
    bool same = g_generation != 0 && c.schema == g_catalog.schema &&
                c.runs_relid == g_catalog.runs_relid && c.events_relid == g_catalog.events_relid &&
                c.status_type == g_catalog.status_type &&
                c.projects_sql == g_catalog.projects_sql && c.inputs_sql == g_catalog.inputs_sql;
    c.generation = same ? g_generation : ++g_generation;
    g_catalog = std::move(c);
    g_catalog_valid = true;
}

// Forgets the catalog when one of the extension's tables changes.
void on_relcache_change(Datum, Oid relid) {
    if (!g_catalog_valid || relid == InvalidOid || relid == g_catalog.steps_relid) g_steps_epoch++;
    if (relid == InvalidOid || relid == g_projects_check.relid) g_projects_check.valid = false;
    if (relid == InvalidOid || relid == g_inputs_check.relid) g_inputs_check.valid = false;
    if (!g_catalog_valid) return;
    if (relid == InvalidOid || relid == g_catalog.runs_relid || relid == g_catalog.events_relid ||
        relid == g_catalog.settings_relid || relid == g_catalog.steps_relid)
        g_catalog_valid = false;
}

// Forgets the catalog when an enum's labels change (the status type's may
// have been renamed or added to): the next call checks them again.
void on_enum_change(Datum, int, uint32) { g_catalog_valid = false; }

// Clears the session flags when a transaction aborts (they are scoped, so
// this only guards against a path that missed its scope).
void reset_flags() {
    g_flags.purging = false;
    g_flags.trusted_insert = false;
}

void on_xact_event(XactEvent event, void*) {
    if (event == XACT_EVENT_ABORT || event == XACT_EVENT_PARALLEL_ABORT) reset_flags();
    if (event == XACT_EVENT_COMMIT || event == XACT_EVENT_ABORT ||
        event == XACT_EVENT_PREPARE)
        forget_restore_inserts();
}

// The OID of schema.table, or InvalidOid.
Oid lookup_table(const std::string& schema, const std::string& table) {
    return guard([&] {
        Oid namespace_oid = get_namespace_oid(schema.c_str(), true);
        return OidIsValid(namespace_oid) ? get_relname_relid(table.c_str(), namespace_oid)
                                         : InvalidOid;
    });
}

// generate's key <project>:<input version>:<pipeline version> as SQL, and
// the newest run holding it as the lateral r (all columns). Only for a
// caller outside row-level security: under a policy, PostgreSQL tests the
// policy before any condition that is not leakproof, and the casts to text
// that make the key are not, so the lookup could not use the key's index
// and read every run the user may see (generate then reads the run apart,
// with run_holding_key).
#define RUN_HOLDING_KEY(version, pipeline)                                                    \
    "LEFT JOIN LATERAL (SELECT y.* FROM {s}.project_runs y "                                   \
    "WHERE y.idempotency_key OPERATOR(pg_catalog.=) (p.id::pg_catalog.text "                   \
    "OPERATOR(pg_catalog.||) ':' OPERATOR(pg_catalog.||) " version "::pg_catalog.text "         \
    "OPERATOR(pg_catalog.||) ':' OPERATOR(pg_catalog.||) " pipeline ") "                       \
    "ORDER BY y.attempt DESC LIMIT 1) r ON true "

// generate's input statements, with the run holding the key (run_columns
// ", r.*" and run_join RUN_HOLDING_KEY) or without it ("" and "").
#define GENERATE_INPUT_VERSION(run_columns, run_join)                                         \
    "SELECT i.status::pg_catalog.text, i.input_json::pg_catalog.jsonb, i.found" run_columns    \
    " FROM {projects} p "                                                                      \
    "LEFT JOIN LATERAL (SELECT x.status, x.input_json, true AS found FROM {inputs} x "        \
    "WHERE x.project_id OPERATOR(pg_catalog.=) p.id AND x.version OPERATOR(pg_catalog.=) $3 " \
    "ORDER BY (x.status::pg_catalog.text OPERATOR(pg_catalog.=) 'final') DESC{inputs_newest} " \
    "LIMIT 1) i ON true " run_join                                                             \
    "WHERE p.id OPERATOR(pg_catalog.=) $1 AND ($2 IS NULL OR p.user_id OPERATOR(pg_catalog.=) $2)"
#define GENERATE_LATEST_INPUT(run_columns, run_join)                                          \
    "SELECT i.version::pg_catalog.int4, i.input_json::pg_catalog.jsonb" run_columns           \
    " FROM {projects} p LEFT JOIN LATERAL ("                                                  \
    "SELECT x.version, x.input_json FROM {inputs} x "                                         \
    "WHERE x.project_id OPERATOR(pg_catalog.=) p.id "                                         \
    "AND x.status::pg_catalog.text OPERATOR(pg_catalog.=) 'final' AND x.version IS NOT NULL " \
    "ORDER BY x.version DESC{inputs_newest} LIMIT 1) i ON true " run_join                      \
    "WHERE p.id OPERATOR(pg_catalog.=) $1 AND ($2 IS NULL OR p.user_id OPERATOR(pg_catalog.=) $2)"

// The dashboard's order of projects: newest first.
#define DASHBOARD_ORDER "p.created_at DESC NULLS LAST, p.id DESC"

struct StatementText {
    Statement id;
    const char* sql;
    const char* types;  // u uuid, U uuid[], i int4, t text, j jsonb, T timestamptz, S status
};

// The SQL of every statement; index = Statement. A value read from an
// application table is cast to the type the code reads it as (no cast at
// all for the contract's types): a table altered after app_tables_problem
// looked at it then gives an error, never a datum of another type.
const StatementText statement_texts[] = {
    {Statement::project_exists,
     "SELECT 1 FROM {projects} p WHERE p.id OPERATOR(pg_catalog.=) $1", "u"},
    // the newest attempt holding a key
    {Statement::max_attempt_for_key,
     "SELECT r.status, r.attempt, r.id FROM {s}.project_runs r "
     "WHERE r.idempotency_key OPERATOR(pg_catalog.=) $1 "
     "ORDER BY r.attempt DESC LIMIT 1",
     "t"},
    // the newest attempt holding a key, with its parameters
    {Statement::create_lookup,
     "SELECT r.status, r.attempt, r.project_id, r.input_version, r.pipeline_version, "
     "pg_catalog.to_jsonb(r) FROM {s}.project_runs r "
     "WHERE r.idempotency_key OPERATOR(pg_catalog.=) $1 "
     "ORDER BY r.attempt DESC LIMIT 1",
     "t"},
    {Statement::create_insert,
     "INSERT INTO {s}.project_runs AS r "
     "(project_id, input_version, pipeline_version, idempotency_key, attempt) "
     "VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING RETURNING r.*",
     "uitti"},
    {Statement::get_by_key,
     "SELECT pg_catalog.to_jsonb(r) FROM {s}.project_runs r "
     "WHERE r.idempotency_key OPERATOR(pg_catalog.=) $1 ORDER BY r.attempt DESC LIMIT 1",
     "t"},
    // (a run without an input version can only fail: it stays queued here)
    {Statement::set_running,
     "UPDATE {s}.project_runs AS r SET status = 'running' "
     "WHERE r.id OPERATOR(pg_catalog.=) $1 AND r.status OPERATOR(pg_catalog.=) 'queued' "
     "AND r.input_version IS NOT NULL RETURNING r.*",
     "u"},
    {Statement::set_succeeded,
     "UPDATE {s}.project_runs AS r SET status = 'succeeded', output = $2, "
     "metrics = {s}.project_runs_merge_metrics(r.metrics, $3) "
     "WHERE r.id OPERATOR(pg_catalog.=) $1 AND r.status OPERATOR(pg_catalog.=) 'running' "
     "RETURNING r.*",
     "ujj"},
    {Statement::set_failed,
     "UPDATE {s}.project_runs AS r SET status = 'failed', error_code = $2, "
     "error_message = $3, error_detail = $4, "
     "metrics = {s}.project_runs_merge_metrics(r.metrics, $5) "
     "WHERE r.id OPERATOR(pg_catalog.=) $1 AND r.status OPERATOR(pg_catalog.<) 'succeeded' "
     "RETURNING r.*",
     "uttjj"},
    {Statement::update_metrics,
     "UPDATE {s}.project_runs AS r SET metrics = {s}.project_runs_merge_metrics(r.metrics, $2) "
     "WHERE r.id OPERATOR(pg_catalog.=) $1 AND r.status OPERATOR(pg_catalog.<) 'succeeded' "
     "RETURNING r.*",
     "uj"},
    {Statement::run_status,
     "SELECT r.status, pg_catalog.to_jsonb(r) FROM {s}.project_runs r "
     "WHERE r.id OPERATOR(pg_catalog.=) $1",
     "u"},
    {Statement::latest,
     "SELECT r.* FROM {s}.project_runs r "
     "WHERE r.project_id OPERATOR(pg_catalog.=) $1 "
     "ORDER BY r.created_at DESC, r.id DESC LIMIT 1",
     "u"},
    // (Call::ok_rows turns the rows into JSON)
    // a page ends after the last run that shares its last created_at (WITH
    // TIES): `before` is exclusive on created_at alone, so a page cut inside
    // such a group would make the next page skip the rest of it
    {Statement::list,
     "SELECT y.* FROM (SELECT x.* FROM {s}.project_runs x "
     "WHERE x.project_id OPERATOR(pg_catalog.=) $1 "
     "AND ($3 IS NULL OR x.created_at OPERATOR(pg_catalog.<) $3) "
     "ORDER BY x.created_at DESC FETCH FIRST ($2) ROWS WITH TIES) y "
     "ORDER BY y.created_at DESC, y.id DESC",
     "uiT"},
    // project_runs_purge: the project's runs first, then every event of the
    // runs deleted (a statement of its own, so that it sees the events of
    // the transitions the first one waited for)
    {Statement::purge_events,
     "DELETE FROM {s}.project_run_events e WHERE e.run_id OPERATOR(pg_catalog.=) ANY ($1)", "U"},
    {Statement::purge_runs,
     "DELETE FROM {s}.project_runs r WHERE r.project_id OPERATOR(pg_catalog.=) $1 RETURNING r.id",
     "u"},
    {Statement::project_owned,
     "SELECT 1 FROM {projects} p WHERE p.id OPERATOR(pg_catalog.=) $1 "
     "AND p.user_id OPERATOR(pg_catalog.=) $2",
     "uu"},
    // generate's project check, input and run lookup in one statement (read
    // as the caller, who is outside row-level security: $2 is null here, and
    // the caller's user id in the _alone forms below): no row when the
    // project is not visible; else the
    // requested version ($3), a final row first (of several rows of one
    // version, the newest by created_at where the table has it), with null columns when the
    // project has no such input; then the newest run holding the key
    // <project>:<version>:<pipeline> ($4), all of its columns, from the
    // fourth column on (nulls when none)
    {Statement::generate_input_version,
     GENERATE_INPUT_VERSION(", r.*", RUN_HOLDING_KEY("$3", "$4")), "uuit"},
    // the same with the highest final version (the newest row of it by
    // created_at) ($3: the pipeline version); the
    // run's columns from the third column on
    {Statement::generate_latest_input,
     GENERATE_LATEST_INPUT(", r.*", RUN_HOLDING_KEY("i.version", "$3")), "uut"},
    // both without the run, for a caller under row-level security or who
    // may not read project_runs (the pipeline version is then unused);
    // run_holding_key reads it as the ledger's owner
    {Statement::generate_input_version_alone, GENERATE_INPUT_VERSION("", ""), "uuit"},
    {Statement::generate_latest_input_alone, GENERATE_LATEST_INPUT("", ""), "uut"},
    {Statement::run_holding_key,
     "SELECT y.* FROM {s}.project_runs y WHERE y.idempotency_key OPERATOR(pg_catalog.=) $1 "
     "ORDER BY y.attempt DESC LIMIT 1",
     "t"},
    {Statement::start_generated_run,
     "UPDATE {s}.project_runs AS r SET status = 'running' "
     "WHERE r.id OPERATOR(pg_catalog.=) $1 AND r.status OPERATOR(pg_catalog.=) 'queued' "
     "RETURNING 1",
     "u"},
    // generate's last write: the pipeline's metrics merged over any that a
    // registered step added to its run (merging into '{}' gives $3 as it is)
    {Statement::succeed_generated_run,
     "UPDATE {s}.project_runs AS r SET status = 'succeeded', output = $2, "
     "metrics = {s}.project_runs_merge_metrics(r.metrics, $3) "
     "WHERE r.id OPERATOR(pg_catalog.=) $1 AND r.status OPERATOR(pg_catalog.=) 'running' "
     "RETURNING r.*",
     "ujj"},
    // the SQL functions registered for a pipeline version
    {Statement::pipeline_steps,
     "SELECT s.step::pg_catalog.text, s.function::pg_catalog.oid "
     "FROM {s}.project_runs_pipeline_steps s "
     "WHERE s.pipeline_version OPERATOR(pg_catalog.=) $1",
     "t"},
    // the dashboard's projects, in order: id and name as jsonb (read as the
    // caller); a row without an id is no project anything can refer to
    {Statement::dashboard_all_projects,
     "SELECT p.id::pg_catalog.uuid, pg_catalog.to_jsonb(p.name) FROM {projects} p "
     "WHERE p.id IS NOT NULL ORDER BY " DASHBOARD_ORDER,
     ""},
    {Statement::dashboard_user_projects,
     "SELECT p.id::pg_catalog.uuid, pg_catalog.to_jsonb(p.name) FROM {projects} p "
     "WHERE p.user_id OPERATOR(pg_catalog.=) $1 AND p.id IS NOT NULL ORDER BY " DASHBOARD_ORDER,
     "u"},
    // the last run of each of those projects, one row per project with its
    // position n in the array, null columns for a project without runs
    // (read in a LedgerOwnerScope, when read_last_runs cannot answer from
    // the index alone); Call::ok_dashboard turns the rows into JSON
    {Statement::dashboard_last_runs,
     "SELECT p.n, l.id, l.status, l.created_at, l.started_at, l.finished_at "
     "FROM pg_catalog.unnest($1) WITH ORDINALITY AS p(id, n) LEFT JOIN LATERAL ("
     "SELECT r.id, r.status, r.created_at, r.started_at, r.finished_at "
     "FROM {s}.project_runs r WHERE r.project_id OPERATOR(pg_catalog.=) p.id "
     "ORDER BY r.created_at DESC, r.id DESC LIMIT 1) l ON true",
     "U"},
    // attempt 1 of a key nobody holds, for a visible project
    // ($5: the caller's user id under row-level security, else null)
    {Statement::create_fresh,
     "INSERT INTO {s}.project_runs AS r "
     "(project_id, input_version, pipeline_version, idempotency_key, attempt) "
     "SELECT $1, $2, $3, $4, 1 WHERE EXISTS (SELECT 1 FROM {projects} p "
     "WHERE p.id OPERATOR(pg_catalog.=) $1 "
     "AND ($5 IS NULL OR p.user_id OPERATOR(pg_catalog.=) $5)) "
     "ON CONFLICT DO NOTHING RETURNING r.*",
     "uittu"},
    {Statement::owned_project_ids,
     "SELECT COALESCE(pg_catalog.array_agg(p.id::pg_catalog.uuid), '{}'::pg_catalog.uuid[]) "
     "FROM {projects} p "
     "WHERE p.user_id OPERATOR(pg_catalog.=) $1 AND p.id IS NOT NULL",
     "u"},
};
static_assert(sizeof statement_texts / sizeof statement_texts[0] ==
                  static_cast<size_t>(Statement::count),
              "every statement needs its SQL");

struct PlanSlot {
    SPIPlanPtr plan = nullptr;
    unsigned generation = 0;
    unsigned inputs_epoch = 0;
};
PlanSlot g_plans[static_cast<int>(Statement::count)];

// Plans made while project_runs was nearly empty (or while ANALYZE said it
// was) scan it sequentially. PostgreSQL plans them again only when ANALYZE
// changes the table's statistics, which a long transaction never sees: a
// loop of thousands of generate calls on a new table would read the whole
// table on every call. So every plan_check_interval plan lookups, the
// table's size is compared with its size at the last check that mattered;
// when a table of fewer than plan_check_blocks blocks has grown fourfold,
// its relcache entry is invalidated (as ANALYZE does), and the cached plans
// that use it are made again at the current size on their next use.
constexpr unsigned plan_check_interval = 256;
constexpr BlockNumber plan_check_blocks = 1024;
unsigned g_plan_lookups = 0;
Oid g_runs_relid = InvalidOid;                   // the table g_runs_blocks measured
BlockNumber g_runs_blocks = InvalidBlockNumber;  // unknown yet

void replan_when_outgrown(const Catalog& c) {
    if (!OidIsValid(c.runs_relid) || RecoveryInProgress()) return;
    if (c.runs_relid != g_runs_relid) {  // a new session, or the extension made anew
        g_runs_relid = c.runs_relid;
        g_runs_blocks = InvalidBlockNumber;
    }
    if (g_runs_blocks != InvalidBlockNumber && g_runs_blocks >= plan_check_blocks) return;
    guard([&] {
        Relation rel = table_open(c.runs_relid, AccessShareLock);
        BlockNumber blocks = RelationGetNumberOfBlocks(rel);
        table_close(rel, AccessShareLock);
        if (g_runs_blocks == InvalidBlockNumber) {
            g_runs_blocks = blocks;
        } else if (blocks >= 16 && blocks >= 4 * g_runs_blocks) {
            CacheInvalidateRelcacheByRelid(c.runs_relid);
            g_runs_blocks = blocks;
        }
    });
}

// A run of NeededColumns (an array, or none).
struct Columns {
    const NeededColumn* first = nullptr;
    size_t count = 0;
    Columns() = default;
    template <size_t N>
    Columns(const NeededColumn (&columns)[N]) : first(columns), count(N) {}
};

// The first of the columns that the table lacks, or holds in a type the
// statements cannot read, as a problem; nothing when all of them fit.
std::optional<AppTableProblem> columns_problem(Oid relid, const std::string& table,
                                               Columns columns) {
    for (size_t i = 0; i < columns.count; i++) {
        const NeededColumn& column = columns.first[i];
        Oid type = InvalidOid;
        const char* type_text = nullptr;  // palloc'd; null: no such column
        guard([&] {
            AttrNumber attnum = get_attnum(relid, column.name);
            if (attnum == InvalidAttrNumber) return;
            type = getBaseType(get_atttype(relid, attnum));
            type_text = format_type_be(type);
        });
        if (type_text == nullptr) {
            if (column.optional) continue;
            return AppTableProblem{table, column.name,
                                   "table " + table + " has no column " + column.name};
        }
        if (column.type_name == nullptr) continue;
        bool fits = false;
        for (Oid accepted : column.types) fits = fits || (OidIsValid(accepted) && accepted == type);
        if (!fits)
            return AppTableProblem{table, column.name,
                                   "column " + std::string(column.name) + " of table " + table +
                                       " is " + std::string(type_text) + ", not " +
                                       column.type_name};
    }
    return std::nullopt;
}

// A problem when relid is not something the statements can read rows of
// (an index, a sequence, a composite type), else nothing.
std::optional<AppTableProblem> relation_problem(Oid relid, const std::string& table) {
    char kind = guard([&] { return get_rel_relkind(relid); });
    switch (kind) {
        case RELKIND_RELATION:
        case RELKIND_PARTITIONED_TABLE:
        case RELKIND_VIEW:
        case RELKIND_MATVIEW:
        case RELKIND_FOREIGN_TABLE:
            return std::nullopt;
    }
    return AppTableProblem{table, "", table + " is not a table or view"};
}

// Brings check up to date for the application table relid: problem[0] for
// what every use reads (own), problem[1] for what one use adds (extra).
// Valid first: an invalidation met while reading makes it false again.
void check_table(TableCheck& check, Oid relid, const std::string& table, unsigned generation,
                 Columns own, Columns extra) {
    if (check.valid && check.relid == relid && check.generation == generation) return;
    check.relid = relid;
    check.generation = generation;
    check.valid = true;
    try {
        check.problem[0] = relation_problem(relid, table);
        if (!check.problem[0]) check.problem[0] = columns_problem(relid, table, own);
        check.problem[1] = columns_problem(relid, table, extra);
        check.has_created_at =
            guard([&] { return get_attnum(relid, "created_at") != InvalidAttrNumber; });
    } catch (...) {
        check.valid = false;
        throw;
    }
}

// Brings g_inputs up to date where the inputs table changed or the catalog
// was reloaded: ", x.created_at DESC NULLS LAST" when the table has the
// contract's created_at column, else nothing. Of several rows of one
// version the newest is the input; a table without the column still works
// (its rows of one version are then taken in no set order).
void refresh_inputs_shape(const Catalog& c) {
    if (!g_inputs_check.valid || g_inputs_check.generation != c.generation) {
        Oid relid = inputs_relid();
        if (OidIsValid(relid))
            check_table(g_inputs_check, relid, c.inputs_sql, c.generation, input_columns, {});
    }
    // the check may also have been brought up to date by app_tables_problem
    const char* order = g_inputs_check.valid && g_inputs_check.has_created_at
                            ? ", x.created_at DESC NULLS LAST"
                            : "";
    if (g_inputs.order != order) {
        g_inputs.order = order;
        g_inputs.epoch++;
    }
}

AppTableProblem missing_table(const std::string& table) {
    return AppTableProblem{table, "", "table " + table + " does not exist"};
}

// Replaces {s}, {projects}, {inputs} and {inputs_newest} in a statement's text.
std::string expand(const char* text, const Catalog& c) {
    std::string out;
    for (const char* p = text; *p != '\0';) {
        if (strncmp(p, "{inputs_newest}", 15) == 0) {
            out += g_inputs.order;
            p += 15;
        } else if (strncmp(p, "{s}", 3) == 0) {
            out += c.schema;
            p += 3;
        } else if (strncmp(p, "{projects}", 10) == 0) {
            out += c.projects_sql;
            p += 10;
        } else if (strncmp(p, "{inputs}", 8) == 0) {
            out += c.inputs_sql;
            p += 8;
        } else {
            out += *p++;
        }
    }
    return out;
}

// The type OID of a statement parameter code.
Oid parameter_type(char code, const Catalog& c) {
    switch (code) {
        case 'u': return UUIDOID;
        case 'U': return UUIDARRAYOID;
        case 'i': return INT4OID;
        case 't': return TEXTOID;
        case 'j': return JSONBOID;
        case 'T': return TIMESTAMPTZOID;
        case 'S': return c.status_type;
    }
    (void)c;
    throw std::logic_error("unknown statement parameter type");
}

}  // namespace

const Catalog& catalog() {
    if (g_catalog_valid) return g_catalog;
    // Read through an SPI connection of its own: an invalidation (ANALYZE,
    // a settings change, a grant) may be processed in the middle of a
    // statement that runs in the caller's connection, say in a trigger
    // fired by it that reads a TOASTed value, and a query run in that
    // connection would free the memory of the statement still running.
    guard([] {
        if (SPI_connect() != SPI_OK_CONNECT) elog(ERROR, "SPI_connect failed");
    });
    try {
        load_catalog();
    } catch (...) {
        guard([] { SPI_finish(); });
        throw;
    }
    guard([] { SPI_finish(); });
    return g_catalog;
}

bool catalog_is_loaded() { return g_catalog_valid; }

unsigned pipeline_steps_epoch() { return g_steps_epoch; }

Oid projects_relid() {
    const Catalog& c = catalog();
    return lookup_table(c.projects_schema, c.projects_name);
}

Oid inputs_relid() {
    const Catalog& c = catalog();
    return lookup_table(c.inputs_schema, c.inputs_name);
}

std::optional<AppTableProblem> app_tables_problem(AppUse use) {
    const Catalog& c = catalog();
    Oid projects = projects_relid();
    if (!OidIsValid(projects)) return missing_table(c.projects_sql);
    check_table(g_projects_check, projects, c.projects_sql, c.generation, project_columns,
                dashboard_columns);
    if (g_projects_check.problem[0]) return g_projects_check.problem[0];
    if (use == AppUse::dashboard) return g_projects_check.problem[1];
    if (use != AppUse::generate) return std::nullopt;
    Oid inputs = inputs_relid();
    if (!OidIsValid(inputs)) return missing_table(c.inputs_sql);
    check_table(g_inputs_check, inputs, c.inputs_sql, c.generation, input_columns, {});
    return g_inputs_check.problem[0];
}

void require_step_function(Oid function) {
    if (!SearchSysCacheExists1(PROCOID, ObjectIdGetDatum(function)))
        ereport(ERROR, (errcode(ERRCODE_UNDEFINED_FUNCTION),
                        errmsg("step function %u does not exist", function),
                        errhint("It was dropped after it was registered: register the step "
                                "again, or delete its row.")));
    Oid* args;
    int nargs;
    Oid result = get_func_signature(function, &args, &nargs);
    if (nargs != 3 || args[0] != UUIDOID || args[1] != JSONBOID || args[2] != JSONBOID ||
        result != JSONBOID || get_func_retset(function) ||
        get_func_prokind(function) != PROKIND_FUNCTION)  // not an aggregate, say
        ereport(ERROR,
                (errcode(ERRCODE_INVALID_FUNCTION_DEFINITION),
                 errmsg("step function %s has the wrong signature", format_procedure(function)),
                 errhint("A step is a function (run_id uuid, input jsonb, context jsonb) "
                         "returns jsonb.")));
}

RunStatus status_from_oid(Oid label) {
    for (int i = 0; i < 4; i++)
        if (g_catalog.status_label_oids[i] == label) return static_cast<RunStatus>(i);
    // a label added to the type by its owner
    throw Violation(ERRCODE_DATATYPE_MISMATCH,
                    "a run's status is none of queued, running, succeeded, failed",
                    "",
                    "The ledger knows these four statuses only: reinstall the extension "
                    "(after a dump) to have them back.");
}

Oid status_to_oid(RunStatus status) {
    return g_catalog.status_label_oids[static_cast<int>(status)];
}

SPIPlanPtr plan(Statement statement) {
    const Catalog& c = catalog();
    if (++g_plan_lookups % plan_check_interval == 1) replan_when_outgrown(c);
    refresh_inputs_shape(c);
    PlanSlot& slot = g_plans[static_cast<int>(statement)];
    if (slot.plan != nullptr && slot.generation == c.generation &&
        slot.inputs_epoch == g_inputs.epoch)
        return slot.plan;
    const StatementText& text = statement_texts[static_cast<int>(statement)];
    if (text.id != statement) throw std::logic_error("statement table out of order");
    std::string sql = expand(text.sql, c);
    Oid types[8];
    int nargs = 0;
    for (const char* t = text.types; *t != '\0'; t++) types[nargs++] = parameter_type(*t, c);
    SPIPlanPtr old = slot.plan;
    slot.plan = nullptr;
    SPIPlanPtr prepared = guard([&] {
        if (old != nullptr) SPI_freeplan(old);
        SPIPlanPtr p = SPI_prepare(sql.c_str(), nargs, types);
        if (p == nullptr)
            elog(ERROR, "could not prepare \"%s\": %s", sql.c_str(),
                 SPI_result_code_string(SPI_result));
        SPI_keepplan(p);
        return p;
    });
    slot.plan = prepared;
    slot.generation = c.generation;
    slot.inputs_epoch = g_inputs.epoch;
    return prepared;
}

pg_uuid_t new_run_uuid() {
    static Uuid7Generator generator;
    UuidBytes random{};
    if (!pg_strong_random(random.data(), random.size()))
        throw std::runtime_error("could not generate random bytes for a run id");
    TimestampTz now = GetCurrentTimestamp();
    const int64 unix_epoch_offset_ms =
        static_cast<int64>(POSTGRES_EPOCH_JDATE - UNIX_EPOCH_JDATE) * SECS_PER_DAY * 1000;
    std::uint64_t unix_ms = static_cast<std::uint64_t>(now / 1000 + unix_epoch_offset_ms);
    UuidBytes bytes = generator.next(unix_ms, random);
    pg_uuid_t uuid;
    memcpy(uuid.data, bytes.data(), UUID_LEN);
    return uuid;
}

namespace {

// True when the current user bypasses row-level security on rel.
bool bypasses_rls(Oid relid) {
    return guard([&] {
        Oid user = GetUserId();
        return superuser_arg(user) || has_bypassrls_privilege(user) ||
               pg_class_ownercheck(relid, user);
    });
}

}  // namespace

bool is_restore_session(Oid relid) { return !row_security && bypasses_rls(relid); }

bool is_replication_apply(Oid relid) { return IsLogicalWorker() && bypasses_rls(relid); }

SessionFlags& session_flags() { return g_flags; }

namespace {

// True when the quick parse of the claims may read them otherwise than
// jsonb does: a number with an exponent or a long run of digits (numeric
// refuses some), an escape jsonb refuses (\u0000, a surrogate, both of a
// valid pair included) or converts to the database's encoding (beyond ASCII
// where that is not UTF-8). Errs towards true: jsonb then reads them.
bool claims_need_jsonb(std::string_view claims) {
    bool utf8 = GetDatabaseEncoding() == PG_UTF8;
    bool in_string = false;
    std::size_t digits = 0;
    for (std::size_t i = 0; i < claims.size(); i++) {
        char c = claims[i];
        if (in_string) {
            if (c == '"') {
                in_string = false;
            } else if (c == '\\' && i + 1 < claims.size()) {
                if (claims[i + 1] != 'u' || i + 5 >= claims.size()) {
                    i++;  // the escaped character
                    continue;
                }
                unsigned long code =
                    std::strtoul(std::string(claims.substr(i + 2, 4)).c_str(), nullptr, 16);
                if (code == 0 || (code >= 0xD800 && code <= 0xDFFF) || (!utf8 && code > 0x7F))
                    return true;
                i += 5;  // u and its four hex digits
            }
            continue;
        }
        if (c == '"') {
            in_string = true;
            digits = 0;
            continue;
        }
        // outside strings, an e after a digit or a point is a number's exponent
        if ((c == 'e' || c == 'E') && i > 0 &&
            (std::isdigit(static_cast<unsigned char>(claims[i - 1])) || claims[i - 1] == '.'))
            return true;
        digits = std::isdigit(static_cast<unsigned char>(c)) ? digits + 1 : 0;
        if (digits > 1000) return true;
    }
    return false;
}

// The text of claims ->> 'sub' as jsonb reads it (palloc'd), or nullptr for
// SQL NULL. Raises what jsonb_in raises. Plain C calls only: it runs inside
// PG_TRY.
char* sub_of_jsonb_text(const char* claims) {
    Jsonb* jb = DatumGetJsonbP(DirectFunctionCall1(jsonb_in, CStringGetDatum(claims)));
    if (!JB_ROOT_IS_OBJECT(jb)) return nullptr;
    JsonbValue* value = getKeyJsonValueFromContainer(&jb->root, "sub", 3, nullptr);
    if (value == nullptr) return nullptr;
    switch (value->type) {
        case jbvString: return pnstrdup(value->val.string.val, value->val.string.len);
        case jbvNumeric:
            return DatumGetCString(
                DirectFunctionCall1(numeric_out, NumericGetDatum(value->val.numeric)));
        case jbvNull: return nullptr;
        default: return pstrdup("{}");  // a boolean, object or array: never a uuid
    }
}

// claims ->> 'sub' read by PostgreSQL's own jsonb input, for the claims the
// quick parse cannot vouch for. Claims jsonb refuses (bad syntax, numbers
// out of range, too deep, escapes the database's encoding cannot hold) are
// no user, where auth.uid() would raise; they are read in a subtransaction,
// and an error that says nothing of the claims (out of memory, a cancel, a
// system or internal error) is raised. Where no subtransaction can start (a
// parallel query), jsonb's error is raised as auth.uid() raises it.
std::optional<std::string> sub_by_jsonb(const std::string& claims) {
    const char* text = claims.c_str();
    char* sub;
    if (guard([] { return IsInParallelMode(); })) {
        sub = guard([&] { return sub_of_jsonb_text(text); });
    } else {
        char* volatile read = nullptr;
        ErrorData* error = in_subtransaction([&] { read = sub_of_jsonb_text(text); });
        if (error != nullptr) {
            int category = ERRCODE_TO_CATEGORY(error->sqlerrcode);
            if (category == ERRCODE_INSUFFICIENT_RESOURCES ||
                category == ERRCODE_OPERATOR_INTERVENTION || category == ERRCODE_SYSTEM_ERROR ||
                category == ERRCODE_INTERNAL_ERROR)
                throw Error(error);
            guard([&] { FreeErrorData(error); });
            return std::nullopt;
        }
        sub = read;
    }
    if (sub == nullptr) return std::nullopt;
    std::string out(sub);
    guard([&] { pfree(sub); });
    return out;
}

}  // namespace

std::optional<pg_uuid_t> jwt_user_id() {
    std::string sub;
    bool found = guard([&] {
        const char* claim = GetConfigOption("request.jwt.claim.sub", true, false);
        if (claim != nullptr && claim[0] != '\0') {
            sub = claim;
            return true;
        }
        return false;
    });
    if (!found) {
        std::string claims;
        guard([&] {
            const char* text = GetConfigOption("request.jwt.claims", true, false);
            if (text != nullptr) claims = text;
        });
        if (claims.empty()) return std::nullopt;
        // claims ->> 'sub' as jsonb reads it: keys and the value with their
        // escapes decoded, the last of duplicate keys in the text winning
        // (however each is spelled); jsonb itself reads what the quick
        // parse cannot vouch for, or refuses, or a number (numeric's text)
        json::Value doc;
        bool parsed = !claims_need_jsonb(claims);
        if (parsed) {
            try {
                doc = json::parse(claims, json::max_depth, json::RepeatedKeys::keep);
            } catch (const json::ParseError&) {
                parsed = false;
            }
        }
        const json::Value* value = nullptr;
        if (parsed && doc.kind == json::Kind::object)
            for (const auto& [key, member] : doc.members)
                if (key == "\"sub\"" ||
                    (key.find('\\') != std::string::npos && json::unquote(key) == "sub"))
                    value = &member;
        if (!parsed || (value != nullptr && value->kind == json::Kind::number)) {
            std::optional<std::string> read = sub_by_jsonb(claims);
            if (!read) return std::nullopt;
            sub = std::move(*read);
        } else {
            if (value == nullptr || value->kind != json::Kind::string) return std::nullopt;
            std::optional<std::string> text = json::unquote(value->text);
            if (!text) return std::nullopt;
            sub = std::move(*text);
        }
    }
    // ::uuid as auth.uid() casts it; what that cast refuses is no user
    std::optional<UuidBytes> bytes = parse_uuid_input(sub);
    if (!bytes) return std::nullopt;
    pg_uuid_t uuid;
    memcpy(uuid.data, bytes->data(), UUID_LEN);
    return uuid;
}

CallerScope caller_scope() {
    Oid runs = catalog().runs_relid;
    int rls = guard([&] { return check_enable_rls(runs, InvalidOid, true); });
    CallerScope scope;
    if (rls != RLS_ENABLED) {
        scope.kind = Scope::all;
        return scope;
    }
    if (std::optional<pg_uuid_t> user = jwt_user_id()) {
        scope.kind = Scope::user;
        scope.user = *user;
    }
    return scope;
}

LedgerOwnerScope::LedgerOwnerScope() {
    Oid owner = catalog().runs_owner;
    GetUserIdAndSecContext(&saved_user_, &saved_context_);
    SetUserIdAndSecContext(owner, owner_context(saved_context_));
    try {
        maybe_inject_fault(FaultSite::owner_scope);
    } catch (...) {
        SetUserIdAndSecContext(saved_user_, saved_context_);
        throw;
    }
}

LedgerOwnerScope::~LedgerOwnerScope() { SetUserIdAndSecContext(saved_user_, saved_context_); }

void register_callbacks() {
    CacheRegisterRelcacheCallback(on_relcache_change, (Datum)0);
    CacheRegisterSyscacheCallback(ENUMOID, on_enum_change, (Datum)0);
    RegisterXactCallback(on_xact_event, nullptr);
}

}  // namespace project_runs::pg
