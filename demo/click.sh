#!/usr/bin/env bash
# One click on "Generate analysis" from its own database session, for the
# double-click race in demo/walkthrough.sql (step 6), which starts two of
# these in the background:
#
#   bash demo/click.sh SESSION PROJECT_ID
#
# The click waits at the start gate (advisory lock 4242, held by the
# walkthrough until both clicks wait there), calls project_runs_generate,
# and keeps its transaction open for 0.3 s afterwards, as a slow request
# would, so that the other click arrives while this run is not committed
# yet. The result goes to demo.clicks. PG* variables select the database.
set -uo pipefail
session="$1"
project="$2"
PGAPPNAME="demo-click-$session" exec psql -X -q -v ON_ERROR_STOP=1 \
    -v session="$session" -v project="$project" >/dev/null <<'SQL'
-- Warm up (load the module, plan the call) so that both clicks leave the
-- gate together.
SELECT project_runs_version();
PREPARE click AS
    INSERT INTO demo.clicks (session, clicked_at, result, answered_at)
    SELECT :'session', c.t0, c.r, clock_timestamp()
    FROM (SELECT clock_timestamp() AS t0, project_runs_generate(:'project') AS r OFFSET 0) c;
BEGIN;
SELECT pg_advisory_xact_lock_shared(4242);
EXECUTE click;
SELECT pg_sleep(0.3);
COMMIT;
SQL
