#!/usr/bin/env bash
# Smoke test: the extension installs into a fresh database and answers.
# Runs inside scripts/test.sh's throw-away cluster (PG* variables are set).
set -euo pipefail

db="smoke_$$"
psql_db() { psql -X -q -At -v ON_ERROR_STOP=1 "$@"; }

psql_db -d postgres -c "CREATE DATABASE $db"
trap 'psql_db -d postgres -c "DROP DATABASE IF EXISTS $db WITH (FORCE)"' EXIT

psql_db -d "$db" -c "CREATE EXTENSION project_runs"
got="$(psql_db -d "$db" -c "SELECT project_runs_http_status('NOT_FOUND')")"
if [ "$got" != "404" ]; then
    echo "expected project_runs_http_status('NOT_FOUND') = 404, got '$got'" >&2
    exit 1
fi
echo "smoke: project_runs_http_status('NOT_FOUND') = $got"
