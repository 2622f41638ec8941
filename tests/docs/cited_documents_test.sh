#!/usr/bin/env bash
# Every document that a source, test, script or benchmark names (a *.md path) is in the
# repository, so that a reader can follow every citation. Usage: cited_documents_test.sh ROOT
set -euo pipefail
root=${1:?usage: cited_documents_test.sh ROOT}
cd "$root"
missing=0
checked=0
while IFS= read -r -d '' file; do
  for doc in $(grep -ohE '[A-Za-z0-9_./-]+\.md\b' "$file" | sort -u); do
    checked=$((checked + 1))
    # An installed copy (the package test's ./usr/share/doc/...) is the repository's file.
    case "$doc" in ./usr/* | /usr/*) doc=$(basename "$doc") ;; esac
    if [ ! -f "$doc" ] && [ ! -f "docs/$doc" ]; then
      echo "$file cites $doc, which is not in the repository" >&2
      missing=1
    fi
  done
done < <(find src include tests bench fuzz scripts -type f ! -path '*/corpus/*' -print0)
echo "cited documents: $checked citation(s) checked"
exit "$missing"
