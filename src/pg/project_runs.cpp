// Module entry: the magic block, _PG_init, and the small SQL-callable
// functions that do not touch the tables.
#include <stdexcept>
#include <string>

#include "core/error_codes.hpp"
#include "core/json.hpp"
#include "pg/config.hpp"
#include "pg/fault.hpp"
#include "pg/guard.hpp"
#include "pg/last_runs.hpp"
#include "pg/result.hpp"

extern "C" {
#include "utils/array.h"
#include "utils/guc.h"

PG_MODULE_MAGIC;

void _PG_init(void);
}

using namespace project_runs;
using namespace project_runs::pg;

namespace {

int g_fault = 0;
const struct config_enum_entry fault_options[] = {
    {"off", 0, false},
    {"function_cpp_exception", 1, false},
    {"function_pg_error", 2, false},
    {"trigger_cpp_exception", 3, false},
    {"trigger_pg_error", 4, false},
    {"owner_scope_cpp_exception", 5, false},
    {"owner_scope_pg_error", 6, false},
    {"output_cpp_exception", 7, false},
    {"output_pg_error", 8, false},
    {"index_read_cpp_exception", 9, false},
    {"index_read_pg_error", 10, false},
    {nullptr, 0, false}};
int g_live_sentinels = 0;

// An object with a destructor, alive in the frame that faults.
struct FaultSentinel {
    FaultSentinel() { g_live_sentinels++; }
    ~FaultSentinel() { g_live_sentinels--; }
};

}  // namespace

namespace project_runs::pg {

bool fault_is_set(FaultSite site) {
    if (g_fault == 0) return false;
    FaultSite target = g_fault <= 2   ? FaultSite::function
                       : g_fault <= 4 ? FaultSite::trigger
                       : g_fault <= 6 ? FaultSite::owner_scope
                       : g_fault <= 8 ? FaultSite::output
                                      : FaultSite::index_read;
    return site == target;
}

void maybe_inject_fault(FaultSite site) {
    if (!fault_is_set(site)) return;
    FaultSentinel sentinel;
    std::string where = site == FaultSite::function      ? "function"
                        : site == FaultSite::trigger     ? "trigger"
                        : site == FaultSite::owner_scope ? "read as the ledger's owner"
                        : site == FaultSite::output      ? "run's output"
                                                         : "read of the ledger's index";
    if (g_fault % 2 == 1)
        throw std::runtime_error("injected C++ exception in a " + where);
    guard([] { DirectFunctionCall2(int4div, Int32GetDatum(1), Int32GetDatum(0)); });
}

int live_fault_sentinels() { return g_live_sentinels; }

void define_fault_setting() {
    DefineCustomEnumVariable(
        "project_runs.fault_injection",
        "Makes every project_runs function or trigger fail on purpose while set (for tests).",
        "*_cpp_exception throw a C++ exception, *_pg_error raise a Postgres division_by_zero "
        "ERROR; owner_scope_* fail while a function reads runs as the ledger's owner, "
        "output_* where project_runs_generate stores a run's output, index_read_* while "
        "project_runs_dashboard reads a leaf page of the ledger's index.",
        &g_fault, 0, fault_options, PGC_SUSET, 0, nullptr, nullptr, nullptr);
}

}  // namespace project_runs::pg

namespace {

// The JSON code's poll (json::set_poll): a pending cancel or termination is
// served here, as a Postgres ERROR carried out of the C++ frames.
void serve_interrupts() {
    if (InterruptPending) guard([] { CHECK_FOR_INTERRUPTS(); });
}

}  // namespace

void _PG_init(void) {
    json::set_poll(serve_interrupts);
    define_fault_setting();
    define_index_read_setting();
    MarkGUCPrefixReserved("project_runs");
    register_callbacks();
}

// The version of the loaded module, to compare with the extension's.
PR_FUNCTION(project_runs_version) {
    return guard([] { return CStringGetTextDatum(PROJECT_RUNS_VERSION); });
}

// HTTP status of an error code: 404, 400, 422, 409 or 500.
PR_FUNCTION(project_runs_http_status) {
    if (PG_ARGISNULL(0)) return Int32GetDatum(500);
    std::string code = text_argument(fcinfo, 0);
    return Int32GetDatum(http_status(code));
}

// The metrics merge of the contract, on two jsonb values (null: the other).
PR_FUNCTION(project_runs_merge_metrics) {
    if (PG_ARGISNULL(1)) {
        if (PG_ARGISNULL(0)) PG_RETURN_NULL();
        return PG_GETARG_DATUM(0);
    }
    if (PG_ARGISNULL(0)) return PG_GETARG_DATUM(1);
    // Merging into an empty object gives the patch; an empty object patch
    // gives the base (the common first and last calls of a run).
    Jsonb* base_jsonb = jsonb_argument(fcinfo, 0);
    Jsonb* patch_jsonb = jsonb_argument(fcinfo, 1);
    if (JB_ROOT_IS_OBJECT(patch_jsonb) && JB_ROOT_COUNT(patch_jsonb) == 0 &&
        JB_ROOT_IS_OBJECT(base_jsonb))
        return PG_GETARG_DATUM(0);
    if (JB_ROOT_IS_OBJECT(base_jsonb) && JB_ROOT_COUNT(base_jsonb) == 0 &&
        JB_ROOT_IS_OBJECT(patch_jsonb))
        return PG_GETARG_DATUM(1);
    Call call(fcinfo);
    json::Value base, patch;
    try {
        base = json::parse(call.jsonb_text(PG_GETARG_DATUM(0)));
        patch = json::parse(call.jsonb_text(PG_GETARG_DATUM(1)));
    } catch (const json::ParseError&) {  // Postgres gave valid JSON: too deep
        throw Violation(ERRCODE_PROGRAM_LIMIT_EXCEEDED,
                        "metrics nest deeper than " + std::to_string(json::max_depth) +
                            " levels: they cannot be merged");
    }
    return call.jsonb_from_text(json::serialize(json::merge_metrics(base, patch)));
}

// Diagnostics for the boundary tests: C++ objects of faulting frames still
// alive (must be 0) and the session flags (must be false between calls).
PR_FUNCTION(project_runs_debug_state) {
    Call call(fcinfo);
    const SessionFlags& flags = session_flags();
    std::string text = "{\"live_fault_sentinels\": " + std::to_string(live_fault_sentinels()) +
                       ", \"purging\": " + (flags.purging ? "true" : "false") +
                       ", \"trusted_insert\": " + (flags.trusted_insert ? "true" : "false") + "}";
    return call.jsonb_from_text(text);
}

// The caller's user id from the JWT claims, or null.
PR_FUNCTION(project_runs_current_user_id) {
    std::optional<pg_uuid_t> user = jwt_user_id();
    if (!user) PG_RETURN_NULL();
    pg_uuid_t* out = static_cast<pg_uuid_t*>(guard([] { return palloc(sizeof(pg_uuid_t)); }));
    *out = *user;
    return UUIDPGetDatum(out);
}

// The ids of the projects owned by the caller's user id, as an array, for
// the row-level security policies (evaluated once per statement).
PR_FUNCTION(project_runs_visible_project_ids) {
    Call call(fcinfo);
    std::optional<pg_uuid_t> user = jwt_user_id();
    if (!user) return call.finish(guard([] {
        return PointerGetDatum(construct_empty_array(UUIDOID));
    }));
    call.connect();
    if (app_tables_problem(AppUse::projects)) return call.finish(guard([] {
        return PointerGetDatum(construct_empty_array(UUIDOID));
    }));
    call.run(Statement::owned_project_ids, {UUIDPGetDatum(&*user)}, nullptr, true, 1);
    return call.finish(call.copy_column(1));
}
