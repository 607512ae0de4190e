# Shared helpers for scripts/*.sh. Source it; it does not run anything.
# shellcheck shell=bash

# PostgreSQL major version the project builds and tests against.
PG_MAJOR=15
PG_BINDIR="/usr/lib/postgresql/${PG_MAJOR}/bin"
# shellcheck disable=SC2034  # used by the scripts that source this file
PG_CONFIG_BIN="${PG_BINDIR}/pg_config"

# Print a section header.
section() {
    printf '\n==================== %s ====================\n' "$*"
}

info() { printf '[test] %s\n' "$*"; }
warn() { printf '[test] WARNING: %s\n' "$*" >&2; }

# Run a command as root: directly when we are root, else via sudo.
as_root() {
    if [ "$(id -u)" -eq 0 ]; then
        "$@"
    elif command -v sudo >/dev/null 2>&1; then
        sudo "$@"
    else
        warn "need root for: $*"
        return 1
    fi
}

# Append one line to the tally file ($TALLY must be set):
#   tally SUITE PASSED FAILED [NOTE]
# A step that broke (build, install, cluster start) is recorded as one failure.
tally() {
    printf '%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "${4:-}" >>"$TALLY"
}

# Count pg_regress / pg_isolation_regress results in a log file.
# Prints "PASSED FAILED IGNORED".
# Understands PG <= 15 lines:
#   test setup                        ... ok           12 ms
#        boundary                     ... FAILED       20 ms
#        flaky                        ... failed (ignored)
# and the TAP lines of PG >= 16:
#   ok 1         - setup                                     12 ms
#   not ok 2     - boundary                                  20 ms
pg_regress_counts() {
    awk '
        /^[ \t]*(test[ \t]+)?[^ \t]+[ \t]+\.\.\.[ \t]+/ {
            if ($0 ~ /\.\.\.[ \t]+ok([ \t]|$)/)                { p++; next }
            if ($0 ~ /\.\.\.[ \t]+failed \(ignored\)/)       { i++; next }
            if ($0 ~ /\.\.\.[ \t]+FAILED/)                   { f++; next }
        }
        /^not ok [0-9]+[ \t]+-/ { if ($0 ~ /# *\(?ignored/) i++; else f++; next }
        /^ok [0-9]+[ \t]+-/     { p++; next }
        END { printf "%d %d %d\n", p, f, i }
    ' "$1"
}

# Count ctest results in a log file. Prints "PASSED FAILED", or nothing when
# the summary line is missing. ctest ends with e.g.
#   80% tests passed, 1 tests failed out of 5
# or "No tests were found!!!".
ctest_counts() {
    awk '
        /tests passed, [0-9]+ tests? failed out of [0-9]+/ {
            for (k = 1; k <= NF; k++) {
                if ($k == "failed" && $(k+1) == "out") { failed = $(k-2); total = $(k+3) }
            }
            found = 1
        }
        /No tests were found/ { failed = 0; total = 0; found = 1 }
        END { if (found) printf "%d %d\n", total - failed, failed }
    ' "$1"
}
