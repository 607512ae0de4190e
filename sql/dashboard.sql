-- project_runs_dashboard: every visible project, newest first, with its
-- last run derived from project_runs, or null ("Never").
INSERT INTO projects (id, user_id, name, created_at) VALUES
    ('00000000-0000-4000-8000-0000000000f1', '00000000-0000-4000-8000-0000000000f0', 'Old', '2024-01-01'),
    ('00000000-0000-4000-8000-0000000000f2', '00000000-0000-4000-8000-0000000000f0', 'New', '2030-01-01'),
    ('00000000-0000-4000-8000-0000000000f3', '00000000-0000-4000-8000-0000000000f0', 'Newest, never run', '2031-01-01');
SELECT brief(project_runs_create('00000000-0000-4000-8000-0000000000f1', 1, 'v1'));
SELECT (project_runs_create('00000000-0000-4000-8000-0000000000f1', 2, 'v1')->'data'->>'id')::uuid AS old_last \gset
SELECT brief(project_runs_set_running(:'old_last'));
SELECT brief(project_runs_create('00000000-0000-4000-8000-0000000000f2', 1, 'v1'));

SELECT (project_runs_dashboard()->>'ok')::bool AS ok,
       jsonb_array_length(project_runs_dashboard()->'data') = (SELECT count(*) FROM projects) AS every_project;
-- Newest projects first; last run or "Never".
SELECT d->>'name' AS name, coalesce(d->'last_run'->>'status', 'Never') AS last_run,
       (d->'last_run'->>'id')::uuid = (SELECT id FROM project_runs r WHERE r.project_id = (d->>'project_id')::uuid
                                       ORDER BY created_at DESC, id DESC LIMIT 1) AS is_newest_run,
       CASE jsonb_typeof(d->'last_run') WHEN 'object' THEN (SELECT array_agg(k ORDER BY k) FROM jsonb_object_keys(d->'last_run') k) END AS last_run_keys
FROM jsonb_array_elements(project_runs_dashboard()->'data') WITH ORDINALITY AS t(d, n)
WHERE d->>'name' IN ('Old', 'New', 'Newest, never run') ORDER BY n;
SELECT (d->'last_run'->>'id')::uuid = :'old_last' AS old_shows_its_last_run
FROM jsonb_array_elements(project_runs_dashboard()->'data') d WHERE d->>'name' = 'Old';

-- The working memory of a large result is given back when the call returns:
-- a pooled backend does not hold it until its next call (the scratch
-- context keeps its first megabyte only). 5,000 projects with long names
-- make a result of about 1.5 MB.
BEGIN;
INSERT INTO projects (id, user_id, name)
SELECT gen_random_uuid(), gen_random_uuid(), repeat('p', 200) || g FROM generate_series(1, 5000) g;
SELECT jsonb_array_length(project_runs_dashboard() -> 'data') > 5000 AS listed,
       pg_column_size(project_runs_dashboard()) > 1024 * 1024 AS over_a_megabyte;
SELECT total_bytes <= 1024 * 1024 + 8192 AS scratch_given_back
FROM pg_backend_memory_contexts WHERE name = 'project_runs scratch';
ROLLBACK;

-- Each last run is read from project_runs_project_created_idx directly (the
-- first visible entry of the project, then its row): it must be the run
-- that ORDER BY created_at DESC, id DESC LIMIT 1 gives, also where a
-- project's entries fill more than one leaf page (up to 400 runs here),
-- for a project without runs between projects with many, and after
-- REINDEX. The dashboard as superuser lists every project.
BEGIN;
CREATE TEMP TABLE many AS
SELECT g, ('00000000-0000-4000-8eee-' || lpad(to_hex(g), 12, '0'))::uuid AS id,
       CASE WHEN g % 10 = 0 THEN 0 ELSE (g * 37) % 401 END AS runs
FROM generate_series(1, 120) g;
INSERT INTO projects (id, user_id, name) SELECT id, '00000000-0000-4000-8000-0000000000e0', 'many ' || g FROM many;
SELECT count(brief(project_runs_create(m.id, i, 'v1'))) AS runs_made
FROM many m, generate_series(1, m.runs) i;
-- The same call with project_runs.dashboard_index_read off runs the
-- statement instead: the answers must be equal.
CREATE FUNCTION pg_temp.dashboard_by_statement() RETURNS jsonb LANGUAGE sql
    SET project_runs.dashboard_index_read = off AS 'SELECT project_runs_dashboard()';
CREATE TEMP VIEW last_run_mismatches AS
SELECT count(*) FILTER (WHERE (d->'last_run'->>'id')::uuid IS DISTINCT FROM
           (SELECT r.id FROM project_runs r WHERE r.project_id = (d->>'project_id')::uuid
            ORDER BY r.created_at DESC, r.id DESC LIMIT 1)) AS mismatches,
       count(*) FILTER (WHERE d->'last_run' = 'null') AS never,
       count(*) AS projects,
       (SELECT project_runs_dashboard() = pg_temp.dashboard_by_statement()) AS same_as_statement
FROM jsonb_array_elements(project_runs_dashboard()->'data') d;
SELECT * FROM last_run_mismatches;
SELECT pg_relation_size('project_runs_project_created_idx') / 8192 > 40 AS index_has_many_pages;
-- Runs rolled back are still in the index, newest first: the last run is
-- the newest committed one, behind 3 of them, and behind 20 (more than the
-- direct read looks at before it leaves the call to the statement).
SAVEPOINT a;
SELECT count(brief(project_runs_create(m.id, 1000 + i, 'v1'))) FROM many m, generate_series(1, 3) i WHERE g <= 10;
ROLLBACK TO SAVEPOINT a;
SELECT * FROM last_run_mismatches;
SAVEPOINT b;
SELECT count(brief(project_runs_create(m.id, 2000 + i, 'v1'))) FROM many m, generate_series(1, 20) i WHERE g <= 10;
ROLLBACK TO SAVEPOINT b;
SELECT * FROM last_run_mismatches;
-- 600 runs rolled back in one project fill pages of their own in front of
-- its committed runs; once a scan has marked their entries dead, the read
-- skips them, page after page, to the committed ones.
SAVEPOINT c;
SELECT count(brief(project_runs_create(m.id, 3000 + i, 'v1'))) FROM many m, generate_series(1, 600) i WHERE g = 11;
ROLLBACK TO SAVEPOINT c;
SELECT * FROM last_run_mismatches;
SELECT * FROM last_run_mismatches;
REINDEX INDEX project_runs_project_created_idx;
SELECT * FROM last_run_mismatches;
COMMIT;
-- A new index under the same name (REINDEX CONCURRENTLY) is found by name.
-- Without the index, or with another index under its name, the statement
-- answers, the same.
REINDEX INDEX CONCURRENTLY project_runs_project_created_idx;
SELECT * FROM last_run_mismatches;
BEGIN;
ALTER INDEX project_runs_project_created_idx RENAME TO project_runs_created_idx_aside;
SELECT * FROM last_run_mismatches;
CREATE INDEX project_runs_project_created_idx ON project_runs (project_id, created_at, id);
SELECT * FROM last_run_mismatches;
ROLLBACK;
-- Under SERIALIZABLE the read takes the predicate locks an index scan takes:
-- on the index pages it read and the rows it returned (or, past
-- PostgreSQL's per-page and per-relation limits, on what holds them).
BEGIN ISOLATION LEVEL SERIALIZABLE;
SELECT jsonb_array_length(project_runs_dashboard()->'data') > 120 AS listed;
SELECT count(*) FILTER (WHERE relation = 'project_runs_project_created_idx'::regclass) > 0 AS index_pages_locked,
       count(*) FILTER (WHERE relation = 'project_runs'::regclass) > 0 AS rows_locked
FROM pg_locks WHERE mode = 'SIReadLock' AND pid = pg_backend_pid();
COMMIT;
DO $$ BEGIN PERFORM project_runs_purge(id) FROM projects WHERE user_id = '00000000-0000-4000-8000-0000000000e0'; END $$;
DELETE FROM projects WHERE user_id = '00000000-0000-4000-8000-0000000000e0';

-- "Last run" is never stored: no latest_* column anywhere in the database,
-- and no reference to one: no function body, view, policy, index, default
-- or constraint outside the system schemas names a latest_* identifier.
CREATE FUNCTION stored_latest_columns() RETURNS bigint LANGUAGE sql AS $$
    SELECT count(*) FROM information_schema.columns
    WHERE column_name LIKE 'latest\_%' AND table_schema NOT IN ('pg_catalog', 'information_schema') $$;
CREATE FUNCTION stored_latest_references() RETURNS bigint LANGUAGE sql AS $f$
    SELECT count(*) FROM (
        SELECT p.prosrc AS def FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
        WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND p.proname <> 'stored_latest_references'
        UNION ALL
        SELECT pg_get_viewdef(c.oid) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE c.relkind IN ('v', 'm') AND n.nspname NOT IN ('pg_catalog', 'information_schema')
        UNION ALL
        SELECT concat(pg_get_expr(pol.polqual, pol.polrelid), ' ', pg_get_expr(pol.polwithcheck, pol.polrelid))
        FROM pg_policy pol
        UNION ALL
        SELECT pg_get_indexdef(i.indexrelid) FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
        JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')
        UNION ALL
        SELECT pg_get_expr(d.adbin, d.adrelid) FROM pg_attrdef d
        UNION ALL
        SELECT pg_get_constraintdef(co.oid) FROM pg_constraint co JOIN pg_namespace n ON n.oid = co.connamespace
        WHERE n.nspname NOT IN ('pg_catalog', 'information_schema')
    ) s WHERE def ~ '\mlatest_' $f$;
SELECT stored_latest_columns(), stored_latest_references();
-- The checks see both, when there is something to see.
-- (The column's name is built here, so that test/sh/01_no_stored_latest.sh,
-- which looks for such names in the sources, does not find it.)
BEGIN;
DO $$ BEGIN
    EXECUTE format('ALTER TABLE projects ADD COLUMN %I uuid', 'latest' || '_run_id');
    EXECUTE format('CREATE VIEW project_heads AS SELECT id, %I FROM projects', 'latest' || '_run_id');
END $$;
SELECT stored_latest_columns() AS with_a_column, stored_latest_references() AS with_a_view;
ROLLBACK;
DROP FUNCTION stored_latest_columns();
DROP FUNCTION stored_latest_references();
