-- pgbench script (section "core", breakdown): the same three statements as
-- core_tps_floor.sql, but on project_runs itself, so the C++ triggers (guards
-- and event log) run while no project_runs_* function is called.
-- Variables: -D nprojects=N (projects seeded by setup.sql).
-- Keep the statement order in step with core_tps_guarded.sql.
\set p 100000000000 + random(1, :nprojects)
\set r random(1, 9000000000000000000)
BEGIN;
INSERT INTO project_runs (project_id, input_version, pipeline_version, idempotency_key) VALUES (('00000000-0000-4000-8000-' || :p)::uuid, 1, 'bench.v1', 'b-' || :client_id || '-' || :r) RETURNING id AS run_id \gset
UPDATE project_runs SET status = 'running' WHERE id = :run_id::uuid AND status = 'queued';
UPDATE project_runs SET status = 'succeeded', output = '{"summary":{"n":1}}', metrics = project_runs_merge_metrics(metrics, '{"steps":[{"name":"collect_evidence","status":"succeeded","duration_ms":3}]}') WHERE id = :run_id::uuid AND status = 'running';
COMMIT;
