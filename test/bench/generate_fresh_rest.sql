-- pgbench script (section "generate", a, PostgREST-shaped): ONE generate call
-- as PostgREST makes it for a signed-in user of the project: BEGIN; the
-- search_path, role, JWT claims and method set locally; the call; COMMIT.
-- The project is the next fresh one of the pool (generate_fresh.sql); its
-- owner's claims come from bench_gen_claims. bench.n carries the project
-- number from the first statement to the call (a transaction-local setting).
BEGIN;
SELECT set_config('bench.n', nextval('bench_gen_seq')::text, true), set_config('search_path', 'public', true), set_config('role', 'authenticated', true), set_config('request.jwt.claims', bench_gen_claims(currval('bench_gen_seq')), true), set_config('request.method', 'POST', true);
SELECT project_runs_generate(bench_gen_project(current_setting('bench.n')::bigint));
COMMIT;
