#!/usr/bin/env bash
# "Last run" is derived from the runs, never stored: no file of the project
# (extension script, C++ sources, demo, tests, benchmark, docs) names a
# latest_* identifier, such as a column on projects that keeps the last
# run's id. The
# database-side check (no latest_* column or reference in a live database)
# is in sql/dashboard.sql and the demo.
#
# The pattern is tried first on a sample that must match, so that the check
# cannot pass by matching nothing.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/../.."
pattern='\blatest_[A-Za-z0-9]'

sample="$(mktemp)"
trap 'rm -f "$sample"' EXIT
# (the sample's column name is put together here, so that this file holds
# no such name itself)
column="latest""_run_id"
printf '%s\n' "ALTER TABLE projects ADD COLUMN $column uuid;" 'SELECT project_runs_latest(id) FROM projects;' >"$sample"
if [ "$(grep -cE "$pattern" "$sample")" != 1 ]; then
    echo "FAIL: the pattern does not find exactly the one latest_* column of the sample" >&2
    exit 1
fi

# The project's files: git's list, or (outside a checkout) every file but
# build output.
list_files() {
    if command -v git >/dev/null && git rev-parse --git-dir >/dev/null 2>&1; then
        git ls-files
    else
        find . -type f -not -path './.git/*' -not -path './build/*' -not -path './results/*' \
            -not -path './test/isolation/results/*' -not -name '*.o' -not -name '*.so' \
            -not -name '*.bc' | sed 's|^\./||'
    fi
}
files=()
while IFS= read -r f; do
    [ ! -f "$f" ] || files+=("$f")
done < <(list_files)
echo "checking ${#files[@]} files"
if hits="$(grep -nIE "$pattern" "${files[@]}")"; then
    echo "FAIL: latest_* identifiers found (last runs must be derived from project_runs):" >&2
    printf '%s\n' "$hits" >&2
    exit 1
fi
echo "01_no_stored_latest: ok (no latest_* identifier in ${#files[@]} files)"
