// One call of a SQL-callable function and the jsonb Result it returns.
#include "pg/result.hpp"

#include <algorithm>
#include <cstdio>
#include <cstring>

#include "core/json.hpp"
#include "core/uuid7.hpp"
#include "pg/fault.hpp"
#include "pg/guard.hpp"

extern "C" {
#include "utils/array.h"
#include "utils/json.h"
#include "utils/numeric.h"
}

namespace project_runs::pg {

std::string json_quote(std::string_view text) { return json::quote(text); }

void Call::connect() {
    guard([] {
        if (SPI_connect() != SPI_OK_CONNECT) elog(ERROR, "SPI_connect failed");
    });
    connected_ = true;
    if (!CALLED_AS_TRIGGER(fcinfo_)) maybe_inject_fault(FaultSite::function);
}

uint64 Call::run(Statement statement, std::initializer_list<Datum> values, const char* nulls,
                 bool read_only, long max_rows) {
    SPIPlanPtr prepared = plan(statement);
    const Datum* args = values.begin();
    return guard([&] {
        int rc = SPI_execute_plan(prepared, const_cast<Datum*>(args), nulls, read_only, max_rows);
        if (rc < 0) elog(ERROR, "SPI_execute_plan failed: %s", SPI_result_code_string(rc));
        return SPI_processed;
    });
}

Datum Call::value(uint64 row, int column, bool* is_null) const {
    return guard([&] {
        return SPI_getbinval(SPI_tuptable->vals[row], SPI_tuptable->tupdesc, column, is_null);
    });
}

Datum Call::copy_column(int column) const {
    return guard([&] {
        bool is_null;
        Datum d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, column, &is_null);
        if (is_null) elog(ERROR, "unexpected null jsonb column");
        return SPI_datumTransfer(d, false, -1);
    });
}

Datum Call::finish(Datum result) {
    if (connected_) {
        guard([] { SPI_finish(); });
        connected_ = false;
    }
    return result;
}

Datum Call::jsonb_from_text(const std::string& text) const {
    MemoryContext target = caller_context_;
    return guard([&] {
        MemoryContext old = MemoryContextSwitchTo(target);
        Datum d = DirectFunctionCall1(jsonb_in, CStringGetDatum(text.c_str()));
        MemoryContextSwitchTo(old);
        return d;
    });
}

std::string Call::jsonb_text(Datum jsonb) const {
    return guard([&] {
        Jsonb* j = DatumGetJsonbP(jsonb);
        return std::string(JsonbToCString(nullptr, &j->root, VARSIZE(j)));
    });
}

namespace {

// The text of a uuid in a palloc'd buffer of its exact size (uuid_out
// allocates a 1 kB StringInfo per value). Postgres memory: inside guard().
char* uuid_cstring(Datum uuid) {
    UuidBytes bytes;
    memcpy(bytes.data(), DatumGetUUIDP(uuid)->data, UUID_LEN);
    char* text = static_cast<char*>(palloc(37));
    write_uuid(bytes, text);
    text[36] = '\0';
    return text;
}

// Scratch memory for building a result (Call::build_ok): reset before each
// use and after it, and kept (with its first megabyte) for the session, so
// that building a large one (the dashboard, a list) does not allocate and
// free large blocks on every call, and a pooled backend does not hold the
// working memory of its largest result until its next call.
MemoryContext scratch_context() {
    static MemoryContext context = nullptr;
    if (context == nullptr)
        context = AllocSetContextCreate(TopMemoryContext, "project_runs scratch", 1024 * 1024,
                                        64 * 1024, 8 * 1024 * 1024);
    MemoryContextReset(context);
    return context;
}

// A jsonb datum as a value to push: a scalar as itself, an object or array
// as its binary container. Postgres calls only: runs inside guard().
JsonbValue jsonb_value(Datum jsonb) {
    Jsonb* j = DatumGetJsonbP(jsonb);
    JsonbValue v;
    if (JB_ROOT_IS_SCALAR(j)) {
        JsonbExtractScalar(&j->root, &v);
    } else {
        v.type = jbvBinary;
        v.val.binary.data = &j->root;
        v.val.binary.len = VARSIZE(j) - VARHDRSZ;
    }
    return v;
}

// Pushes a JSON string value.
void push_string(JsonbParseState** state, JsonbIteratorToken token, const char* text, int len) {
    JsonbValue v;
    v.type = jbvString;
    v.val.string.val = const_cast<char*>(text);
    v.val.string.len = len;
    pushJsonbValue(state, token, &v);
}

// Pushes a row of project_runs (columns first_column.. of it, 0-based) as a
// JSON object, column by column, with the same text to_jsonb() gives;
// returns the object. Postgres calls only: runs inside guard().
JsonbValue* push_run_row(JsonbParseState** state, HeapTuple tuple, TupleDesc desc,
                         int first_column = 0) {
    pushJsonbValue(state, WJB_BEGIN_OBJECT, nullptr);
    for (int i = first_column; i < desc->natts; i++) {
        Form_pg_attribute attr = TupleDescAttr(desc, i);
        if (attr->attisdropped) continue;
        push_string(state, WJB_KEY, NameStr(attr->attname), strlen(NameStr(attr->attname)));
        bool is_null;
        Datum d = heap_getattr(tuple, i + 1, desc, &is_null);
        JsonbValue v;
        if (is_null) {
            v.type = jbvNull;
            pushJsonbValue(state, WJB_VALUE, &v);
            continue;
        }
        switch (attr->atttypid) {
            case UUIDOID:
                push_string(state, WJB_VALUE, uuid_cstring(d), 36);
                break;
            case INT4OID:
                v.type = jbvNumeric;
                v.val.numeric = int64_to_numeric(DatumGetInt32(d));
                pushJsonbValue(state, WJB_VALUE, &v);
                break;
            case TEXTOID: {
                text* t = DatumGetTextPP(d);
                push_string(state, WJB_VALUE, VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t));
                break;
            }
            case TIMESTAMPTZOID: {
                char* text = JsonEncodeDateTime(nullptr, d, TIMESTAMPTZOID, nullptr);
                push_string(state, WJB_VALUE, text, strlen(text));
                break;
            }
            case JSONBOID:
                v = jsonb_value(d);
                pushJsonbValue(state, WJB_VALUE, &v);
                break;
            default: {
                if (catalog_is_loaded() && attr->atttypid == catalog().status_type) {
                    std::string_view label = status_label(status_from_oid(DatumGetObjectId(d)));
                    push_string(state, WJB_VALUE, label.data(), static_cast<int>(label.size()));
                    break;
                }
                // Anything a later version adds.
                Oid output;
                bool varlena;
                getTypeOutputInfo(attr->atttypid, &output, &varlena);
                char* text = OidOutputFunctionCall(output, d);
                push_string(state, WJB_VALUE, text, strlen(text));
            }
        }
    }
    return pushJsonbValue(state, WJB_END_OBJECT, nullptr);
}

// The dashboard's array: for each project row (id, name as jsonb), its last
// run, by_project[n] for row n (1-based), whose columns from first_column on
// are the run's; null when by_project[n] is null or its id column is.
void push_dashboard(JsonbParseState** state, const SPITupleTable* projects, uint64 project_count,
                    const HeapTuple* by_project, TupleDesc desc, int first_column) {
    JsonbValue null_value;
    null_value.type = jbvNull;
    pushJsonbValue(state, WJB_BEGIN_ARRAY, nullptr);
    for (uint64 n = 1; n <= project_count; n++) {
        HeapTuple project = projects->vals[n - 1];
        bool is_null;
        pushJsonbValue(state, WJB_BEGIN_OBJECT, nullptr);
        push_string(state, WJB_KEY, "project_id", 10);
        push_string(state, WJB_VALUE,
                    uuid_cstring(heap_getattr(project, 1, projects->tupdesc, &is_null)), 36);
        push_string(state, WJB_KEY, "name", 4);
        Datum name = heap_getattr(project, 2, projects->tupdesc, &is_null);
        JsonbValue name_value = is_null ? null_value : jsonb_value(name);
        pushJsonbValue(state, WJB_VALUE, &name_value);
        push_string(state, WJB_KEY, "last_run", 8);
        HeapTuple run = by_project[n];
        if (run != nullptr) heap_getattr(run, first_column + 1, desc, &is_null);  // the run's id
        if (run == nullptr || is_null)
            pushJsonbValue(state, WJB_VALUE, &null_value);
        else
            push_run_row(state, run, desc, first_column);
        pushJsonbValue(state, WJB_END_OBJECT, nullptr);
    }
    pushJsonbValue(state, WJB_END_ARRAY, nullptr);
}

// Pushes "key": true/false.
void push_bool(JsonbParseState** state, const char* key, bool value) {
    push_string(state, WJB_KEY, key, strlen(key));
    JsonbValue v;
    v.type = jbvBool;
    v.val.boolean = value;
    pushJsonbValue(state, WJB_VALUE, &v);
}

// Pushes {"ok": true, ["created": created,] "data": and leaves the value
// of "data" to the caller.
void begin_ok(JsonbParseState** state, int created) {
    pushJsonbValue(state, WJB_BEGIN_OBJECT, nullptr);
    push_bool(state, "ok", true);
    if (created >= 0) push_bool(state, "created", created != 0);
    push_string(state, WJB_KEY, "data", 4);
}

}  // namespace

template <typename F>
Datum Call::build_ok(int created, F&& push_data) {
    MemoryContext target = caller_context_;
    Datum result = guard([&] {
        MemoryContext scratch = scratch_context();
        MemoryContext old = MemoryContextSwitchTo(scratch);
        JsonbParseState* state = nullptr;
        begin_ok(&state, created);
        push_data(&state);
        JsonbValue* object = pushJsonbValue(&state, WJB_END_OBJECT, nullptr);
        Jsonb* built = JsonbValueToJsonb(object);
        Jsonb* copy = static_cast<Jsonb*>(MemoryContextAlloc(target, VARSIZE(built)));
        memcpy(copy, built, VARSIZE(built));
        MemoryContextSwitchTo(old);
        MemoryContextReset(scratch);
        return JsonbPGetDatum(copy);
    });
    return finish(result);
}

Datum Call::ok(Datum data_jsonb, bool data_is_null, int created) {
    return build_ok(created, [&](JsonbParseState** state) {
        JsonbValue value;
        if (data_is_null)
            value.type = jbvNull;
        else
            value = jsonb_value(data_jsonb);
        pushJsonbValue(state, WJB_VALUE, &value);
    });
}

Datum Call::ok_row(int created, int first_column) {
    return build_ok(created, [&](JsonbParseState** state) {
        push_run_row(state, SPI_tuptable->vals[0], SPI_tuptable->tupdesc, first_column);
    });
}

Datum Call::ok_dashboard(const SPITupleTable* projects, uint64 project_count) {
    return build_ok(-1, [&](JsonbParseState** state) {
        // The last-run rows by project position (n is 1-based).
        SPITupleTable* runs = SPI_tuptable;
        uint64 run_count = SPI_processed;
        HeapTuple* by_project = static_cast<HeapTuple*>(palloc0(sizeof(HeapTuple) * (project_count + 1)));
        for (uint64 i = 0; i < run_count; i++) {
            bool is_null;
            int64 n = DatumGetInt64(heap_getattr(runs->vals[i], 1, runs->tupdesc, &is_null));
            if (is_null || n < 1 || static_cast<uint64>(n) > project_count)
                elog(ERROR, "dashboard row out of range");
            by_project[n] = runs->vals[i];
        }
        push_dashboard(state, projects, project_count, by_project, runs->tupdesc, 1);
    });
}

Datum Call::ok_dashboard(const SPITupleTable* projects, uint64 project_count,
                         const LastRuns& last) {
    return build_ok(-1, [&](JsonbParseState** state) {
        push_dashboard(state, projects, project_count, last.runs, last.desc, 0);
    });
}

Datum Call::ok_rows() {
    return build_ok(-1, [&](JsonbParseState** state) {
        pushJsonbValue(state, WJB_BEGIN_ARRAY, nullptr);
        for (uint64 i = 0; i < SPI_processed; i++)
            push_run_row(state, SPI_tuptable->vals[i], SPI_tuptable->tupdesc);
        pushJsonbValue(state, WJB_END_ARRAY, nullptr);
    });
}

Datum Call::row_jsonb() const {
    return guard([&] {
        JsonbParseState* state = nullptr;
        JsonbValue* object =
            push_run_row(&state, SPI_tuptable->vals[0], SPI_tuptable->tupdesc);
        return JsonbPGetDatum(JsonbValueToJsonb(object));
    });
}

Datum Call::error(ErrorCode code, std::string_view message, std::string_view detail_json) {
    std::string text = "{\"ok\": false, \"error\": {\"code\": ";
    text += json_quote(error_code_name(code));
    text += ", \"message\": ";
    text += json_quote(message);
    text += ", \"detail\": ";
    text += detail_json.empty() ? std::string_view("null") : detail_json;
    text += "}}";
    return finish(jsonb_from_text(text));
}

Datum Call::failed_run(ErrorCode code, std::string_view message, std::string_view detail_json,
                       Datum run, bool created) {
    std::string text = "{\"ok\": false, \"created\": ";
    text += created ? "true" : "false";
    text += ", \"error\": {\"code\": ";
    text += json_quote(error_code_name(code));
    text += ", \"message\": ";
    text += json_quote(message);
    text += ", \"detail\": ";
    text += detail_json.empty() ? std::string_view("null") : detail_json;
    text += "}, \"data\": ";
    text += jsonb_text(run);
    text += "}";
    return finish(jsonb_from_text(text));
}

Datum Call::run_result(Datum run, bool created) {
    // The run's status and error columns as JSON text ("" for a missing key).
    auto field = [&](const char* key) {
        return guard([&] {
            Jsonb* jb = DatumGetJsonbP(run);
            JsonbValue* v = getKeyJsonValueFromContainer(&jb->root, key, strlen(key), nullptr);
            if (v == nullptr) return std::string();
            if (v->type == jbvString)
                return json_quote({v->val.string.val, static_cast<std::size_t>(v->val.string.len)});
            if (v->type == jbvBinary)
                return std::string(JsonbToCString(nullptr, v->val.binary.data, v->val.binary.len));
            return std::string("null");
        });
    };
    if (field("status") != "\"failed\"") return ok(run, false, created);
    auto or_null = [](std::string text) { return text.empty() ? std::string("null") : text; };
    std::string text = "{\"ok\": false, \"created\": ";
    text += created ? "true" : "false";
    text += ", \"error\": {\"code\": " + or_null(field("error_code")) +
            ", \"message\": " + or_null(field("error_message")) +
            ", \"detail\": " + or_null(field("error_detail")) + "}, \"data\": " +
            jsonb_text(run) + "}";
    return finish(jsonb_from_text(text));
}

std::string text_string(Datum value) {
    return guard([&] {
        text* t = DatumGetTextPP(value);
        return std::string(VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t));
    });
}

std::string text_argument(FunctionCallInfo fcinfo, int n) { return text_string(PG_GETARG_DATUM(n)); }

Jsonb* jsonb_argument(FunctionCallInfo fcinfo, int n) {
    return guard([&] { return PG_GETARG_JSONB_P(n); });
}

JsonKind jsonb_kind(const Jsonb* value) {
    if (JB_ROOT_IS_SCALAR(value)) return JsonKind::scalar;
    if (JB_ROOT_IS_OBJECT(value)) return JsonKind::object;
    return JsonKind::array;
}

const char* json_kind_name(JsonKind kind) {
    switch (kind) {
        case JsonKind::object: return "an object";
        case JsonKind::array: return "an array";
        case JsonKind::scalar: return "a scalar";
    }
    return "?";
}

std::string uuid_text(const pg_uuid_t& uuid) {
    UuidBytes bytes;
    memcpy(bytes.data(), uuid.data, UUID_LEN);
    return uuid_to_string(bytes);
}

int jsonb_depth(const Jsonb* value) {
    return guard([&] {
        JsonbIterator* it = JsonbIteratorInit(const_cast<JsonbContainer*>(&value->root));
        JsonbValue v;
        JsonbIteratorToken token;
        int depth = 0, deepest = 0;
        while ((token = JsonbIteratorNext(&it, &v, false)) != WJB_DONE) {
            if (token == WJB_BEGIN_ARRAY || token == WJB_BEGIN_OBJECT)
                deepest = std::max(deepest, ++depth);
            else if (token == WJB_END_ARRAY || token == WJB_END_OBJECT)
                depth--;
        }
        return deepest;
    });
}

Datum uuid_column_array(const SPITupleTable* rows, uint64 count) {
    return guard([&] {
        Datum* elements = static_cast<Datum*>(palloc(sizeof(Datum) * (count + 1)));
        for (uint64 i = 0; i < count; i++) {
            bool is_null;
            elements[i] = SPI_getbinval(rows->vals[i], rows->tupdesc, 1, &is_null);
            if (is_null) elog(ERROR, "row %lu has no id", static_cast<unsigned long>(i + 1));
        }
        return PointerGetDatum(construct_array(elements, static_cast<int>(count), UUIDOID,
                                               UUID_LEN, false, TYPALIGN_CHAR));
    });
}

// A NULL argument that must have a value.
Datum null_argument(Call& call, const char* name) {
    return call.error(ErrorCode::invalid_argument, std::string(name) + " must not be null",
                      "{\"argument\": " + json_quote(name) + "}");
}

// A text argument longer than its limit.
Datum too_long(Call& call, const char* name, std::size_t limit) {
    return call.error(ErrorCode::invalid_argument,
                      std::string(name) + " is longer than " + std::to_string(limit) + " bytes",
                      "{\"argument\": " + json_quote(name) +
                          ", \"max_bytes\": " + std::to_string(limit) + "}");
}

// A jsonb argument of the wrong kind.
Datum wrong_kind(Call& call, const char* name, JsonKind kind) {
    return call.error(ErrorCode::invalid_argument,
                      std::string(name) + " must be a JSON object, not " + json_kind_name(kind),
                      "{\"argument\": " + json_quote(name) + "}");
}

Datum too_deep(Call& call, const char* name) {
    return call.error(ErrorCode::invalid_argument,
                      std::string(name) + " nest deeper than " + std::to_string(json::max_depth) +
                          " levels",
                      "{\"argument\": " + json_quote(name) +
                          ", \"max_depth\": " + std::to_string(json::max_depth) + "}");
}

Datum config_error(Call& call, const AppTableProblem& problem) {
    std::string detail = "{\"table\": " + json_quote(problem.table);
    if (!problem.column.empty()) detail += ", \"column\": " + json_quote(problem.column);
    detail += ", \"hint\": " + json_quote(problem.hint()) + "}";
    return call.error(ErrorCode::config, problem.message, detail);
}

Datum project_not_found(Call& call, const pg_uuid_t& project_id) {
    return call.error(ErrorCode::project_not_found,
                      "project " + uuid_text(project_id) + " does not exist",
                      "{\"project_id\": " + json_quote(uuid_text(project_id)) + "}");
}

bool project_visible(Call& call, const pg_uuid_t& project_id, bool read_only) {
    return project_visible(call, project_id, caller_scope(), read_only);
}

bool project_visible(Call& call, const pg_uuid_t& project_id, const CallerScope& scope,
                     bool read_only) {
    if (scope.kind == Scope::none) return false;
    Datum project = UUIDPGetDatum(const_cast<pg_uuid_t*>(&project_id));
    if (scope.kind == Scope::all)
        return call.run(Statement::project_exists, {project}, nullptr, read_only, 1) > 0;
    return call.run(Statement::project_owned, {project, UUIDPGetDatum(&scope.user)}, nullptr,
                    read_only, 1) > 0;
}

}  // namespace project_runs::pg
