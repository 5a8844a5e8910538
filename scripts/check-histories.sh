#!/usr/bin/env bash
# Recorded workflow histories (test/fixtures/histories/) are append-only: test/unit/replay.test.ts
# replays each against the current workflow code, and a history edited or removed would stop proving
# that flows recorded then still replay. Fails when a committed history is missing or differs from its
# first version: the one first added (git log --diff-filter=A), or, for histories older than this
# check, the one the check started from (earlier ones were re-recorded in place, before the rule).
# New files are always welcome.
set -euo pipefail
cd "$(dirname "$0")/.."
dir=test/fixtures/histories

if [ "$(git rev-parse --is-shallow-repository)" = true ]; then
  echo "check-histories: shallow clone, older additions are not visible; checking what is" >&2
fi

# The commit that brought this check (HEAD while it is not committed yet).
since=$(git log --diff-filter=A --format=%H -- scripts/check-histories.sh | tail -n 1)
since=${since:-$(git rev-parse HEAD)}

failed=0
checked=0
check() { # <file> <commit of its first version>
  checked=$((checked + 1))
  if [ ! -f "$1" ]; then
    echo "check-histories: $1 was removed (recorded in ${2:0:12}); histories are append-only" >&2
    failed=1
  elif ! git show "$2:$1" | cmp -s - "$1"; then
    echo "check-histories: $1 differs from its first version (${2:0:12}); record a new file instead" >&2
    failed=1
  fi
}

while IFS= read -r file; do
  check "$file" "$since"
done < <(git ls-tree -r --name-only "$since" -- "$dir")

while IFS= read -r file; do
  [ -n "$file" ] || continue
  git cat-file -e "$since:$file" 2>/dev/null && continue
  check "$file" "$(git log --diff-filter=A --format=%H "$since..HEAD" -- "$file" | tail -n 1)"
done < <(git log --diff-filter=A --name-only --format= "$since..HEAD" -- "$dir" | sort -u)

if [ "$failed" -ne 0 ]; then exit 1; fi
echo "check-histories: $checked recorded histories unchanged"
