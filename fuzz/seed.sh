#!/usr/bin/env bash
# Seeds the fuzz corpora: every JSON body of ../shared/corpus (relative to the repository
# root) into fuzz/corpus/<target>/ for the JSON targets, and the text seeds of fuzz/seeds/scan
# plus the same bodies for the free-text scanner. The corpus folders are gitignored; the
# shared corpus is never committed here. Idempotent: existing files are overwritten.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
shared="${SHARED_CORPUS:-$here/../../shared/corpus}"
if [ ! -d "$shared" ]; then
  echo "seed.sh: no shared corpus at $shared (set SHARED_CORPUS)" >&2
  exit 1
fi
for target in parse route mask canon scan; do
  mkdir -p "$here/corpus/$target"
done
n=0
while IFS= read -r -d '' f; do
  # provider folder + file name, so that equal names in two folders do not collide
  name="$(basename "$(dirname "$f")")-$(basename "$f")"
  for target in parse route mask canon scan; do
    cp "$f" "$here/corpus/$target/$name"
  done
  n=$((n + 1))
done < <(find "$shared" -type f -name '*.json' -print0)
cp "$here"/seeds/scan/* "$here/corpus/scan/"
echo "seeded $n JSON bodies into fuzz/corpus/{parse,route,mask,canon,scan}, plus $(ls "$here/seeds/scan" | wc -l) text seeds for scan"
