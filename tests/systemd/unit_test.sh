#!/usr/bin/env bash
# The shipped unit, as installed: `systemd-analyze verify` must print nothing (it exits 0 on
# unknown keys, so its stderr is the real verdict) and the offline security exposure must be
# at most 1.5. ExecStart is pointed at the built binary, since verify requires it to exist.
# Usage: unit_test.sh GENERATED_UNIT BUILT_BINARY
set -euo pipefail
unit=$1 binary=$2
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
sed "s|^ExecStart=[^ ]*/neptune-watchdog |ExecStart=$binary |" "$unit" >"$dir/neptune-watchdog.service"
grep -q "^ExecStart=$binary " "$dir/neptune-watchdog.service"

cd "$dir"
verify_output=$(systemd-analyze verify --man=no ./neptune-watchdog.service 2>&1)
if [ -n "$verify_output" ]; then
  echo "systemd-analyze verify complained:"
  echo "$verify_output"
  exit 1
fi
echo "systemd-analyze verify: clean"

# --threshold is in tenths: 15 means an exposure of at most 1.5.
security=$(systemd-analyze security --offline=true --threshold=15 ./neptune-watchdog.service 2>&1) || {
  echo "$security" | tail -5
  echo "exposure above 1.5"
  exit 1
}
echo "$security" | grep "Overall exposure level"
