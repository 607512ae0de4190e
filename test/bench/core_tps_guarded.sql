-- pgbench script (section "core"): one run through the extension,
-- create -> set_running -> set_succeeded, in one transaction.
-- Variables: -D nprojects=N (projects seeded by setup.sql).
-- Keep the statement order in step with core_tps_floor.sql: scripts/bench.sh
-- pairs their per-statement latencies line by line.
\set p 100000000000 + random(1, :nprojects)
\set r random(1, 9000000000000000000)
BEGIN;
SELECT (project_runs_create(('00000000-0000-4000-8000-' || :p)::uuid, 1, 'bench.v1', 'b-' || :client_id || '-' || :r)->'data'->>'id') AS run_id \gset
SELECT project_runs_set_running(:run_id::uuid);
SELECT project_runs_set_succeeded(:run_id::uuid, '{"summary":{"n":1}}', '{"steps":[{"name":"collect_evidence","status":"succeeded","duration_ms":3}]}');
COMMIT;
