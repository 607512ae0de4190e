-- Section "dashboard": the plans of the statements project_runs_dashboard()
-- runs (through SPI), as an authenticated user, with auto_explain (ANALYZE,
-- BUFFERS) sent to the client as NOTICEs, with project_runs.dashboard_index_read
-- off (on, the last runs are read from the index without a statement). The function is called a few
-- times first so that the statement's cached plan is the one it keeps using
-- (after five calls the plan cache may switch to a generic plan).
-- psql variables: user (the user number).
\set ON_ERROR_STOP 1
LOAD 'auto_explain';
SET auto_explain.log_min_duration = 0;
SET auto_explain.log_nested_statements = on;
SET auto_explain.log_analyze = on;
SET auto_explain.log_buffers = on;
SET auto_explain.log_timing = on;
SET auto_explain.log_level = notice;
SET client_min_messages = warning;
SET project_runs.dashboard_index_read = off;
BEGIN;
SELECT set_config('role', 'authenticated', true), set_config('request.jwt.claims', bench_claims(:user), true) \g /dev/null
SELECT project_runs_dashboard() FROM generate_series(1, 8) \g /dev/null
SET LOCAL client_min_messages = notice;
SELECT jsonb_array_length(project_runs_dashboard() -> 'data') AS projects_listed;
COMMIT;
