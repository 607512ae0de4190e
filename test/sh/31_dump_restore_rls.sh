#!/usr/bin/env bash
# Row-level security survives pg_dump / pg_restore, in a Supabase-like setup.
#
# A source database gets what a Supabase project has (the roles anon,
# authenticated and service_role, created when missing; Supabase's default
# privileges; auth.uid(); the application's tables with RLS on projects),
# then the extension and runs for two users: A (a queued and a succeeded run
# on project A1) and B (a queued run on B1). It is dumped with pg_dump -Fc and
# restored with pg_restore, as superuser, into a fresh database. In the
# restored database it asserts:
#   - pg_restore exited 0 with nothing on stderr; the ledger's rows are equal;
#   - relrowsecurity is on for project_runs and project_run_events, and their
#     policies are there (SELECT/INSERT/UPDATE, SELECT/INSERT, none for DELETE);
#   - the privileges of anon, authenticated, service_role and PUBLIC on the
#     extension's tables and on project_runs_purge equal the source's (and the
#     contract's);
#   - replaying PostgREST's request transaction (set_config of search_path,
#     role, request.jwt.claims, request.method, then the call): A sees exactly
#     A's runs and events through the tables, list/latest/dashboard answer for
#     A1 and PROJECT_NOT_FOUND for B1; B sees only B's; anon gets 42501 on the
#     tables and nothing from the functions; service_role sees everything;
#     B cannot start A's run (NOT_FOUND), update it (0 rows), insert a run for
#     A1 (PR008) nor use A's idempotency key (IDEMPOTENCY_CONFLICT);
#   - the triggers still bind: updating a succeeded run -> PR002 (superuser
#     and service_role), deleting a run -> PR006 (superuser).
# Runs inside scripts/test.sh's throw-away cluster (PG* variables are set).
set -euo pipefail

suffix="$$"
src="rls_src_$suffix"
dst="rls_dst_$suffix"
work="$(mktemp -d)"
created_roles=()

. "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

cleanup() {
    drop_databases "$src" "$dst"
    # Only the roles this script created (they are cluster-wide).
    drop_created_roles 31_dump_restore_rls
    rm -rf "$work"
}
trap cleanup EXIT

# as_caller DB ROLE CLAIMS SQL: runs SQL the way PostgREST runs a request
# (one transaction: set_config of search_path, role, claims and method, then
# the call) and prints its result, or "ERROR <SQLSTATE>" when it raised.
as_caller() {
    local out rc=0
    out="$(psql -X -q -At -v ON_ERROR_STOP=1 -v VERBOSITY=sqlstate -d "$1" 2>&1 <<SQL
BEGIN;
select set_config('search_path', 'public', true), set_config('role', '$2', true), set_config('request.jwt.claims', '$3', true), set_config('request.method', 'POST', true) \g /dev/null
$4;
ROLLBACK;
SQL
)" || rc=$?
    result_or_sqlstate "$rc" "$out"
}
# as_superuser DB SQL: the same, in a SQL editor session (superuser, no claims).
as_superuser() {
    local out rc=0
    out="$(psql -X -q -At -v ON_ERROR_STOP=1 -v VERBOSITY=sqlstate -d "$1" -c "$2" 2>&1)" || rc=$?
    result_or_sqlstate "$rc" "$out"
}

# --------------------------------------------------------------------------
# The Supabase roles (cluster-wide): create the missing ones.
# --------------------------------------------------------------------------
ensure_supabase_roles 31_dump_restore_rls
check_eq "service_role bypasses RLS" "t" \
    "$(psql_db -d postgres -c "SELECT rolbypassrls FROM pg_roles WHERE rolname = 'service_role'")"

# --------------------------------------------------------------------------
# The source database.
# --------------------------------------------------------------------------
psql_db -d postgres -c "CREATE DATABASE $src"
psql_db -d "$src" <<SQL
$(supabase_project_sql)

INSERT INTO projects (id, user_id, name, created_at) VALUES
    ('$proj_a1', '$user_a', 'A1', '2025-01-01'),
    ('$proj_a2', '$user_a', 'A2', '2025-02-01'),
    ('$proj_b1', '$user_b', 'B1', '2025-03-01');
INSERT INTO project_inputs (project_id, version, status, input_json) VALUES
    ('$proj_a1', 1, 'final', '{"topic": "alpha"}'),
    ('$proj_b1', 1, 'final', '{"topic": "beta"}');
SQL

a_queued="$(as_superuser "$src" "SELECT project_runs_create('$proj_a1', 1, 'v1', 'key-a-queued')->'data'->>'id'")"
a_succeeded="$(as_superuser "$src" "SELECT project_runs_create('$proj_a1', 1, 'v2', 'key-a-succeeded')->'data'->>'id'")"
check_eq "source: set_running" "running" \
    "$(as_superuser "$src" "SELECT project_runs_set_running('$a_succeeded')->'data'->>'status'")"
check_eq "source: set_succeeded" "succeeded" \
    "$(as_superuser "$src" "SELECT project_runs_set_succeeded('$a_succeeded', '{\"n\": 1}')->'data'->>'status'")"
b_queued="$(as_superuser "$src" "SELECT project_runs_create('$proj_b1', 1, 'v1', 'key-b')->'data'->>'id'")"
for id in "$a_queued" "$a_succeeded" "$b_queued"; do
    if ! [[ "$id" =~ ^[0-9a-f-]{36}$ ]]; then
        echo "31_dump_restore_rls: could not create the fixture runs (got '$id')" >&2
        exit 1
    fi
done
# The source answers as the restored database must.
check_eq "source: A sees A's 2 runs" "2" "$(as_caller "$src" authenticated "$claims_a" "SELECT count(*) FROM project_runs")"

# --------------------------------------------------------------------------
# Dump and restore.
# --------------------------------------------------------------------------
if ! pg_dump -Fc -f "$work/src.dump" "$src" 2>"$work/dump.err"; then
    echo "31_dump_restore_rls: pg_dump -Fc $src failed:" >&2
    cat "$work/dump.err" >&2
    exit 1
fi
psql_db -d postgres -c "CREATE DATABASE $dst"
rc=0
pg_restore -d "$dst" "$work/src.dump" >"$work/restore.out" 2>"$work/restore.err" || rc=$?
if [ "$rc" -ne 0 ] || [ -s "$work/restore.err" ]; then
    fail "pg_restore into $dst: exit $rc, stderr:"
    sed 's/^/    /' "$work/restore.err" >&2
else
    echo "ok: pg_restore into $dst exited 0 with an empty stderr"
fi

# --------------------------------------------------------------------------
# The restored database.
# --------------------------------------------------------------------------
check_eq "restored rows equal the source's" "$(ledger_fingerprint "$src")" "$(ledger_fingerprint "$dst")"

# RLS and policies.
check_eq "relrowsecurity on project_runs, project_run_events" "project_run_events|true project_runs|true" \
    "$(psql_db -d "$dst" -c "SELECT relname || '|' || relrowsecurity FROM pg_class WHERE oid IN ('project_runs'::regclass, 'project_run_events'::regclass) ORDER BY relname" | tr '\n' ' ' | sed 's/ $//')"
check_eq "policies on project_runs" "INSERT,SELECT,UPDATE" \
    "$(psql_db -d "$dst" -c "SELECT string_agg(cmd, ',' ORDER BY cmd) FROM pg_policies WHERE schemaname = 'public' AND tablename = 'project_runs'")"
check_eq "policies on project_run_events" "SELECT" \
    "$(psql_db -d "$dst" -c "SELECT string_agg(cmd, ',' ORDER BY cmd) FROM pg_policies WHERE schemaname = 'public' AND tablename = 'project_run_events'")"
policies_sql="SELECT string_agg(tablename || ' ' || policyname || ' ' || cmd || ' ' || coalesce(qual, '-') || ' ' || coalesce(with_check, '-'), E'\n' ORDER BY tablename, policyname) FROM pg_policies WHERE schemaname = 'public'"
check_eq "every policy equals the source's" "$(psql_db -d "$src" -c "$policies_sql")" "$(psql_db -d "$dst" -c "$policies_sql")"

# Privileges: as in the source, and as the contract says.
privs_sql="SELECT string_agg(t || ' ' || r || ' ' || coalesce((SELECT string_agg(p, ',' ORDER BY p) FROM unnest(ARRAY['SELECT','INSERT','UPDATE','DELETE','TRUNCATE','REFERENCES','TRIGGER']) p WHERE has_table_privilege(r, t, p)), '-'), E'\n' ORDER BY t, r)
FROM unnest(ARRAY['project_runs', 'project_run_events', 'project_runs_settings', 'project_runs_pipeline_steps']) t,
     unnest(ARRAY['anon', 'authenticated', 'service_role', 'public']) r"
src_privs="$(psql_db -d "$src" -c "$privs_sql")"
check_eq "table privileges equal the source's" "$src_privs" "$(psql_db -d "$dst" -c "$privs_sql")"
check_eq "table privileges on project_runs / project_run_events" \
    "project_run_events anon - project_run_events authenticated SELECT project_run_events public - project_run_events service_role SELECT project_runs anon - project_runs authenticated INSERT,SELECT,UPDATE project_runs public - project_runs service_role INSERT,SELECT,UPDATE" \
    "$(printf '%s\n' "$src_privs" | grep -E '^project_run(s|_events) ' | tr '\n' ' ' | sed 's/ $//')"
purge_sql="SELECT string_agg(r || ' ' || has_function_privilege(r, 'project_runs_purge(uuid)', 'EXECUTE'), ' ' ORDER BY r) FROM unnest(ARRAY['anon', 'authenticated', 'service_role', 'public']) r"
check_eq "EXECUTE on project_runs_purge" "anon false authenticated false public false service_role false" \
    "$(psql_db -d "$dst" -c "$purge_sql")"

# User A.
check_eq "A: exactly A's runs through the table" "$(printf '%s\n' "$a_queued" "$a_succeeded" | sort | tr '\n' ' ')" \
    "$(as_caller "$dst" authenticated "$claims_a" "SELECT id FROM project_runs ORDER BY id" | tr '\n' ' ')"
check_eq "A: A's 4 events through the table" "4" \
    "$(as_caller "$dst" authenticated "$claims_a" "SELECT count(*) FROM project_run_events")"
check_eq "A: list(A1), newest first" "$a_succeeded $a_queued" \
    "$(as_caller "$dst" authenticated "$claims_a" "SELECT string_agg(r->>'id', ' ' ORDER BY n) FROM jsonb_array_elements(project_runs_list('$proj_a1')->'data') WITH ORDINALITY t(r, n)")"
check_eq "A: latest(A1)" "$a_succeeded" \
    "$(as_caller "$dst" authenticated "$claims_a" "SELECT project_runs_latest('$proj_a1')->'data'->>'id'")"
check_eq "A: list(B1) -> PROJECT_NOT_FOUND" "PROJECT_NOT_FOUND" \
    "$(as_caller "$dst" authenticated "$claims_a" "SELECT project_runs_list('$proj_b1')->'error'->>'code'")"
check_eq "A: dashboard lists A's projects" "A2,A1" \
    "$(as_caller "$dst" authenticated "$claims_a" "SELECT string_agg(d->>'name', ',' ORDER BY n) FROM jsonb_array_elements(project_runs_dashboard()->'data') WITH ORDINALITY t(d, n)")"
check_eq "A: set_running of A's restored queued run" "running" \
    "$(as_caller "$dst" authenticated "$claims_a" "SELECT project_runs_set_running('$a_queued')->'data'->>'status'")"

# User B.
check_eq "B: only B's run through the table" "$b_queued" \
    "$(as_caller "$dst" authenticated "$claims_b" "SELECT string_agg(id::text, ' ') FROM project_runs")"
check_eq "B: only B's event through the table" "1" \
    "$(as_caller "$dst" authenticated "$claims_b" "SELECT count(*) FROM project_run_events")"
check_eq "B: list(A1) -> PROJECT_NOT_FOUND" "PROJECT_NOT_FOUND" \
    "$(as_caller "$dst" authenticated "$claims_b" "SELECT project_runs_list('$proj_a1')->'error'->>'code'")"
check_eq "B: set_running of A's run -> NOT_FOUND" "NOT_FOUND" \
    "$(as_caller "$dst" authenticated "$claims_b" "SELECT project_runs_set_running('$a_queued')->'error'->>'code'")"
check_eq "B: UPDATE of A's run through the table changes 0 rows" "0" \
    "$(as_caller "$dst" authenticated "$claims_b" "WITH u AS (UPDATE project_runs SET metrics = '{\"by\": \"B\"}' WHERE id = '$a_queued' RETURNING 1) SELECT count(*) FROM u")"
# (the insert trigger finds no such project for B: PR008, as for a project
# that does not exist, before the policy's WITH CHECK would say 42501)
check_eq "B: INSERT of a run for A1 -> PR008" "ERROR PR008" \
    "$(as_caller "$dst" authenticated "$claims_b" "INSERT INTO project_runs (project_id, input_version, pipeline_version) VALUES ('$proj_a1', 1, 'by-b')")"
check_eq "B: create with A's key -> IDEMPOTENCY_CONFLICT" "IDEMPOTENCY_CONFLICT" \
    "$(as_caller "$dst" authenticated "$claims_b" "SELECT project_runs_create('$proj_b1', 1, 'v1', 'key-a-queued')->'error'->>'code'")"

# anon.
check_eq "anon: SELECT on project_runs -> 42501" "ERROR 42501" \
    "$(as_caller "$dst" anon '{"role": "anon"}' "SELECT count(*) FROM project_runs")"
check_eq "anon: SELECT on project_run_events -> 42501" "ERROR 42501" \
    "$(as_caller "$dst" anon '{"role": "anon"}' "SELECT count(*) FROM project_run_events")"
check_eq "anon: list(A1) -> PROJECT_NOT_FOUND" "PROJECT_NOT_FOUND" \
    "$(as_caller "$dst" anon '{"role": "anon"}' "SELECT project_runs_list('$proj_a1')->'error'->>'code'")"
check_eq "anon: dashboard is []" '{"ok": true, "data": []}' \
    "$(as_caller "$dst" anon '{"role": "anon"}' "SELECT project_runs_dashboard()")"

# service_role and the superuser: everything, and the triggers still bind.
check_eq "service_role: all 3 runs" "3" \
    "$(as_caller "$dst" service_role '{"role": "service_role"}' "SELECT count(*) FROM project_runs")"
check_eq "service_role: UPDATE of a succeeded run -> PR002" "ERROR PR002" \
    "$(as_caller "$dst" service_role '{"role": "service_role"}' "UPDATE project_runs SET status = 'running' WHERE id = '$a_succeeded'")"
check_eq "superuser: UPDATE of a succeeded run -> PR002" "ERROR PR002" \
    "$(as_superuser "$dst" "UPDATE project_runs SET output = '{}' WHERE id = '$a_succeeded'")"
check_eq "superuser: DELETE of a run -> PR006" "ERROR PR006" \
    "$(as_superuser "$dst" "DELETE FROM project_runs WHERE id = '$b_queued'")"
check_eq "superuser: TRUNCATE project_runs -> PR007" "ERROR PR007" \
    "$(as_superuser "$dst" "TRUNCATE project_runs CASCADE")"
check_eq "superuser: sees all 3 runs" "3" "$(as_superuser "$dst" "SELECT count(*) FROM project_runs")"

if [ "$failures" -ne 0 ]; then
    echo "31_dump_restore_rls: $failures assertion(s) failed" >&2
    exit 1
fi
echo "31_dump_restore_rls: all assertions passed"
