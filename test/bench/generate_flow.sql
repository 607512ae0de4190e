-- pgbench script (section "generate", a): the seed app's client-side flow, as
-- the TypeScript app makes it over PostgREST: six calls, each its own
-- transaction (autocommit): create, set_running, one update_metrics per step,
-- set_succeeded with the output and the final metrics. The key is new for
-- every run (the app's key is project:input:pipeline; any fresh key costs
-- the same). Variables: -D nprojects=N (projects seeded by setup.sql).
\set p 100000000000 + random(1, :nprojects)
\set r random(1, 9000000000000000000)
SELECT (project_runs_create(('00000000-0000-4000-8000-' || :p)::uuid, 1, '2025-12-23.v1', 'flow-' || :client_id || '-' || :r)->'data'->>'id') AS run_id \gset
SELECT project_runs_set_running(:run_id::uuid);
SELECT project_runs_update_metrics(:run_id::uuid, '{"pipeline_version":"2025-12-23.v1","steps":[{"name":"validate_inputs","status":"succeeded","duration_ms":1}]}');
SELECT project_runs_update_metrics(:run_id::uuid, '{"steps":[{"name":"collect_evidence","status":"succeeded","duration_ms":3}]}');
SELECT project_runs_update_metrics(:run_id::uuid, '{"steps":[{"name":"generate_opportunities","status":"succeeded","duration_ms":2}]}');
SELECT project_runs_set_succeeded(:run_id::uuid, '{"pipeline_version":"2025-12-23.v1","input_version":1,"summary":{"validate_inputs":{"fields":4},"collect_evidence":{"count":4,"evidence":[{"kind":"text","field":"topic"},{"kind":"text","field":"market"},{"kind":"list","field":"keywords"},{"kind":"number","field":"budget"}]},"generate_opportunities":{"count":4,"opportunities":[{"rank":1,"field":"topic","title":"Explore topic"},{"rank":2,"field":"market","title":"Explore market"},{"rank":3,"field":"keywords","title":"Explore keywords"},{"rank":4,"field":"budget","title":"Explore budget"}]}}}', '{"steps":[{"name":"validate_inputs","status":"succeeded"},{"name":"collect_evidence","status":"succeeded"},{"name":"generate_opportunities","status":"succeeded"}]}');
