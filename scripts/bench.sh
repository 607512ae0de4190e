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

ALL_SECTIONS=(core)
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
export BENCH_CLIENTS BENCH_DURATION BENCH_WARMUP BENCH_ROUNDS BENCH_PROJECTS \
    BENCH_BREAKDOWN BENCH_BREAKDOWN_DURATION BENCH_PERCALL_N BENCH_PERCALL_ROUNDS BENCH_MEM_CALLS BENCH_MEM_WARM

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
    rc="$(sed -n 's/^PGBENCH_EXIT //p' <<<"$out")"
    client_s="$(tail -n 1 <<<"$out")"
    client_s="$(calc "$(times_seconds "${client_s% *}") + $(times_seconds "${client_s#* }")")"
    PB_TPS="$(sed -n 's/^tps = \([0-9.]*\) (without initial connection time)$/\1/p' <<<"$out")"
    PB_N="$(sed -n 's/^number of transactions actually processed: \([0-9]*\).*/\1/p' <<<"$out")"
    # Lines after "statement latencies": "<ms> <failures> <command>"; the
    # meta-commands (\set ...) are skipped.
    PB_LAT="$(awk '/^statement latencies/ { on = 1; next } /^PGBENCH_EXIT/ { on = 0 }
                   on && NF >= 3 && $3 !~ /^\\/ { printf "%s ", $1 }' <<<"$out")"
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
    for ((i = 0; i < ${#g_tps[@]}; i++)); do
        tps_ratios+=("$(calc "${f_tps[$i]} / ${g_tps[$i]}")")
        cpu_ratios+=("$(calc "${g_cpu[$i]} / ${f_cpu[$i]}")")
    done
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

    section "throw-away cluster (pg_virtualenv)"
    local opts=() g rc
    for g in "${CLUSTER_GUCS[@]}"; do opts+=(-o "$g"); done
    (
        unset PGHOST PGHOSTADDR PGPORT PGUSER PGPASSWORD PGDATABASE PGSERVICE PGSYSCONFDIR PGOPTIONS
        pg_virtualenv -t -v "$PG_MAJOR" "${opts[@]}" \
            bash "$ROOT/scripts/bench.sh" --in-cluster "$REPORT" "${sections[@]}"
    ) </dev/null
    rc=$?

    section "report"
    echo "project_runs benchmark, $(date -u '+%Y-%m-%d %H:%M UTC'), git $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?')$(git -C "$ROOT" diff --quiet HEAD -- src sql 2>/dev/null || echo '+changes'), module md5 ${MODULE_SUM}..., sections: ${sections[*]}"
    cat "$REPORT"
    echo
    echo "total time: $((SECONDS - start))s; exit $rc"
    exit "$rc"
}

# Run unless sourced (sourcing gives the helpers to ad-hoc experiments).
if [ "${BASH_SOURCE[0]}" = "$0" ]; then main "$@"; fi
