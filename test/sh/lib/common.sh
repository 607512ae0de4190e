# Shared by the shell tests in test/sh (sourced, not run): failure counting
# and the setup of a Supabase-like project in a database.

failures=0

# fail MESSAGE: records a failed assertion.
fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }

# check_eq WHAT EXPECTED GOT
check_eq() {
    if [ "$2" != "$3" ]; then fail "$1: expected '$2', got '$3'"; else echo "ok: $1 = $3"; fi
}

# supabase_project_sql: the SQL of what a Supabase project has and a plain
# database lacks (default privileges for the API roles, auth.uid(), the
# application's tables with row-level security), then the extension. The
# roles anon, authenticated and service_role must exist.
supabase_project_sql() {
    cat <<'SQL'
GRANT USAGE ON SCHEMA public TO anon, authenticated, service_role;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT ALL ON TABLES TO anon, authenticated, service_role;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT ALL ON FUNCTIONS TO anon, authenticated, service_role;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT ALL ON SEQUENCES TO anon, authenticated, service_role;
CREATE SCHEMA auth;
GRANT USAGE ON SCHEMA auth TO anon, authenticated, service_role;
CREATE FUNCTION auth.uid() RETURNS uuid LANGUAGE sql STABLE AS $f$
    SELECT coalesce(nullif(current_setting('request.jwt.claim.sub', true), ''),
                    (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'sub'))::uuid
$f$;
GRANT EXECUTE ON FUNCTION auth.uid() TO anon, authenticated, service_role;
CREATE TABLE projects (id uuid PRIMARY KEY, user_id uuid NOT NULL, name text,
                       created_at timestamptz DEFAULT now());
CREATE TABLE project_inputs (project_id uuid, version int, status text, input_json jsonb,
                             created_at timestamptz DEFAULT now());
ALTER TABLE projects ENABLE ROW LEVEL SECURITY;
CREATE POLICY "users manage their own projects" ON projects FOR ALL TO authenticated
    USING (user_id = (SELECT auth.uid())) WITH CHECK (user_id = (SELECT auth.uid()));
CREATE EXTENSION project_runs;
SQL
}
