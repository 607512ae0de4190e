-- Bad input never raises: each call returns {"ok": false, "error": ...}
-- with a precise code, nothing is written, and the session stays usable.
\set alpha '''00000000-0000-4000-8000-00000000000a'''
\set nobody '''00000000-0000-4000-8000-00000000dead'''
SELECT count(*) AS runs_before FROM project_runs \gset

-- NULL arguments.
SELECT brief(project_runs_create(NULL, 1, 'v1'));
SELECT brief(project_runs_create(:alpha, 1, NULL));
SELECT project_runs_create(:alpha, 1, NULL)->'error'->'detail' AS detail;
SELECT brief(project_runs_get_by_idempotency_key(NULL));
SELECT brief(project_runs_set_running(NULL));
SELECT brief(project_runs_set_succeeded(NULL, '{}'));
SELECT brief(project_runs_set_succeeded(:nobody, NULL));
SELECT brief(project_runs_set_failed(NULL, 'X', 'y'));
SELECT brief(project_runs_set_failed(:nobody, NULL, 'y'));
SELECT brief(project_runs_set_failed(:nobody, 'X', NULL));
SELECT brief(project_runs_update_metrics(NULL, '{}'));
SELECT brief(project_runs_update_metrics(:nobody, NULL));
SELECT brief(project_runs_latest(NULL));
SELECT brief(project_runs_list(NULL));
SELECT brief(project_runs_list(:alpha, NULL));

-- Unknown ids.
SELECT brief(project_runs_create(:nobody, 1, 'v1'));
SELECT project_runs_create(:nobody, 1, 'v1')->'error' AS error;
SELECT brief(project_runs_get_by_idempotency_key('no such key'));
SELECT brief(project_runs_set_running(:nobody));
SELECT project_runs_set_running(:nobody)->'error' AS error;
SELECT brief(project_runs_set_succeeded(:nobody, '{}'));
SELECT brief(project_runs_set_failed(:nobody, 'X', 'y'));
SELECT brief(project_runs_update_metrics(:nobody, '{}'));
SELECT brief(project_runs_latest(:nobody));
SELECT brief(project_runs_list(:nobody));

-- JSON of the wrong kind.
SELECT (project_runs_create(:alpha, 1, 'v1')->'data'->>'id')::uuid AS run \gset
SELECT brief(project_runs_update_metrics(:'run', '[1, 2]'));
SELECT brief(project_runs_update_metrics(:'run', '"fast"'));
SELECT brief(project_runs_update_metrics(:'run', 'null'));
SELECT brief(project_runs_set_running(:'run'));
SELECT brief(project_runs_set_succeeded(:'run', '"done"'));
SELECT brief(project_runs_set_succeeded(:'run', '[{"a": 1}]'));
SELECT brief(project_runs_set_succeeded(:'run', '42'));
SELECT brief(project_runs_set_succeeded(:'run', '{}', '[]'));
SELECT brief(project_runs_set_failed(:'run', 'X', 'y', '"detail"'));
SELECT brief(project_runs_set_failed(:'run', 'X', 'y', NULL, '[]'));
SELECT project_runs_set_succeeded(:'run', '"done"')->'error' AS error;
-- Metrics nested deeper than the merge reads (200 levels): INVALID_ARGUMENT
-- from the functions, PR005 from a direct UPDATE, 54000 from the merge.
\set deep '(''{"a": '' || repeat(''['', 200) || ''1'' || repeat('']'', 200) || ''}'')::jsonb'
\set limit '(''{"a": '' || repeat(''['', 199) || ''1'' || repeat('']'', 199) || ''}'')::jsonb'
SELECT brief(project_runs_update_metrics(:'run', :deep));
SELECT brief(project_runs_set_succeeded(:'run', '{}', :deep));
SELECT brief(project_runs_set_failed(:'run', 'X', 'y', NULL, :deep));
SELECT project_runs_update_metrics(:'run', :deep)->'error' AS error;
SELECT expect_error(format('UPDATE project_runs SET metrics = %L WHERE id = %L', :deep, :'run'));
SELECT expect_error(format('SELECT project_runs_merge_metrics(''{"a": 1}'', %L)', :deep));
SELECT jsonb_typeof(project_runs_merge_metrics('{"a": 1}', :limit)) AS at_the_limit;
-- The run is untouched by all of that.
SELECT status, metrics, output FROM project_runs WHERE id = :'run';

-- Empty, negative and very long values.
SELECT brief(project_runs_create(:alpha, 1, ''));
SELECT brief(project_runs_create(:alpha, -1, 'v1'));
SELECT brief(project_runs_create(:alpha, 1, 'v1', ''));
SELECT brief(project_runs_create(:alpha, 1, repeat('v', 201)));
SELECT brief(project_runs_create(:alpha, 1, repeat('v', 200))) AS at_the_limit;
SELECT brief(project_runs_create(:alpha, 1, 'v1', repeat('k', 501)));
SELECT project_runs_create(:alpha, 1, 'v1', repeat('k', 100000))->'error' AS error;
SELECT brief(project_runs_get_by_idempotency_key(repeat('k', 501)));
SELECT brief(project_runs_get_by_idempotency_key(''));
SELECT brief(project_runs_generate(:alpha, -1));
SELECT count(*) AS runs_with_a_negative_version FROM project_runs WHERE input_version < 0;
SELECT brief(project_runs_set_failed(:'run', repeat('E', 101), 'y'));
SELECT brief(project_runs_set_failed(:'run', '', 'y'));
SELECT brief(project_runs_set_failed(:'run', 'E', repeat('m', 10001)));

-- max_rows out of range.
SELECT brief(project_runs_list(:alpha, 0));
SELECT brief(project_runs_list(:alpha, -5));
SELECT brief(project_runs_list(:alpha, 1001));
SELECT brief(project_runs_list(:alpha, 2147483647));
SELECT project_runs_list(:alpha, -5)->'error' AS error;
SELECT brief(project_runs_list(:alpha, 1000)) AS at_the_limit;

-- In a read-only transaction (BEGIN READ ONLY, a hot standby) the reading
-- functions answer, and so does create with a key a run holds; a call that
-- has to write raises PostgreSQL's own 25006, which PostgREST answers with
-- 405, and writes nothing.
SELECT (project_runs_create(:alpha, 1, 'ro.v1', 'ro-held')->'data'->>'id')::uuid AS ro_held \gset
BEGIN READ ONLY;
SELECT r->>'ok' AS ok, r->>'created' AS created, (r->'data'->>'id')::uuid = :'ro_held' AS same_run
FROM project_runs_create(:alpha, 1, 'ro.v1', 'ro-held') r;
SELECT expect_error($$SELECT project_runs_create('00000000-0000-4000-8000-00000000000a', 1, 'ro.v1', 'ro-new')$$);
SELECT brief(project_runs_latest(:alpha)) AS latest, brief(project_runs_list(:alpha)) AS list,
       (project_runs_dashboard()->>'ok') AS dashboard,
       brief(project_runs_get_by_idempotency_key('no such key')) AS by_key;
SELECT expect_error($$SELECT project_runs_create('00000000-0000-4000-8000-00000000000a', 1, 'ro.v1')$$);
SELECT expect_error($$SELECT project_runs_set_running('00000000-0000-4000-8000-000000000000')$$);
ROLLBACK;

-- The caller's user id is read as Supabase's auth.uid() reads it: the claim
-- request.jwt.claim.sub, else request.jwt.claims ->> 'sub' (as jsonb decodes
-- it), cast to uuid; where auth.uid() would raise, there is no user. Each
-- case is compared with that expression, run by PostgreSQL itself.
CREATE FUNCTION auth_uid_or_null() RETURNS uuid LANGUAGE plpgsql AS $$
BEGIN
    RETURN coalesce(nullif(current_setting('request.jwt.claim.sub', true), ''),
                    (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'sub'))::uuid;
EXCEPTION WHEN OTHERS THEN
    RETURN NULL;
END $$;
CREATE FUNCTION user_id_as(claim_sub text, claims text) RETURNS TABLE (auth_uid uuid, ours uuid)
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM set_config('request.jwt.claim.sub', coalesce(claim_sub, ''), false),
            set_config('request.jwt.claims', coalesce(claims, ''), false);
    RETURN QUERY SELECT auth_uid_or_null(), project_runs_current_user_id();
END $$;
SELECT coalesce(claim_sub, '-') AS claim_sub,
       CASE WHEN length(claims) > 200 THEN left(claims, 60) || '... (' || length(claims) || ' bytes)'
            ELSE coalesce(claims, '-') END AS claims,
       u.ours AS user_id, u.ours IS NOT DISTINCT FROM u.auth_uid AS as_auth_uid
FROM (VALUES
    (NULL, '{"sub": "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"}'),
    (NULL, '{"sub": "A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11"}'),
    (NULL, '{"sub": "{a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11}"}'),
    (NULL, '{"sub": "a0eebc999c0b4ef8bb6d6bb9bd380a11"}'),
    (NULL, '{"sub": "a0ee-bc99-9c0b-4ef8-bb6d-6bb9-bd38-0a11"}'),
    (NULL, '{"sub": "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11-"}'),
    (NULL, '{"sub": " a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"}'),
    (NULL, '{"sub": "a0e-ebc99-9c0b-4ef8-bb6d-6bb9bd380a11"}'),
    (NULL, '{"sub": "\u0061\u0030eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"}'),
    (NULL, '{"\u0073ub": "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"}'),
    (NULL, '{"sub": "00000000-0000-4000-8000-000000000001", "sub": "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"}'),
    (NULL, '{"sub": "00000000-0000-4000-8000-000000000001", "s\u0075b": "x", "sub": "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"}'),
    (NULL, '{"s\u0075b": "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", "sub": "x", "\u0073ub": "00000000-0000-4000-8000-000000000001"}'),
    (NULL, '{"sub": "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11\u0000"}'),
    (NULL, '{"sub": 42}'),
    (NULL, '{"sub": null}'),
    (NULL, '["a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"]'),
    (NULL, '{not json'),
    (NULL, '{"role": "authenticated"}'),
    -- what jsonb refuses in the other claims (auth.uid() raises), what it
    -- reads (a valid surrogate pair, an exponent in range, nesting deeper
    -- than 200 levels), and a sub that is a number (numeric's text)
    (NULL, '{"sub": "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", "x": 1e999999}'),
    (NULL, '{"sub": "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", "x": 0e-20000}'),
    (NULL, '{"sub": "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", "x": "\u0000"}'),
    (NULL, '{"sub": "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", "x": "\ud800"}'),
    (NULL, '{"sub": "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", "x": "\udc00\ud800"}'),
    (NULL, '{"sub": "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", "x": "\ud83d\ude00"}'),
    (NULL, '{"sub": "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", "x": 1e5}'),
    (NULL, '{"sub": "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", "x": 0.' || repeat('0', 20000) || '1}'),
    (NULL, '{"sub": "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", "x": 1' || repeat('0', 20000) || '}'),
    (NULL, '{"sub": "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", "x": ' || repeat('[', 300) || repeat(']', 300) || '}'),
    (NULL, '{"sub": "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", "x": ' || repeat('[', 100000) || repeat(']', 100000) || '}'),
    (NULL, '{"sub": 12345678123456781234567812345678}'),
    (NULL, '{"sub": 1.2345678123456781234567812345678e31}'),
    (NULL, '{"sub": true}'),
    ('{a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11}', '{"sub": "00000000-0000-4000-8000-000000000001"}'),
    ('a0eebc999c0b4ef8bb6d6bb9bd380a11', NULL),
    ('not a uuid', '{"sub": "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"}')
) v(claim_sub, claims), user_id_as(claim_sub, claims) u;
RESET request.jwt.claim.sub;
RESET request.jwt.claims;
DROP FUNCTION user_id_as(text, text);
DROP FUNCTION auth_uid_or_null();

-- Only the run above, the call at the pipeline_version limit and the run
-- holding 'ro-held' wrote anything.
SELECT count(*) - :runs_before AS new_runs FROM project_runs;
SELECT 1 AS session_still_usable;
