#!/usr/bin/env bash
# Installation and packaging, checked from the outside:
#  - `cmake --install` places binaries, the unit (naming the installed binary), man pages and
#    the example configuration, and never overwrites an existing configuration;
#  - `cpack -G DEB` builds a package whose configuration is a conffile, whose unit verifies,
#    and whose binary runs, offline commands and online program both.
# Usage: package_test.sh BUILD_DIR UNIT_TEST_SCRIPT
set -euo pipefail
build=$1 unit_test=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

# --- cmake --install ---
DESTDIR="$work/root" cmake --install "$build" --prefix /opt/nw >/dev/null
for f in /opt/nw/bin/neptune-watchdog /opt/nw/libexec/neptune-watchdog/neptune-watchdog \
         /opt/nw/bin/neptune-sim /opt/nw/lib/systemd/system/neptune-watchdog.service \
         /opt/nw/share/man/man8/neptune-watchdog.8 /opt/nw/share/man/man1/neptune-sim.1 \
         /etc/neptune-watchdog/neptune-watchdog.ini; do
  [ -f "$work/root$f" ] || fail "cmake --install did not place $f"
done
grep -q '^ExecStart=/opt/nw/bin/neptune-watchdog ' "$work/root/opt/nw/lib/systemd/system/neptune-watchdog.service" ||
  fail "the installed unit does not name the installed binary"
echo "# operator's own configuration" >"$work/root/etc/neptune-watchdog/neptune-watchdog.ini"
DESTDIR="$work/root" cmake --install "$build" --prefix /opt/nw >/dev/null
[ "$(cat "$work/root/etc/neptune-watchdog/neptune-watchdog.ini")" = "# operator's own configuration" ] ||
  fail "cmake --install overwrote an existing configuration"
echo "cmake --install: files placed, existing configuration kept"

# --- cpack -G DEB ---
(cd "$work" && cpack -G DEB --config "$build/CPackConfig.cmake" -B "$work/pkg" >/dev/null)
deb=$(ls "$work"/pkg/neptune-watchdog_*_amd64.deb)
contents=$(dpkg-deb -c "$deb" | awk '{print $6}')
for f in ./usr/bin/neptune-watchdog ./usr/libexec/neptune-watchdog/neptune-watchdog \
         ./usr/bin/neptune-sim ./usr/lib/systemd/system/neptune-watchdog.service \
         ./etc/neptune-watchdog/neptune-watchdog.ini ./usr/share/man/man8/neptune-watchdog.8 \
         ./usr/share/neptune-watchdog/prometheus/neptune-watchdog.rules.yml \
         ./usr/share/neptune-watchdog/grafana/neptune-watchdog.json \
         ./usr/share/doc/neptune-watchdog/RUNBOOK.md ./usr/share/doc/neptune-watchdog/HA.md; do
  grep -qx "$f" <<<"$contents" || fail "$(basename "$deb") lacks $f"
done
dpkg-deb -e "$deb" "$work/control"
grep -qx /etc/neptune-watchdog/neptune-watchdog.ini "$work/control/conffiles" || fail "the configuration is not a conffile"
grep -q '^Depends: .*libpoconet' "$work/control/control" || fail "no shared-library dependencies"
dpkg-deb -x "$deb" "$work/x"
version=$("$work/x/usr/bin/neptune-watchdog" --version)
[[ "$version" == "neptune-watchdog "* ]] || fail "the packaged binary printed '$version'"
# The online program is found from the installed launcher: --check-config runs there.
"$work/x/usr/bin/neptune-watchdog" --check-config --config "$work/x/etc/neptune-watchdog/neptune-watchdog.ini" |
  grep -q '^# configuration OK' || fail "the packaged launcher did not run the online program"
"$unit_test" "$work/x/usr/lib/systemd/system/neptune-watchdog.service" "$work/x/usr/bin/neptune-watchdog" >/dev/null ||
  fail "the packaged unit does not verify"
echo "$(basename "$deb"): conffile, dependencies, unit verifies, binary runs: $version"
