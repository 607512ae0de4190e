-- pgbench script (section "core"): the floor. The same three statements on
-- bench_floor_runs (same columns and indexes as project_runs, no triggers,
-- no events), in one transaction.
-- Variables: -D nprojects=N (projects seeded by setup.sql).
-- Keep the statement order in step with core_tps_guarded.sql.
\set p 100000000000 + random(1, :nprojects)
\set r random(1, 9000000000000000000)
BEGIN;
INSERT INTO bench_floor_runs (project_id, input_version, pipeline_version, idempotency_key) VALUES (('00000000-0000-4000-8000-' || :p)::uuid, 1, 'bench.v1', 'b-' || :client_id || '-' || :r) RETURNING id AS run_id \gset
UPDATE bench_floor_runs SET status = 'running', started_at = clock_timestamp() WHERE id = :run_id::uuid AND status = 'queued';
UPDATE bench_floor_runs SET status = 'succeeded', finished_at = clock_timestamp(), output = '{"summary":{"n":1}}', metrics = metrics || '{"steps":[{"name":"collect_evidence","status":"succeeded","duration_ms":3}]}' WHERE id = :run_id::uuid AND status = 'running';
COMMIT;
