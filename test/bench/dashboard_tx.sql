-- pgbench script (section "dashboard"): one dashboard request as PostgREST
-- makes it for a signed-in user: a transaction that sets the role and the
-- JWT claims locally, calls the function, commits. A random user each time.
-- Variables: -D users=N (users in the database).
\set u random(0, :users - 1)
BEGIN;
SELECT set_config('role', 'authenticated', true), set_config('request.jwt.claims', bench_claims(:u), true);
SELECT project_runs_dashboard();
COMMIT;
