-- pgbench script (section "rls"): the dashboard (every visible project with its last run), as PostgREST
-- calls it: BEGIN; the role and the JWT claims set locally; the call; COMMIT.
-- Variables: -D role=authenticated|service_role, -D claims=<request.jwt.claims>,
-- -D nprojects=N (the user's projects are 0..N-1).
\set k random(0, :nprojects - 1)
BEGIN;
SELECT set_config('role', :role, true), set_config('request.jwt.claims', :claims, true);
SELECT project_runs_dashboard();
COMMIT;
