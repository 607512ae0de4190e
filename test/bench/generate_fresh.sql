-- pgbench script (section "generate", a): ONE call of the orchestrator on a
-- fresh key. Every transaction takes the next project of the pool seeded by
-- bench_gen_topup (generate_setup.sql): a project with one final input and
-- no run, so the call resolves the input, creates the run and runs the
-- three built-in steps: queued -> running -> succeeded, one round trip.
-- (nextval and the id's construction are inside the statement: about a
-- microsecond.)
SELECT project_runs_generate(bench_gen_project(nextval('bench_gen_seq')));
