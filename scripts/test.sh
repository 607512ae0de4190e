#!/usr/bin/env bash
# The test command of project_runs: builds everything and runs every suite.
#
#   bash scripts/test.sh           install deps, unit tests, build + install
#                                  the extension, then all SQL-level suites in
#                                  a throw-away PostgreSQL cluster
#   bash scripts/test.sh --quick   skip install-deps and the CMake unit tests
#
# Suites (all run even when an earlier one fails):
#   unit       CMake + ctest (test/unit), counted per ctest test; then the
#              same tests built with ASan + UBSan (unit-asan, build-asan/)
#   regress    `make installcheck ISOLATION=`  (pg_regress, REGRESS in Makefile)
#   isolation  `make installcheck REGRESS=`    (pg_isolation_regress, ISOLATION)
#   sh         test/sh/*.sh, one test per script, pass = exit 0
#   pgtap      supabase/tests/database/*.sql via pg_prove, counted per FILE
#              (a file passes when all of its assertions pass)
# A step that breaks (dependency install, build, install, cluster start) counts
# as one failure. The last line printed is always "N passed, M failed"; the
# exit status is 1 when M > 0.
#
# The SQL suites run inside Debian's pg_virtualenv, which creates a temporary
# cluster, exports PGHOST/PGPORT/PGUSER/PGPASSWORD/PGDATABASE and runs this
# script again with --in-cluster. As root the server runs as the postgres user.
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=scripts/lib.sh
. "$ROOT/scripts/lib.sh"
cd "$ROOT" || exit 1

# Settings for the throw-away cluster (each becomes -o 'guc=value').
CLUSTER_GUCS=(
    "shared_preload_libraries="
    "max_prepared_transactions=10"
    "wal_level=logical"
)

SH_TEST_TIMEOUT=600     # seconds per test/sh script
PGTAP_DIR="supabase/tests/database"
PGTAP_DB="project_runs_pgtap"

# --------------------------------------------------------------------------
# Inside the cluster: run the SQL-level suites, append to the tally file.
# Exit 0 only when everything passed (non-zero makes pg_virtualenv print the
# server log).
# --------------------------------------------------------------------------

# run_pg_regress_suite NAME DIFFS_FILE RESULTS_DIR MAKE_ARGS...
run_pg_regress_suite() {
    local name="$1" diffs="$2" results_dir="$3"
    shift 3
    local log rc counts p f i note=""
    section "$name"
    rm -rf "$results_dir" "$diffs" "$(dirname "$diffs")/regression.out"
    log="$(mktemp)"
    make installcheck PG_CONFIG="$PG_CONFIG_BIN" "$@" 2>&1 | tee "$log"
    rc="${PIPESTATUS[0]}"
    counts="$(pg_regress_counts "$log")"
    read -r p f i <<<"$counts"
    rm -f "$log"
    if [ "$i" -gt 0 ]; then
        note="$i failed but ignored (not counted)"
    fi
    if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
        # pg_regress itself broke (could not connect, CREATE EXTENSION
        # failed, ...): count the suite as one failure.
        f=1
        note="make installcheck exited $rc; pg_regress broke before reporting a failed test${note:+; $note}"
    fi
    if [ "$rc" -ne 0 ] && [ -f "$diffs" ]; then
        echo "---- $diffs (first 200 lines) ----"
        head -n 200 "$diffs"
        echo "---- end of $diffs ----"
    fi
    info "$name: $p passed, $f failed${note:+ ($note)}"
    tally "$name" "$p" "$f" "$note"
}

run_sh_suite() {
    section "sh (test/sh/*.sh)"
    local p=0 f=0 t rc scripts=()
    shopt -s nullglob
    scripts=(test/sh/*.sh)
    shopt -u nullglob
    for t in "${scripts[@]}"; do
        info "running $t"
        ( cd "$ROOT" && timeout "$SH_TEST_TIMEOUT" bash "$t" ) </dev/null
        rc=$?
        if [ "$rc" -eq 0 ]; then
            p=$((p + 1))
            info "$t ... ok"
        else
            f=$((f + 1))
            if [ "$rc" -eq 124 ]; then
                info "$t ... FAILED (timed out after ${SH_TEST_TIMEOUT}s)"
            else
                info "$t ... FAILED (exit $rc)"
            fi
        fi
    done
    info "sh: $p passed, $f failed"
    tally sh "$p" "$f"
}

run_pgtap_suite() {
    local files=() t p=0 f=0
    shopt -s nullglob
    [ -d "$PGTAP_DIR" ] && files=("$PGTAP_DIR"/*.sql)
    shopt -u nullglob
    if [ "${#files[@]}" -eq 0 ]; then
        info "no pgTAP files in $PGTAP_DIR, skipping pgtap"
        return 0
    fi
    section "pgtap ($PGTAP_DIR, counted per file)"
    # A fresh database with pgTAP already created (as `supabase test db`
    # does); the test files create the extensions they test themselves.
    if ! psql -X -q -v ON_ERROR_STOP=1 -d postgres \
            -c "DROP DATABASE IF EXISTS $PGTAP_DB" \
            -c "CREATE DATABASE $PGTAP_DB" \
        || ! psql -X -q -v ON_ERROR_STOP=1 -d "$PGTAP_DB" \
            -c "CREATE EXTENSION IF NOT EXISTS pgtap"; then
        info "pgtap: could not prepare database $PGTAP_DB"
        tally pgtap 0 1 "could not prepare database"
        return 0
    fi
    # One pg_prove per file, so every file is one test with its own verdict.
    for t in "${files[@]}"; do
        if pg_prove -d "$PGTAP_DB" --verbose "$t" </dev/null; then
            p=$((p + 1))
            info "$t ... ok"
        else
            f=$((f + 1))
            info "$t ... FAILED"
        fi
    done
    info "pgtap: $p passed, $f failed (files)"
    tally pgtap "$p" "$f" "counted per file"
}

in_cluster() {
    TALLY="$1"
    tally cluster-started 0 0
    info "cluster: PGHOST=${PGHOST:-} PGPORT=${PGPORT:-} PGUSER=${PGUSER:-} ($(psql -X -Atc 'select version()' 2>&1))"

    run_pg_regress_suite regress "$ROOT/regression.diffs" "$ROOT/results" \
        ISOLATION=
    run_pg_regress_suite isolation "$ROOT/test/isolation/results/regression.diffs" \
        "$ROOT/test/isolation/results" REGRESS=
    run_sh_suite
    run_pgtap_suite

    tally cluster-done 0 0
    awk -F'\t' '{ f += $3 } END { exit (f > 0) }' "$TALLY"
}

# --------------------------------------------------------------------------
# Outside the cluster.
# --------------------------------------------------------------------------

summary() {
    local total_p total_f
    section "summary"
    awk -F'\t' '
        $1 == "cluster-started" || $1 == "cluster-done" { next }
        { printf "  %-22s %4d passed, %4d failed%s\n", $1, $2, $3, ($4 != "" ? "   (" $4 ")" : "") }
    ' "$TALLY"
    read -r total_p total_f < <(awk -F'\t' '{ p += $2; f += $3 } END { printf "%d %d\n", p, f }' "$TALLY")
    echo
    echo "${total_p} passed, ${total_f} failed"
    [ "$total_f" -eq 0 ]
}

# run_unit_suite LABEL BUILD-DIR [CMAKE-ARGS...]: configure, build and run
# the CMake unit tests in BUILD-DIR, counted per ctest test under LABEL.
run_unit_suite() {
    local label="$1" dir="$2"
    shift 2
    if ! cmake -S . -B "$dir" "$@"; then
        tally "$label-configure" 0 1 "cmake configure failed"
        return 0
    fi
    if ! cmake --build "$dir" -j2; then
        tally "$label-build" 0 1 "cmake build failed"
        return 0
    fi
    local log rc counts p f
    log="$(mktemp)"
    ctest --test-dir "$dir" --output-on-failure --timeout 600 2>&1 | tee "$log"
    rc="${PIPESTATUS[0]}"
    counts="$(ctest_counts "$log")"
    rm -f "$log"
    if [ -z "$counts" ]; then
        tally "$label" 0 1 "ctest exited $rc without a summary line"
        return 0
    fi
    read -r p f <<<"$counts"
    if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
        f=1
        tally "$label" "$p" "$f" "ctest exited $rc with no failed test counted"
        return 0
    fi
    tally "$label" "$p" "$f"
}

# The unit tests, then the same tests built with AddressSanitizer and
# UndefinedBehaviorSanitizer: the core runs on user input inside the
# backend, so a memory error or undefined behaviour there fails the suite
# (halt_on_error: any report aborts the test that made it).
run_unit() {
    section "unit (cmake + ctest)"
    if [ ! -f CMakeLists.txt ]; then
        info "no CMakeLists.txt, skipping unit tests"
        return 0
    fi
    run_unit_suite unit build
    section "unit under ASan + UBSan (cmake + ctest)"
    ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
    UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
        run_unit_suite unit-asan build-asan \
            -DCMAKE_BUILD_TYPE=Debug \
            "-DCMAKE_CXX_FLAGS=-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all -O1" \
            "-DCMAKE_EXE_LINKER_FLAGS=-fsanitize=address,undefined"
}

run_extension_build() {
    section "extension build + install (PGXS)"
    if ! make -j2 PG_CONFIG="$PG_CONFIG_BIN"; then
        tally ext-build 0 1 "make failed"
        return 0
    fi
    if ! as_root make install PG_CONFIG="$PG_CONFIG_BIN"; then
        tally ext-install 0 1 "make install failed"
        return 0
    fi
    tally ext-build+install 0 0 "ok"
}

run_cluster_suites() {
    section "throw-away cluster (pg_virtualenv)"
    local opts=() g rc
    for g in "${CLUSTER_GUCS[@]}"; do
        opts+=(-o "$g")
    done
    if ! command -v pg_virtualenv >/dev/null 2>&1; then
        tally cluster-start 0 1 "pg_virtualenv not found"
        return 0
    fi
    # Let pg_virtualenv choose a free port and set the connection variables.
    # -t: keep the cluster in a temp dir even as root, so a stale
    #     /etc/postgresql/15/regress left by a killed run cannot block us.
    (
        unset PGHOST PGHOSTADDR PGPORT PGUSER PGPASSWORD PGDATABASE PGSERVICE PGSYSCONFDIR
        pg_virtualenv -t -v "$PG_MAJOR" "${opts[@]}" \
            bash "$ROOT/scripts/test.sh" --in-cluster "$TALLY"
    ) </dev/null
    rc=$?
    if ! grep -q '^cluster-started' "$TALLY"; then
        tally cluster-start 0 1 "pg_virtualenv exited $rc before running the suites"
    elif ! grep -q '^cluster-done' "$TALLY"; then
        tally cluster-run 0 1 "the suites did not finish (pg_virtualenv exited $rc)"
    elif [ "$rc" -ne 0 ] && ! awk -F'\t' '{ f += $3 } END { exit !(f > 0) }' "$TALLY"; then
        tally cluster-run 0 1 "pg_virtualenv exited $rc"
    fi
}

main() {
    local quick=0
    while [ $# -gt 0 ]; do
        case "$1" in
            --quick) quick=1 ;;
            --in-cluster)
                [ $# -ge 2 ] || { echo "--in-cluster needs a tally file" >&2; exit 2; }
                in_cluster "$2"
                exit $? ;;
            -h|--help) sed -n '2,22p' "$0"; exit 0 ;;
            *) echo "unknown argument: $1 (try --help)" >&2; exit 2 ;;
        esac
        shift
    done

    TALLY="$(mktemp)"
    trap 'rm -f "$TALLY"' EXIT

    if [ "$quick" -eq 0 ]; then
        section "install dependencies"
        if ! bash "$ROOT/scripts/install-deps.sh"; then
            tally install-deps 0 1 "scripts/install-deps.sh failed"
        fi
        run_unit
    else
        info "--quick: skipping install-deps and unit tests"
    fi
    run_extension_build
    run_cluster_suites
    summary
}

main "$@"
