-- pgbench script (section "dashboard"): the call alone, as
-- dashboard_call.sql, with project_runs.dashboard_index_read off for the
-- call: the last runs come from the SQL statement instead of the index
-- read, for the comparison of the two. Variables: -D users=N.
\set u random(0, :users - 1)
SELECT project_runs_dashboard() FROM (SELECT set_config('role', 'authenticated', true), set_config('request.jwt.claims', bench_claims(:u), true), set_config('project_runs.dashboard_index_read', 'off', true) OFFSET 0) s;
