#!/usr/bin/env bash
# The shipped unit, as installed: `systemd-analyze verify` must print nothing (it exits 0 on
# unknown keys, so its stderr is the real verdict), MemoryMax must be set (MemoryHigh, if set,
# below it) and the offline security exposure must be at most 1.5. ExecStart is pointed at the
# built binary, since verify requires it to exist.
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

# Memory is bounded by the unit too: MemoryMax set, and MemoryHigh (if set) below it.
to_bytes() {
  local v=$1
  case $v in
    *K) echo $((${v%K} << 10)) ;;
    *M) echo $((${v%M} << 20)) ;;
    *G) echo $((${v%G} << 30)) ;;
    *) echo "$v" ;;
  esac
}
memory_max=$(sed -n 's/^MemoryMax=\([0-9][0-9]*[KMG]\?\)$/\1/p' neptune-watchdog.service)
if [ -z "$memory_max" ]; then
  echo "MemoryMax= is not set to a size"
  exit 1
fi
memory_high=$(sed -n 's/^MemoryHigh=\([0-9][0-9]*[KMG]\?\)$/\1/p' neptune-watchdog.service)
if [ -n "$memory_high" ] && [ "$(to_bytes "$memory_high")" -ge "$(to_bytes "$memory_max")" ]; then
  echo "MemoryHigh=$memory_high is not below MemoryMax=$memory_max"
  exit 1
fi
echo "MemoryMax=$memory_max MemoryHigh=${memory_high:-unset}"

# --threshold is in tenths: 15 means an exposure of at most 1.5.
security=$(systemd-analyze security --offline=true --threshold=15 ./neptune-watchdog.service 2>&1) || {
  echo "$security" | tail -5
  echo "exposure above 1.5"
  exit 1
}
echo "$security" | grep "Overall exposure level"
