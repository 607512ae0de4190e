-- The dashboard reads each project's last run straight from the index
-- project_runs_project_created_idx (project_runs.dashboard_index_read, on by
-- default). Whatever the index holds, the result is the executor's: the
-- same JSON as with the setting off, and the newest run by created_at, then
-- id, that the statement's snapshot sees. Where the index read does not
-- apply, the dashboard reads through the executor.
SET project_runs.dashboard_index_read = on;

-- The dashboard as it is read now, and what project_runs_debug_state()
-- counted: read from the index (or not), projects left to the executor.
CREATE FUNCTION dashboard_read(OUT result jsonb, OUT from_index bool, OUT left_to_executor bigint)
LANGUAGE plpgsql AS $$
DECLARE
    before jsonb := project_runs_debug_state();
    after jsonb;
BEGIN
    result := project_runs_dashboard();
    after := project_runs_debug_state();
    from_index := (after->>'dashboard_index_reads')::bigint > (before->>'dashboard_index_reads')::bigint;
    left_to_executor := (after->>'dashboard_unread_projects')::bigint
                        - (before->>'dashboard_unread_projects')::bigint;
END $$;
-- Both reads of the dashboard (as the caller) and an independent check of
-- every last run.
CREATE FUNCTION check_last_runs(OUT same_as_executor bool, OUT newest_visible_runs bool,
                                OUT projects int, OUT with_a_run int, OUT read_from_index bool,
                                OUT left_to_executor bigint)
LANGUAGE plpgsql AS $$
DECLARE
    by_index jsonb;
    by_executor jsonb;
    saved text := current_setting('project_runs.dashboard_index_read');
BEGIN
    SELECT * INTO by_index, read_from_index, left_to_executor FROM dashboard_read();
    PERFORM set_config('project_runs.dashboard_index_read', 'off', true);
    by_executor := project_runs_dashboard();
    PERFORM set_config('project_runs.dashboard_index_read', saved, true);
    same_as_executor := by_index = by_executor;
    newest_visible_runs := NOT EXISTS (
        SELECT FROM jsonb_array_elements(by_index->'data') d
        WHERE (d->'last_run'->>'id')::uuid IS DISTINCT FROM (
            SELECT r.id FROM project_runs r WHERE r.project_id = (d->>'project_id')::uuid
            ORDER BY r.created_at DESC, r.id DESC LIMIT 1)
           OR (d->'last_run'->>'status') IS DISTINCT FROM (
            SELECT r.status::text FROM project_runs r WHERE r.project_id = (d->>'project_id')::uuid
            ORDER BY r.created_at DESC, r.id DESC LIMIT 1));
    projects := jsonb_array_length(by_index->'data');
    with_a_run := (SELECT count(*) FROM jsonb_array_elements(by_index->'data') d
                   WHERE d->'last_run' <> 'null');
END $$;

-- 400 restored projects of 0 to 60 runs each (about 12,000 index entries on
-- some 90 leaf pages), so that projects begin, end and span page bounds,
-- with runs in every status and created_at ties broken by id.
INSERT INTO projects (id, user_id, name, created_at)
SELECT ('00000000-0000-4000-9000-' || lpad(to_hex(p), 12, '0'))::uuid,
       '00000000-0000-4000-9000-0000000000e1', 'Bulk ' || p, timestamptz '2026-01-01' + p * interval '1 s'
FROM generate_series(1, 400) p;
SET row_security = off;
INSERT INTO project_runs (id, project_id, input_version, pipeline_version, status, created_at,
    started_at, finished_at, output, error_code, error_message, attempt)
SELECT ('01900000-0000-7000-9000-' || lpad(to_hex(p), 5, '0') || lpad(to_hex(k), 7, '0'))::uuid,
       ('00000000-0000-4000-9000-' || lpad(to_hex(p), 12, '0'))::uuid, k, 'bulk',
       s, t, CASE WHEN s <> 'queued' THEN t END, CASE WHEN s IN ('succeeded', 'failed') THEN t END,
       CASE WHEN s = 'succeeded' THEN '{}'::jsonb END, CASE WHEN s = 'failed' THEN 'STEP_FAILED' END,
       CASE WHEN s = 'failed' THEN 'restored' END, 1
FROM generate_series(1, 400) p, generate_series(1, (p * 37) % 61) k,
     LATERAL (SELECT (ARRAY['queued', 'running', 'succeeded', 'failed'])[1 + (p + k) % 4]::project_run_status AS s,
                     timestamptz '2026-02-01' + (k / 3) * interval '1 min' AS t) v;
RESET row_security;
ANALYZE projects, project_runs;
SELECT * FROM check_last_runs();

-- A newer run whose insert rolled back leaves an entry at the head of its
-- project that no snapshot sees: the next entry holds the last run. Twenty
-- such entries are more than the index read follows for one project: the
-- executor reads that project's last run, with the same result.
BEGIN;
SELECT brief(project_runs_create('00000000-0000-4000-9000-000000000001', 900, 'bulk'));
ROLLBACK;
SELECT * FROM check_last_runs();
BEGIN;
SELECT count(brief(project_runs_create('00000000-0000-4000-9000-000000000002', k, 'bulk')))
FROM generate_series(900, 919) k;
ROLLBACK;
SELECT * FROM check_last_runs();

-- Runs created in this transaction are seen by its later statements, as by
-- the executor; updates that leave their page (not HOT) give a run two
-- entries of one key, one for each version.
BEGIN;
SELECT brief(project_runs_create('00000000-0000-4000-9000-000000000003', 901, 'bulk'));
SELECT * FROM check_last_runs();
ROLLBACK;
BEGIN;
SELECT (project_runs_create('00000000-0000-4000-9000-000000000004', 901, 'bulk')->'data'->>'id')::uuid AS moved \gset
SELECT count(brief(project_runs_update_metrics(:'moved', jsonb_build_object('pad',
           (SELECT string_agg(md5(k || ':' || g), '') FROM generate_series(1, 50) g))))) AS updates
FROM generate_series(1, 8) k;
SELECT n_tup_upd AS updates, n_tup_upd > n_tup_hot_upd AS some_not_hot FROM pg_stat_xact_user_tables
WHERE relid = 'project_runs'::regclass;
SELECT * FROM check_last_runs();
COMMIT;
SELECT * FROM check_last_runs();

-- Where the index read does not apply, the executor reads: a serializable
-- transaction (which takes the executor's predicate locks), no index or one
-- made otherwise (the executor then scans or sorts).
BEGIN ISOLATION LEVEL SERIALIZABLE;
SELECT jsonb_array_length(project_runs_dashboard()->'data') > 400 AS listed;
SELECT count(*) > 0 AS predicate_locks_on_the_runs FROM pg_locks
WHERE mode = 'SIReadLock' AND relation IN ('project_runs'::regclass, 'project_runs_project_created_idx'::regclass);
SELECT * FROM check_last_runs();
COMMIT;
BEGIN;
DROP INDEX project_runs_project_created_idx;
SELECT (result->>'ok')::bool AS ok, from_index FROM dashboard_read();
CREATE INDEX project_runs_project_created_idx ON project_runs (project_id, created_at, id);
SELECT * FROM check_last_runs();
ROLLBACK;
BEGIN;
DROP INDEX project_runs_project_created_idx;
CREATE INDEX project_runs_project_created_idx ON project_runs (project_id, created_at DESC, id DESC)
    WHERE status <> 'queued';
SELECT (result->>'ok')::bool AS ok, from_index FROM dashboard_read();
ROLLBACK;
-- With the setting off, always the executor.
SET project_runs.dashboard_index_read = off;
SELECT read_from_index FROM check_last_runs();
RESET project_runs.dashboard_index_read;

-- As a user under row-level security: its own projects only, read from the
-- index, the same as through the executor.
GRANT SELECT ON projects TO authenticated;
BEGIN;
SET LOCAL ROLE authenticated;
SELECT set_config('request.jwt.claims', '{"sub": "00000000-0000-4000-9000-0000000000e1"}', true) IS NOT NULL AS claims;
SELECT d.from_index, jsonb_array_length(d.result->'data') AS projects, d.left_to_executor,
       d.result = (SELECT project_runs_dashboard()
                   FROM (SELECT set_config('project_runs.dashboard_index_read', 'off', true)) s) AS same_as_executor
FROM dashboard_read() d;
ROLLBACK;
REVOKE SELECT ON projects FROM authenticated;

-- The index read counts as index scans in the statistics, one per project,
-- as the executor's scan of the index does (plus the executor's own scans).
BEGIN;
SELECT pg_stat_get_xact_numscans('project_runs_project_created_idx'::regclass) AS scans_before \gset
SELECT jsonb_array_length(result->'data') AS projects, left_to_executor FROM dashboard_read() \gset
SELECT pg_stat_get_xact_numscans('project_runs_project_created_idx'::regclass) - :scans_before
       = :projects + :left_to_executor AS one_scan_per_project;
COMMIT;
SELECT project_runs_debug_state() - '{dashboard_index_reads, dashboard_unread_projects}'::text[] AS debug_state;
