-- The contract's functions on their happy paths: create, idempotency,
-- transitions, retries, metrics, latest and list.
\set alpha '''00000000-0000-4000-8000-00000000000a'''
\set beta '''00000000-0000-4000-8000-00000000000b'''

-- A run starts queued, with a server-set UUIDv7 id and created_at.
SELECT brief(r), r->'data'->>'input_version' AS input_version,
       substr(r->'data'->>'id', 15, 1) AS uuid_version,
       (r->'data'->>'created_at')::timestamptz <= clock_timestamp() AS created_in_past
FROM project_runs_create(:alpha, 1, 'v1', 'alpha:1:v1') AS r;

-- The same key and parameters: the same run, created false.
SELECT brief(r) FROM project_runs_create(:alpha, 1, 'v1', 'alpha:1:v1') AS r;
SELECT count(*) AS runs_with_key FROM project_runs WHERE idempotency_key = 'alpha:1:v1';

-- The same key with other parameters: IDEMPOTENCY_CONFLICT.
SELECT brief(r) FROM project_runs_create(:alpha, 2, 'v1', 'alpha:1:v1') AS r;
SELECT brief(r) FROM project_runs_create(:beta, 1, 'v1', 'alpha:1:v1') AS r;
SELECT brief(r) FROM project_runs_create(:alpha, 1, 'v2', 'alpha:1:v1') AS r;

-- Without a key, every call creates a run.
SELECT brief(project_runs_create(:alpha, 1, 'v1')) FROM generate_series(1, 2);

-- queued -> running -> succeeded, with started_at and finished_at set.
SELECT (project_runs_get_by_idempotency_key('alpha:1:v1')->'data'->>'id')::uuid AS run1 \gset
SELECT brief(r), r->'data'->>'started_at' IS NOT NULL AS has_started_at
FROM project_runs_set_running(:'run1') AS r;
-- Already running: nothing changes and the call succeeds.
SELECT brief(project_runs_set_running(:'run1'));
SELECT (SELECT started_at FROM project_runs WHERE id = :'run1') =
       (project_runs_set_running(:'run1')->'data'->>'started_at')::timestamptz AS started_at_kept;
SELECT brief(project_runs_update_metrics(:'run1', '{"steps": [{"name": "collect", "status": "running"}], "tokens": 10}'));
SELECT brief(r), r->'data'->'output' AS output, r->'data'->'metrics' AS metrics,
       (r->'data'->>'finished_at')::timestamptz >= (r->'data'->>'started_at')::timestamptz AS ordered
FROM project_runs_set_succeeded(:'run1', '{"summary": {"opportunities": 3}}',
    '{"steps": [{"name": "collect", "status": "succeeded"}, {"name": "write", "status": "succeeded"}]}') AS r;

-- A finished run is frozen: every function refuses to move it.
SELECT brief(project_runs_set_running(:'run1'));
SELECT brief(project_runs_set_succeeded(:'run1', '{}'));
SELECT brief(project_runs_set_failed(:'run1', 'X', 'late'));
SELECT brief(project_runs_update_metrics(:'run1', '{"a": 1}'));
SELECT r->'error'->'detail'->>'from' AS from_status, r->'error'->'detail'->>'to' AS to_status
FROM project_runs_set_running(:'run1') AS r;

-- queued -> succeeded is not a legal move.
SELECT (project_runs_create(:alpha, 1, 'v1', 'alpha:skip')->'data'->>'id')::uuid AS run2 \gset
SELECT brief(project_runs_set_succeeded(:'run2', '{}'));

-- queued -> failed, then a retry on the same key makes attempt 2.
SELECT brief(r), r->'data'->>'error_code' AS code, r->'data'->>'error_message' AS message,
       r->'data'->'error_detail' AS detail, r->'data'->>'started_at' AS started_at
FROM project_runs_set_failed(:'run2', 'UPSTREAM', 'the model timed out', '{"timeout_ms": 30000}') AS r;
SELECT brief(project_runs_create(:alpha, 1, 'v1', 'alpha:skip'));
SELECT brief(project_runs_create(:alpha, 1, 'v1', 'alpha:skip'));
SELECT brief(project_runs_get_by_idempotency_key('alpha:skip'));
SELECT attempt, status FROM project_runs WHERE idempotency_key = 'alpha:skip' ORDER BY attempt;
-- running -> failed, and attempt 3 after it.
SELECT (project_runs_get_by_idempotency_key('alpha:skip')->'data'->>'id')::uuid AS run3 \gset
SELECT brief(project_runs_set_running(:'run3'));
SELECT brief(project_runs_set_failed(:'run3', 'STEP_FAILED', 'boom', NULL, '{"steps": [{"name": "a", "status": "failed"}]}'));
SELECT brief(project_runs_create(:alpha, 1, 'v1', 'alpha:skip'));

-- Every insert and transition is in the event log, in order.
SELECT e.from_status, e.to_status, e.at = coalesce(CASE e.to_status
           WHEN 'queued' THEN r.created_at WHEN 'running' THEN r.started_at
           ELSE r.finished_at END, 'infinity') AS at_matches_run
FROM project_run_events e JOIN project_runs r ON r.id = e.run_id
WHERE r.id = :'run1' ORDER BY e.at;
SELECT r.attempt, string_agg(coalesce(e.from_status::text, '-') || '>' || e.to_status, ' ' ORDER BY e.at, e.to_status) AS events
FROM project_runs r JOIN project_run_events e ON e.run_id = r.id
WHERE r.idempotency_key = 'alpha:skip' GROUP BY r.attempt ORDER BY r.attempt;
-- One transaction holding all three steps still leaves three events.
BEGIN;
SELECT (project_runs_create(:beta, 7, 'v1')->'data'->>'id')::uuid AS run4 \gset
SELECT brief(project_runs_set_running(:'run4'));
SELECT brief(project_runs_set_succeeded(:'run4', '{"done": true}'));
COMMIT;
SELECT string_agg(coalesce(from_status::text, '-') || '>' || to_status, ' ' ORDER BY at, to_status) AS events
FROM project_run_events WHERE run_id = :'run4';

-- latest and list, newest first.
SELECT brief(project_runs_latest(:beta)), project_runs_latest(:beta)->'data'->>'id' = :'run4' AS is_run4;
INSERT INTO projects (id, user_id, name)
VALUES ('00000000-0000-4000-8000-00000000000c', '00000000-0000-4000-8000-0000000000c1', 'Empty');
SELECT project_runs_latest('00000000-0000-4000-8000-00000000000c');
SELECT jsonb_array_length(r->'data') AS n,
       (SELECT bool_and((a.v->>'created_at')::timestamptz >= (b.v->>'created_at')::timestamptz)
        FROM jsonb_array_elements(r->'data') WITH ORDINALITY AS a(v, o)
        JOIN jsonb_array_elements(r->'data') WITH ORDINALITY AS b(v, o) ON b.o = a.o + 1) AS newest_first,
       (SELECT count(*) FROM project_runs WHERE project_id = :alpha) AS expected
FROM project_runs_list(:alpha) AS r;
SELECT jsonb_array_length(project_runs_list(:alpha, 2)->'data') AS two;
SELECT jsonb_array_length(project_runs_list(:alpha, 50,
    (SELECT created_at FROM project_runs WHERE id = :'run2'))->'data') AS before_run2,
    (SELECT count(*) FROM project_runs WHERE project_id = :alpha
        AND created_at < (SELECT created_at FROM project_runs WHERE id = :'run2')) AS expected;
SELECT project_runs_list('00000000-0000-4000-8000-00000000000c');

-- Runs that share a created_at (restored from a system with coarser clocks)
-- are never split across pages: a page ends after the last of them, so
-- paging with before = the last created_at of a page loses none.
INSERT INTO projects (id, user_id, name)
VALUES ('00000000-0000-4000-8000-00000000000d', '00000000-0000-4000-8000-0000000000d1', 'Migrated');
SET row_security = off;
INSERT INTO project_runs (id, project_id, input_version, pipeline_version, status, created_at,
    started_at, finished_at, output, attempt)
SELECT ('01900000-0000-7000-8000-0000000000' || n)::uuid, '00000000-0000-4000-8000-00000000000d', 1,
       'old', 'succeeded', t, t, t, '{}', 1
FROM (VALUES (11, timestamptz '2025-03-01 13:00'), (12, '2025-03-01 12:00'), (13, '2025-03-01 12:00'),
             (14, '2025-03-01 12:00'), (15, '2025-03-01 10:00'), (16, '2025-03-01 10:00')) v(n, t);
RESET row_security;
CREATE FUNCTION page_ids(r jsonb) RETURNS text LANGUAGE sql AS $$
    SELECT string_agg(right(v->>'id', 2), ' ' ORDER BY o) FROM jsonb_array_elements(r->'data') WITH ORDINALITY AS a(v, o) $$;
SELECT page_ids(project_runs_list('00000000-0000-4000-8000-00000000000d', 1)) AS page_of_1,
       page_ids(project_runs_list('00000000-0000-4000-8000-00000000000d', 2)) AS page_of_2_ends_after_the_tie,
       page_ids(project_runs_list('00000000-0000-4000-8000-00000000000d', 4)) AS page_of_4,
       page_ids(project_runs_list('00000000-0000-4000-8000-00000000000d', 2, '2025-03-01 12:00')) AS next_page,
       page_ids(project_runs_list('00000000-0000-4000-8000-00000000000d', 1, '2025-03-01 12:00')) AS next_page_of_1;
WITH RECURSIVE pages(n, page, last) AS (
    SELECT 1, r->'data', (r->'data'->-1->>'created_at')::timestamptz
    FROM project_runs_list('00000000-0000-4000-8000-00000000000d', 2) r
    UNION ALL
    SELECT n + 1, r->'data', (r->'data'->-1->>'created_at')::timestamptz
    FROM pages, LATERAL project_runs_list('00000000-0000-4000-8000-00000000000d', 2, last) r
    WHERE jsonb_array_length(page) > 0 AND n < 10)
SELECT count(*) FILTER (WHERE jsonb_array_length(page) > 0) AS pages,
       sum(jsonb_array_length(page)) AS runs_paged,
       (SELECT count(*) FROM project_runs WHERE project_id = '00000000-0000-4000-8000-00000000000d') AS runs
FROM pages;
DROP FUNCTION page_ids(jsonb);

-- The HTTP status of every error code.
SELECT code, project_runs_http_status(code) FROM unnest(ARRAY['NOT_FOUND', 'PROJECT_NOT_FOUND',
    'INPUT_NOT_FOUND', 'INVALID_ARGUMENT', 'NO_INPUTS', 'INVALID_INPUTS', 'ILLEGAL_TRANSITION',
    'IDEMPOTENCY_CONFLICT', 'STEP_FAILED', 'CONFIG', 'INTERNAL', 'SOMETHING_ELSE', 'not_found']) AS code;
SELECT project_runs_http_status(NULL);

-- The run in every result is exactly the row, as to_jsonb() shows it.
CREATE TEMP TABLE returned AS
SELECT project_runs_update_metrics(r.id, '{"check": 1}')->'data' AS run
FROM project_runs r WHERE r.status IN ('queued', 'running');
INSERT INTO returned SELECT project_runs_create(:alpha, 5, 'v1', 'alpha:exact')->'data';
INSERT INTO returned SELECT project_runs_set_running(id)->'data' FROM project_runs WHERE idempotency_key = 'alpha:exact';
INSERT INTO returned SELECT project_runs_set_succeeded(id, '{"exact": true}', '{"m": 2}')->'data' FROM project_runs WHERE idempotency_key = 'alpha:exact';
SELECT count(*) AS results, count(*) FILTER (WHERE t.run = to_jsonb(x)) AS equal_to_the_row
FROM returned t JOIN project_runs x ON x.id = (t.run->>'id')::uuid
WHERE t.run->>'status' = x.status::text;
