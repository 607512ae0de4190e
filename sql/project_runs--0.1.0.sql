-- project_runs 0.1.0: an append-only ledger of analysis runs whose rules the
-- database enforces for every role.
--
-- Written after PostgreSQL's "Security Considerations for Extension
-- Scripts": every object is created in @extschema@, every operator and
-- function from pg_catalog is qualified, and nothing here depends on the
-- search_path of the session that runs CREATE EXTENSION.

\echo Use "CREATE EXTENSION project_runs" to load this file. \quit

CREATE TYPE @extschema@.project_run_status AS ENUM ('queued', 'running', 'succeeded', 'failed');
COMMENT ON TYPE @extschema@.project_run_status IS
    'The life of a run: queued -> running -> succeeded or failed, or queued -> failed.';

CREATE TABLE @extschema@.project_runs (
    id uuid NOT NULL,
    project_id uuid NOT NULL,
    input_version integer,
    pipeline_version text NOT NULL,
    status @extschema@.project_run_status NOT NULL DEFAULT 'queued',
    created_at timestamptz NOT NULL,
    started_at timestamptz,
    finished_at timestamptz,
    error_code text,
    error_message text,
    error_detail jsonb,
    output jsonb,
    metrics jsonb NOT NULL DEFAULT '{}'::pg_catalog.jsonb,
    idempotency_key text,
    attempt integer NOT NULL DEFAULT 1,
    CONSTRAINT project_runs_pkey PRIMARY KEY (id)
) WITH (fillfactor = 90);
-- fillfactor 90: a run's next versions (running, then finished with its
-- output and metrics) fit on its page, so its updates stay HOT.
-- metrics must be a JSON object and attempt at least 1: the triggers check
-- both (SQLSTATE PR005), which costs less per statement than CHECK
-- constraints, whose expressions PostgreSQL prepares anew for every statement.
COMMENT ON TABLE @extschema@.project_runs IS
    'Every analysis run: append-only, identity columns fixed, finished runs frozen.';

-- Newest runs of a project first ("last run", run history).
CREATE INDEX project_runs_project_created_idx
    ON @extschema@.project_runs (project_id, created_at DESC, id DESC);
-- One attempt number per idempotency key. A key takes attempt n + 1 only
-- once attempt n failed (the insert trigger checks it; failed is final), so
-- at most one run per key is not failed. No index covers status, so a
-- status change is a HOT update that adds no index entries.
CREATE UNIQUE INDEX project_runs_idempotency_key_attempt_idx
    ON @extschema@.project_runs (idempotency_key, attempt);

CREATE TABLE @extschema@.project_run_events (
    run_id uuid NOT NULL,
    project_id uuid NOT NULL,
    from_status @extschema@.project_run_status,
    to_status @extschema@.project_run_status NOT NULL,
    at timestamptz NOT NULL
);
COMMENT ON TABLE @extschema@.project_run_events IS
    'One row per insert and per status change of a run, appended by the project_runs trigger.';
-- A run reaches each status once, so (run_id, to_status) names an event:
-- unique, and the table's replica identity, so that logical replication
-- can publish project_runs_purge's deletes and a subscriber applies them by
-- index.
CREATE UNIQUE INDEX project_run_events_run_status_idx
    ON @extschema@.project_run_events (run_id, to_status);
ALTER TABLE @extschema@.project_run_events
    REPLICA IDENTITY USING INDEX project_run_events_run_status_idx;
-- The policy finds a user's events by project: without this index, a read
-- of the events that names no run (PostgREST's GET /project_run_events,
-- filtered by project or not at all) scanned every tenant's events. A
-- project's events share the key, so the index deduplicates them.
CREATE INDEX project_run_events_project_idx ON @extschema@.project_run_events (project_id);

-- Where the application's tables live, when not in this schema. Written by
-- the extension's owner only.
CREATE TABLE @extschema@.project_runs_settings (
    name text PRIMARY KEY
        CHECK (name OPERATOR(pg_catalog.=) ANY (ARRAY['projects_table', 'project_inputs_table'])),
    value text NOT NULL
);
COMMENT ON TABLE @extschema@.project_runs_settings IS
    'Where the application''s projects and project_inputs tables live (schema.table); '
    'absent rows mean the extension''s own schema.';

-- SQL functions the database owner registered for steps of a pipeline
-- version; the built-in steps run where none is registered.
CREATE TABLE @extschema@.project_runs_pipeline_steps (
    pipeline_version text NOT NULL,
    step text NOT NULL CHECK (step OPERATOR(pg_catalog.=) ANY
        (ARRAY['validate_inputs', 'collect_evidence', 'generate_opportunities'])),
    function regprocedure NOT NULL,
    PRIMARY KEY (pipeline_version, step)
);
COMMENT ON TABLE @extschema@.project_runs_pipeline_steps IS
    'Step implementations by pipeline version: function(run_id uuid, input jsonb, context jsonb) returns jsonb.';

SELECT pg_catalog.pg_extension_config_dump('@extschema@.project_runs', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.project_run_events', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.project_runs_settings', '');
-- A registered step whose function was dropped is not dumped: the OID its
-- row keeps means nothing (or another function) in the restored database,
-- and a restore would refuse the row, and the registry's other rows with it.
SELECT pg_catalog.pg_extension_config_dump('@extschema@.project_runs_pipeline_steps',
    'WHERE EXISTS (SELECT FROM pg_catalog.pg_proc p '
    'WHERE p.oid OPERATOR(pg_catalog.=) "function"::pg_catalog.oid)');

-- Triggers. They fire ALWAYS, so that session_replication_role = replica
-- does not switch them off.

CREATE FUNCTION @extschema@.project_runs_guard_insert() RETURNS trigger
    AS 'MODULE_PATHNAME', 'project_runs_guard_insert' LANGUAGE C;
CREATE FUNCTION @extschema@.project_runs_guard_update() RETURNS trigger
    AS 'MODULE_PATHNAME', 'project_runs_guard_update' LANGUAGE C;
CREATE FUNCTION @extschema@.project_runs_guard_delete() RETURNS trigger
    AS 'MODULE_PATHNAME', 'project_runs_guard_delete' LANGUAGE C;
CREATE FUNCTION @extschema@.project_runs_guard_truncate() RETURNS trigger
    AS 'MODULE_PATHNAME', 'project_runs_guard_truncate' LANGUAGE C;
CREATE FUNCTION @extschema@.project_runs_log_event() RETURNS trigger
    AS 'MODULE_PATHNAME', 'project_runs_log_event' LANGUAGE C;
CREATE FUNCTION @extschema@.project_runs_guard_events() RETURNS trigger
    AS 'MODULE_PATHNAME', 'project_runs_guard_events' LANGUAGE C;
CREATE FUNCTION @extschema@.project_runs_settings_changed() RETURNS trigger
    AS 'MODULE_PATHNAME', 'project_runs_settings_changed' LANGUAGE C;
CREATE FUNCTION @extschema@.project_runs_pipeline_steps_check() RETURNS trigger
    AS 'MODULE_PATHNAME', 'project_runs_pipeline_steps_check' LANGUAGE C;

CREATE TRIGGER project_runs_guard_insert BEFORE INSERT ON @extschema@.project_runs
    FOR EACH ROW EXECUTE FUNCTION @extschema@.project_runs_guard_insert();
CREATE TRIGGER project_runs_guard_update BEFORE UPDATE ON @extschema@.project_runs
    FOR EACH ROW EXECUTE FUNCTION @extschema@.project_runs_guard_update();
CREATE TRIGGER project_runs_guard_delete BEFORE DELETE ON @extschema@.project_runs
    FOR EACH ROW EXECUTE FUNCTION @extschema@.project_runs_guard_delete();
CREATE TRIGGER project_runs_guard_truncate BEFORE TRUNCATE ON @extschema@.project_runs
    FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.project_runs_guard_truncate();
CREATE TRIGGER project_runs_log_event AFTER INSERT ON @extschema@.project_runs
    FOR EACH ROW EXECUTE FUNCTION @extschema@.project_runs_log_event();
CREATE TRIGGER project_run_events_guard BEFORE INSERT OR UPDATE OR DELETE
    ON @extschema@.project_run_events
    FOR EACH ROW EXECUTE FUNCTION @extschema@.project_runs_guard_events();
CREATE TRIGGER project_run_events_guard_truncate BEFORE TRUNCATE ON @extschema@.project_run_events
    FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.project_runs_guard_truncate();
CREATE TRIGGER project_runs_pipeline_steps_check BEFORE INSERT OR UPDATE
    ON @extschema@.project_runs_pipeline_steps
    FOR EACH ROW EXECUTE FUNCTION @extschema@.project_runs_pipeline_steps_check();
CREATE TRIGGER project_runs_pipeline_steps_reload AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
    ON @extschema@.project_runs_pipeline_steps
    FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.project_runs_pipeline_steps_check();
CREATE TRIGGER project_runs_settings_check BEFORE INSERT OR UPDATE
    ON @extschema@.project_runs_settings
    FOR EACH ROW EXECUTE FUNCTION @extschema@.project_runs_settings_changed();
CREATE TRIGGER project_runs_settings_reload AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
    ON @extschema@.project_runs_settings
    FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.project_runs_settings_changed();

ALTER TABLE @extschema@.project_runs ENABLE ALWAYS TRIGGER project_runs_guard_insert;
ALTER TABLE @extschema@.project_runs ENABLE ALWAYS TRIGGER project_runs_guard_update;
ALTER TABLE @extschema@.project_runs ENABLE ALWAYS TRIGGER project_runs_guard_delete;
ALTER TABLE @extschema@.project_runs ENABLE ALWAYS TRIGGER project_runs_guard_truncate;
ALTER TABLE @extschema@.project_runs ENABLE ALWAYS TRIGGER project_runs_log_event;
ALTER TABLE @extschema@.project_run_events ENABLE ALWAYS TRIGGER project_run_events_guard;
ALTER TABLE @extschema@.project_run_events ENABLE ALWAYS TRIGGER project_run_events_guard_truncate;
ALTER TABLE @extschema@.project_runs_settings ENABLE ALWAYS TRIGGER project_runs_settings_check;
ALTER TABLE @extschema@.project_runs_pipeline_steps ENABLE ALWAYS TRIGGER project_runs_pipeline_steps_check;
ALTER TABLE @extschema@.project_runs_settings ENABLE ALWAYS TRIGGER project_runs_settings_reload;
ALTER TABLE @extschema@.project_runs_pipeline_steps ENABLE ALWAYS TRIGGER project_runs_pipeline_steps_reload;

-- Functions. Each returns {"ok": true, "data": ...} or
-- {"ok": false, "error": {"code", "message", "detail"}} and never raises for
-- an expected error. They run as the caller, so row-level security applies.

CREATE FUNCTION @extschema@.project_runs_create(
    project_id uuid, input_version integer, pipeline_version text,
    idempotency_key text DEFAULT NULL)
    RETURNS jsonb AS 'MODULE_PATHNAME', 'project_runs_create' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION @extschema@.project_runs_create(uuid, integer, text, text) IS
$$Create a queued run, or return the run that already holds the idempotency key.
Same key with other parameters: IDEMPOTENCY_CONFLICT. When every run with the key failed, a new attempt is created.$$;

CREATE FUNCTION @extschema@.project_runs_get_by_idempotency_key(idempotency_key text)
    RETURNS jsonb AS 'MODULE_PATHNAME', 'project_runs_get_by_idempotency_key' LANGUAGE C STABLE;
COMMENT ON FUNCTION @extschema@.project_runs_get_by_idempotency_key(text) IS
$$The newest attempt holding an idempotency key.
NOT_FOUND when no visible run has it.$$;

CREATE FUNCTION @extschema@.project_runs_set_running(run_id uuid)
    RETURNS jsonb AS 'MODULE_PATHNAME', 'project_runs_set_running' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION @extschema@.project_runs_set_running(uuid) IS
$$Move a queued run to running and set started_at.
On a run that is already running, change nothing and succeed.$$;

CREATE FUNCTION @extschema@.project_runs_set_succeeded(
    run_id uuid, output jsonb, metrics jsonb DEFAULT NULL)
    RETURNS jsonb AS 'MODULE_PATHNAME', 'project_runs_set_succeeded' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION @extschema@.project_runs_set_succeeded(uuid, jsonb, jsonb) IS
$$Move a running run to succeeded with its output (a JSON object), merging metrics.
Sets finished_at; the run is frozen from then on.$$;

CREATE FUNCTION @extschema@.project_runs_set_failed(
    run_id uuid, error_code text, error_message text,
    error_detail jsonb DEFAULT NULL, metrics jsonb DEFAULT NULL)
    RETURNS jsonb AS 'MODULE_PATHNAME', 'project_runs_set_failed' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION @extschema@.project_runs_set_failed(uuid, text, text, jsonb, jsonb) IS
$$Move a queued or running run to failed with its error, merging metrics.
Sets finished_at; the run is frozen from then on.$$;

CREATE FUNCTION @extschema@.project_runs_update_metrics(run_id uuid, metrics jsonb)
    RETURNS jsonb AS 'MODULE_PATHNAME', 'project_runs_update_metrics' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION @extschema@.project_runs_update_metrics(uuid, jsonb) IS
$$Merge metrics into a queued or running run.
Objects merge key by key; arrays of objects with a "name" merge by name; anything else is replaced.$$;

CREATE FUNCTION @extschema@.project_runs_latest(project_id uuid)
    RETURNS jsonb AS 'MODULE_PATHNAME', 'project_runs_latest' LANGUAGE C STABLE;
COMMENT ON FUNCTION @extschema@.project_runs_latest(uuid) IS
$$The newest run of a project, or null data when it has none.
PROJECT_NOT_FOUND when the project does not exist or is not the caller's.$$;

CREATE FUNCTION @extschema@.project_runs_list(
    project_id uuid, max_rows integer DEFAULT 50, before timestamptz DEFAULT NULL)
    RETURNS jsonb AS 'MODULE_PATHNAME', 'project_runs_list' LANGUAGE C STABLE;
COMMENT ON FUNCTION @extschema@.project_runs_list(uuid, integer, timestamptz) IS
$$Runs of a project, newest first, at most max_rows (1 to 1000), created before a time if given.
data is an array.$$;

CREATE FUNCTION @extschema@.project_runs_generate(
    project_id uuid, input_version integer DEFAULT NULL,
    pipeline_version text DEFAULT '2025-12-23.v1')
    RETURNS jsonb AS 'MODULE_PATHNAME', 'project_runs_generate' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION @extschema@.project_runs_generate(uuid, integer, text) IS
$$Generate an analysis: resolve the input, reuse the run for it or run the pipeline's steps.
Idempotent per project, input version and pipeline version; a failed run is retried as a new attempt. Never raises: errors come back as a failed run.$$;

CREATE FUNCTION @extschema@.project_runs_dashboard()
    RETURNS jsonb AS 'MODULE_PATHNAME', 'project_runs_dashboard' LANGUAGE C STABLE;
COMMENT ON FUNCTION @extschema@.project_runs_dashboard() IS
$$Every project the caller can see, newest first, with its last run (null: never run).
Derived from project_runs at read time; nothing is stored on projects.$$;

CREATE FUNCTION @extschema@.project_runs_current_user_id()
    RETURNS uuid AS 'MODULE_PATHNAME', 'project_runs_current_user_id' LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.project_runs_current_user_id() IS
$$The caller's user id: the JWT sub claim as Supabase's auth.uid() reads it, or null when absent or not a UUID.$$;

CREATE FUNCTION @extschema@.project_runs_http_status(error_code text)
    RETURNS integer AS 'MODULE_PATHNAME', 'project_runs_http_status'
    LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.project_runs_http_status(text) IS
$$The HTTP status for an error code: 404, 400, 422, 409, or 500 for anything else.$$;

CREATE FUNCTION @extschema@.project_runs_merge_metrics(base jsonb, patch jsonb)
    RETURNS jsonb AS 'MODULE_PATHNAME', 'project_runs_merge_metrics'
    LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.project_runs_merge_metrics(jsonb, jsonb) IS
$$The metrics merge: objects merge key by key, arrays of named objects merge by name, anything else is replaced.$$;

CREATE FUNCTION @extschema@.project_runs_purge(project_id uuid)
    RETURNS jsonb AS 'MODULE_PATHNAME', 'project_runs_purge' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION @extschema@.project_runs_purge(uuid) IS
$$Erase every run and event of one project (erasure on request). Owner only.
The single path that deletes from the ledger.$$;
REVOKE ALL ON FUNCTION @extschema@.project_runs_purge(uuid) FROM PUBLIC;

CREATE FUNCTION @extschema@.project_runs_version()
    RETURNS text AS 'MODULE_PATHNAME', 'project_runs_version' LANGUAGE C IMMUTABLE;
COMMENT ON FUNCTION @extschema@.project_runs_version() IS
$$The version of the loaded project_runs module.$$;

CREATE FUNCTION @extschema@.project_runs_debug_state()
    RETURNS jsonb AS 'MODULE_PATHNAME', 'project_runs_debug_state' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION @extschema@.project_runs_debug_state() IS
$$Diagnostics of the C++ boundary: objects of failed frames still alive (0) and session flags (false).$$;
REVOKE ALL ON FUNCTION @extschema@.project_runs_debug_state() FROM PUBLIC;

-- Every session reads where the application's tables are; only the owner
-- writes it.
REVOKE ALL ON @extschema@.project_runs_settings FROM PUBLIC;
GRANT SELECT ON @extschema@.project_runs_settings TO PUBLIC;
REVOKE ALL ON @extschema@.project_runs_pipeline_steps FROM PUBLIC;
GRANT SELECT ON @extschema@.project_runs_pipeline_steps TO PUBLIC;
CREATE FUNCTION @extschema@.project_runs_visible_project_ids()
    RETURNS uuid[] AS 'MODULE_PATHNAME', 'project_runs_visible_project_ids'
    LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.project_runs_visible_project_ids() IS
$$The ids of the caller's projects (user_id = the JWT sub claim), for the row-level security policies.$$;

-- Row-level security, as Supabase and PostgREST expect it: a user sees,
-- inserts and updates only runs of its own projects; nobody deletes; a
-- session without a user id (anon) sees nothing. Roles that bypass RLS
-- (service_role, superusers, the tables' owner) see everything, and the
-- triggers bind them all the same. The user's projects are looked up once
-- per statement (the sub-select becomes an InitPlan), and project_id is
-- indexed.
ALTER TABLE @extschema@.project_runs ENABLE ROW LEVEL SECURITY;
ALTER TABLE @extschema@.project_run_events ENABLE ROW LEVEL SECURITY;

CREATE POLICY project_runs_select ON @extschema@.project_runs FOR SELECT
    USING (project_id OPERATOR(pg_catalog.=) ANY ((SELECT @extschema@.project_runs_visible_project_ids())::pg_catalog.uuid[]));
CREATE POLICY project_runs_insert ON @extschema@.project_runs FOR INSERT
    WITH CHECK (project_id OPERATOR(pg_catalog.=) ANY ((SELECT @extschema@.project_runs_visible_project_ids())::pg_catalog.uuid[]));
CREATE POLICY project_runs_update ON @extschema@.project_runs FOR UPDATE
    USING (project_id OPERATOR(pg_catalog.=) ANY ((SELECT @extschema@.project_runs_visible_project_ids())::pg_catalog.uuid[]))
    WITH CHECK (project_id OPERATOR(pg_catalog.=) ANY ((SELECT @extschema@.project_runs_visible_project_ids())::pg_catalog.uuid[]));
CREATE POLICY project_run_events_select ON @extschema@.project_run_events FOR SELECT
    USING (project_id OPERATOR(pg_catalog.=) ANY ((SELECT @extschema@.project_runs_visible_project_ids())::pg_catalog.uuid[]));

-- Privileges: nothing on the tables for PUBLIC. Where Supabase's roles
-- exist, exactly what each needs, whatever default privileges the schema
-- has: authenticated and service_role read and write runs (the triggers
-- decide what a write may do) and read events (the trigger appends them);
-- anon gets nothing on the tables (its calls answer NOT_FOUND); nobody but
-- the owner deletes, truncates or calls project_runs_purge (or the test
-- diagnostics project_runs_debug_state).
REVOKE ALL ON @extschema@.project_runs FROM PUBLIC;
REVOKE ALL ON @extschema@.project_run_events FROM PUBLIC;
DO $grants$
DECLARE
    supabase_role text;
BEGIN
    FOREACH supabase_role IN ARRAY ARRAY['anon', 'authenticated', 'service_role'] LOOP
        IF EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname OPERATOR(pg_catalog.=) supabase_role) THEN
            EXECUTE pg_catalog.format('REVOKE ALL ON TABLE @extschema@.project_runs, @extschema@.project_run_events, '
                '@extschema@.project_runs_settings, @extschema@.project_runs_pipeline_steps FROM %I', supabase_role);
            EXECUTE pg_catalog.format('REVOKE ALL ON FUNCTION @extschema@.project_runs_purge(uuid), '
                '@extschema@.project_runs_debug_state() FROM %I', supabase_role);
            IF supabase_role OPERATOR(pg_catalog.<>) 'anon' THEN
                EXECUTE pg_catalog.format('GRANT SELECT, INSERT, UPDATE ON TABLE @extschema@.project_runs TO %I', supabase_role);
                EXECUTE pg_catalog.format('GRANT SELECT ON TABLE @extschema@.project_run_events TO %I', supabase_role);
            END IF;
        END IF;
    END LOOP;
END
$grants$;
