#!/usr/bin/env bash
# Random arguments for every function of the SQL API, as careless or hostile
# clients send them: NULLs, empty and 10,000-character texts, texts shaped
# like idempotency keys, extreme integers, infinite timestamps, JSON of every
# kind (scalars, arrays, objects with 3,000 keys, 180- and 250-level
# nesting, steps arrays to merge), ids of runs in every state, of projects of
# another user or of none, and JWT claims that are not JSON, not objects or
# name no UUID. FUZZ_CALLS calls (default 20,000) from a fixed seed
# (FUZZ_SEED, default 0.42) in one session, each as the superuser, as
# service_role or as a user under row-level security (PostgREST's way: role
# and request.jwt.claims set locally), each in a subtransaction.
# Asserted afterwards:
#   - the session survived every call (a crash would end it);
#   - every call returned its value or a Result; every error code is one of
#     the documented ones, and none is INTERNAL or CONFIG;
#   - the only errors raised are the documented ones: 42501 from
#     project_runs_purge by a role other than the owner and from the calls
#     that touch runs as a caller without privileges on them (anon whose
#     claims name a user; generate answers PROJECT_NOT_FOUND), 54000
#     from project_runs_merge_metrics on metrics nested deeper than 200
#     levels;
#   - no C++ object of a failed frame is left (project_runs_debug_state);
#   - the ledger's invariants over every run that was left;
#   - each function answered ok at least once.
# Runs inside scripts/test.sh's throw-away cluster (PG* variables are set).
# FUZZ_KEEP=1 keeps the database (fuzz_<pid>, table fuzz_log) for a look.
set -euo pipefail

db="fuzz_$$"
calls="${FUZZ_CALLS:-20000}"
seed="${FUZZ_SEED:-0.42}"
created_roles=()

. "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

cleanup() {
    [ -n "${FUZZ_KEEP:-}" ] || drop_databases "$db"
    drop_created_roles 16_random_arguments
}
trap cleanup EXIT

ensure_supabase_roles 16_random_arguments
psql_db -d postgres -c "CREATE DATABASE $db"
psql_db -d "$db" <<SQL
$(supabase_project_sql)
-- Users 1 and 2, two projects each; final inputs 1 and 2 (2 with an input
-- that is not an object), a draft 3, and one project without inputs.
INSERT INTO projects (id, user_id, name) VALUES
    ('00000000-0000-4000-a000-000000000011', '00000000-0000-4000-a000-000000000001', 'one'),
    ('00000000-0000-4000-a000-000000000012', '00000000-0000-4000-a000-000000000001', 'two'),
    ('00000000-0000-4000-a000-000000000021', '00000000-0000-4000-a000-000000000002', 'three'),
    ('00000000-0000-4000-a000-000000000022', '00000000-0000-4000-a000-000000000002', 'no inputs');
INSERT INTO project_inputs (project_id, version, status, input_json)
SELECT p.id, v, CASE v WHEN 3 THEN 'draft' ELSE 'final' END,
       CASE v WHEN 2 THEN '[1]'::jsonb ELSE jsonb_build_object('q', v) END
FROM projects p, generate_series(1, 3) v WHERE p.name <> 'no inputs';

-- What each call answered: ok, error:<code>, value, or raised:<SQLSTATE>.
CREATE TABLE fuzz_log (fn text NOT NULL, caller text NOT NULL, claims text, call text NOT NULL, outcome text NOT NULL);

-- One of the options, at random.
CREATE FUNCTION fuzz_pick(VARIADIC options text[]) RETURNS text LANGUAGE sql AS
    \$f\$ SELECT options[1 + floor(random() * cardinality(options))::int] \$f\$;

-- JSON nested n levels deep.
CREATE FUNCTION fuzz_deep(n int) RETURNS text LANGUAGE sql AS
    \$f\$ SELECT repeat('{"a": ', n) || '1' || repeat('}', n) \$f\$;

-- Random arguments of each type, as SQL literals.
CREATE FUNCTION fuzz_uuid() RETURNS text LANGUAGE plpgsql AS \$f\$
DECLARE r float8 := random();
BEGIN
    IF r < 0.35 THEN  -- a run, of any state and any user
        RETURN coalesce(quote_literal((SELECT id FROM project_runs ORDER BY random() LIMIT 1)), 'NULL');
    ELSIF r < 0.75 THEN
        RETURN quote_literal((SELECT id FROM projects ORDER BY random() LIMIT 1));
    END IF;
    RETURN fuzz_pick('NULL', quote_literal(gen_random_uuid()), '''00000000-0000-0000-0000-000000000000''');
END \$f\$;
CREATE FUNCTION fuzz_int() RETURNS text LANGUAGE sql AS \$f\$
    SELECT fuzz_pick('NULL', '0', '1', '2', '3', '4', '-1', '2147483647', '-2147483648',
                     (floor(random() * 5))::int::text) \$f\$;
CREATE FUNCTION fuzz_text() RETURNS text LANGUAGE sql AS \$f\$
    SELECT fuzz_pick('NULL', '''''', '''v1''', '''2025-12-23.v1''', 'repeat(''x'', 10000)',
                     '''a:b:c''', '''::''', '''00000000-0000-4000-a000-000000000011:1:v1''',
                     '''00000000-0000-4000-A000-000000000011:1:v1''',
                     '''00000000-0000-4000-a000-000000000011:01:v1''',
                     '''00000000-0000-4000-a000-000000000021:1:2025-12-23.v1''',
                     '''STEP_FAILED''', '''not_found''', '''é✓ ' || chr(127) || '''',
                     'repeat(''é'', 3000)', '''{"json": "text"}''', quote_literal(md5(random()::text))) \$f\$;
CREATE FUNCTION fuzz_json() RETURNS text LANGUAGE sql AS \$f\$
    SELECT fuzz_pick('NULL', '''null''', '''1''', '''"s"''', '''true''', '''[]''', '''{}''', '''[1, {"a": 2}]''',
                     '''{"n": 1}''', '''{"summary": {"count": 3}, "n": null}''',
                     '''{"steps": [{"name": "a", "status": "ok"}, {"name": "b"}]}''',
                     '''{"steps": [{"name": "a", "ms": 5}, {"x": 1}], "k": [1]}''',
                     '''{"steps": {"name": "not an array"}}''', '''{"": "", "\\\\u0000x": 1}''',
                     quote_literal(fuzz_deep(180)), quote_literal(fuzz_deep(250)),
                     '(SELECT jsonb_object_agg(''k'' || g, g) FROM generate_series(1, 3000) g)') || '::jsonb' \$f\$;
CREATE FUNCTION fuzz_time() RETURNS text LANGUAGE sql AS \$f\$
    SELECT fuzz_pick('NULL', 'now()', '''infinity''', '''-infinity''', '''1900-01-01''', '''2100-01-01''')
           || '::timestamptz' \$f\$;

-- Optional trailing arguments: each given (with the rest before it) or left
-- to its default.
CREATE FUNCTION fuzz_optional(VARIADIC args text[]) RETURNS text LANGUAGE sql AS \$f\$
    SELECT coalesce(string_agg(', ' || a, '' ORDER BY n), '')
    FROM unnest(args) WITH ORDINALITY AS t(a, n), (SELECT floor(random() * (cardinality(args) + 1)) AS k) g
    WHERE n <= g.k \$f\$;

-- The user id that claims name, as the extension reads it.
CREATE FUNCTION fuzz_user_of(claims text) RETURNS uuid LANGUAGE plpgsql AS \$f\$
BEGIN
    PERFORM set_config('request.jwt.claims', coalesce(claims, ''), true);
    RETURN project_runs_current_user_id();
END \$f\$;

-- calls random calls from seed; each logged in fuzz_log.
CREATE FUNCTION fuzz(calls int, seed float8) RETURNS void LANGUAGE plpgsql AS \$f\$
DECLARE
    fns text[] := ARRAY['create', 'get_by_idempotency_key', 'set_running', 'set_succeeded', 'set_failed',
                        'update_metrics', 'latest', 'list', 'generate', 'dashboard', 'current_user_id',
                        'http_status', 'merge_metrics', 'purge', 'visible_project_ids'];
    fn text;
    call text;
    caller text;
    claims text;
    res jsonb;
    val text;
    outcome text;
BEGIN
    PERFORM setseed(seed);
    FOR i IN 1..calls LOOP
        fn := fns[1 + floor(random() * cardinality(fns))::int];
        -- purge erases: rarely, so that runs pile up
        IF fn = 'purge' AND random() < 0.97 THEN fn := 'latest'; END IF;
        call := CASE fn
            WHEN 'create' THEN format('project_runs_create(%s, %s, %s%s)', fuzz_uuid(), fuzz_int(), fuzz_text(),
                                      fuzz_optional(fuzz_text()))
            WHEN 'get_by_idempotency_key' THEN format('project_runs_get_by_idempotency_key(%s)', fuzz_text())
            WHEN 'set_running' THEN format('project_runs_set_running(%s)', fuzz_uuid())
            WHEN 'set_succeeded' THEN format('project_runs_set_succeeded(%s, %s%s)', fuzz_uuid(), fuzz_json(),
                                             fuzz_optional(fuzz_json()))
            WHEN 'set_failed' THEN format('project_runs_set_failed(%s, %s, %s%s)', fuzz_uuid(), fuzz_text(),
                                          fuzz_text(), fuzz_optional(fuzz_json(), fuzz_json()))
            WHEN 'update_metrics' THEN format('project_runs_update_metrics(%s, %s)', fuzz_uuid(), fuzz_json())
            WHEN 'latest' THEN format('project_runs_latest(%s)', fuzz_uuid())
            WHEN 'list' THEN format('project_runs_list(%s%s)', fuzz_uuid(),
                                    fuzz_optional(fuzz_pick(fuzz_int(), '1000', '1001'), fuzz_time()))
            WHEN 'generate' THEN format('project_runs_generate(%s%s)', fuzz_uuid(), fuzz_optional(fuzz_int(), fuzz_text()))
            WHEN 'dashboard' THEN 'project_runs_dashboard()'
            WHEN 'current_user_id' THEN 'project_runs_current_user_id()::text'
            WHEN 'http_status' THEN format('project_runs_http_status(%s)::text', fuzz_text())
            WHEN 'merge_metrics' THEN format('project_runs_merge_metrics(%s, %s)::text', fuzz_json(), fuzz_json())
            WHEN 'purge' THEN format('project_runs_purge(%s)', fuzz_uuid())
            WHEN 'visible_project_ids' THEN 'project_runs_visible_project_ids()::text'
        END;
        caller := fuzz_pick('postgres', 'service_role', 'authenticated', 'authenticated', 'anon');
        claims := CASE caller
            WHEN 'postgres' THEN NULL
            WHEN 'service_role' THEN '{"role": "service_role"}'
            ELSE fuzz_pick('{"sub": "00000000-0000-4000-a000-000000000001", "role": "authenticated"}',
                           '{"sub": "00000000-0000-4000-a000-000000000002"}',
                           '{"sub": "{00000000-0000-4000-a000-000000000001}"}', '{"sub": 7}', '{"sub": null}',
                           '{"sub": "not a uuid"}', '[1, 2]', 'not json', '', '{"sub": "' || repeat('0', 5000) || '"}',
                           '{"sub": "00000000-0000-4000-a000-000000000002", "sub": "00000000-0000-4000-a000-000000000001"}')
        END;
        BEGIN
            IF caller <> 'postgres' THEN
                PERFORM set_config('role', caller, true), set_config('request.jwt.claims', coalesce(claims, ''), true);
            END IF;
            IF fn IN ('current_user_id', 'http_status', 'merge_metrics', 'visible_project_ids') THEN
                EXECUTE 'SELECT ' || call INTO val;
                outcome := 'value';
            ELSE
                EXECUTE 'SELECT ' || call INTO res;
                outcome := CASE WHEN (res ->> 'ok')::boolean THEN 'ok'
                                WHEN res -> 'error' ->> 'code' IS NOT NULL THEN 'error:' || (res -> 'error' ->> 'code')
                                ELSE 'not a result: ' || left(res::text, 200) END;
            END IF;
            PERFORM set_config('role', 'none', true), set_config('request.jwt.claims', '', true);
        EXCEPTION WHEN OTHERS THEN
            outcome := 'raised:' || SQLSTATE || ' ' || left(SQLERRM, 120);
        END;
        INSERT INTO fuzz_log VALUES (fn, caller, claims, left(call, 300), outcome);
    END LOOP;
END \$f\$;
SQL

t0="$(date +%s.%N)"
psql_db -d "$db" -c "SELECT fuzz($calls, $seed)" >/dev/null
echo "$calls calls in $(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }') s"
psql_db -d "$db" -F ' ' -c "
    SELECT fn, split_part(outcome, ' ', 1), count(*) FROM fuzz_log GROUP BY 1, 2 ORDER BY 1, 2" | column -t

check_eq "calls logged" "$calls" "$(psql_db -d "$db" -c "SELECT count(*) FROM fuzz_log")"
check_eq "results that are not a Result" "" "$(psql_db -d "$db" -c "
    SELECT string_agg(DISTINCT fn || ': ' || outcome, '; ') FROM fuzz_log WHERE outcome LIKE 'not a result%'")"
check_eq "error codes not documented, or INTERNAL or CONFIG" "" "$(psql_db -d "$db" -c "
    SELECT string_agg(DISTINCT fn || ': ' || outcome, '; ') FROM fuzz_log
    WHERE outcome LIKE 'error:%' AND substr(outcome, 7) NOT IN ('NOT_FOUND', 'PROJECT_NOT_FOUND', 'NO_INPUTS',
        'INPUT_NOT_FOUND', 'INVALID_INPUTS', 'INVALID_ARGUMENT', 'ILLEGAL_TRANSITION', 'IDEMPOTENCY_CONFLICT',
        'STEP_FAILED')")"
# Raised, and documented: 42501 where the caller lacks the privilege (purge
# by anyone but the owner; anon, which has no privileges on the ledger's
# tables, with claims that name a user, from the calls that touch runs as
# the caller; never from generate), 54000 from the merge of metrics nested
# deeper than 200 levels.
check_eq "errors raised other than the documented ones" "" "$(psql_db -d "$db" -c "
    SELECT string_agg(DISTINCT fn || ' as ' || caller || ': ' || outcome, '; ') FROM fuzz_log
    WHERE outcome LIKE 'raised:%'
      AND NOT (fn = 'purge' AND caller <> 'postgres' AND outcome LIKE 'raised:42501 %')
      AND NOT (caller = 'anon' AND outcome LIKE 'raised:42501 %' AND fn IN ('create', 'set_running',
               'set_succeeded', 'set_failed', 'update_metrics', 'get_by_idempotency_key')
               AND fuzz_user_of(claims) IS NOT NULL)
      AND NOT (fn = 'merge_metrics' AND outcome LIKE 'raised:54000 %')")"
check_eq "purge by other roles refused" "0" "$(psql_db -d "$db" -c "
    SELECT count(*) FROM fuzz_log WHERE fn = 'purge' AND caller <> 'postgres' AND outcome NOT LIKE 'raised:42501 %'")"
check_eq "objects of failed frames still alive" "0" \
    "$(psql_db -d "$db" -c "SELECT project_runs_debug_state() ->> 'live_fault_sentinels'")"
ledger_invariants "$db"
check_eq "functions without an ok (or a value)" "" "$(psql_db -d "$db" -c "
    SELECT string_agg(f, ' ' ORDER BY f) FROM unnest(ARRAY['create', 'get_by_idempotency_key', 'set_running',
        'set_succeeded', 'set_failed', 'update_metrics', 'latest', 'list', 'generate', 'dashboard',
        'current_user_id', 'http_status', 'merge_metrics', 'purge', 'visible_project_ids']) f
    WHERE NOT EXISTS (SELECT 1 FROM fuzz_log l WHERE l.fn = f AND l.outcome IN ('ok', 'value'))")"
check_eq "more than 100 runs left" "t" "$(psql_db -d "$db" -c "SELECT count(*) > 100 FROM project_runs")"

exit $((failures > 0))
