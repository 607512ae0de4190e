// What the extension knows about its own objects at run time: the schema
// it lives in, the application's tables, the column numbers of the runs
// table, the labels of the status enum, and the SPI plans built on them.
#pragma once

#include <optional>
#include <string>

#include "core/run_state.hpp"
#include "pg/postgres.hpp"

namespace project_runs::pg {

// Column numbers of project_runs, in table order.
struct RunColumns {
    AttrNumber id, project_id, input_version, pipeline_version, status, created_at, started_at,
        finished_at, error_code, error_message, error_detail, output, metrics, idempotency_key,
        attempt;
};

// Column numbers of project_run_events.
struct EventColumns {
    AttrNumber run_id, project_id, from_status, to_status, at;
};

struct Catalog {
    Oid schema_oid = InvalidOid;
    std::string schema;          // quoted, ready for SQL text
    Oid runs_relid = InvalidOid;
    Oid runs_owner = InvalidOid;
    // project_runs_project_created_idx, which the dashboard reads directly
    // (InvalidOid when it is missing); dropping or swapping it invalidates
    // the table's relcache entry, and with it this catalog.
    Oid runs_created_index = InvalidOid;
    Oid events_relid = InvalidOid;
    Oid settings_relid = InvalidOid;
    Oid steps_relid = InvalidOid;
    Oid status_type = InvalidOid;
    Oid status_label_oids[4] = {};  // in RunStatus order
    RunColumns runs{};
    EventColumns events{};
    // The application's tables as configured: schema and table names,
    // unquoted, and their quoted qualified form for SQL text.
    std::string projects_schema, projects_name, projects_sql;
    std::string inputs_schema, inputs_name, inputs_sql;
    unsigned generation = 0;  // bumped on every reload; plans follow it
};

// Forgets the ids the insert trigger kept for a restore session's ordinary
// inserts (triggers.cpp); called at the end of every transaction.
void forget_restore_inserts();

// The catalog, loaded on first use and after any change to the settings
// or the extension (through an SPI connection of its own).
const Catalog& catalog();

// True when catalog() will not need to load it.
bool catalog_is_loaded();

// Changes whenever project_runs_pipeline_steps may have changed (its
// statement trigger invalidates the table's relcache entry in every
// session), so that a cache of registered steps knows when to reload.
unsigned pipeline_steps_epoch();

// The OID of the configured projects (or project_inputs) table, or
// InvalidOid when it does not exist right now.
Oid projects_relid();
Oid inputs_relid();

// What a call reads of the application's tables: projects' id and user_id
// (every call that looks a project up), also its name and created_at (the
// dashboard), or also project_inputs' project_id, version, status,
// input_json and, when the table has it, created_at (generate).
enum class AppUse { projects, dashboard, generate };

// Why the application's tables cannot serve such a call: a table missing,
// or a column missing or of a type the statements cannot read (ids uuid,
// version integer or smallint, input_json jsonb, created_at timestamptz,
// timestamp or date; name and status of any type; domains over these
// count as them). The table as configured (quoted), the column (empty
// when the table is missing) and a message naming both.
struct AppTableProblem {
    std::string table;
    std::string column;
    std::string message;
    // What to do about it, in lowercase, without a period.
    const char* hint() const {
        return column.empty() ? "create it, or point project_runs_settings at it"
                              : "add the column, or change its type, as the README's CREATE "
                                "TABLE shows";
    }
};

// The first such problem, or nothing. Kept per table until its relcache
// entry changes. Must be called with SPI connected.
std::optional<AppTableProblem> app_tables_problem(AppUse use);

// Raises (ERROR) unless function exists and is a step function:
// (run_id uuid, input jsonb, context jsonb) returns jsonb, not a set.
// Postgres calls only: call it inside guard().
void require_step_function(Oid function);

// The status held in an enum label OID of project_run_status.
RunStatus status_from_oid(Oid label);
Oid status_to_oid(RunStatus status);

// Named SQL statements, prepared once per backend and catalog generation.
enum class Statement {
    project_exists,
    max_attempt_for_key,
    create_lookup,
    create_insert,
    get_by_key,
    set_running,
    set_succeeded,
    set_failed,
    update_metrics,
    run_status,
    latest,
    list,
    purge_events,
    purge_runs,
    project_owned,
    generate_input_version,
    generate_latest_input,
    generate_input_version_alone,
    generate_latest_input_alone,
    run_holding_key,
    start_generated_run,
    succeed_generated_run,
    pipeline_steps,
    dashboard_all_projects,
    dashboard_user_projects,
    dashboard_last_runs,
    create_fresh,
    owned_project_ids,
    count
};

// The prepared plan of a statement. Its SQL text may use {s} for the
// extension's schema, {projects} and {inputs} for the application's tables.
SPIPlanPtr plan(Statement statement);

// A fresh time-ordered UUID (version 7), monotonic within this backend.
pg_uuid_t new_run_uuid();

// True in a session that restores a dump: row_security is off and the
// current user bypasses row-level security on rel (superuser, BYPASSRLS or
// the table's owner).
bool is_restore_session(Oid relid);

// True in a logical replication worker (a subscription's apply or table
// synchronization) whose role bypasses row-level security on rel: it
// replays rows and changes that the publisher's triggers already checked.
bool is_replication_apply(Oid relid);

// Whose projects the caller sees: row-level security on project_runs
// decides, exactly as it does for the table itself.
enum class Scope { all, user, none };
struct CallerScope {
    Scope kind = Scope::none;
    pg_uuid_t user{};
};
CallerScope caller_scope();

// The caller's user id: the JWT "sub" claim, read as Supabase's auth.uid()
// reads it (request.jwt.claim.sub, else request.jwt.claims ->> 'sub');
// nullopt when it is missing or not a UUID.
std::optional<pg_uuid_t> jwt_user_id();

// Runs the statements of its lifetime as the owner of project_runs, with
// row-level security not forced, the way PostgreSQL's foreign-key checks
// read a referenced table. For reads of runs of a project the function has
// already found visible to the caller (the rule the policies apply), so
// that the policy is not evaluated a second time and the planner sees the
// statement as written. Only the extension's own statements run in it:
// they call built-in functions and fire no trigger.
class LedgerOwnerScope {
public:
    LedgerOwnerScope();
    ~LedgerOwnerScope();
    LedgerOwnerScope(const LedgerOwnerScope&) = delete;
    LedgerOwnerScope& operator=(const LedgerOwnerScope&) = delete;

private:
    Oid saved_user_ = InvalidOid;
    int saved_context_ = 0;
};

// Backend state that the functions and triggers share. Each flag is set
// only around one SPI call and reset on the way out, on error included.
struct SessionFlags {
    bool purging = false;        // project_runs_purge is deleting
    bool trusted_insert = false; // project_runs_create checked project and attempt
    pg_uuid_t trusted_project{};
};
SessionFlags& session_flags();

// Sets a flag for the lifetime of the scope.
class FlagScope {
public:
    explicit FlagScope(bool& flag) : flag_(flag) { flag_ = true; }
    ~FlagScope() { flag_ = false; }
    FlagScope(const FlagScope&) = delete;
    FlagScope& operator=(const FlagScope&) = delete;

private:
    bool& flag_;
};

// Registers the cache and transaction callbacks; called from _PG_init.
void register_callbacks();

}  // namespace project_runs::pg
