// project_runs_generate: the idempotent, step-aware orchestrator, and
// project_runs_dashboard. The whole run happens in the caller's
// transaction: queued -> running -> steps -> succeeded or failed.
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "core/error_codes.hpp"
#include "core/idempotency.hpp"
#include "core/json.hpp"
#include "core/pipeline.hpp"
#include "core/uuid7.hpp"
#include "pg/config.hpp"
#include "pg/fault.hpp"
#include "pg/guard.hpp"
#include "pg/last_runs.hpp"
#include "pg/result.hpp"
#include "pg/runs.hpp"

extern "C" {
#include "utils/acl.h"
#include "utils/resowner.h"
}

using namespace project_runs;
using namespace project_runs::pg;
using pipeline::StepRecord;
using pipeline::StepStatus;

namespace {

// Unix microseconds now.
std::int64_t unix_now_us() {
    TimestampTz now = GetCurrentTimestamp();
    return now + static_cast<std::int64_t>(POSTGRES_EPOCH_JDATE - UNIX_EPOCH_JDATE) *
                     SECS_PER_DAY * USECS_PER_SEC;
}

// What a failed step leaves behind.
struct StepFailure {
    ErrorCode code = ErrorCode::step_failed;
    std::string sqlstate;
    std::string message;
};

// The largest output a run keeps, as jsonb: the call's result nests it in
// an object of its own, which jsonb allows up to 256 MB (less 1 byte).
constexpr std::size_t max_output_bytes = std::size_t{255} << 20;

// The most of a step's error message a run keeps (in error_message,
// error_detail and its metrics): a step may raise with any text.
constexpr std::size_t max_step_message_bytes = 2000;

// Runs f in a subtransaction (pg::in_subtransaction). A Postgres ERROR or
// C++ exception inside rolls it back and is returned as a failure (a
// Violation with its own SQLSTATE, any other C++ exception as XX000); the
// caller's transaction goes on.
template <typename F>
std::optional<StepFailure> step_in_subtransaction(F&& f) {
    try {
        ErrorData* pg_error = in_subtransaction(std::forward<F>(f));
        if (pg_error == nullptr) return std::nullopt;
        StepFailure failure;
        failure.sqlstate = unpack_sql_state(pg_error->sqlerrcode);
        failure.message =
            clipped_text(pg_error->message != nullptr ? pg_error->message : "error",
                         max_step_message_bytes);
        guard([&] { FreeErrorData(pg_error); });
        return failure;
    } catch (const pg::Error& e) {
        StepFailure failure;
        failure.sqlstate = unpack_sql_state(e.sqlerrcode());
        failure.message = clipped_text(e.what(), max_step_message_bytes);
        return failure;
    } catch (const Violation& e) {
        return StepFailure{ErrorCode::step_failed, unpack_sql_state(e.sqlstate()),
                           clipped_text(e.what(), max_step_message_bytes)};
    } catch (const std::exception& e) {
        return StepFailure{ErrorCode::step_failed, "XX000",
                           clipped_text(e.what(), max_step_message_bytes)};
    }
}

// A pipeline step as the run executes it: built in, or a SQL function the
// database owner registered for this pipeline version.
struct Step {
    std::string name;
    Oid function = InvalidOid;
};

// The steps of a pipeline version, with any registered functions. Read
// once per session and pipeline version, again after the registry changes.
std::vector<Step> load_steps(Call& call, const std::string& pipeline_version) {
    struct Cached {
        unsigned epoch = 0;
        std::vector<Step> steps;
    };
    static std::unordered_map<std::string, Cached> cache;
    unsigned epoch = pipeline_steps_epoch();
    auto found = cache.find(pipeline_version);
    if (found != cache.end() && found->second.epoch == epoch) return found->second.steps;
    if (cache.size() > 1000) cache.clear();  // bounded: many versions, one session

    std::vector<Step> steps;
    for (std::string_view name : pipeline::step_names) steps.push_back(Step{std::string(name)});
    if (OidIsValid(catalog().steps_relid)) {
        // read with the ledger owner's rights, as the settings are: the
        // cache serves every caller of this backend
        uint64 rows;
        {
            LedgerOwnerScope owner;
            rows = call.run(Statement::pipeline_steps, {text_datum(pipeline_version)}, nullptr,
                            true);
        }
        for (uint64 i = 0; i < rows; i++) {
            bool name_null, function_null;
            Datum name_datum = call.value(i, 1, &name_null);
            Datum function_datum = call.value(i, 2, &function_null);
            // a row of nulls (the table's constraints dropped) registers nothing
            if (name_null || function_null) continue;
            std::string name = text_string(name_datum);
            Oid function = DatumGetObjectId(function_datum);
            for (Step& step : steps)
                if (step.name == name) step.function = function;
        }
    }
    // Reading the registry may itself have processed an invalidation.
    if (epoch == pipeline_steps_epoch()) cache[pipeline_version] = Cached{epoch, steps};
    return steps;
}

// Calls a registered step function(run_id, input, context) and returns the
// JSON text of its result. The registry's trigger checked the function
// when it was registered; it is checked again here, where a function of
// another shape would be called with arguments it does not take: the
// trigger may have been disabled, or the function dropped since.
std::string call_registered_step(const Call& call, Oid function, Datum run_id, Datum input,
                                 Datum context) {
    Datum result = 0;
    bool is_null = false;
    guard([&] {
        require_step_function(function);
        AclResult acl = pg_proc_aclcheck(function, GetUserId(), ACL_EXECUTE);
        if (acl != ACLCHECK_OK) aclcheck_error(acl, OBJECT_FUNCTION, get_func_name(function));
        LOCAL_FCINFO(fcinfo, 3);
        FmgrInfo flinfo;
        fmgr_info(function, &flinfo);
        InitFunctionCallInfoData(*fcinfo, &flinfo, 3, InvalidOid, nullptr, nullptr);
        fcinfo->args[0].value = run_id;
        fcinfo->args[0].isnull = false;
        fcinfo->args[1].value = input;
        fcinfo->args[1].isnull = false;
        fcinfo->args[2].value = context;
        fcinfo->args[2].isnull = false;
        result = FunctionCallInvoke(fcinfo);
        is_null = fcinfo->isnull;
    });
    return is_null ? std::string("null") : call.jsonb_text(result);
}

// A registered step may add metrics to its run (project_runs_update_metrics)
// but not move it on: only the orchestrator finishes the runs it executes.
// Raises, inside the step's subtransaction, when the run is no longer
// running, so that the step fails and its writes, the transition among
// them, are rolled back.
void require_still_running(Call& call, const pg_uuid_t& run_id) {
    Datum id = UUIDPGetDatum(const_cast<pg_uuid_t*>(&run_id));
    RunStatus current;
    {
        LedgerOwnerScope owner;
        if (call.run(Statement::run_status, {id}, nullptr, false, 1) != 1)
            throw std::runtime_error("the running run is gone");
        bool is_null;
        current = status_from_oid(DatumGetObjectId(call.value(0, 1, &is_null)));
    }
    if (current != RunStatus::running)
        throw Violation(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE,
                        "the step moved run " + uuid_text(run_id) + " to " +
                            std::string(status_label(current)) +
                            "; only project_runs_generate finishes the runs it executes");
}

// The resolved input of a run.
struct Input {
    int32 version = 0;
    std::string json;  // input_json as JSON text
    Datum datum = 0;   // input_json as jsonb
    bool is_null = true;
};

// The id of the run in a jsonb run object.
pg_uuid_t run_id_of(Datum run) {
    std::string text = guard([&] {
        Jsonb* j = DatumGetJsonbP(run);
        JsonbValue key;
        key.type = jbvString;
        key.val.string.val = const_cast<char*>("id");
        key.val.string.len = 2;
        JsonbValue* v = findJsonbValueFromContainer(&j->root, JB_FOBJECT, &key);
        if (v == nullptr || v->type != jbvString) elog(ERROR, "run without id");
        return std::string(v->val.string.val, v->val.string.len);
    });
    std::optional<UuidBytes> bytes = parse_uuid(text);
    if (!bytes) throw std::runtime_error("run id is not a UUID");
    pg_uuid_t id;
    memcpy(id.data, bytes->data(), UUID_LEN);
    return id;
}

// Moves a queued or running run to failed; the run is then the first row
// of the last statement's result.
void record_failure(Call& call, const pg_uuid_t& run_id, ErrorCode code,
                    const std::string& message, const std::string& detail,
                    const std::string& metrics) {
    Datum id = UUIDPGetDatum(const_cast<pg_uuid_t*>(&run_id));
    LedgerOwnerScope owner;
    if (call.run(Statement::set_failed,
                 {id, text_datum(std::string(error_code_name(code))), text_datum(message),
                  call.jsonb_from_text(detail), call.jsonb_from_text(metrics)}) != 1)
        throw std::runtime_error("the run could not be marked failed");
}

// Creates a run that failed before an input was resolved (NO_INPUTS,
// INPUT_NOT_FOUND): queued -> failed, no key, no input version.
Datum fail_without_input(Call& call, const pg_uuid_t& project_id,
                         const std::string& pipeline_version, ErrorCode code,
                         const std::string& message, const std::string& detail) {
    RunRequest request;
    request.project_id = project_id;
    request.pipeline_version = pipeline_version;
    KeyedRun created;
    {
        LedgerOwnerScope owner;
        created = create_or_reuse(call, request);
    }
    if (created.outcome != KeyedRun::Outcome::created)
        throw std::runtime_error("could not create the failed run");
    Datum run = created.run;
    pg_uuid_t id = run_id_of(run);
    std::vector<StepRecord> steps = pipeline::pending_steps();
    for (StepRecord& step : steps) step.status = StepStatus::skipped;
    std::string metrics = pipeline::metrics_json(pipeline_version, steps);

    record_failure(call, id, code, message, detail, metrics);
    return call.failed_run(code, message, detail, call.row_jsonb(), true);
}

// Runs the steps of a queued run and finishes it.
Datum execute_run(Call& call, const pg_uuid_t& run_id, const std::string& project_text,
                  const Input& input, const std::string& pipeline_version) {
    Datum id = UUIDPGetDatum(const_cast<pg_uuid_t*>(&run_id));
    std::vector<StepRecord> records = pipeline::pending_steps();
    // Running: the steps' metrics are written with the outcome (nobody
    // sees the run before this transaction commits).
    {
        LedgerOwnerScope owner;
        if (call.run(Statement::start_generated_run, {id}) != 1)
            throw std::runtime_error("the new run was not queued");
    }
    std::vector<Step> steps = load_steps(call, pipeline_version);

    json::Value input_value;
    bool input_parsed = false;
    std::vector<std::pair<std::string, std::string>> outputs;
    std::optional<StepFailure> failure;
    std::string failed_step;
    for (std::size_t i = 0; i < steps.size(); i++) {
        StepRecord& record = records[i];
        if (failure) {
            record.status = StepStatus::skipped;
            continue;
        }
        record.status = StepStatus::running;
        record.started_us = unix_now_us();
        std::string output;
        if (OidIsValid(steps[i].function)) {
            std::string context = "{\"project_id\":" + json::quote(project_text) +
                                  ",\"input_version\":" + std::to_string(input.version) +
                                  ",\"pipeline_version\":" + json::quote(pipeline_version) +
                                  ",\"step\":" + json::quote(steps[i].name) + ",\"previous\":{";
            for (std::size_t k = 0; k < outputs.size(); k++)
                context += (k ? "," : "") + json::quote(outputs[k].first) + ":" + outputs[k].second;
            context += "}}";
            Oid function = steps[i].function;
            // (the context too: the steps' outputs may exceed jsonb's limits)
            failure = step_in_subtransaction([&] {
                Datum context_jsonb = call.jsonb_from_text(context);
                output = call_registered_step(call, function, id, input.datum, context_jsonb);
                require_still_running(call, run_id);
            });
        } else {
            try {
                if (!input_parsed) {
                    // Postgres gave valid JSON: only the nesting limit fails here.
                    try {
                        input_value = json::parse(input.json);
                    } catch (const json::ParseError& e) {
                        throw pipeline::InvalidInputs(std::string("input_json cannot be read: ") +
                                                      e.what());
                    }
                    input_parsed = true;
                }
                json::Value result;
                if (steps[i].name == "validate_inputs") {
                    result = pipeline::validate_inputs(input_value);
                } else if (steps[i].name == "collect_evidence") {
                    result = pipeline::collect_evidence(input_value);
                } else {
                    json::Value evidence;
                    for (const auto& [name, text] : outputs)
                        if (name == "collect_evidence") evidence = json::parse(text);
                    result = pipeline::generate_opportunities(input_value, evidence);
                }
                output = json::serialize(result);
            } catch (const pipeline::InvalidInputs& e) {
                failure = StepFailure{ErrorCode::invalid_inputs, "22023", e.what()};
            } catch (const pg::Error&) {
                throw;  // a Postgres ERROR outside a subtransaction: the transaction is lost
            } catch (const json::ParseError& e) {
                // a registered step's output nested beyond what the built-ins read
                failure = StepFailure{ErrorCode::step_failed, "54000", e.what()};
            } catch (const std::exception& e) {
                failure = StepFailure{ErrorCode::step_failed, "XX000", e.what()};
            }
        }
        record.finished_us = unix_now_us();
        if (failure) {
            record.status = StepStatus::failed;
            failed_step = steps[i].name;
            record.error_json = "{\"sqlstate\":" + json::quote(failure->sqlstate) +
                                ",\"message\":" + json::quote(failure->message) + "}";
        } else {
            record.status = StepStatus::succeeded;
            outputs.emplace_back(steps[i].name, output);
        }
    }

    if (!failure) {
        std::string output = pipeline::output_json(pipeline_version, input.version, outputs);
        // An output that could exceed jsonb's limits (256 MB of elements;
        // jsonb takes at most about 6 bytes per byte of text, so text under
        // 16 MB cannot) is converted in a subtransaction that writes nothing
        // (no XID): if it fails, the last step fails with its SQLSTATE, and
        // the run is recorded as failed.
        Datum output_jsonb = 0;
        if (output.size() < (std::size_t{16} << 20) && !fault_is_set(FaultSite::output)) {
            output_jsonb = call.jsonb_from_text(output);
        } else {
            failure = step_in_subtransaction([&] {
                maybe_inject_fault(FaultSite::output);
                output_jsonb = call.jsonb_from_text(output);
                // the call's result holds the run, output and all, in one
                // more object: leave room for the run's other columns
                if (guard([&] { return VARSIZE_ANY(DatumGetPointer(output_jsonb)); }) >
                    max_output_bytes)
                    throw Violation(ERRCODE_PROGRAM_LIMIT_EXCEEDED,
                                    "the output takes more than " +
                                        std::to_string(max_output_bytes >> 20) +
                                        " MB as jsonb, which leaves no room for the call's "
                                        "result");
            });
        }
        if (!failure) {
            std::string metrics = pipeline::metrics_json(pipeline_version, records);
            LedgerOwnerScope owner;
            if (call.run(Statement::succeed_generated_run,
                         {id, output_jsonb, call.jsonb_from_text(metrics)}) != 1)
                throw std::runtime_error("the running run could not succeed");
            return call.ok_row(1);
        }
        failure->message = "the run's output cannot be stored: " + failure->message;
        failed_step = steps.back().name;
        StepRecord& last = records.back();
        last.status = StepStatus::failed;
        last.error_json = "{\"sqlstate\":" + json::quote(failure->sqlstate) +
                          ",\"message\":" + json::quote(failure->message) + "}";
    }
    std::string metrics = pipeline::metrics_json(pipeline_version, records);
    std::string message = failure->code == ErrorCode::invalid_inputs
                              ? "input " + std::to_string(input.version) + " is not valid: " +
                                    failure->message
                              : "step " + failed_step + " failed: " + failure->message;
    std::string detail = "{\"step\": " + json::quote(failed_step) +
                         ", \"sqlstate\": " + json::quote(failure->sqlstate) +
                         ", \"message\": " + json::quote(failure->message) + "}";
    record_failure(call, run_id, failure->code, message, detail, metrics);
    return call.failed_run(failure->code, message, detail, call.row_jsonb(), true);
}

// True when the first row of the last statement holds, from column
// run_first (0-based) on, a run made with the request's parameters that did
// not fail.
bool existing_run_answers(int run_first, const RunRequest& request) {
    return guard([&] {
        TupleDesc desc = SPI_tuptable->tupdesc;
        HeapTuple row = SPI_tuptable->vals[0];
        auto column = [&](const char* name) {
            for (int i = run_first; i < desc->natts; i++)
                if (strcmp(NameStr(TupleDescAttr(desc, i)->attname), name) == 0) return i + 1;
            elog(ERROR, "run column %s missing", name);
            return 0;
        };
        bool is_null;
        Datum status = heap_getattr(row, column("status"), desc, &is_null);
        if (is_null) return false;  // no run holds the key
        if (status_from_oid(DatumGetObjectId(status)) == RunStatus::failed) return false;
        return row_has_parameters(row, desc, column("project_id"), column("input_version"),
                                  column("pipeline_version"), request);
    });
}

// True when the caller may read project_runs (SELECT on the table).
bool may_read_runs() {
    Oid runs = catalog().runs_relid;
    return guard([&] { return pg_class_aclcheck(runs, GetUserId(), ACL_SELECT) == ACLCHECK_OK; });
}

}  // namespace

PR_FUNCTION(project_runs_generate) {
    Call call(fcinfo);
    if (PG_ARGISNULL(0)) return null_argument(call, "project_id");
    pg_uuid_t project_id = *PG_GETARG_UUID_P(0);
    bool requested = !PG_ARGISNULL(1);
    int32 requested_version = requested ? PG_GETARG_INT32(1) : 0;
    std::string pipeline_version;
    if (auto bad = bounded_text_argument(call, 2, "pipeline_version", max_pipeline_version_bytes,
                                         &pipeline_version))
        return *bad;
    if (requested)
        if (auto bad = bad_input_version(call, requested_version)) return *bad;

    call.connect();
    if (auto problem = app_tables_problem(AppUse::generate)) return config_error(call, *problem);
    // The project, checked as project_visible does, and its input in the
    // same statement: the requested version if it is final, else the
    // newest final one.
    CallerScope scope = caller_scope();
    if (scope.kind == Scope::none) return project_not_found(call, project_id);
    // For a role that bypasses row-level security, that statement also
    // reads the run holding the key. Under the policy, that read would test
    // it again (its list of the user's projects is a query of its own)
    // though the statement has just found the project is the caller's: the
    // statement reads the input alone, and the run holding the key is read
    // as the ledger's owner, like the run's own statements below. A caller
    // who may not read project_runs (Supabase's anon with a user's claims)
    // learns first whether the project is there for it.
    bool runs_readable = may_read_runs();
    if (!runs_readable && !project_visible(call, project_id, scope, false))
        return project_not_found(call, project_id);
    bool holder_with_input = runs_readable && scope.kind == Scope::all;
    std::string project_text = uuid_text(project_id);
    Datum project = UUIDPGetDatum(&project_id);
    Datum user = UUIDPGetDatum(&scope.user);
    Datum pipeline = text_datum(pipeline_version);
    char user_null = scope.kind == Scope::user ? ' ' : 'n';
    Input input;
    bool null;
    int run_first;  // 0-based column where the run holding the key starts
    if (requested) {
        char nulls[] = {' ', user_null, ' ', ' ', '\0'};
        if (call.run(holder_with_input ? Statement::generate_input_version
                                       : Statement::generate_input_version_alone,
                     {project, user, Int32GetDatum(requested_version), pipeline}, nulls, false,
                     1) == 0)
            return project_not_found(call, project_id);
        run_first = 3;
        bool status_null;
        Datum status = call.value(0, 1, &status_null);
        call.value(0, 3, &null);
        bool found = !null;
        bool final = found && !status_null && guard([&] {
                         return strcmp(TextDatumGetCString(status), "final") == 0;
                     });
        if (!final)
            return fail_without_input(
                call, project_id, pipeline_version, ErrorCode::input_not_found,
                "project " + project_text + " has no final input version " +
                    std::to_string(requested_version),
                "{\"project_id\": " + json::quote(project_text) +
                    ", \"input_version\": " + std::to_string(requested_version) +
                    ", \"found\": " + (found ? "\"not final\"" : "false") + "}");
        input.version = requested_version;
    } else {
        char nulls[] = {' ', user_null, ' ', '\0'};
        if (call.run(holder_with_input ? Statement::generate_latest_input
                                       : Statement::generate_latest_input_alone,
                     {project, user, pipeline}, nulls, false, 1) == 0)
            return project_not_found(call, project_id);
        run_first = 2;
        Datum version = call.value(0, 1, &null);
        if (null)
            return fail_without_input(call, project_id, pipeline_version,
                                      ErrorCode::no_inputs,
                                      "project " + project_text + " has no final input",
                                      "{\"project_id\": " + json::quote(project_text) + "}");
        input.version = DatumGetInt32(version);
    }
    {
        // Both input statements return input_json second.
        Datum datum = call.value(0, 2, &input.is_null);
        if (!input.is_null) {
            input.datum = guard([&] { return SPI_datumTransfer(datum, false, -1); });
            input.json = call.jsonb_text(input.datum);
        } else {
            input.datum = call.jsonb_from_text("null");
            input.json = "null";
        }
    }

    RunRequest request;
    request.project_id = project_id;
    request.has_input_version = true;
    request.input_version = input.version;
    request.pipeline_version = pipeline_version;
    request.has_key = true;
    request.key = generation_key(project_text, input.version, pipeline_version);
    // The run that holds the key, read with the input: the same project,
    // input and pipeline version, not failed: the call's answer, nothing runs.
    bool holder_read = true;
    if (!holder_with_input) {
        LedgerOwnerScope owner;
        holder_read = call.run(Statement::run_holding_key, {text_datum(request.key)}, nullptr,
                               false, 1) == 1;
        run_first = 0;
    }
    if (holder_read && existing_run_answers(run_first, request)) return call.ok_row(0, run_first);

    // Otherwise the run for the key: a new one, or a new attempt.
    // The project is the caller's (checked above, the rule of the policies):
    // the run's own statements run as the ledger's owner (LedgerOwnerScope),
    // registered steps as the caller. A key nobody holds yet (the common
    // case) takes one INSERT.
    bool inserted;
    KeyedRun run;
    {
        LedgerOwnerScope owner;
        inserted = insert_first_attempt(call, request);
        if (!inserted) run = create_or_reuse(call, request);
    }
    if (inserted)
        return execute_run(call, returned_run_id(), project_text, input, pipeline_version);
    if (run.outcome == KeyedRun::Outcome::existing) return call.run_result(run.run, false);
    if (run.outcome == KeyedRun::Outcome::created)
        return execute_run(call, run_id_of(run.run), project_text, input, pipeline_version);
    return call.error(ErrorCode::idempotency_conflict,
                      "idempotency key is already used for another run",
                      "{\"idempotency_key\": " + json::quote(request.key) + "}");
}

PR_FUNCTION(project_runs_dashboard) {
    Call call(fcinfo);
    call.connect();
    if (auto problem = app_tables_problem(AppUse::dashboard)) return config_error(call, *problem);
    CallerScope scope = caller_scope();
    if (scope.kind == Scope::none) return call.ok(call.jsonb_from_text("[]"), false);
    // The caller's projects (all of them for a role that bypasses
    // row-level security), read as the caller; then their last runs, which
    // the caller may see since the projects are its own.
    uint64 count;
    if (scope.kind == Scope::all)
        count = call.run(Statement::dashboard_all_projects, {}, nullptr, true);
    else
        count = call.run(Statement::dashboard_user_projects, {UUIDPGetDatum(&scope.user)}, nullptr,
                         true);
    const SPITupleTable* projects = SPI_tuptable;  // kept by SPI until the call ends
    // Their last runs, which the caller may see since the projects are its
    // own: from the index, or, when it cannot answer alone, by the statement
    // (as the ledger's owner, so that the policies are not evaluated again).
    LastRuns last;
    if (read_last_runs(catalog(), projects, count, &last))
        return call.ok_dashboard(projects, count, last);
    Datum ids = uuid_column_array(projects, count);
    LedgerOwnerScope owner;
    call.run(Statement::dashboard_last_runs, {ids}, nullptr, true);
    return call.ok_dashboard(projects, count);
}
