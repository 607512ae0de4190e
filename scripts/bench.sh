#!/usr/bin/env bash
# The benchmark command of project_runs.
#
#   bash scripts/bench.sh [--skip-build] [SECTION...]
#
# Installs the dependencies (scripts/install-deps.sh), builds and installs the
# extension, starts a throw-away PostgreSQL 15 cluster (Debian's
# pg_virtualenv; the server runs as postgres) and runs the benchmark sections,
# then prints one report with every section's table. Default: all sections.
#
# Sections:
#   core   The ledger's cost.
#          (1) pgbench tps of one run, create -> set_running -> set_succeeded
#          in one transaction, through the extension ("guarded") against the
#          same three statements on a plain table with the same columns and
#          indexes but no triggers or events ("floor"); synchronous_commit=off
#          (CPU cost, the figure that counts; target floor/guarded <= 1.3),
#          in alternating rounds, and =on (reference). Also the server's CPU
#          time and WAL bytes per transaction, and per-statement latencies.
#          (2) Per-statement server cost without the network: N calls of each
#          statement from a plpgsql loop, timed by the backend's CPU time:
#          floor / plain SQL on project_runs (triggers only) / the functions /
#          the functions with the event trigger disabled.
#          (3) Optional: the pgbench comparison at 1 client with the same
#          variants (BENCH_BREAKDOWN=1).
#          (4) Backend memory (RSS, memory contexts) over 200,000 cycles in
#          one session, and over 200,000 calls of the pure functions
#          (http_status, merge_metrics) in one statement.
#   generate  The orchestrator, project_runs_generate.
#          (a) runs/s of ONE generate call on a fresh key (a project with a
#          final input and no run) against the seed app's client flow over
#          PostgREST: create, set_running, 3 x update_metrics, set_succeeded
#          as six autocommit transactions; alternating rounds with
#          synchronous_commit=off, one with =on; target ratio >= 3.
#          (b) latency of the repeat call (the run exists, created=false),
#          1 client, p50/p90/p99/max from pgbench -l; target p99 < 0.3 ms.
#          (c) thousands of calls in ONE transaction and one statement:
#          time per call by batch, with the built-in steps, a registered
#          step that reads (subtransaction, no XID) and one that writes
#          (subtransaction with an XID: the subxid cache overflows); memory,
#          and a concurrent reader's cost while the transaction is open.
#   dashboard  project_runs_dashboard() for a user with 100 projects among
#          1,000 users x 100 projects x 100 runs = 10M runs, loaded the way
#          pg_restore does (restore path of the triggers); latency as the
#          user (RLS, PostgREST-like) on one connection kept open as a
#          connection pool keeps it (the warm-up's calls left out, the p99
#          of every 10 s shown), target p99 < 2 ms; the call with its last
#          runs read from the index against the SQL statement
#          (project_runs.dashboard_index_read off), each call one or the
#          other at random in one run; the plans of the function's
#          statements (auto_explain).
#   rls    project_runs_latest/list/dashboard and generate's repeat call as
#          authenticated (RLS) vs service_role (BYPASSRLS) on 1 user x 100
#          projects x 10,000 runs; target ratio <= 1.2.
#
# Options:
#   --skip-build   do not install dependencies, build or install (use the
#                  extension already installed)
#   -h, --help     this text
#
# Knobs (environment variables, defaults in brackets):
#   BENCH_CLIENTS [2]      pgbench clients (= threads) for the tps runs
#   BENCH_DURATION [8]     seconds per measured tps run
#   BENCH_WARMUP [3]       seconds of warm-up before every measured run
#   BENCH_ROUNDS [5]       rounds of the synchronous_commit=off comparison
#                          (order alternates; the median is reported)
#   BENCH_PROJECTS [1000]  projects seeded
#   BENCH_PERCALL_N [10000]  calls per statement and variant in (2)
#   BENCH_PERCALL_ROUNDS [3] rounds of (2); each figure is the lowest
#   BENCH_BREAKDOWN [0]    1 adds the 1-client pgbench breakdown (3)
#   BENCH_BREAKDOWN_DURATION [6]  seconds per breakdown run
#   BENCH_MEM_CALLS [200000], BENCH_MEM_WARM [20000]  memory test sizes
#   BENCH_GEN_ROUNDS [3]   rounds of generate (a) with synchronous_commit=off
#   BENCH_GEN_POOL [200000] fresh projects kept ready for generate (a) (more
#                          when the measured rate needs them)
#   BENCH_LAT_DURATION [10]  seconds of the 1-client latency runs of (b)
#   BENCH_LOOP_CALLS [5000], BENCH_LOOP_BATCH [1000], BENCH_LOOP_EDGE [500]
#                          calls in one transaction in (c), timed per batch
#                          and for the first/last EDGE calls
#   BENCH_DASH_USERS [1000], BENCH_DASH_PROJECTS_PER_USER [100],
#   BENCH_DASH_RUNS_PER_PROJECT [100]  the dashboard's data set
#   BENCH_DASH_KEYS [0]    1 gives the loaded runs generate's idempotency keys
#   BENCH_DASH_DURATION [30]  seconds of each dashboard latency run (after
#                          BENCH_WARMUP seconds on the same connection)
#   BENCH_DASH_COLD [0]    1 measures the dashboard without warming the cache
#   BENCH_LOAD_JOBS [2], BENCH_LOAD_BATCH [1000000]  parallel sessions and
#                          rows per INSERT when loading runs
#   BENCH_RLS_PROJECTS [100], BENCH_RLS_RUNS_PER_PROJECT [10000]  rls data
#   BENCH_RLS_ROUNDS [5], BENCH_RLS_DURATION [5]  rls runs per function/role
#
# Adding a section: write a function bench_<name> (it runs inside the
# cluster; database $DB is set up by test/bench/setup.sql; put SQL and
# pgbench scripts in test/bench/), append its table to the report with
# `report`, return non-zero on failure, and add <name> to ALL_SECTIONS.
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=scripts/lib.sh
. "$ROOT/scripts/lib.sh"
cd "$ROOT" || exit 1

ALL_SECTIONS=(core generate dashboard rls)
BENCH_DIR="$ROOT/test/bench"
DB="project_runs_bench"

: "${BENCH_CLIENTS:=2}"
: "${BENCH_DURATION:=8}"
: "${BENCH_WARMUP:=3}"
: "${BENCH_ROUNDS:=5}"
: "${BENCH_PROJECTS:=1000}"
: "${BENCH_BREAKDOWN:=0}"
: "${BENCH_PERCALL_N:=10000}"
: "${BENCH_PERCALL_ROUNDS:=3}"
: "${BENCH_BREAKDOWN_DURATION:=6}"
: "${BENCH_MEM_CALLS:=200000}"
: "${BENCH_MEM_WARM:=20000}"
: "${BENCH_GEN_ROUNDS:=3}"
: "${BENCH_GEN_POOL:=200000}"
: "${BENCH_LAT_DURATION:=10}"
: "${BENCH_LOOP_CALLS:=5000}"
: "${BENCH_LOOP_BATCH:=1000}"
: "${BENCH_LOOP_EDGE:=500}"
: "${BENCH_DASH_USERS:=1000}"
: "${BENCH_DASH_PROJECTS_PER_USER:=100}"
: "${BENCH_DASH_RUNS_PER_PROJECT:=100}"
: "${BENCH_DASH_KEYS:=0}"
: "${BENCH_DASH_DURATION:=30}"
: "${BENCH_LOAD_JOBS:=2}"
: "${BENCH_LOAD_BATCH:=1000000}"
: "${BENCH_RLS_PROJECTS:=100}"
: "${BENCH_RLS_RUNS_PER_PROJECT:=10000}"
: "${BENCH_RLS_ROUNDS:=5}"
: "${BENCH_RLS_DURATION:=5}"
export BENCH_CLIENTS BENCH_DURATION BENCH_WARMUP BENCH_ROUNDS BENCH_PROJECTS \
    BENCH_BREAKDOWN BENCH_BREAKDOWN_DURATION BENCH_PERCALL_N BENCH_PERCALL_ROUNDS BENCH_MEM_CALLS BENCH_MEM_WARM \
    BENCH_GEN_ROUNDS BENCH_GEN_POOL BENCH_LAT_DURATION BENCH_LOOP_CALLS BENCH_LOOP_BATCH BENCH_LOOP_EDGE \
    BENCH_DASH_USERS BENCH_DASH_PROJECTS_PER_USER BENCH_DASH_RUNS_PER_PROJECT BENCH_DASH_KEYS \
    BENCH_DASH_DURATION BENCH_LOAD_JOBS BENCH_LOAD_BATCH BENCH_RLS_PROJECTS BENCH_RLS_RUNS_PER_PROJECT \
    BENCH_RLS_ROUNDS BENCH_RLS_DURATION

# Server settings of the throw-away cluster (each becomes -o 'guc=value').
# pg_virtualenv turns fsync off; it is turned back on so that the
# synchronous_commit=on figures mean something. Shared buffers big enough
# for all the data a full run writes (with 256MB the guarded runs, whose
# working set is larger, start evicting dirty pages after a few rounds and
# the comparison drifts from CPU cost to I/O). No checkpoint by timeout
# during the run (the script checkpoints before every measured run).
CLUSTER_GUCS=(
    "fsync=on"
    "shared_buffers=2GB"
    "max_wal_size=4GB"
    "checkpoint_timeout=30min"
    "shared_preload_libraries="
)

say() { printf '[bench] %s\n' "$*"; }

# Appends a line to the report printed at the end.
report() { printf '%s\n' "$*" >>"$REPORT"; }

psql_q() { psql -X -q -At -v ON_ERROR_STOP=1 -d "$DB" "$@"; }

# The median of the numbers given as arguments.
median() {
    printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END {
        if (NR == 0) { print "nan"; exit }
        if (NR % 2) print v[(NR + 1) / 2]; else printf "%.3f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# ratios_of OUT NUM DEN: sets the array named OUT to NUM[i] / DEN[i] for
# the arrays named NUM and DEN (one ratio per round).
ratios_of() {
    local -n ratios_out_="$1" ratios_num_="$2" ratios_den_="$3"
    local i_
    ratios_out_=()
    for ((i_ = 0; i_ < ${#ratios_num_[@]}; i_++)); do
        ratios_out_+=("$(calc "${ratios_num_[$i_]} / ${ratios_den_[$i_]}")")
    done
}

# calc EXPR: floating-point arithmetic with awk.
calc() { awk "BEGIN { printf \"%.3f\", $1 }"; }

# --------------------------------------------------------------------------
# pgbench
# --------------------------------------------------------------------------

# Prepares a measured run: vacuum, analyze, checkpoint.
settle() {
    psql_q -c "VACUUM ANALYZE" -c "CHECKPOINT" >/dev/null
}

CLK_TCK="$(getconf CLK_TCK 2>/dev/null || echo 100)"
POSTMASTER_PID=""

# CPU ticks used so far by the server: the postmaster, its live children
# (backends, walwriter, autovacuum, ...) and the children it has reaped
# (pgbench's backends exit before the second reading; their time is in the
# postmaster's cutime/cstime).
server_ticks() {
    cat /proc/[0-9]*/stat 2>/dev/null | awk -v pm="$POSTMASTER_PID" '
        { pid = $1; sub(/^[^)]*\) /, "") }   # now $2 = ppid, $12.. = utime stime cutime cstime
        pid == pm { t += $12 + $13 + $14 + $15 }
        $2 == pm  { t += $12 + $13 }
        END { print t + 0 }'
}

# Waits until pgbench's backends have exited and the postmaster has reaped
# them (only then is their CPU time in the postmaster's cutime/cstime).
wait_backends_gone() {
    local i
    for ((i = 0; i < 50; i++)); do
        if [ "$(psql_q -c "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'pgbench'")" = 0 ] &&
            ! awk -v pm="$POSTMASTER_PID" '{ sub(/^[^)]*\) /, "") } $2 == pm && $1 == "Z" { z = 1 } END { exit !z }' \
                /proc/[0-9]*/stat 2>/dev/null; then
            return 0
        fi
        sleep 0.1
    done
}

# Busy CPU ticks of the whole machine (all CPUs), from /proc/stat.
machine_ticks() { awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 + $9; exit }' /proc/stat; }

# Seconds in bash `times` notation (1m2.345s).
times_seconds() { awk -F'[ms]' '{ printf "%.3f", $1 * 60 + $2 }' <<<"$1"; }

# pgbench_fields OUTPUT: reads the output of a pgbench run followed by
# "PGBENCH_EXIT <rc>" and the shell's `times` into PGB_RC, PGB_CLIENT_S
# (pgbench's CPU seconds), PGB_TPS, PGB_N (transactions) and PGB_LAT (the
# mean ms of each statement: the lines after "statement latencies" are
# "<ms> <failures> <command>"; meta-commands such as \set are skipped).
pgbench_fields() {
    local times_line
    PGB_RC="$(sed -n 's/^PGBENCH_EXIT //p' <<<"$1")"
    times_line="$(tail -n 1 <<<"$1")"
    PGB_CLIENT_S="$(calc "$(times_seconds "${times_line% *}") + $(times_seconds "${times_line#* }")")"
    PGB_TPS="$(sed -n 's/^tps = \([0-9.]*\) (without initial connection time)$/\1/p' <<<"$1")"
    PGB_N="$(sed -n 's/^number of transactions actually processed: \([0-9]*\).*/\1/p' <<<"$1")"
    PGB_LAT="$(awk '/^statement latencies/ { on = 1; next } /^PGBENCH_EXIT/ { on = 0 }
                    on && NF >= 3 && $3 !~ /^\\/ { printf "%s ", $1 }' <<<"$1")"
}

# pgbench_run SCRIPT SYNC SECONDS CLIENTS COUNT_SQL
# Runs test/bench/SCRIPT with pgbench -M prepared over TCP (PGHOST=localhost)
# and checks that exactly one finished run was added per transaction
# (COUNT_SQL counts them). Sets
#   PB_TPS     transactions per second (without connection time)
#   PB_N       transactions
#   PB_LAT     the average latency in ms of each SQL statement, in order
#   PB_CPU     server CPU time per transaction, microseconds (all server
#              processes; pgbench's own CPU time is not in it)
#   PB_CLIENT  pgbench's CPU time per transaction, microseconds
#   PB_WAL     WAL bytes written per transaction (by everything in the
#              cluster during the run, so autovacuum's share is in it)
#   PB_OTHER   CPU used by everything else on the machine during the run,
#              in % of one CPU (other work there makes every figure noisy)
# Returns non-zero when pgbench fails or the count does not match.
pgbench_run() {
    local script="$BENCH_DIR/$1" sync="$2" seconds="$3" clients="$4" count_sql="$5"
    local out before after rc s0 s1 m0 m1 t0 t1 client_s lsn0 wal
    before="$(psql_q -c "$count_sql")" || return 1
    lsn0="$(psql_q -c "SELECT pg_current_wal_insert_lsn()")" || return 1
    s0="$(server_ticks)"; m0="$(machine_ticks)"; t0="$(date +%s.%N)"
    out="$(PGOPTIONS="-c synchronous_commit=$sync" pgbench -n -M prepared -r \
        -c "$clients" -j "$clients" -T "$seconds" -D nprojects="$BENCH_PROJECTS" \
        -f "$script" "$DB" 2>&1; echo "PGBENCH_EXIT $?"; times)"
    wait_backends_gone
    s1="$(server_ticks)"; m1="$(machine_ticks)"; t1="$(date +%s.%N)"
    wal="$(psql_q -c "SELECT pg_wal_lsn_diff(pg_current_wal_insert_lsn(), '$lsn0')")" || return 1
    after="$(psql_q -c "$count_sql")" || return 1
    pgbench_fields "$out"
    rc="$PGB_RC"; client_s="$PGB_CLIENT_S"; PB_TPS="$PGB_TPS"; PB_N="$PGB_N"; PB_LAT="$PGB_LAT"
    if [ "$rc" != 0 ] || [ -z "$PB_TPS" ] || [ -z "${PB_N:-}" ] || [ "${PB_N:-0}" -eq 0 ]; then
        say "pgbench $1 (synchronous_commit=$sync) failed (exit $rc):"
        printf '%s\n' "$out"
        return 1
    fi
    if [ $((after - before)) -ne "$PB_N" ]; then
        say "pgbench $1: $PB_N transactions but $((after - before)) finished runs added"
        printf '%s\n' "$out"
        return 1
    fi
    PB_CPU="$(calc "($s1 - $s0) / $CLK_TCK * 1000000 / $PB_N")"
    PB_CLIENT="$(calc "$client_s * 1000000 / $PB_N")"
    PB_WAL="$(calc "$wal / $PB_N")"
    PB_OTHER="$(calc "(($m1 - $m0) - ($s1 - $s0)) / $CLK_TCK / ($t1 - $t0) * 100 - $client_s / ($t1 - $t0) * 100")"
    PB_OTHER="$(awk -v x="$PB_OTHER" 'BEGIN { printf "%.0f", (x < 0 ? 0 : x) }')"
    say "$(printf '%-22s sync=%-3s c=%s %3ss: %8.1f tps %6.0f us server CPU/tx %6.0f B WAL/tx (pgbench %4.0f us/tx, other load %3s%%)  %s tx, stmt ms: %s' \
        "$1" "$sync" "$clients" "$seconds" "$PB_TPS" "$PB_CPU" "$PB_WAL" "$PB_CLIENT" "$PB_OTHER" "$PB_N" "$PB_LAT")"
}

# measure SCRIPT SYNC SECONDS CLIENTS COUNT_SQL: settle, warm up, measure.
measure() {
    local warm
    settle || return 1
    if ! warm="$(pgbench_run "$1" "$2" "$BENCH_WARMUP" "$4" "$5")"; then
        printf '%s\n' "$warm"
        say "(that was the warm-up run)"
        return 1
    fi
    pgbench_run "$@"
}

# --------------------------------------------------------------------------
# Section "core"
# --------------------------------------------------------------------------

GUARDED_COUNT="SELECT count(*) FROM project_runs WHERE status = 'succeeded'"
FLOOR_COUNT="SELECT count(*) FROM bench_floor_runs WHERE status = 'succeeded'"

core_tps() {
    local round order v i
    local -a g_tps=() f_tps=() g_cpu=() f_cpu=() g_wal=() f_wal=() g_lat=() f_lat=() g_oth=() f_oth=()
    local g_on f_on g_on_cpu f_on_cpu g_on_wal f_on_wal g_on_lat f_on_lat g_on_oth f_on_oth
    say "core: tps, ${BENCH_ROUNDS} round(s) with synchronous_commit=off, 1 with =on" \
        "(${BENCH_CLIENTS} clients, ${BENCH_WARMUP}s warm-up + ${BENCH_DURATION}s each)"
    for ((round = 1; round <= BENCH_ROUNDS; round++)); do
        # Alternate the order: guarded first in odd rounds, floor first in even.
        if ((round % 2)); then order=(guarded floor); else order=(floor guarded); fi
        for v in "${order[@]}"; do
            if [ "$v" = guarded ]; then
                measure core_tps_guarded.sql off "$BENCH_DURATION" "$BENCH_CLIENTS" \
                    "$GUARDED_COUNT" || return 1
                g_tps+=("$PB_TPS"); g_cpu+=("$PB_CPU"); g_wal+=("$PB_WAL")
                g_lat+=("$PB_LAT"); g_oth+=("$PB_OTHER")
            else
                measure core_tps_floor.sql off "$BENCH_DURATION" "$BENCH_CLIENTS" \
                    "$FLOOR_COUNT" || return 1
                f_tps+=("$PB_TPS"); f_cpu+=("$PB_CPU"); f_wal+=("$PB_WAL")
                f_lat+=("$PB_LAT"); f_oth+=("$PB_OTHER")
            fi
        done
    done
    measure core_tps_guarded.sql on "$BENCH_DURATION" "$BENCH_CLIENTS" "$GUARDED_COUNT" ||
        return 1
    g_on="$PB_TPS"; g_on_cpu="$PB_CPU"; g_on_wal="$PB_WAL"; g_on_lat="$PB_LAT"; g_on_oth="$PB_OTHER"
    measure core_tps_floor.sql on "$BENCH_DURATION" "$BENCH_CLIENTS" "$FLOOR_COUNT" ||
        return 1
    f_on="$PB_TPS"; f_on_cpu="$PB_CPU"; f_on_wal="$PB_WAL"; f_on_lat="$PB_LAT"; f_on_oth="$PB_OTHER"

    # Medians over the rounds: of each figure, and of the per-round ratios.
    local -a tps_ratios=() cpu_ratios=()
    ratios_of tps_ratios f_tps g_tps
    ratios_of cpu_ratios g_cpu f_cpu
    local tps_ratio cpu_ratio
    tps_ratio="$(median "${tps_ratios[@]}")"
    cpu_ratio="$(median "${cpu_ratios[@]}")"
    verdict() { awk -v r="$1" 'BEGIN { print (r <= 1.3 ? "<= 1.3 ok" : "> 1.3 OVER") }'; }
    tps_row() {
        printf '  %-28s %8.1f %8.1f %6.2f  %8.0f %8.0f %6.2f  %7.0f %7.0f  %6s' "$@"
    }
    report ""
    report "== core: one run = create -> set_running -> set_succeeded, in one transaction =="
    report "   pgbench -M prepared, TCP localhost, ${BENCH_CLIENTS} clients/${BENCH_CLIENTS} threads," \
        "${BENCH_WARMUP}s warm-up + ${BENCH_DURATION}s per run, $(nproc) CPUs," \
        "fsync=$(psql_q -c 'SHOW fsync'), superuser (no RLS)"
    report "   guarded = the project_runs_* functions; floor = the same statements on a plain table"
    report "   (same columns and indexes, no triggers, no events). tps ratio = floor/guarded;"
    report "   CPU = server CPU time per transaction (all postgres processes, not pgbench), ratio"
    report "   guarded/floor; WAL = bytes of WAL per transaction; other load = CPU used by other"
    report "   processes on this machine during the runs, % of one CPU (it makes every figure noisy)"
    report ""
    report "$(printf '  %-28s %8s %8s %6s  %8s %8s %6s  %7s %7s  %6s' "" "guarded" "floor" "" \
        "guarded" "floor" "" "guarded" "floor" "other")"
    report "$(printf '  %-28s %8s %8s %6s  %8s %8s %6s  %7s %7s  %6s' "" "tps" "tps" "ratio" \
        "CPU us" "CPU us" "ratio" "WAL B" "WAL B" "load")"
    for ((i = 0; i < ${#g_tps[@]}; i++)); do
        report "$(tps_row "sync_commit=off, round $((i + 1))" "${g_tps[$i]}" "${f_tps[$i]}" \
            "${tps_ratios[$i]}" "${g_cpu[$i]}" "${f_cpu[$i]}" "${cpu_ratios[$i]}" \
            "${g_wal[$i]}" "${f_wal[$i]}" "$(( (g_oth[i] + f_oth[i]) / 2 ))%")"
    done
    report "$(tps_row "sync_commit=off, MEDIAN" "$(median "${g_tps[@]}")" \
        "$(median "${f_tps[@]}")" "$tps_ratio" "$(median "${g_cpu[@]}")" \
        "$(median "${f_cpu[@]}")" "$cpu_ratio" "$(median "${g_wal[@]}")" \
        "$(median "${f_wal[@]}")" "")"
    report "$(tps_row "sync_commit=on (reference)" "$g_on" "$f_on" \
        "$(calc "$f_on / $g_on")" "$g_on_cpu" "$f_on_cpu" "$(calc "$g_on_cpu / $f_on_cpu")" \
        "$g_on_wal" "$f_on_wal" "$(( (g_on_oth + f_on_oth) / 2 ))%")"
    report "   target floor/guarded <= 1.3 per transaction (synchronous_commit=off):" \
        "tps ratio $tps_ratio ($(verdict "$tps_ratio")), CPU ratio $cpu_ratio ($(verdict "$cpu_ratio"))"
    report "   (MEDIAN ratios are the medians of the per-round ratios)"
    report ""
    report "   per-statement latency, ms (pgbench -r; ${BENCH_CLIENTS} clients share $(nproc) CPUs with pgbench,"
    report "   so this is server time plus round trip plus queueing; sync_commit=off: mean of the rounds)"
    report "$(printf '  %-28s %9s %9s %9s   %10s %9s' "statement" "guarded" "floor" "extra" \
        "guarded/on" "floor/on")"
    local names=("BEGIN" "create / INSERT" "set_running / UPDATE" "set_succeeded / UPDATE" "COMMIT")
    local g_mean f_mean g_tot=0 f_tot=0 gon_tot=0 fon_tot=0 gon fon
    for ((i = 0; i < ${#names[@]}; i++)); do
        g_mean="$(printf '%s\n' "${g_lat[@]}" | awk -v k=$((i + 1)) '{ s += $k } END { printf "%.3f", s / NR }')"
        f_mean="$(printf '%s\n' "${f_lat[@]}" | awk -v k=$((i + 1)) '{ s += $k } END { printf "%.3f", s / NR }')"
        gon="$(awk -v k=$((i + 1)) '{ print $k }' <<<"$g_on_lat")"
        fon="$(awk -v k=$((i + 1)) '{ print $k }' <<<"$f_on_lat")"
        g_tot="$(calc "$g_tot + $g_mean")"; f_tot="$(calc "$f_tot + $f_mean")"
        gon_tot="$(calc "$gon_tot + $gon")"; fon_tot="$(calc "$fon_tot + $fon")"
        report "$(printf '  %-28s %9.3f %9.3f %+9.3f   %10.3f %9.3f' "${names[$i]}" \
            "$g_mean" "$f_mean" "$(calc "$g_mean - $f_mean")" "$gon" "$fon")"
    done
    report "$(printf '  %-28s %9.3f %9.3f %+9.3f   %10.3f %9.3f' "total" \
        "$g_tot" "$f_tot" "$(calc "$g_tot - $f_tot")" "$gon_tot" "$fon_tot")"
}

# The 1-client breakdown: where the extra time of a run goes.
core_breakdown() {
    local secs="$BENCH_BREAKDOWN_DURATION" floor_cpu
    say "core: breakdown at 1 client, synchronous_commit=off, ${secs}s each"
    report ""
    report "   breakdown: 1 client, synchronous_commit=off, ${BENCH_WARMUP}s warm-up + ${secs}s each;"
    report "   server CPU per run, and latency in ms per statement (1 client: server time + round trip)"
    report "$(printf '  %-36s %8s %8s %8s  %7s %7s %7s %7s %7s' "variant" "tps" "CPU us" "extra" \
        "BEGIN" "create" "running" "succeed" "COMMIT")"
    row() {  # row LABEL: report the last pgbench_run as one line
        # shellcheck disable=SC2086
        report "$(printf '  %-36s %8.1f %8.0f %+8.0f  %7.3f %7.3f %7.3f %7.3f %7.3f' "$1" "$PB_TPS" \
            "$PB_CPU" "$(calc "$PB_CPU - $floor_cpu")" $PB_LAT)"
    }
    measure core_tps_floor.sql off "$secs" 1 "$FLOOR_COUNT" || return 1
    floor_cpu="$PB_CPU"
    row "floor (plain table)"
    measure core_tps_direct.sql off "$secs" 1 "$GUARDED_COUNT" || return 1
    row "plain SQL on project_runs (triggers)"
    if psql_q -c "ALTER TABLE project_runs DISABLE TRIGGER project_runs_log_event" >/dev/null; then
        if measure core_tps_guarded.sql off "$secs" 1 "$GUARDED_COUNT"; then
            row "functions, event trigger disabled"
        else
            report "  functions, event trigger disabled: FAILED"
        fi
        psql_q -c "ALTER TABLE project_runs ENABLE ALWAYS TRIGGER project_runs_log_event" \
            >/dev/null || return 1
    else
        report "  (functions without the event trigger: could not disable the trigger)"
    fi
    measure core_tps_guarded.sql off "$secs" 1 "$GUARDED_COUNT" || return 1
    row "functions (guarded)"
    report "   (extra = server CPU us per run above the floor; the event trigger is re-enabled afterwards)"
}

# Per-statement server cost without the network (core_percall.sql), in
# BENCH_PERCALL_ROUNDS sessions; each cell keeps its lowest figure (other
# load on the machine only ever adds time).
core_percall() {
    local n="$BENCH_PERCALL_N" out="" one rc round tag bad=0
    say "core: per-call server cost, ${n} calls per statement and variant," \
        "${BENCH_PERCALL_ROUNDS} round(s)"
    for ((round = 1; round <= BENCH_PERCALL_ROUNDS; round++)); do
        one="$(psql -X -q -At -v ON_ERROR_STOP=1 -d "$DB" -v n="$n" -v round="$round" \
            -f "$BENCH_DIR/core_percall.sql" 2>&1)"
        rc=$?
        printf '%s\n' "$one" | sed 's/^/[bench]   /'
        if [ "$rc" -ne 0 ]; then
            say "core_percall.sql failed (exit $rc)"
            return 1
        fi
        # Every variant must have ended with n succeeded runs.
        for tag in floor floor_ev trig func func_noev; do
            if ! grep -qx "CHECK pc.${tag}_r${round} succeeded $n" <<<"$one" ||
                [ "$(grep -c "^CHECK pc.${tag}_r${round} " <<<"$one")" -ne 1 ]; then
                say "per-call: variant $tag did not end with exactly $n succeeded runs"
                bad=1
            fi
        done
        out+="$one"$'\n'
    done
    [ "$bad" -eq 0 ] || return 1
    report ""
    report "   per-statement server cost, ONE session, no network: ${n} calls of each statement from a"
    report "   plpgsql loop (COMMIT every 1000); backend CPU time per call in us (wall time in brackets),"
    report "   lowest of ${BENCH_PERCALL_ROUNDS} round(s)"
    grep '^PERCALL ' <<<"$out" | awk '
        { c = $5 / 1000 / $4; w = $6 / $4 * 1e6
          if (!(($2, $3) in cpu) || c < cpu[$2, $3]) cpu[$2, $3] = c
          if (!(($2, $3) in wall) || w < wall[$2, $3]) wall[$2, $3] = w }
        function cell(t, s) { return sprintf("%6.1f (%5.1f)", cpu[t, s], wall[t, s]) }
        function tot(t) { return sprintf("%6.1f (%5.1f)", sum(t), wsum(t)) }
        function sum(t) { return cpu[t, "create"] + cpu[t, "running"] + cpu[t, "succeeded"] }
        function wsum(t) { return wall[t, "create"] + wall[t, "running"] + wall[t, "succeeded"] }
        END {
            printf "  %-24s %14s %14s %14s %14s %14s %8s\n", "statement", "floor", "floor+events",
                "triggers only", "functions", "fn, no events", "fn/floor"
            n = split("create running succeeded", st, " ")
            split("create / INSERT|set_running / UPDATE|set_succeeded / UPDATE", label, "|")
            for (i = 1; i <= n; i++)
                printf "  %-24s %14s %14s %14s %14s %14s %8.2f\n", label[i], cell("floor", st[i]),
                    cell("floor_ev", st[i]), cell("trig", st[i]), cell("func", st[i]),
                    cell("func_noev", st[i]), cpu["func", st[i]] / cpu["floor", st[i]]
            printf "  %-24s %14s %14s %14s %14s %14s %8.2f\n", "one run (3 statements)",
                tot("floor"), tot("floor_ev"), tot("trig"), tot("func"), tot("func_noev"),
                sum("func") / sum("floor")
            printf "   (every figure includes the loop itself: %.1f us per iteration with one trivial C call;\n", cpu["call", "create"]
            printf "   floor+events = the floor plus a plain INSERT of the event row into a table like\n"
            printf "   project_run_events; triggers only = INSERT/UPDATE on project_runs directly;\n"
            printf "   fn, no events = the functions with the project_runs_log_event trigger disabled)\n"
        }' >>"$REPORT"
}

core_memory() {
    local rest=$((BENCH_MEM_CALLS - BENCH_MEM_WARM)) out
    say "core: memory, ${BENCH_MEM_CALLS} cycles in one session (COMMIT every 1000)," \
        "then 2 statements of ${BENCH_MEM_CALLS} pure-function calls"
    out="$(psql -X -q -At -v ON_ERROR_STOP=1 -d "$DB" -v warm="$BENCH_MEM_WARM" -v rest="$rest" -v total="$BENCH_MEM_CALLS" \
        -f "$BENCH_DIR/core_memory.sql" 2>&1)"
    local rc=$?
    printf '%s\n' "$out" | sed 's/^/[bench]   /'
    if [ "$rc" -ne 0 ]; then
        say "core_memory.sql failed (exit $rc)"
        return 1
    fi
    local mem
    mem="$(grep '^MEM ' <<<"$out")"
    report ""
    report "   backend memory, ONE session: VmRSS = RssAnon (private memory: palloc blocks, C++ heap)"
    report "   + RssShmem (shared buffers this backend has touched, grows with the data, not a leak)"
    report "   + file pages; from /proc/<pg_backend_pid()>/status. contexts = sum(total_bytes) of"
    report "   pg_backend_memory_contexts."
    awk -v warm="$BENCH_MEM_WARM" -v total="$BENCH_MEM_CALLS" '
        function row(label, k, secs) {
            printf "  %-32s %9d %9d %9d %9d %11.1f %8s\n", label, rss[k], anon[k], shm[k], hwm[k],
                ctx[k] / 1024, secs
        }
        function delta(label, a, b) {
            printf "  %-32s %+9d %+9d %+9d %+9d %+11.1f\n", label, rss[b] - rss[a], anon[b] - anon[a],
                shm[b] - shm[a], hwm[b] - hwm[a], (ctx[b] - ctx[a]) / 1024
        }
        function verdict(what, a, b, calls) {
            da = (anon[b] - anon[a]) * 1024; dc = ctx[b] - ctx[a]
            printf "   %s: RssAnon %+.1f bytes/call, memory contexts %+.1f bytes/call -> %s\n", what,
                da / calls, dc / calls, (da < 1048576 && dc < 65536 ? "no growth" : "GROWS, look at it")
        }
        $1 == "MEM" { at[$2] = $3; rss[$2] = $4; anon[$2] = $5; shm[$2] = $6; hwm[$2] = $7; ctx[$2] = $8 }
        END {
            printf "  %-32s %9s %9s %9s %9s %11s %8s\n", "", "VmRSS kB", "Anon kB", "Shmem kB",
                "VmHWM kB", "contexts kB", "calls/s"
            row("cycles: start", "cycles_start", "")
            row(sprintf("cycles: after %d (warm)", warm), "cycles_warm",
                sprintf("%.0f", warm / (at["cycles_warm"] - at["cycles_start"])))
            row(sprintf("cycles: after %d", total), "cycles_end",
                sprintf("%.0f", (total - warm) / (at["cycles_end"] - at["cycles_warm"])))
            delta(sprintf("  change, last %d cycles", total - warm), "cycles_warm", "cycles_end")
            row("pure functions: start", "pure_start", "")
            row(sprintf("pure: 1st statement, %d", total), "pure_warm",
                sprintf("%.0f", total / (at["pure_warm"] - at["pure_start"])))
            row(sprintf("pure: 2nd statement, %d", total), "pure_end",
                sprintf("%.0f", total / (at["pure_end"] - at["pure_warm"])))
            delta("  change, 2nd statement", "pure_warm", "pure_end")
            verdict(sprintf("cycles (last %d)", total - warm), "cycles_warm", "cycles_end", total - warm)
            verdict("pure functions (2nd statement)", "pure_warm", "pure_end", total)
        }' <<<"$mem" >>"$REPORT"
    report "   (one cycle = create + set_running + set_succeeded from a plpgsql procedure, COMMIT every"
    report "   1000; pure = project_runs_http_status + project_runs_merge_metrics, one pair per row)"
}

core_setup() {
    psql_q -f "$BENCH_DIR/core_setup.sql" >/dev/null
}

bench_core() {
    core_setup || return 1
    core_tps || return 1
    core_percall || return 1
    if [ "$BENCH_BREAKDOWN" != 0 ]; then core_breakdown || return 1; fi
    core_memory || return 1
}

# --------------------------------------------------------------------------
# Shared by the sections generate, dashboard and rls
# --------------------------------------------------------------------------

# psql on a database of the cluster: psql_db DBNAME [psql args...]
psql_db() {
    local db="$1"
    shift
    psql -X -q -At -v ON_ERROR_STOP=1 -d "$db" "$@"
}

# percentiles FILE: "p50 p90 p99 max mean" in ms of the latencies in
# microseconds in FILE (one a line); nearest-rank percentiles.
percentiles() {
    sort -n "$1" | awk '
        function rank(p,   k) { k = p * NR; if (k > int(k)) k = int(k) + 1; if (k < 1) k = 1; return v[k] }
        { v[NR] = $1; s += $1 }
        END {
            if (NR == 0) { print "nan nan nan nan nan"; exit }
            printf "%.3f %.3f %.3f %.3f %.3f\n", rank(0.50) / 1000, rank(0.90) / 1000,
                rank(0.99) / 1000, v[NR] / 1000, s / NR / 1000
        }'
}

# pgbench_lat SCRIPT SYNC SECONDS CLIENTS DBNAME [PGBENCH ARGS...]
# Runs test/bench/SCRIPT with pgbench -M prepared over TCP, with every
# transaction's latency logged (-l). Read-only scripts too: nothing is
# counted. Sets
#   PL_TPS, PL_N   transactions per second (without connection time), transactions
#   PL_LAT         the mean latency in ms of each SQL statement, in order (-r)
#   PL_P50 PL_P90 PL_P99 PL_MAX PL_MEAN   transaction latency in ms (from the log),
#                  of the transactions that ended LAT_SKIP seconds or more after
#                  the first one (default 0: all)
#   PL_FIRST       the first transaction's latency in ms (a new connection's)
#   PL_WINDOWS     with LAT_WINDOW=S: the p99 of each S seconds after the skip
#   PL_CPU         server CPU time per transaction, microseconds
#   PL_OTHER       CPU used by everything else on the machine, % of one CPU
pgbench_lat() {
    local name="$1" script="$BENCH_DIR/$1" sync="$2" seconds="$3" clients="$4" db="$5"
    shift 5
    local logdir out rc s0 s1 m0 m1 t0 t1 client_s
    logdir="$(mktemp -d "${TMPDIR:-/tmp}/bench_pglog.XXXXXX")" || return 1
    s0="$(server_ticks)"; m0="$(machine_ticks)"; t0="$(date +%s.%N)"
    out="$(cd "$logdir" && PGOPTIONS="-c synchronous_commit=$sync" pgbench -n -M prepared -r \
        -l --log-prefix="$logdir/tx" -c "$clients" -j "$clients" -T "$seconds" "$@" \
        -f "$script" "$db" 2>&1; echo "PGBENCH_EXIT $?"; times)"
    wait_backends_gone
    s1="$(server_ticks)"; m1="$(machine_ticks)"; t1="$(date +%s.%N)"
    pgbench_fields "$out"
    rc="$PGB_RC"; client_s="$PGB_CLIENT_S"; PL_TPS="$PGB_TPS"; PL_N="$PGB_N"; PL_LAT="$PGB_LAT"
    if [ "$rc" != 0 ] || [ -z "$PL_TPS" ] || [ -z "${PL_N:-}" ] || [ "${PL_N:-0}" -eq 0 ] ||
        ! grep -q '^number of failed transactions: 0 ' <<<"$out"; then
        say "pgbench $name on $db failed (exit $rc):"
        printf '%s\n' "$out"
        rm -rf "$logdir"
        return 1
    fi
    # Latencies of the transactions that ended LAT_SKIP seconds or more
    # after the first one (all of them without LAT_SKIP), the first one's
    # latency alone, and with LAT_WINDOW the p99 of each LAT_WINDOW seconds
    # after the skip (a last window with under half the calls of the
    # fullest one is left out).
    cat "$logdir"/tx.* | awk -v skip="${LAT_SKIP:-0}" -v out="$logdir/latencies" \
        -v first="$logdir/first" '
        { end_s = $5 + $6 / 1000000; lat[NR] = $3; t[NR] = end_s
          if (NR == 1 || end_s < t0) { t0 = end_s; first_lat = $3 } }
        END {
            printf "" > out
            print first_lat > first
            for (i = 1; i <= NR; i++)
                if (t[i] - t0 >= skip) printf "%.6f %s\n", t[i] - t0 - skip, lat[i] > out
        }'
    read -r PL_P50 PL_P90 PL_P99 PL_MAX PL_MEAN < <(awk '{ print $2 }' "$logdir/latencies" >"$logdir/l" &&
        percentiles "$logdir/l")
    PL_FIRST="$(awk '{ printf "%.3f", $1 / 1000 }' "$logdir/first")"
    PL_WINDOWS=""
    if [ "${LAT_WINDOW:-0}" -gt 0 ]; then
        local w max
        awk -v window="$LAT_WINDOW" -v dir="$logdir" '{ print $2 > (dir "/window." int($1 / window)) }' \
            "$logdir/latencies"
        max="$(for w in "$logdir"/window.*; do wc -l <"$w"; done | sort -n | tail -1)"
        for w in $(cd "$logdir" && ls window.* 2>/dev/null | sort -t. -k2,2n); do
            [ "$(($(wc -l <"$logdir/$w") * 2))" -ge "${max:-0}" ] || continue
            PL_WINDOWS="$PL_WINDOWS $(percentiles "$logdir/$w" | awk '{ print $3 }')"
        done
        PL_WINDOWS="${PL_WINDOWS# }"
    fi
    rm -rf "$logdir"
    PL_CPU="$(calc "($s1 - $s0) / $CLK_TCK * 1000000 / $PL_N")"
    PL_OTHER="$(calc "(($m1 - $m0) - ($s1 - $s0)) / $CLK_TCK / ($t1 - $t0) * 100 - $client_s / ($t1 - $t0) * 100")"
    PL_OTHER="$(awk -v x="$PL_OTHER" 'BEGIN { printf "%.0f", (x < 0 ? 0 : x) }')"
    say "$(printf '%-22s c=%s %3ss: %8.1f tps  p50 %.3f p90 %.3f p99 %.3f max %.3f ms  %6.0f us server CPU/tx (other load %3s%%)  %s tx, stmt ms: %s' \
        "$name" "$clients" "$seconds" "$PL_TPS" "$PL_P50" "$PL_P90" "$PL_P99" "$PL_MAX" "$PL_CPU" \
        "$PL_OTHER" "$PL_N" "$PL_LAT")"
}

# Waits (up to 120 s) until no autovacuum worker runs in the cluster: the
# earlier sections leave dead rows behind, and a worker cleaning them up
# during a 1-client latency run competes for the 2 CPUs and counts as server
# CPU time.
quiesce() {
    local i n
    for ((i = 0; i < 1200; i++)); do
        n="$(psql_q -c "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'autovacuum worker'")"
        [ "$n" = 0 ] && break
        sleep 0.1
    done
    ((i == 0)) || say "waited $((i / 10)).$((i % 10))s for autovacuum to finish"
}

# lat_measure SCRIPT SYNC SECONDS CLIENTS DBNAME [PGBENCH ARGS...]: waits for
# autovacuum, a warm-up run of BENCH_WARMUP seconds, then the measured run
# (pgbench_lat).
lat_measure() {
    local script="$1" sync="$2" seconds="$3" warm
    shift 3
    quiesce
    if ! warm="$(pgbench_lat "$script" "$sync" "$BENCH_WARMUP" "$@")"; then
        printf '%s\n' "$warm"
        say "(that was the warm-up run)"
        return 1
    fi
    pgbench_lat "$script" "$sync" "$seconds" "$@"
}

# lat_pooled SCRIPT SECONDS DBNAME [PGBENCH ARGS...]: waits for autovacuum,
# then ONE 1-client pgbench run of BENCH_WARMUP + SECONDS on one connection,
# as an application's connection pool (PostgREST's) uses its connections:
# the percentiles leave out the first BENCH_WARMUP seconds (the new
# backend's first calls are PL_FIRST), with the p99 of every 10 s after.
lat_pooled() {
    local script="$1" seconds="$2" a0 a1 t0 tables rc=0
    shift 2
    quiesce
    a0="$(autovacuum_count)"
    t0="$(psql_q -c "SELECT now()")"
    LAT_SKIP="$BENCH_WARMUP" LAT_WINDOW=10 \
        pgbench_lat "$script" off "$((BENCH_WARMUP + seconds))" 1 "$@" || rc=1
    a1="$(autovacuum_count)"
    PL_AUTOVACUUM="$(awk -v a="$a0" -v b="$a1" 'BEGIN { split(a, x, " "); split(b, y, " ")
        printf "%d ended, %d still running", y[1] - x[1], y[2] }')"
    tables="$(autovacuum_tables "$t0")"
    [ -z "$tables" ] || PL_AUTOVACUUM="$PL_AUTOVACUUM ($tables)"
    return "$rc"
}

# lat_ab SECONDS DBNAME SCRIPT_A SCRIPT_B [PGBENCH ARGS...]: waits for
# autovacuum, then ONE 1-client pgbench run on one connection that picks
# script A or B at random for each transaction (-f A@1 -f B@1), so that both
# see the machine as it is at the same moments: a VM whose speed drifts by a
# fifth from one run to the next cannot favour either. The first
# BENCH_WARMUP seconds are left out. Sets AB_A and AB_B to
# "transactions p50 p90 p99 max mean" (ms) of each script.
lat_ab() {
    local seconds="$1" db="$2" a="$3" b="$4" logdir out
    shift 4
    quiesce
    logdir="$(mktemp -d "${TMPDIR:-/tmp}/bench_pglog.XXXXXX")" || return 1
    if ! out="$(cd "$logdir" && pgbench -n -M prepared -l --log-prefix="$logdir/tx" -c 1 -j 1 \
        -T "$((BENCH_WARMUP + seconds))" "$@" -f "$BENCH_DIR/$a@1" -f "$BENCH_DIR/$b@1" "$db" 2>&1)" ||
        ! grep -q '^number of failed transactions: 0 ' <<<"$out"; then
        say "pgbench $a / $b on $db failed:"
        printf '%s\n' "$out"
        rm -rf "$logdir"
        return 1
    fi
    wait_backends_gone
    # Log lines: client, transaction, latency (us), script number, end time (s, us).
    cat "$logdir"/tx.* | awk -v skip="$BENCH_WARMUP" -v dir="$logdir" '
        { end_s = $5 + $6 / 1000000; lat[NR] = $3; script[NR] = $4; t[NR] = end_s
          if (NR == 1 || end_s < t0) t0 = end_s }
        END { for (i = 1; i <= NR; i++) if (t[i] - t0 >= skip) print lat[i] > (dir "/script." script[i]) }'
    touch "$logdir/script.0" "$logdir/script.1"
    AB_A="$(wc -l <"$logdir/script.0") $(percentiles "$logdir/script.0")"
    AB_B="$(wc -l <"$logdir/script.1") $(percentiles "$logdir/script.1")"
    rm -rf "$logdir"
    say "$(printf 'A/B %s / %s: %s / %s' "$a" "$b" "$AB_A" "$AB_B")"
}

# autovacuum_count: "N M": autovacuum and autoanalyze runs ended so far on
# every table of every database of the cluster, and workers running now.
# A worker that runs during a latency run competes for the 2 CPUs, and its
# CPU time counts as server CPU (PL_CPU).
autovacuum_count() {
    local db n=0 m
    for db in $(psql_q -c "SELECT datname FROM pg_database WHERE datallowconn"); do
        m="$(psql_db "$db" -c "SELECT coalesce(sum(autovacuum_count + autoanalyze_count), 0)
            FROM pg_stat_all_tables")" || m=0
        n=$((n + m))
    done
    m="$(psql_q -c "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'autovacuum worker'")"
    echo "$n $m"
}

# autovacuum_tables SINCE: the tables autovacuum vacuumed (v) or analyzed (a)
# since the timestamp SINCE, as "db.schema.table va", comma-separated (the
# catalogs all databases share as "shared.pg_catalog.name").
autovacuum_tables() {
    local db
    for db in $(psql_q -c "SELECT datname FROM pg_database WHERE datallowconn"); do
        psql_db "$db" -c "
            SELECT CASE WHEN c.relisshared THEN 'shared' ELSE current_database() END
                   || '.' || s.schemaname || '.' || s.relname || ' '
                   || CASE WHEN s.last_autovacuum >= '$1' THEN 'v' ELSE '' END
                   || CASE WHEN s.last_autoanalyze >= '$1' THEN 'a' ELSE '' END
            FROM pg_stat_all_tables s JOIN pg_class c ON c.oid = s.relid
            WHERE greatest(s.last_autovacuum, s.last_autoanalyze) >= '$1'" || true
    done | sort -u | paste -s -d , | sed -e 's/,/, /g'
}

# field N WORDS...: the Nth word.
field() { local n="$1"; shift; awk -v k="$n" '{ print $k }' <<<"$*"; }

# ok_if EXPR: "ok" when the awk expression holds, else the second argument.
ok_if() { awk "BEGIN { exit !($1) }" && echo ok || echo "$2"; }

# --------------------------------------------------------------------------
# Section "generate"
# --------------------------------------------------------------------------

GEN_COUNT="SELECT count(*) FROM project_runs WHERE status = 'succeeded'"
DEFAULT_PIPELINE="2025-12-23.v1"

# Seeds the pool of fresh projects (generate_fresh.sql takes one per call)
# until at least $1 of them are unused.
gen_topup() {
    local left
    left="$(psql_q -c "SELECT bench_gen_topup($1)")" || return 1
    [ "$left" -ge "$1" ]
}

# (a) runs/s: one generate call against the app's six calls.
# gen_tps KIND: plain (autocommit statements, superuser) or rest (each call
# in the transaction PostgREST makes, as authenticated, row-level security on).
gen_tps() {
    local kind="$1" gen_script=generate_fresh.sql flow_script=generate_flow.sql
    if [ "$kind" = rest ]; then gen_script=generate_fresh_rest.sql; flow_script=generate_flow_rest.sql; fi
    local round v i need="$BENCH_GEN_POOL"
    local -a order g_tps=() f_tps=() g_cpu=() f_cpu=() g_wal=() f_wal=() g_lat=() f_lat=() g_oth=() f_oth=() ratios=() cpu_ratios=()
    local g_on f_on g_on_cpu f_on_cpu g_on_wal f_on_wal g_on_oth f_on_oth
    say "generate (a, $kind): runs/s, ${BENCH_GEN_ROUNDS} round(s) with synchronous_commit=off, 1 with =on" \
        "(${BENCH_CLIENTS} clients, ${BENCH_WARMUP}s warm-up + ${BENCH_DURATION}s each)"
    run_generate() {  # run_generate SYNC: one measured generate run, pool topped up first
        gen_topup "$need" || { say "could not seed the pool of fresh projects"; return 1; }
        measure "$gen_script" "$1" "$BENCH_DURATION" "$BENCH_CLIENTS" "$GEN_COUNT" || return 1
        # Enough fresh projects for the next warm-up + run, with room to spare.
        need="$(awk -v t="$PB_TPS" -v s="$((BENCH_WARMUP + BENCH_DURATION))" -v m="$BENCH_GEN_POOL" \
            'BEGIN { n = int(t * s * 1.5) + 1; print (n > m ? n : m) }')"
    }
    for ((round = 1; round <= BENCH_GEN_ROUNDS; round++)); do
        if ((round % 2)); then order=(generate flow); else order=(flow generate); fi
        for v in "${order[@]}"; do
            if [ "$v" = generate ]; then
                run_generate off || return 1
                g_tps+=("$PB_TPS"); g_cpu+=("$PB_CPU"); g_wal+=("$PB_WAL"); g_lat+=("$PB_LAT"); g_oth+=("$PB_OTHER")
            else
                measure "$flow_script" off "$BENCH_DURATION" "$BENCH_CLIENTS" "$GEN_COUNT" || return 1
                f_tps+=("$PB_TPS"); f_cpu+=("$PB_CPU"); f_wal+=("$PB_WAL"); f_lat+=("$PB_LAT"); f_oth+=("$PB_OTHER")
            fi
        done
    done
    run_generate on || return 1
    g_on="$PB_TPS"; g_on_cpu="$PB_CPU"; g_on_wal="$PB_WAL"; g_on_oth="$PB_OTHER"
    measure "$flow_script" on "$BENCH_DURATION" "$BENCH_CLIENTS" "$GEN_COUNT" || return 1
    f_on="$PB_TPS"; f_on_cpu="$PB_CPU"; f_on_wal="$PB_WAL"; f_on_oth="$PB_OTHER"

    ratios_of ratios g_tps f_tps
    ratios_of cpu_ratios f_cpu g_cpu
    local ratio cpu_ratio
    ratio="$(median "${ratios[@]}")"
    cpu_ratio="$(median "${cpu_ratios[@]}")"
    row() { printf '  %-28s %9.1f %9.1f %7.2f  %9.0f %9.0f %7.2f  %8.0f %8.0f  %6s' "$@"; }
    report ""
    if [ "$kind" = rest ]; then
        report "== generate (a, PostgREST-shaped): a new run in ONE call vs the seed app's six calls =="
        report "   Each call is the transaction PostgREST makes for POST /rpc/<name> of a signed-in user:"
        report "   BEGIN; SELECT set_config() of search_path, role = authenticated, request.jwt.claims and"
        report "   request.method; the call; COMMIT. Row-level security applies (20 projects per user)."
        report "   generate = project_runs_generate(project) on a fresh key; flow = create, set_running,"
        report "   3 x update_metrics, set_succeeded, six such transactions. pgbench -M prepared, TCP localhost,"
        report "   ${BENCH_CLIENTS} clients/${BENCH_CLIENTS} threads, ${BENCH_WARMUP}s warm-up + ${BENCH_DURATION}s per run, $(nproc) CPUs," \
            "fsync=$(psql_q -c 'SHOW fsync')."
    else
        report "== generate (a): a new run in ONE call vs the seed app's six calls =="
        report "   generate = SELECT project_runs_generate(project) on a fresh key (a project with one final"
        report "   input and no run): the input looked up, the run created, queued -> running -> 3 built-in"
        report "   steps -> succeeded, in one round trip. flow = what the TypeScript app does over PostgREST:"
        report "   create, set_running, 3 x update_metrics (one per step), set_succeeded with output and"
        report "   metrics, six autocommit transactions (bare statements: no PostgREST prelude, see the"
        report "   PostgREST-shaped table). pgbench -M prepared, TCP localhost,"
        report "   ${BENCH_CLIENTS} clients/${BENCH_CLIENTS} threads, ${BENCH_WARMUP}s warm-up + ${BENCH_DURATION}s per run, $(nproc) CPUs," \
            "fsync=$(psql_q -c 'SHOW fsync'), superuser (no RLS)."
    fi
    report "   runs/s = pgbench tps (one run per transaction, checked by counting succeeded runs);"
    report "   CPU = server CPU time per run (all postgres processes); WAL = bytes per run;"
    report "   other load = CPU used by other processes on this machine, % of one CPU"
    report ""
    report "$(printf '  %-28s %9s %9s %7s  %9s %9s %7s  %8s %8s  %6s' "" "generate" "flow" "gen/" \
        "generate" "flow" "flow/" "generate" "flow" "other")"
    report "$(printf '  %-28s %9s %9s %7s  %9s %9s %7s  %8s %8s  %6s' "" "runs/s" "runs/s" "flow" \
        "CPU us" "CPU us" "gen" "WAL B" "WAL B" "load")"
    for ((i = 0; i < ${#g_tps[@]}; i++)); do
        report "$(row "sync_commit=off, round $((i + 1))" "${g_tps[$i]}" "${f_tps[$i]}" "${ratios[$i]}" \
            "${g_cpu[$i]}" "${f_cpu[$i]}" "${cpu_ratios[$i]}" "${g_wal[$i]}" "${f_wal[$i]}" \
            "$(( (g_oth[i] + f_oth[i]) / 2 ))%")"
    done
    report "$(row "sync_commit=off, MEDIAN" "$(median "${g_tps[@]}")" "$(median "${f_tps[@]}")" \
        "$ratio" "$(median "${g_cpu[@]}")" "$(median "${f_cpu[@]}")" "$cpu_ratio" \
        "$(median "${g_wal[@]}")" "$(median "${f_wal[@]}")" "")"
    report "$(row "sync_commit=on (reference)" "$g_on" "$f_on" "$(calc "$g_on / $f_on")" \
        "$g_on_cpu" "$f_on_cpu" "$(calc "$f_on_cpu / $g_on_cpu")" "$g_on_wal" "$f_on_wal" \
        "$(( (g_on_oth + f_on_oth) / 2 ))%")"
    report "   target: one call >= 3x the flow's runs/s (synchronous_commit=off, median of the per-round"
    report "   ratios): $ratio -> $(ok_if "$ratio >= 3" "UNDER 3x"); =on: $(calc "$g_on / $f_on")" \
        "-> $(ok_if "$g_on / $f_on >= 3" "UNDER 3x")"
    if [ "$kind" = rest ]; then
        # Sum of the mean statement latencies of a run (BEGIN, prelude, call, COMMIT per call).
        local g_sum f_sum
        g_sum="$(printf '%s\n' "${g_lat[@]}" | awk '{ for (k = 1; k <= NF; k++) s += $k } END { printf "%.3f", s / NR }')"
        f_sum="$(printf '%s\n' "${f_lat[@]}" | awk '{ for (k = 1; k <= NF; k++) s += $k } END { printf "%.3f", s / NR }')"
        report "   mean latency per run, ms (sum of its statements, pgbench -r, synchronous_commit=off rounds):"
        report "   generate $g_sum (4 statements), flow $f_sum (24 statements)"
        return 0
    fi
    local means
    means="$(printf '%s\n' "${f_lat[@]}" | awk '{ for (k = 1; k <= NF; k++) s[k] += $k; n = NF }
        END { for (k = 1; k <= n; k++) printf "%.3f ", s[k] / NR }')"
    report "   mean latency per call, ms (pgbench -r, synchronous_commit=off rounds; ${BENCH_CLIENTS} clients share"
    report "   $(nproc) CPUs with pgbench): generate $(printf '%s\n' "${g_lat[@]}" | awk '{ s += $1 } END { printf "%.3f", s / NR }');" \
        "flow: create $(field 1 "$means"), set_running $(field 2 "$means"), update_metrics" \
        "$(field 3 "$means")/$(field 4 "$means")/$(field 5 "$means"), set_succeeded $(field 6 "$means")," \
        "total $(awk '{ for (k = 1; k <= NF; k++) s += $k; printf "%.3f", s }' <<<"$means")"
}

# (b) latency of the repeat call (the run exists: created = false).
gen_repeat() {
    local n="$BENCH_PROJECTS" made again before after
    local r_tps r_p50 r_p90 r_p99 r_max r_mean r_cpu r_oth
    say "generate (b): repeat-call latency, 1 client, ${BENCH_WARMUP}s warm-up + ${BENCH_LAT_DURATION}s"
    made="$(psql_q -c "SELECT count(*) FROM generate_series(1, $n) i,
        LATERAL project_runs_generate(('00000000-0000-4000-8000-' || (100000000000 + i))::uuid) r
        WHERE r @> '{\"ok\": true}'")" || return 1
    again="$(psql_q -c "SELECT count(*) FROM generate_series(1, $n) i,
        LATERAL project_runs_generate(('00000000-0000-4000-8000-' || (100000000000 + i))::uuid) r
        WHERE r @> '{\"ok\": true, \"created\": false}'")" || return 1
    if [ "$made" != "$n" ] || [ "$again" != "$n" ]; then
        say "generate (b): $made of $n first calls ok, $again of $n repeat calls ok with created=false"
        return 1
    fi
    before="$(psql_q -c "SELECT count(*) FROM project_runs")" || return 1
    settle || return 1
    lat_measure generate_repeat.sql off "$BENCH_LAT_DURATION" 1 "$DB" -D nprojects="$n" || return 1
    r_tps="$PL_TPS"; r_p50="$PL_P50"; r_p90="$PL_P90"; r_p99="$PL_P99"; r_max="$PL_MAX"
    r_mean="$PL_MEAN"; r_cpu="$PL_CPU"; r_oth="$PL_OTHER"
    lat_measure select1.sql off "$BENCH_LAT_DURATION" 1 "$DB" -D nprojects="$n" || return 1
    after="$(psql_q -c "SELECT count(*) FROM project_runs")" || return 1
    if [ "$after" != "$before" ]; then
        say "generate (b): the repeat calls added $((after - before)) runs"
        return 1
    fi
    row() { printf '  %-36s %9.0f %8.3f %8.3f %8.3f %8.3f %8.3f %9.0f %6s' "$@"; }
    report ""
    report "== generate (b): the repeat call, generate on a project whose run exists (created = false) =="
    report "   SELECT project_runs_generate(project), a random one of the $n projects of setup.sql, each of"
    report "   which already has its run (checked: every call answers ok, created=false; no run added)."
    report "   pgbench -M prepared, TCP localhost, 1 client, ${BENCH_WARMUP}s warm-up + ${BENCH_LAT_DURATION}s;" \
        "latency of every call (pgbench -l): round trip + server time"
    report "$(printf '  %-36s %9s %8s %8s %8s %8s %8s %9s %6s' "" "calls/s" "p50 ms" "p90 ms" "p99 ms" \
        "max ms" "mean ms" "CPU us" "other")"
    report "$(row "generate, existing run" "$r_tps" "$r_p50" "$r_p90" "$r_p99" "$r_max" "$r_mean" "$r_cpu" "${r_oth}%")"
    report "$(row "floor: SELECT of a uuid (round trip)" "$PL_TPS" "$PL_P50" "$PL_P90" "$PL_P99" "$PL_MAX" \
        "$PL_MEAN" "$PL_CPU" "${PL_OTHER}%")"
    report "   target p99 < 0.3 ms: $r_p99 ms -> $(ok_if "$r_p99 < 0.3" "OVER"); above the floor: p50" \
        "+$(calc "$r_p50 - $PL_P50") ms, p99 +$(calc "$r_p99 - $PL_P99") ms (CPU us = server CPU per call)"
}

# (c) thousands of calls in one transaction: built-in steps (no
# subtransaction), a registered step that only reads (a subtransaction
# without an XID), one that writes (a subtransaction with an XID each).
gen_loop() {
    local v pv out rc all="" bad=0
    export BENCH_DIR BENCH_LOOP_DB="$DB"
    say "generate (c): ${BENCH_LOOP_CALLS} calls in one transaction, per variant"
    for v in builtin read write; do
        case "$v" in
            builtin) pv="$DEFAULT_PIPELINE" ;;
            read) pv="bench.read.v1" ;;
            write) pv="bench.write.v1" ;;
        esac
        out="$(psql_q -v variant="$v" -v pv="$pv" -v n="$BENCH_LOOP_CALLS" -v batch="$BENCH_LOOP_BATCH" \
            -v edge="$BENCH_LOOP_EDGE" -f "$BENCH_DIR/generate_loop.sql" 2>&1)"
        rc=$?
        printf '%s\n' "$out" | sed 's/^/[bench]   /'
        if [ "$rc" -ne 0 ]; then
            say "generate_loop.sql ($v) failed (exit $rc)"
            return 1
        fi
        if ! grep -qx "LOOPC $v $BENCH_LOOP_CALLS" <<<"$out" ||
            awk '$1 == "LOOPB" && $4 != $5 { bad = 1 } END { exit !bad }' <<<"$out"; then
            say "generate (c), $v: not every call made a new succeeded run"
            bad=1
        fi
        all+="$out"$'\n'
    done
    [ "$bad" -eq 0 ] || return 1
    report ""
    report "== generate (c): ${BENCH_LOOP_CALLS} generate calls in ONE transaction, one statement =="
    report "   SELECT ... FROM generate_series(1, ${BENCH_LOOP_CALLS}) g, project_runs_generate(<project g>, NULL, <pipeline>),"
    report "   each call on a fresh key; wall time per call in us, by batch of ${BENCH_LOOP_BATCH} calls and for the"
    report "   first/last ${BENCH_LOOP_EDGE} (clock_timestamp() after every call). Variants: builtin = the default"
    report "   pipeline (built-in steps, no subtransaction); read = collect_evidence is a registered SQL function"
    report "   that only reads (a subtransaction per call, no XID); write = a registered step that INSERTs a row"
    report "   (a subtransaction with its own XID per call: past 64 the backend's subxid cache overflows)."
    awk -v batch="$BENCH_LOOP_BATCH" '
        $1 == "LOOPB" { us[$2, $3] = $6; if ($3 > nb) nb = $3 }
        $1 == "LOOPE" { first[$2] = $3; last[$2] = $4 }
        $1 == "LOOPX" { xid[$2] = $3; rows[$2] = $4; xids[$2] = $5 }
        $1 == "LOOPT" { wall[$2] = $3; cpu[$2] = $4; commit[$2] = $5 }
        $1 == "MEM" { split($2, p, "_"); k = substr($2, length(p[1]) + 2); anon[p[1], k] = $5; ctx[p[1], k] = $8 }
        $1 == "READER" { split($2, p, "_"); rd[p[1], p[2]] = $3 }
        END {
            printf "  %-8s", "variant"
            for (b = 1; b <= nb; b++) printf " %8s", "batch " b
            printf " %9s %9s %6s\n", "first", "last", "last/"
            printf "  %-8s", ""
            for (b = 1; b <= nb; b++) printf " %8s", "us/call"
            printf " %9s %9s %6s\n", "us/call", "us/call", "first"
            n = split("builtin read write", vs, " ")
            for (i = 1; i <= n; i++) {
                v = vs[i]
                printf "  %-8s", v
                for (b = 1; b <= nb; b++) printf " %8.1f", us[v, b]
                printf " %9.1f %9.1f %6.2f\n", first[v], last[v], last[v] / first[v]
            }
            printf "\n  %-8s %9s %9s %10s %10s %10s %11s %13s %13s\n", "variant", "stmt s", "CPU s",
                "COMMIT ms", "XIDs", "RssAnon kB", "contexts kB", "reader ms,", "reader ms,"
            printf "  %-8s %9s %9s %10s %10s %10s %11s %13s %13s\n", "", "", "", "", "(steps)",
                "in tx +/-", "in tx +/-", "tx open", "committed"
            for (i = 1; i <= n; i++) {
                v = vs[i]
                printf "  %-8s %9.3f %9.3f %10.2f %10s %+10d %+11.1f %13.3f %13.3f\n", v, wall[v], cpu[v],
                    commit[v], (xid[v] == "t" ? 1 : 0) "+" xids[v], anon[v, "in_tx"] - anon[v, "start"],
                    (ctx[v, "in_tx"] - ctx[v, "start"]) / 1024, rd[v, "open"], rd[v, "done"]
            }
        }' <<<"$all" >>"$REPORT"
    report "   XIDs = the top transaction's (1) + distinct XIDs of the rows the steps wrote (one per"
    report "   subtransaction that wrote); RssAnon/contexts = the backend's private memory and memory contexts"
    report "   after the statement, before COMMIT, minus before BEGIN; reader = another session counting"
    report "   the loop's runs (SELECT count(*) FROM project_runs WHERE id >= <a v7 id from before BEGIN>:"
    report "   an index scan over the ~3 row versions per call; EXPLAIN ANALYZE execution time, lowest of 7)"
    report "   while the loop's transaction is open (every version is in progress: invisible; with the"
    report "   subxid cache overflowed, every snapshot is suboverflowed and each check reads pg_subtrans)"
    report "   and after its COMMIT. Noise: compare the batches with the other load of the machine."
}

bench_generate() {
    psql_q -f "$BENCH_DIR/generate_setup.sql" >/dev/null || return 1
    gen_tps plain || return 1
    gen_tps rest || return 1
    gen_repeat || return 1
    gen_loop || return 1
}

# --------------------------------------------------------------------------
# Databases of users, projects and runs (sections dashboard and rls)
# --------------------------------------------------------------------------

# runs_db DBNAME USERS PROJECTS_PER_USER RUNS_PER_PROJECT
# A new database with Supabase's roles (created before the extension, so it
# grants them), the application's tables, and the runs, loaded the way
# pg_restore loads them (runs_load.sql) in BENCH_LOAD_JOBS parallel sessions
# of batches of BENCH_LOAD_BATCH runs; then VACUUM ANALYZE. Sets LOAD_S,
# VACUUM_S, LOAD_ROWS, DB_SIZE.
runs_db() {
    local db="$1" users="$2" per_user="$3" per_project="$4"
    local projects=$(($2 * $3)) total step_ms t0 j rc=0 count
    local -a pids=()
    total=$((projects * per_project))
    step_ms=$((31536000000 / total))  # a year of runs
    ((step_ms >= 1)) || step_ms=1
    psql -X -q -v ON_ERROR_STOP=1 -d postgres -c "DROP DATABASE IF EXISTS $db" \
        -c "CREATE DATABASE $db" || return 1
    psql_db "$db" -f "$BENCH_DIR/roles.sql" || return 1
    psql_db "$db" -v users="$users" -v per_user="$per_user" -f "$BENCH_DIR/runs_db_setup.sql" ||
        return 1
    say "$db: $users users x $per_user projects x $per_project runs = $total runs," \
        "loading in $BENCH_LOAD_JOBS session(s), batches of $BENCH_LOAD_BATCH"
    t0="$(date +%s.%N)"
    for ((j = 0; j < BENCH_LOAD_JOBS; j++)); do
        (
            k=0
            for ((first = 0; first < total; first += BENCH_LOAD_BATCH)); do
                if ((k++ % BENCH_LOAD_JOBS == j)); then
                    last=$((first + BENCH_LOAD_BATCH - 1))
                    ((last < total)) || last=$((total - 1))
                    psql_db "$db" -v first="$first" -v last="$last" -v projects="$projects" \
                        -v step_ms="$step_ms" -v keys="$BENCH_DASH_KEYS" \
                        -f "$BENCH_DIR/runs_load.sql" || exit 1
                fi
            done
        ) &
        pids+=($!)
    done
    for j in "${pids[@]}"; do wait "$j" || rc=1; done
    if [ "$rc" -ne 0 ]; then
        say "$db: loading the runs failed"
        return 1
    fi
    LOAD_S="$(calc "$(date +%s.%N) - $t0")"
    t0="$(date +%s.%N)"
    # Every table of the database (project_inputs too): a table left for
    # autovacuum would have it start during a latency run.
    psql_db "$db" -c "VACUUM ANALYZE" -c "CHECKPOINT" ||
        return 1
    VACUUM_S="$(calc "$(date +%s.%N) - $t0")"
    count="$(psql_db "$db" -c "SELECT count(*) FROM project_runs")" || return 1
    if [ "$count" != "$total" ]; then
        say "$db: $count runs loaded, not $total"
        return 1
    fi
    LOAD_ROWS="$total"
    DB_SIZE="$(psql_db "$db" -c "SELECT pg_size_pretty(pg_table_size('project_runs')) || ' table + ' ||
        pg_size_pretty(pg_indexes_size('project_runs')) || ' indexes'")"
    say "$db: $total runs loaded in ${LOAD_S}s ($(calc "$total / $LOAD_S / 1000") k rows/s)," \
        "VACUUM ANALYZE + CHECKPOINT ${VACUUM_S}s; project_runs: $DB_SIZE"
}

# user_check DBNAME ROLE CLAIMS SQL: runs SQL as ROLE with the claims, in a
# transaction as PostgREST does; prints its result.
as_role() {
    psql_db "$1" <<SQL
BEGIN;
SELECT set_config('role', '$2', true), set_config('request.jwt.claims', '$3', true) \g /dev/null
$4;
COMMIT;
SQL
}

# --------------------------------------------------------------------------
# Section "dashboard"
# --------------------------------------------------------------------------

DASH_DB="project_runs_dash"

bench_dashboard() {
    local users="$BENCH_DASH_USERS" per_user="$BENCH_DASH_PROJECTS_PER_USER"
    local per_project="$BENCH_DASH_RUNS_PER_PROJECT" check claims plan svc
    local t_tps t_p50 t_p90 t_p99 t_max t_mean t_cpu t_oth t_lat t_win t_first t_av
    runs_db "$DASH_DB" "$users" "$per_user" "$per_project" || return 1
    # A user's dashboard lists the user's projects, each with its last run.
    claims="$(psql_db "$DASH_DB" -c "SELECT bench_claims(7)")" || return 1
    check="$(as_role "$DASH_DB" authenticated "$claims" "SELECT jsonb_array_length(d -> 'data') || ' ' ||
        (SELECT count(*) FROM jsonb_array_elements(d -> 'data') e
         WHERE e -> 'last_run' ->> 'status' = 'succeeded') FROM (SELECT project_runs_dashboard() AS d) s")" ||
        return 1
    if [ "$check" != "$per_user $per_user" ]; then
        say "dashboard: user 7 sees '$check' (projects, with a last run), not $per_user $per_user"
        return 1
    fi
    # Every user has opened the dashboard before: one call as the superuser
    # (every project with its last run) reads what the users' calls read, so
    # the measured calls show the steady state, not the first read of each
    # page after the load. (A cold run is one BENCH_DASH_COLD=1 away.)
    if [ "${BENCH_DASH_COLD:-0}" != 1 ]; then
        local t0
        t0="$(date +%s.%N)"
        psql_db "$DASH_DB" -c "SELECT project_runs_dashboard()" >/dev/null || return 1
        say "dashboard: cache warmed by one superuser call over every project in" \
            "$(calc "$(date +%s.%N) - $t0")s"
    fi
    say "dashboard: pgbench, 1 client, one connection: ${BENCH_WARMUP}s warm-up + ${BENCH_DASH_DURATION}s"
    lat_pooled dashboard_tx.sql "$BENCH_DASH_DURATION" "$DASH_DB" -D users="$users" || return 1
    t_tps="$PL_TPS"; t_p50="$PL_P50"; t_p90="$PL_P90"; t_p99="$PL_P99"; t_max="$PL_MAX"
    t_mean="$PL_MEAN"; t_cpu="$PL_CPU"; t_oth="$PL_OTHER"; t_lat="$PL_LAT"; t_win="$PL_WINDOWS"
    t_first="$PL_FIRST"; t_av="$PL_AUTOVACUUM"
    local b0 b1 blocks
    b0="$(db_blocks "$DASH_DB")" || return 1
    lat_pooled dashboard_call.sql "$BENCH_DASH_DURATION" "$DASH_DB" -D users="$users" || return 1
    b1="$(db_blocks "$DASH_DB")" || return 1
    local c_tps="$PL_TPS" c_p50="$PL_P50" c_p90="$PL_P90" c_p99="$PL_P99" c_max="$PL_MAX"
    local c_mean="$PL_MEAN" c_cpu="$PL_CPU" c_oth="$PL_OTHER" c_win="$PL_WINDOWS" c_av="$PL_AUTOVACUUM"
    local c_first="$PL_FIRST"
    # The call with its last runs read from the index against the same call
    # with them read by the SQL statement, each call one or the other at
    # random on one connection.
    lat_ab "$BENCH_DASH_DURATION" "$DASH_DB" dashboard_call.sql dashboard_call_statement.sql \
        -D users="$users" || return 1
    # Shared-buffer blocks per call (transaction) over the warm-up and the run.
    blocks="$(awk -v a="$b0" -v b="$b1" '
        BEGIN { split(a, x, " "); split(b, y, " "); calls = y[3] - x[3]
                printf "%.0f %.0f", (y[1] - x[1]) / calls, (y[2] - x[2]) / calls }')"
    # The plans of the statements the function runs, from auto_explain.
    plan="$(psql_db "$DASH_DB" -v user=7 -f "$BENCH_DIR/dashboard_explain.sql" 2>&1)" || {
        printf '%s\n' "$plan"
        return 1
    }
    plan="$(sed -e 's/^psql:[^ ]*: NOTICE:  /NOTICE: /' <<<"$plan")"
    # The last-run statement (its text from the plan above) run by the
    # superuser with user 7's projects, for its buffers and timing alone.
    local qtext user7 noplan
    user7="$(psql_db "$DASH_DB" -c "SELECT bench_user(7)")" || return 1
    qtext="$(grep -m 1 '^Query Text: .*unnest' <<<"$plan" | sed -e 's/^Query Text: //' \
        -e "s/\\\$1/(SELECT array_agg(p.id) FROM projects p WHERE p.user_id = '$user7'::uuid)/g")"
    noplan="$(psql_db "$DASH_DB" -c "EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) $qtext" 2>&1)" || {
        printf '%s\n' "$noplan"
        return 1
    }
    # service_role sees every project: one call, warm (the second).
    svc="$(as_role "$DASH_DB" service_role '{"role":"service_role"}' "SELECT project_runs_dashboard() \\g /dev/null
        WITH d AS MATERIALIZED (SELECT project_runs_dashboard() AS j)
        SELECT round((extract(epoch FROM clock_timestamp() - statement_timestamp()) * 1000)::numeric, 1)
               || ' ' || jsonb_array_length(j -> 'data') || ' ' || octet_length(j::text) FROM d")" ||
        return 1

    row() { printf '  %-40s %9.1f %8.3f %8.3f %8.3f %8.3f %8.3f %9.0f %6s' "$@"; }
    report ""
    report "== dashboard: project_runs_dashboard() for a user with $per_user projects, $(printf "%'d" "$LOAD_ROWS") runs in all =="
    report "   $users users x $per_user projects x $per_project runs (succeeded, a year of distinct created_at," \
        "time-ordered ids$([ "$BENCH_DASH_KEYS" = 1 ] && echo ", generate's idempotency keys" || echo ", no idempotency keys"));"
    report "   loaded as pg_restore would (superuser, row_security = off: complete rows through the"
    report "   triggers' restore path), INSERT ... SELECT generate_series in batches of $BENCH_LOAD_BATCH," \
        "$BENCH_LOAD_JOBS session(s):"
    report "   ${LOAD_S}s ($(calc "$LOAD_ROWS / $LOAD_S / 1000") k rows/s), then VACUUM ANALYZE + CHECKPOINT" \
        "${VACUUM_S}s; project_runs: $DB_SIZE."
    report "   Memory: shared_buffers=$(psql_db "$DASH_DB" -c 'SHOW shared_buffers'); ${HUGE_PAGES_NOTE:-huge pages unknown};" \
        "in use or reserved now: $(awk '/^HugePages_Total/ { t = $2 } /^HugePages_Free/ { f = $2 }
            /^HugePages_Rsvd/ { r = $2 } END { print t - f + r }' /proc/meminfo)."
    report "   Cache: $([ "${BENCH_DASH_COLD:-0}" = 1 ] && echo "cold (straight after the load)" ||
        echo "warmed by one superuser dashboard call over every project (steady state)")."
    report "   As the user (role authenticated, RLS, request.jwt.claims with a random user's sub), pgbench"
    report "   -M prepared, TCP localhost, 1 client on ONE connection, as a connection pool (PostgREST's) uses"
    report "   it: ${BENCH_WARMUP}s warm-up, then ${BENCH_DASH_DURATION}s measured (latencies from pgbench -l of the calls after the warm-up)"
    report "$(printf '  %-40s %9s %8s %8s %8s %8s %8s %9s %6s' "" "calls/s" "p50 ms" "p90 ms" "p99 ms" \
        "max ms" "mean ms" "CPU us" "other")"
    report "$(row "PostgREST tx: BEGIN, set_config, call, COMMIT" "$t_tps" "$t_p50" "$t_p90" "$t_p99" \
        "$t_max" "$t_mean" "$t_cpu" "${t_oth}%")"
    report "$(row "the call alone (one round trip)" "$c_tps" "$c_p50" "$c_p90" "$c_p99" "$c_max" \
        "$c_mean" "$c_cpu" "${c_oth}%")"
    report "   p99 of each 10 s: PostgREST tx ${t_win// / / } ms; the call alone ${c_win// / / } ms"
    report "   autovacuum in the cluster during the runs: PostgREST tx $t_av;" \
        "the call alone $c_av"
    report "   The call alone, each call at random with its last runs read from the index (the default)"
    report "   or by the SQL statement (project_runs.dashboard_index_read off: ORDER BY created_at DESC,"
    report "   id DESC LIMIT 1 in a lateral join; same answers), one connection, ${BENCH_WARMUP}s warm-up +" \
        "${BENCH_DASH_DURATION}s:"
    report "$(printf '  %-40s %9s %8s %8s %8s %8s %8s' "" "calls" "p50 ms" "p90 ms" "p99 ms" "max ms" "mean ms")"
    report "$(printf '  %-40s %9s %8s %8s %8s %8s %8s' "index read (default)" $AB_A)"
    report "$(printf '  %-40s %9s %8s %8s %8s %8s %8s' "SQL statement (index read off)" $AB_B)"
    report "   index read / statement, mean: $(calc "$(field 6 "$AB_A") / $(field 6 "$AB_B")")," \
        "p99: $(calc "$(field 4 "$AB_A") / $(field 4 "$AB_B")")"
    report "   the first call on the new connection (catalog caches and plans not yet loaded): PostgREST tx" \
        "$t_first ms, the call alone $c_first ms"
    report "   in the PostgREST transaction, mean ms per statement (pgbench -r): BEGIN $(field 1 "$t_lat")," \
        "set_config $(field 2 "$t_lat"), dashboard $(field 3 "$t_lat"), COMMIT $(field 4 "$t_lat")"
    report "   shared-buffer blocks per call (pg_stat_database, the call alone): $(field 2 "$blocks") hit, $(field 1 "$blocks") read"
    report "   (read = not in shared_buffers=$(psql_db "$DASH_DB" -c 'SHOW shared_buffers'): from the OS page cache or the disk)"
    report "   target p99 < 2 ms (the call alone): $c_p99 ms -> $(ok_if "$c_p99 < 2" "OVER")"
    report "   service_role (BYPASSRLS) sees every project: one call lists $(field 2 "$svc") projects in" \
        "$(field 1 "$svc") ms ($(field 3 "$svc") bytes of JSON)"
    report ""
    report "   The plans of the statements the function runs for user 7 with dashboard_index_read off"
    report "   (on, the default, the last runs are no statement: each is one descent of the index and"
    report "   one row, the blocks per call above) (auto_explain: ANALYZE, BUFFERS, nested statements;"
    report "   the 9th call in the session, so the plan cache has settled):"
    sed -n '/^NOTICE: /,$p' <<<"$plan" | grep -v '^projects_listed\|^[0-9]*$' | sed 's/^/     /' >>"$REPORT"
    # The largest number of rows any node produced over all its loops: about
    # the number of projects when every project costs one index probe
    # (LIMIT 1), the user's number of runs when every run is read.
    awk -v projects="$per_user" -v runs="$((per_user * per_project))" '/actual time=/ {
            node = $0; sub(/^[ ->]*/, "", node); sub(/  \(cost=.*/, "", node)
            r = $0; sub(/.* rows=/, "", r); split(r, a, " "); rows = a[1]
            l = $0; sub(/.*loops=/, "", l); sub(/\).*/, "", l)
            if (rows * l > max) { max = rows * l; which = node }
        }
        /Rows Removed by (Filter|Index Recheck)/ { split($0, a, ": "); removed += a[2] }
        END {
            printf "   largest node output: %d rows (rows x loops: %s); rows removed by filters: %d\n",
                max, which, removed
            printf "   -> %s (the user has %d projects and %d runs; the table %s)\n",
                (max <= 2 * projects ? "ok: about one row per project, nothing grows with the runs" \
                 : sprintf("READS %.0f ROWS PER PROJECT: the cost grows with the runs of the user", max / projects)),
                projects, runs, "'"$LOAD_ROWS"'"
        }' <<<"$plan" >>"$REPORT"
    report ""
    report "   The last-run statement alone (its text from the plan above, \$1 = user 7's project ids), run"
    report "   by the superuser (EXPLAIN ANALYZE, BUFFERS):"
    sed 's/^/     /' <<<"$noplan" >>"$REPORT"
}

# db_blocks DBNAME: "blocks read, blocks hit, transactions committed" of the
# database so far (pgbench's backends report theirs when they exit).
db_blocks() {
    psql_q -c "SELECT blks_read || ' ' || blks_hit || ' ' || xact_commit FROM pg_stat_database
        WHERE datname = '$1'"
}

# --------------------------------------------------------------------------
# Section "rls"
# --------------------------------------------------------------------------

RLS_DB="project_runs_rls"

bench_rls() {
    local n="$BENCH_RLS_PROJECTS" fn round v check auth_claims
    local -a order
    local svc_claims='{"role":"service_role"}'
    runs_db "$RLS_DB" 1 "$n" "$BENCH_RLS_RUNS_PER_PROJECT" || return 1
    auth_claims="$(psql_db "$RLS_DB" -c "SELECT bench_claims(0)")" || return 1
    # Both roles see the same: the user's projects are all the projects.
    for v in authenticated service_role; do
        if [ "$v" = authenticated ]; then check="$auth_claims"; else check="$svc_claims"; fi
        check="$(as_role "$RLS_DB" "$v" "$check" "SELECT jsonb_array_length(project_runs_dashboard() -> 'data')
            || ' ' || jsonb_array_length(project_runs_list(bench_project(3)) -> 'data')
            || ' ' || (project_runs_latest(bench_project(3)) -> 'data' ->> 'project_id' = bench_project(3)::text)")" ||
            return 1
        if [ "$check" != "$n 50 true" ]; then
            say "rls: $v sees '$check' (dashboard projects, list rows, latest found), not '$n 50 true'"
            return 1
        fi
    done
    # The run generate's repeat call answers, one per project.
    check="$(psql_db "$RLS_DB" -c "SELECT count(*) FILTER (WHERE r ->> 'ok' = 'true')
        FROM generate_series(0, $n - 1) p, LATERAL (SELECT project_runs_generate(bench_project(p)) AS r) g")" ||
        return 1
    if [ "$check" != "$n" ]; then
        say "rls: generate made $check runs for the $n projects"
        return 1
    fi
    check="$(as_role "$RLS_DB" authenticated "$auth_claims" \
        "SELECT project_runs_generate(bench_project(3)) ->> 'created'")" || return 1
    if [ "$check" != false ]; then
        say "rls: generate's repeat call as the user answers created = '$check', not false"
        return 1
    fi
    check="$(as_role "$RLS_DB" authenticated "$(psql_db "$RLS_DB" -c "SELECT bench_claims(1)")" \
        "SELECT project_runs_list(bench_project(3)) -> 'error' ->> 'code'")" || return 1
    if [ "$check" != PROJECT_NOT_FOUND ]; then
        say "rls: another user lists the project's runs ($check): RLS is not in force"
        return 1
    fi
    say "rls: ${BENCH_RLS_ROUNDS} round(s) per function and role, 1 client," \
        "${BENCH_WARMUP}s warm-up + ${BENCH_RLS_DURATION}s each"
    local -A tps cms cpu oth
    local -a fns=(latest list dashboard generate)
    for fn in "${fns[@]}"; do
        for ((round = 1; round <= BENCH_RLS_ROUNDS; round++)); do
            if ((round % 2)); then order=(authenticated service_role); else order=(service_role authenticated); fi
            for v in "${order[@]}"; do
                if [ "$v" = authenticated ]; then check="$auth_claims"; else check="$svc_claims"; fi
                lat_measure "rls_$fn.sql" off "$BENCH_RLS_DURATION" 1 "$RLS_DB" -D role="$v" \
                    -D claims="$check" -D nprojects="$n" || return 1
                tps[$fn,$v]+="$PL_TPS "; cms[$fn,$v]+="$(field 3 "$PL_LAT") "
                cpu[$fn,$v]+="$PL_CPU "; oth[$fn,$v]+="$PL_OTHER "
            done
        done
    done
    report ""
    report "== rls: the cost of row-level security, authenticated (RLS) vs service_role (BYPASSRLS) =="
    report "   database: 1 user, $n projects x $BENCH_RLS_RUNS_PER_PROJECT runs = $(printf "%'d" "$LOAD_ROWS") runs (service_role"
    report "   sees the same $n projects, so both do the same work but for the policies)."
    report "   PostgREST-like transaction: BEGIN; set_config(role, request.jwt.claims, local); the call on a"
    report "   random project of the user; COMMIT. pgbench -M prepared, TCP localhost, 1 client,"
    report "   ${BENCH_WARMUP}s warm-up + ${BENCH_RLS_DURATION}s per run, ${BENCH_RLS_ROUNDS} alternating rounds; medians. call ms = the call"
    report "   statement's mean latency (pgbench -r: round trip + server time); CPU = server CPU per transaction."
    report "$(printf '  %-22s %8s %8s %6s   %7s %7s %6s   %7s %7s %6s  %6s' "" "tx/s" "tx/s" "" \
        "call ms" "call ms" "" "CPU us" "CPU us" "" "other")"
    report "$(printf '  %-22s %8s %8s %6s   %7s %7s %6s   %7s %7s %6s  %6s' "function" "auth" "service" "ratio" \
        "auth" "service" "ratio" "auth" "service" "ratio" "load")"
    local s r_t r_c r_u worst=0 label
    for fn in "${fns[@]}"; do
        case "$fn" in
            latest) label="project_runs_latest" ;;
            list) label="project_runs_list (50)" ;;
            dashboard) label="project_runs_dashboard" ;;
            generate) label="generate (repeat call)" ;;
        esac
        # shellcheck disable=SC2086
        {
            r_t="$(calc "$(median ${tps[$fn,service_role]}) / $(median ${tps[$fn,authenticated]})")"
            r_c="$(calc "$(median ${cms[$fn,authenticated]}) / $(median ${cms[$fn,service_role]})")"
            r_u="$(calc "$(median ${cpu[$fn,authenticated]}) / $(median ${cpu[$fn,service_role]})")"
            report "$(printf '  %-22s %8.1f %8.1f %6.2f   %7.3f %7.3f %6.2f   %7.0f %7.0f %6.2f  %5.0f%%' "$label" \
                "$(median ${tps[$fn,authenticated]})" "$(median ${tps[$fn,service_role]})" "$r_t" \
                "$(median ${cms[$fn,authenticated]})" "$(median ${cms[$fn,service_role]})" "$r_c" \
                "$(median ${cpu[$fn,authenticated]})" "$(median ${cpu[$fn,service_role]})" "$r_u" \
                "$(median ${oth[$fn,authenticated]} ${oth[$fn,service_role]})")"
        }
        worst="$(awk -v a="$worst" -v b="$r_c" 'BEGIN { print (b > a ? b : a) }')"
    done
    report "   ratio = authenticated / service_role (tx/s: service / authenticated); target <= 1.2 on the"
    report "   call: worst $worst -> $(ok_if "$worst <= 1.2" "OVER 1.2")"
    for fn in "${fns[@]}"; do
        report "   rounds, $fn call ms (auth | service): ${cms[$fn,authenticated]}| ${cms[$fn,service_role]}"
    done
}

# --------------------------------------------------------------------------
# Inside the cluster
# --------------------------------------------------------------------------

in_cluster() {
    REPORT="$1"
    shift
    local s failed=0 t0
    say "cluster: $(psql -X -Atc 'SELECT version()') on port ${PGPORT:-?}"
    POSTMASTER_PID="$(head -n 1 "$(psql -X -Atc 'SHOW data_directory')/postmaster.pid")"
    if [ -z "$POSTMASTER_PID" ] || [ ! -r "/proc/$POSTMASTER_PID/stat" ]; then
        say "cannot find the postmaster's pid"
        return 1
    fi
    psql -X -q -v ON_ERROR_STOP=1 -d postgres -c "DROP DATABASE IF EXISTS $DB" \
        -c "CREATE DATABASE $DB" || return 1
    # The new cluster's catalogs have never been analyzed: left to
    # autovacuum, template1's and postgres's are analyzed in the middle of a
    # measured run (one dashboard run counted 13 such analyzes of template1).
    local d
    for d in template1 postgres; do
        psql -X -q -v ON_ERROR_STOP=1 -d "$d" -c "VACUUM ANALYZE" || return 1
    done
    # Supabase's roles first, so that the extension grants them (generate's
    # PostgREST-shaped runs act as authenticated).
    psql_q -f "$BENCH_DIR/roles.sql" >/dev/null || return 1
    psql_q -v projects="$BENCH_PROJECTS" -f "$BENCH_DIR/setup.sql" >/dev/null || return 1
    # Which file the backends load the module from (the private copy).
    local loaded
    loaded="$(psql -X -q -At -v ON_ERROR_STOP=1 -d "$DB" 2>&1 <<'SQL'
SELECT project_runs_version() \g /dev/null
SELECT pg_backend_pid() AS bpid \gset
\setenv BENCH_BACKEND_PID :bpid
\! grep -m 1 -o '/[^ ]*project_runs[.]so' /proc/$BENCH_BACKEND_PID/maps
SQL
)"
    say "module loaded from: $loaded"
    case "$loaded" in
        "${STAGE:-/nonexistent}"/*) ;;
        *) say "WARNING: the module is not the private copy in ${STAGE:-?}" ;;
    esac
    say "database $DB: extension $(psql_q -c 'SELECT project_runs_version()')," \
        "$(psql_q -c 'SELECT count(*) FROM projects') projects"
    for s in "$@"; do
        t0=$SECONDS
        section "bench: $s"
        if "bench_$s"; then
            say "section $s done in $((SECONDS - t0))s"
        else
            failed=1
            say "section $s FAILED after $((SECONDS - t0))s"
            report ""
            report "== $s: FAILED (see the log above) =="
        fi
    done
    return "$failed"
}

# --------------------------------------------------------------------------
# Outside the cluster
# --------------------------------------------------------------------------

main() {
    local build=1 sections=() s known
    while [ $# -gt 0 ]; do
        case "$1" in
            --in-cluster)
                [ $# -ge 2 ] || { echo "--in-cluster needs a report file" >&2; exit 2; }
                shift
                in_cluster "$@"
                exit $? ;;
            --skip-build) build=0 ;;
            -h|--help) awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "$0"; exit 0 ;;
            -*) echo "unknown option: $1 (try --help)" >&2; exit 2 ;;
            *)
                known=0
                for s in "${ALL_SECTIONS[@]}"; do [ "$s" = "$1" ] && known=1; done
                if [ "$known" -eq 0 ]; then
                    echo "unknown section: $1 (sections: ${ALL_SECTIONS[*]})" >&2
                    exit 2
                fi
                sections+=("$1") ;;
        esac
        shift
    done
    [ "${#sections[@]}" -gt 0 ] || sections=("${ALL_SECTIONS[@]}")

    local start=$SECONDS
    # The cluster loads the extension from a private copy (STAGE, through
    # Debian's extension_destdir), so that another build installing into
    # the shared directories during the run cannot swap the module under
    # it: every new backend loads the .so from disk.
    local pkglibdir sharedir
    pkglibdir="$("$PG_CONFIG_BIN" --pkglibdir)"
    sharedir="$("$PG_CONFIG_BIN" --sharedir)"
    STAGE="$(mktemp -d /tmp/project_runs_bench.XXXXXX)"
    export STAGE
    REPORT="$STAGE/report"
    chmod 755 "$STAGE"
    trap 'rm -rf "$STAGE"' EXIT
    if [ "$build" -eq 1 ]; then
        section "install dependencies"
        bash "$ROOT/scripts/install-deps.sh" || { say "install-deps failed"; exit 1; }
        section "build + install the extension"
        make -j2 PG_CONFIG="$PG_CONFIG_BIN" || { say "make failed"; exit 1; }
        as_root make install PG_CONFIG="$PG_CONFIG_BIN" || { say "make install failed"; exit 1; }
        make install PG_CONFIG="$PG_CONFIG_BIN" DESTDIR="$STAGE" >/dev/null ||
            { say "make install DESTDIR=$STAGE failed"; exit 1; }
    else
        if ! { mkdir -p "$STAGE$pkglibdir" "$STAGE$sharedir/extension" &&
            cp "$pkglibdir/project_runs.so" "$STAGE$pkglibdir/" &&
            cp "$sharedir"/extension/project_runs* "$STAGE$sharedir/extension/"; }; then
            say "the extension is not installed; run without --skip-build"
            exit 1
        fi
    fi
    chmod -R a+rX "$STAGE"
    MODULE_SUM="$(md5sum <"$STAGE$pkglibdir/project_runs.so" | cut -c1-12)"
    say "module for this run: $STAGE$pkglibdir/project_runs.so (md5 $MODULE_SUM...)"
    CLUSTER_GUCS+=("extension_destdir=$STAGE"
        "dynamic_library_path=$STAGE$pkglibdir:$pkglibdir")
    for bin in pg_virtualenv pgbench psql; do
        command -v "$bin" >/dev/null 2>&1 || { say "$bin not found"; exit 1; }
    done
    : >"$REPORT"
    chmod 644 "$REPORT"

    # Huge pages for shared_buffers (2 GB), as a production server would have
    # them: without them every new backend takes a page fault on the first
    # touch of each 4 kB of shared memory, which is most of a dashboard
    # call's time in a fresh connection. Reserved here when the machine
    # allows it (root), given back at the end. BENCH_HUGE_PAGES=0: leave as is.
    local huge_before="" huge_want=1200
    if [ "${BENCH_HUGE_PAGES:-1}" = 1 ] && [ -w /proc/sys/vm/nr_hugepages ]; then
        huge_before="$(cat /proc/sys/vm/nr_hugepages)"
        if [ "$huge_before" -lt "$huge_want" ]; then
            echo "$huge_want" >/proc/sys/vm/nr_hugepages 2>/dev/null || true
        else
            huge_before=""
        fi
    fi
    HUGE_PAGES_NOTE="$(awk '/^HugePages_Total/ { t = $2 } /^Hugepagesize/ { s = $2 }
        END { printf "%d huge pages of %d kB reserved (huge_pages = try)", t, s }' /proc/meminfo)"
    export HUGE_PAGES_NOTE
    say "$HUGE_PAGES_NOTE"

    section "throw-away cluster (pg_virtualenv)"
    local opts=() g rc
    for g in "${CLUSTER_GUCS[@]}"; do opts+=(-o "$g"); done
    (
        unset PGHOST PGHOSTADDR PGPORT PGUSER PGPASSWORD PGDATABASE PGSERVICE PGSYSCONFDIR PGOPTIONS
        pg_virtualenv -t -v "$PG_MAJOR" "${opts[@]}" \
            bash "$ROOT/scripts/bench.sh" --in-cluster "$REPORT" "${sections[@]}"
    ) </dev/null
    rc=$?
    if [ -n "$huge_before" ]; then echo "$huge_before" >/proc/sys/vm/nr_hugepages 2>/dev/null || true; fi

    section "report"
    echo "project_runs benchmark, $(date -u '+%Y-%m-%d %H:%M UTC'), git $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?')$(git -C "$ROOT" diff --quiet HEAD -- src sql 2>/dev/null || echo '+changes'), module md5 ${MODULE_SUM}..., sections: ${sections[*]}"
    cat "$REPORT"
    echo
    echo "total time: $((SECONDS - start))s; exit $rc"
    exit "$rc"
}

# Run unless sourced (sourcing gives the helpers to ad-hoc experiments).
if [ "${BASH_SOURCE[0]}" = "$0" ]; then main "$@"; fi
