-- pgbench script (section "generate", a, PostgREST-shaped): the seed app's
-- six calls, each the transaction PostgREST makes for an RPC of a signed-in
-- user: BEGIN; the search_path, role, JWT claims and method set locally; the
-- call; COMMIT. Project p of setup.sql belongs to user p % 50 (its claims:
-- bench_flow_claims). Variables: -D nprojects=N.
\set p 100000000000 + random(1, :nprojects)
\set r random(1, 9000000000000000000)
BEGIN;
SELECT set_config('search_path', 'public', true), set_config('role', 'authenticated', true), set_config('request.jwt.claims', bench_flow_claims(:p), true), set_config('request.method', 'POST', true);
SELECT (project_runs_create(('00000000-0000-4000-8000-' || :p)::uuid, 1, '2025-12-23.v1', 'flow-' || :client_id || '-' || :r)->'data'->>'id') AS run_id \gset
COMMIT;
BEGIN;
SELECT set_config('search_path', 'public', true), set_config('role', 'authenticated', true), set_config('request.jwt.claims', bench_flow_claims(:p), true), set_config('request.method', 'POST', true);
SELECT project_runs_set_running(:run_id::uuid);
COMMIT;
BEGIN;
SELECT set_config('search_path', 'public', true), set_config('role', 'authenticated', true), set_config('request.jwt.claims', bench_flow_claims(:p), true), set_config('request.method', 'POST', true);
SELECT project_runs_update_metrics(:run_id::uuid, '{"pipeline_version":"2025-12-23.v1","steps":[{"name":"validate_inputs","status":"succeeded","duration_ms":1}]}');
COMMIT;
BEGIN;
SELECT set_config('search_path', 'public', true), set_config('role', 'authenticated', true), set_config('request.jwt.claims', bench_flow_claims(:p), true), set_config('request.method', 'POST', true);
SELECT project_runs_update_metrics(:run_id::uuid, '{"steps":[{"name":"collect_evidence","status":"succeeded","duration_ms":3}]}');
COMMIT;
BEGIN;
SELECT set_config('search_path', 'public', true), set_config('role', 'authenticated', true), set_config('request.jwt.claims', bench_flow_claims(:p), true), set_config('request.method', 'POST', true);
SELECT project_runs_update_metrics(:run_id::uuid, '{"steps":[{"name":"generate_opportunities","status":"succeeded","duration_ms":2}]}');
COMMIT;
BEGIN;
SELECT set_config('search_path', 'public', true), set_config('role', 'authenticated', true), set_config('request.jwt.claims', bench_flow_claims(:p), true), set_config('request.method', 'POST', true);
SELECT project_runs_set_succeeded(:run_id::uuid, '{"pipeline_version":"2025-12-23.v1","input_version":1,"summary":{"validate_inputs":{"fields":4},"collect_evidence":{"count":4,"evidence":[{"kind":"text","field":"topic"},{"kind":"text","field":"market"},{"kind":"list","field":"keywords"},{"kind":"number","field":"budget"}]},"generate_opportunities":{"count":4,"opportunities":[{"rank":1,"field":"topic","title":"Explore topic"},{"rank":2,"field":"market","title":"Explore market"},{"rank":3,"field":"keywords","title":"Explore keywords"},{"rank":4,"field":"budget","title":"Explore budget"}]}}}', '{"steps":[{"name":"validate_inputs","status":"succeeded"},{"name":"collect_evidence","status":"succeeded"},{"name":"generate_opportunities","status":"succeeded"}]}');
COMMIT;
