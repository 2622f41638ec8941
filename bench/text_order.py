#!/usr/bin/env python3
"""Writes src/online_text.order: the daemon's code that a running watchdog executes, for the
linker to lay out together (CMakeLists.txt links the online program with gold's
--section-ordering-file).

Why: the kernel maps a program's code 64 KiB at a time around each page it touches, so code
run now and then, spread over the whole binary, keeps all of it resident. Laid out together,
the code a daemon runs is what is resident, and the code of the features a configuration does
not use (clusters, etcd, notifications, the console's commands) is not (docs/PERFORMANCE.md,
"Resident code").

How: the footprint benchmark's daemon (bench/footprint.py's configuration: one endpoint, three
rules, neptune-sim's synthetic workload with its cancels, /metrics scraped) runs twice under
valgrind's callgrind for --seconds each: over plain HTTP, as the benchmark runs it, and over
HTTPS (a self-signed certificate given as ca_file) with a NOTIFY_SOCKET and WATCHDOG_USEC, as
the systemd unit runs it against Neptune. Every function of the online program that ran in
either is written as its section name (the libraries are compiled with -ffunction-sections),
after the static initialisers. The audit to the journal is not covered (no journald here).
Names that no longer exist are ignored by the linker, so a stale file costs only memory; rerun
this after changing the daemon's code paths, then rebuild and run bench/footprint.py.

Usage: bench/text_order.py [--watchdog BUILD/libexec/neptune-watchdog/neptune-watchdog]
                           [--sim BUILD/neptune-sim] [--seconds 60] [--output src/online_text.order]
Installs valgrind (Debian's package) when it is missing."""
import argparse
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from footprint import free_port, start_sim, stop, write_config  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def executed_functions(profile, program):
    """Mangled names of the functions of `program` that callgrind saw run, in first-seen order."""
    program = os.path.realpath(program)
    objects, functions, current, seen = {}, {}, None, []
    for line in open(profile, errors="replace"):
        line = line.rstrip("\n")
        m = re.match(r"^(c?ob)=\((\d+)\)(?: (.*))?$", line)
        if m:
            if m.group(3):
                objects[m.group(2)] = os.path.realpath(m.group(3))
            if m.group(1) == "ob":
                current = objects.get(m.group(2))
            continue
        m = re.match(r"^(c?fn)=\((\d+)\)(?: (.*))?$", line)
        if m:
            if m.group(3):
                functions[m.group(2)] = m.group(3)
            if m.group(1) == "fn" and current == program:
                seen.append(functions[m.group(2)])
    return list(dict.fromkeys(seen))


def section_names(functions):
    # A constructor or destructor runs as its complete-object alias (C1, D1); its code is in the
    # base-object variant's section (C2, D2).
    names = []
    for name in functions:
        if name.startswith("0x"):
            continue  # an address without a symbol (a PLT stub): no section of its own
        names.append(name)
        for alias, base in (("C1E", "C2E"), ("D1E", "D2E")):
            if alias in name:
                names.append(name.replace(alias, base, 1))
    # Every translation unit's static initialiser runs at start, each in a section of its own.
    return [".text.startup.*"] + [".text." + n for n in dict.fromkeys(names)]


def profile(args, tls):
    """One run under callgrind: the functions of the online program that ran, and the audit
    records the run wrote."""
    with tempfile.TemporaryDirectory() as work:
        sim_args, endpoint_extra, env = [], "", dict(os.environ)
        manager = None
        if tls:
            cert, key = os.path.join(work, "cert.pem"), os.path.join(work, "key.pem")
            subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                            "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                            "-keyout", key, "-out", cert], check=True, capture_output=True)
            sim_args = ["--tls-cert", cert, "--tls-key", key]
            endpoint_extra = f"ca_file = {cert}\n"
            # systemd's side of Type=notify and WatchdogSec=: keep-alives every second.
            manager = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
            manager.bind(os.path.join(work, "notify"))
            env.update(NOTIFY_SOCKET=os.path.join(work, "notify"), WATCHDOG_USEC="2000000")
        sim, urls = start_sim(args.sim, 1, 0.5, extra_args=sim_args)
        try:
            metrics_port = free_port()
            config = write_config(work, urls, "5s", "opencypher", metrics_port, endpoint_extra)
            result = os.path.join(work, "callgrind.out")
            with open(os.path.join(work, "watchdog.log"), "w") as log:
                watchdog = subprocess.Popen(
                    ["valgrind", "--tool=callgrind", "--demangle=no", f"--callgrind-out-file={result}",
                     args.watchdog, "--config", config], stdout=subprocess.DEVNULL, stderr=log, env=env)
            try:
                end = time.monotonic() + args.seconds
                while time.monotonic() < end:
                    time.sleep(5)
                    if watchdog.poll() is not None:
                        raise RuntimeError(f"the watchdog exited {watchdog.returncode}: see {log.name}")
                    try:  # as Prometheus would
                        urllib.request.urlopen(f"http://127.0.0.1:{metrics_port}/metrics", timeout=30).read()
                    except OSError:
                        pass  # not listening yet: slow under valgrind
            finally:
                stop(watchdog, 120)
        finally:
            stop(sim, 60)
            if manager is not None:
                manager.close()
        records = sum(1 for _ in open(os.path.join(work, "audit.jsonl")))
        return executed_functions(result, args.watchdog), records


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--watchdog",
                        default=os.path.join(ROOT, "build/libexec/neptune-watchdog/neptune-watchdog"))
    parser.add_argument("--sim", default=os.path.join(ROOT, "build/neptune-sim"))
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--output", default=os.path.join(ROOT, "src/online_text.order"))
    args = parser.parse_args()
    if shutil.which("valgrind") is None:
        subprocess.run(["apt-get", "install", "-y", "-q", "valgrind"], check=True)

    functions, records = [], 0
    for tls in (False, True):
        ran, audited = profile(args, tls)
        functions += ran
        records += audited
    functions = list(dict.fromkeys(functions))

    lines = section_names(functions)
    with open(args.output, "w") as f:
        f.write("\n".join(lines) + "\n")
    print(f"{len(functions)} functions of {args.watchdog} ran in two runs of {args.seconds:g}s "
          f"({records} audit records); {len(lines)} sections written to {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
