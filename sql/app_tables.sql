-- The application's tables in other shapes than the README's. Columns of
-- types the statements can read work; a column missing, or of a type they
-- cannot read, gives CONFIG from the functions (PR010 from the trigger)
-- with no run written, and the session goes on. Each case swaps the tables
-- in a transaction it rolls back.
\set pa '''00000000-0000-4000-8000-0000000000c1'''
\set user_a '''00000000-0000-4000-8000-0000000000ca'''
CREATE FUNCTION runs_of(project uuid) RETURNS bigint LANGUAGE sql AS
    'SELECT count(*) FROM project_runs WHERE project_id = project';

-- Other types the statements read as the contract's: a domain over uuid,
-- varchar names, date and timestamp for created_at, smallint versions,
-- an enum status.
BEGIN;
ALTER TABLE projects RENAME TO projects_kept;
ALTER TABLE project_inputs RENAME TO project_inputs_kept;
CREATE DOMAIN project_key AS uuid;
CREATE TYPE input_state AS ENUM ('draft', 'final');
CREATE TABLE projects (id project_key PRIMARY KEY, user_id uuid NOT NULL, name varchar(40),
                       created_at date);
CREATE TABLE project_inputs (project_id project_key, version smallint, status input_state,
                             input_json jsonb, created_at timestamp);
INSERT INTO projects VALUES (:pa, :user_a, 'Other shapes', '2025-01-01');
INSERT INTO project_inputs VALUES (:pa, 1, 'final', '{"q": 1}', '2025-01-01'),
                                  (:pa, 2, 'draft', '{"q": 2}', '2025-01-02');
SELECT brief(project_runs_generate(:pa)) AS generate,
       project_runs_generate(:pa)->'data'->'input_version' AS input_version,
       brief(project_runs_generate(:pa, 2)) AS draft_version;
SELECT brief(project_runs_latest(:pa)) AS latest,
       jsonb_array_length(project_runs_list(:pa)->'data') AS listed,
       jsonb_path_query_array(project_runs_dashboard(), '$.data[*] ? (@.name == "Other shapes").last_run.status') AS dashboard;
ROLLBACK;

-- input_json of type json (the statements read jsonb): CONFIG, no run;
-- once the column is jsonb, the same session generates.
BEGIN;
ALTER TABLE project_inputs RENAME TO project_inputs_kept;
CREATE TABLE project_inputs (project_id uuid, version int, status text, input_json json,
                             created_at timestamptz);
INSERT INTO projects (id, user_id, name) VALUES (:pa, :user_a, 'json inputs');
INSERT INTO project_inputs VALUES (:pa, 1, 'final', '{"q": 1}', now());
SELECT brief(project_runs_generate(:pa)) AS generate, runs_of(:pa) AS runs;
SELECT project_runs_generate(:pa, 1)->'error'->'detail' AS detail;
ALTER TABLE project_inputs ALTER COLUMN input_json TYPE jsonb;
SELECT brief(project_runs_generate(:pa)) AS generate_after_alter, runs_of(:pa) AS runs;
ROLLBACK;

-- Other columns of project_inputs the statements cannot read: bigint
-- versions (runs record integer ones), a created_at of text (it orders
-- rows of one version), no status.
BEGIN;
INSERT INTO projects (id, user_id, name) VALUES (:pa, :user_a, 'odd inputs');
ALTER TABLE project_inputs RENAME TO project_inputs_kept;
CREATE TABLE project_inputs (project_id uuid, version bigint, status text, input_json jsonb);
SELECT brief(project_runs_generate(:pa)) AS bigint_version;
ALTER TABLE project_inputs ALTER COLUMN version TYPE int, ADD COLUMN created_at text;
SELECT brief(project_runs_generate(:pa)) AS text_created_at;
ALTER TABLE project_inputs DROP COLUMN created_at, DROP COLUMN status;
SELECT brief(project_runs_generate(:pa)) AS no_status, runs_of(:pa) AS runs;
ROLLBACK;

-- projects without the dashboard's columns: the dashboard says so; the
-- calls that only look a project up work.
BEGIN;
ALTER TABLE projects RENAME TO projects_kept;
CREATE TABLE projects (id uuid PRIMARY KEY, user_id uuid NOT NULL);
INSERT INTO projects VALUES (:pa, :user_a);
INSERT INTO project_inputs VALUES (:pa, 1, 'final', '{"q": 1}', now());
SELECT brief(project_runs_dashboard()) AS no_name;
ALTER TABLE projects ADD COLUMN name text;
SELECT brief(project_runs_dashboard()) AS no_created_at;
SELECT brief(project_runs_create(:pa, 1, 'v1')) AS created, brief(project_runs_generate(:pa)) AS generated;
SELECT brief(project_runs_latest(:pa)) AS latest;
ROLLBACK;

-- A user_id of type text (the caller's user id is a uuid): CONFIG from
-- every function, PR010 from the trigger, and the policies see no project.
BEGIN;
ALTER TABLE projects RENAME TO projects_kept;
CREATE TABLE projects (id uuid PRIMARY KEY, user_id text NOT NULL, name text,
                       created_at timestamptz);
INSERT INTO projects VALUES (:pa, :user_a, 'text owner', now());
SELECT brief(project_runs_create(:pa, 1, 'v1')) AS create;
SELECT project_runs_latest(:pa)->'error' AS latest;
SELECT brief(project_runs_list(:pa)) AS list, brief(project_runs_generate(:pa)) AS generate,
       brief(project_runs_dashboard()) AS dashboard;
SELECT expect_error(format('INSERT INTO project_runs (project_id, pipeline_version) VALUES (%L, %L)',
                           :pa, 'v1')) AS insert;
SET LOCAL request.jwt.claim.sub = '00000000-0000-4000-8000-0000000000ca';
SELECT project_runs_visible_project_ids() AS visible;
RESET request.jwt.claim.sub;
SELECT runs_of(:pa) AS runs;
ROLLBACK;

-- Rows without an id (a table without a primary key): no project; the
-- dashboard and the policies leave them out, for the superuser and for
-- their user.
BEGIN;
ALTER TABLE projects RENAME TO projects_kept;
CREATE TABLE projects (id uuid, user_id uuid, name text, created_at timestamptz);
INSERT INTO projects VALUES (NULL, :user_a, 'no id', now()), (NULL, NULL, NULL, NULL),
                            (:pa, :user_a, 'with id', now());
SELECT jsonb_path_query_array(project_runs_dashboard(), '$.data[*].name') AS dashboard;
SET LOCAL request.jwt.claim.sub = '00000000-0000-4000-8000-0000000000ca';
SELECT project_runs_visible_project_ids() AS visible;
CREATE ROLE app_tables_user;
GRANT SELECT ON projects, project_runs TO app_tables_user;
SET LOCAL ROLE app_tables_user;
SELECT jsonb_path_query_array(project_runs_dashboard(), '$.data[*].name') AS users_dashboard;
ROLLBACK;

-- An id that is not a uuid.
BEGIN;
ALTER TABLE projects RENAME TO projects_kept;
CREATE TABLE projects (id bigint PRIMARY KEY, user_id uuid NOT NULL, name text, created_at timestamptz);
SELECT brief(project_runs_latest(:pa)) AS latest;
ROLLBACK;

-- Something that has no rows (an index, a composite type) gives CONFIG; a
-- view works.
BEGIN;
ALTER TABLE projects RENAME TO projects_kept;
CREATE INDEX projects ON projects_kept (id, user_id);
SELECT brief(project_runs_latest(:pa)) AS an_index;
DROP INDEX projects;
CREATE TYPE projects AS (id uuid, user_id uuid, name text, created_at timestamptz);
SELECT brief(project_runs_latest(:pa)) AS a_type;
DROP TYPE projects;
CREATE VIEW projects AS SELECT * FROM projects_kept;
SELECT brief(project_runs_latest('00000000-0000-4000-8000-00000000000a')) AS a_view;
ROLLBACK;

-- The extension's own tables keep the types the script gave them: an
-- owner who changes one gets an error from every call until it is back.
BEGIN;
ALTER TABLE project_runs ALTER COLUMN metrics TYPE json;
SELECT expect_error(format('SELECT project_runs_latest(%L)', '00000000-0000-4000-8000-00000000000a'))
    AS metrics_as_json;
ROLLBACK;
BEGIN;
ALTER TABLE project_run_events ALTER COLUMN at TYPE timestamp;
SELECT expect_error(format('SELECT project_runs_latest(%L)', '00000000-0000-4000-8000-00000000000a'))
    AS event_time_without_zone;
ROLLBACK;

-- So do its other objects. The status type is found through the column,
-- whatever its name; a session that starts with the type's labels changed
-- gets an error from every call until they are back.
ALTER TYPE project_run_status RENAME TO run_status_renamed;
\c
SELECT brief(project_runs_latest('00000000-0000-4000-8000-00000000000a')) AS type_renamed;
ALTER TYPE run_status_renamed RENAME TO project_run_status;
-- (in the session that renames, at once)
BEGIN;
ALTER TYPE project_run_status RENAME VALUE 'queued' TO 'waiting';
SELECT expect_error(format('SELECT project_runs_latest(%L)', '00000000-0000-4000-8000-00000000000a'))
    AS label_renamed_here;
ROLLBACK;
SELECT brief(project_runs_latest('00000000-0000-4000-8000-00000000000a')) AS label_back;
ALTER TYPE project_run_status RENAME VALUE 'queued' TO 'waiting';
\c
SELECT expect_error(format('SELECT project_runs_latest(%L)', '00000000-0000-4000-8000-00000000000a'))
    AS label_renamed;
ALTER TYPE project_run_status RENAME VALUE 'waiting' TO 'queued';
\c
-- Rows of nulls in the settings or the step registry, once the owner drops
-- their constraints: an error from every call, or no registered step.
BEGIN;
ALTER TABLE project_runs_settings ALTER COLUMN value DROP NOT NULL;
INSERT INTO project_runs_settings VALUES ('projects_table', NULL);
SELECT expect_error(format('SELECT project_runs_latest(%L)', '00000000-0000-4000-8000-00000000000a'))
    AS null_setting;
ROLLBACK;
BEGIN;
CREATE FUNCTION null_step(run_id uuid, input jsonb, context jsonb) RETURNS jsonb
LANGUAGE sql AS $$ SELECT '{"registered": true}'::jsonb $$;
ALTER TABLE project_runs_pipeline_steps DROP CONSTRAINT project_runs_pipeline_steps_pkey;
ALTER TABLE project_runs_pipeline_steps ALTER COLUMN step DROP NOT NULL;
INSERT INTO project_runs_pipeline_steps VALUES ('nulls.v1', NULL, 'null_step(uuid,jsonb,jsonb)');
INSERT INTO project_inputs (project_id, version, status, input_json)
VALUES ('00000000-0000-4000-8000-00000000000a', 950, 'final', '{"topic": "nulls"}');
SELECT r->>'ok' AS ok, r#>>'{data,status}' AS status,
       r#>'{data,output,summary,collect_evidence}' ? 'registered' AS registered_step_ran
FROM project_runs_generate('00000000-0000-4000-8000-00000000000a', 950, 'nulls.v1') r;
ROLLBACK;
-- An aggregate of the step's signature is not a step function.
BEGIN;
CREATE FUNCTION agg_step_sfunc(jsonb, uuid, jsonb, jsonb) RETURNS jsonb
LANGUAGE sql AS $$ SELECT $1 $$;
CREATE AGGREGATE agg_step(uuid, jsonb, jsonb) (SFUNC = agg_step_sfunc, STYPE = jsonb);
SELECT expect_error($$INSERT INTO project_runs_pipeline_steps
                      VALUES ('agg.v1', 'collect_evidence', 'agg_step(uuid,jsonb,jsonb)')$$)
    AS aggregate_step;
ROLLBACK;

-- All back: the session works as before.
SELECT brief(project_runs_latest('00000000-0000-4000-8000-00000000000a')) AS latest,
       (project_runs_dashboard()->>'ok')::bool AS dashboard;
DROP FUNCTION runs_of(uuid);
SELECT project_runs_debug_state();

-- A label added to the status type (which cannot be taken back): the
-- triggers refuse a run moved to it, and a session that starts with it
-- gets an error from every call.
SELECT (project_runs_create('00000000-0000-4000-8000-00000000000a', 1, 'label.v1')->'data'->>'id')
    AS label_run \gset
ALTER TYPE project_run_status ADD VALUE 'cancelled';
SELECT expect_error(format($$UPDATE project_runs SET status = 'cancelled' WHERE id = %L$$, :'label_run'))
    AS moved_to_the_added_label;
\c
SELECT expect_error(format('SELECT project_runs_latest(%L)', '00000000-0000-4000-8000-00000000000a'))
    AS after_a_label_was_added;
