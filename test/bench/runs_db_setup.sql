-- Sections "dashboard" and "rls": a database of users, projects and runs
-- shaped like a Supabase project. Run in a NEW database after roles.sql, as
-- the superuser. psql variables:
--   users        number of users
--   per_user     projects per user
-- User u (0..users-1) is ('00000000-0000-4000-b000-' || lpad(u::text, 12, '0'))::uuid;
-- project p (0..users*per_user-1) is
--   ('00000000-0000-4000-a000-' || lpad(p::text, 12, '0'))::uuid
-- and belongs to user p % users (so a user's projects are spread over the
-- table, as they are when many users create projects over time). The runs
-- are loaded by runs_load.sql.
\set ON_ERROR_STOP 1
SET client_min_messages = warning;

CREATE EXTENSION project_runs;

-- The application's tables, as the README asks for them: an index on
-- projects by user_id (with the dashboard's order and the name) for the
-- policies and the dashboard, and the inputs
-- keyed by (project_id, version).
CREATE TABLE projects (
    id uuid PRIMARY KEY,
    user_id uuid NOT NULL,
    name text,
    created_at timestamptz
);
CREATE INDEX projects_user_id_idx ON projects (user_id, created_at DESC NULLS LAST, id DESC) INCLUDE (name);
CREATE TABLE project_inputs (
    project_id uuid,
    version int,
    status text,
    input_json jsonb,
    created_at timestamptz,
    PRIMARY KEY (project_id, version)
);
-- What PostgREST's roles get on the application's tables in Supabase.
GRANT SELECT ON projects, project_inputs TO authenticated, service_role;

CREATE FUNCTION bench_user(u bigint) RETURNS uuid LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$ SELECT ('00000000-0000-4000-b000-' || lpad(u::text, 12, '0'))::uuid $$;
CREATE FUNCTION bench_project(p bigint) RETURNS uuid LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$ SELECT ('00000000-0000-4000-a000-' || lpad(p::text, 12, '0'))::uuid $$;
-- PostgREST's request.jwt.claims for a user. Every operator in these bodies
-- is immutable (uuid::text, not uuid || text, which is stable), so the
-- planner inlines them even in a generic plan: PostgREST sends the claims
-- as a parameter, and the benchmark must not add a SQL function call
-- (parsed and planned on every call) to each request.
CREATE FUNCTION bench_claims(u bigint) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$ SELECT '{"sub":"' || bench_user(u)::text || '","role":"authenticated","aud":"authenticated"}' $$;
GRANT EXECUTE ON FUNCTION bench_user(bigint), bench_project(bigint), bench_claims(bigint) TO PUBLIC;

-- Projects: created one minute apart, in id order.
INSERT INTO projects (id, user_id, name, created_at)
SELECT bench_project(p), bench_user(p % :users), 'project ' || p,
       timestamptz '2024-01-01 00:00:00+00' + p * interval '1 minute'
FROM generate_series(0, :users * :per_user - 1) p;
INSERT INTO project_inputs (project_id, version, status, input_json, created_at)
SELECT id, 1, 'final', '{"topic": "dashboard bench"}', created_at FROM projects;
ANALYZE projects;
ANALYZE project_inputs;
