#!/usr/bin/env python3
"""Lateness: how long after a query breaks its limit the cancel reaches Neptune, and how many
requests Neptune sees for it, under `schedule = fixed` and `schedule = deadline` (with --confirm,
also `schedule = deadline` with `confirm_by_id = true`, mode "confirm").

Each run starts neptune-sim (no synthetic workload) and neptune-watchdog polling it every
--poll-interval, then injects queries through the simulator's control API as Poisson arrivals
(--rate per second for --seconds). Each query's text names its limit (`lim=7000ms`); one rule
per limit selects it. 70% of the queries run until cancelled; 30% end on their own before their
limit (at 10-90% of it) and must never be cancelled. After the arrivals, the run drains for the longest limit
plus one poll interval so that every crossing has happened, then reads the simulator's records.

The simulator measures both instants on its own clock: a query crosses its limit when its
`elapsed` passes the limit, and `elapsed` at the moment a cancel arrives is in /sim/cancels.
Lateness is the difference. Requests per minute count every status request (polls, and in mode
"confirm" the checks by id) and every cancel request the simulator received, per minute of the
run.

Modes alternate (fixed, deadline, fixed, ...) so that machine noise falls on both alike, and the
report gives the median over runs of each figure. Standard library only."""
import argparse
import json
import os
import random
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

LIMITS_MS = [2000, 3000, 5000, 8000, 10000, 15000, 20000, 30000]
LIMIT_IN_TEXT = re.compile(r"lim=(\d+)ms")


def http(method, url, body=None):
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method,
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as reply:
        return json.loads(reply.read() or b"null")


def percentile(values, p):
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, int(round(p / 100.0 * len(ordered) + 0.5)) - 1))
    return ordered[rank]


def write_config(path, url, mode, poll_ms, audit):
    lines = [
        "[watchdog]",
        f"poll_interval = {poll_ms}ms",
        f"schedule = {'fixed' if mode == 'fixed' else 'deadline'}",
        f"confirm_by_id = {'true' if mode == 'confirm' else 'false'}",
        f"audit_log = {audit}",
        "log_level = warn",
        "[retry]",
        "max_attempts = 3",
        "[endpoint.sim]",
        f"url = {url}",
        "request_timeout = 5s",
    ]
    for limit in LIMITS_MS:
        lines += [f"[rule.lim-{limit}ms]", f"query_matches = lim={limit}ms\\b", f"max_elapsed = {limit}ms"]
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")
    os.chmod(path, 0o644)  # whatever the umask: a config others can write is refused


def one_run(args, mode, seed, workdir):
    rng = random.Random(seed)
    sim = subprocess.Popen([args.sim, "--listen", "127.0.0.1:0", "--arrival-rate", "0", "--quiet",
                            "--seed", str(seed)], stdout=subprocess.PIPE, text=True)
    try:
        url = None
        while url is None:
            line = sim.stdout.readline()
            if not line:
                raise RuntimeError("neptune-sim exited before listening")
            m = re.search(r"listening on (http://\S+)", line)
            if m:
                url = m.group(1)
        config = os.path.join(workdir, f"{mode}-{seed}.ini")
        audit = os.path.join(workdir, f"{mode}-{seed}.jsonl")
        write_config(config, url, mode, args.poll_interval_ms, audit)
        log_path = os.path.join(workdir, f"{mode}-{seed}.log")
        log = open(log_path, "w")
        watchdog = subprocess.Popen([args.watchdog, "--config", config],
                                    stdout=subprocess.DEVNULL, stderr=log)
        try:
            started = time.monotonic()
            ends_by_itself = set()
            next_arrival = started
            count = 0
            while time.monotonic() - started < args.seconds:
                next_arrival += rng.expovariate(args.rate)
                time.sleep(max(0.0, next_arrival - time.monotonic()))
                limit = rng.choice(LIMITS_MS)
                query_id = f"lat-{seed}-{count}"
                body = {"queryId": query_id, "queryString": f"MATCH (n) /* lim={limit}ms */ RETURN n",
                        "state": "running", "elapsed": 1}
                if rng.random() < 0.3:
                    body["runtime"] = int(limit * rng.uniform(0.1, 0.9))
                    ends_by_itself.add(query_id)
                http("POST", url + "/sim/queries", body)
                count += 1
            time.sleep(max(LIMITS_MS) / 1000.0 + 2 * args.poll_interval_ms / 1000.0)
            minutes = (time.monotonic() - started) / 60.0
            cancels = http("GET", url + "/sim/cancels")
            stats = http("GET", url + "/sim/stats")
        finally:
            watchdog.send_signal(signal.SIGTERM)
            watchdog.wait(timeout=30)
            log.close()
            if watchdog.returncode != 0:
                sys.stderr.write(open(log_path).read())
                raise RuntimeError(f"neptune-watchdog exited {watchdog.returncode}")
    finally:
        sim.send_signal(signal.SIGTERM)
        sim.wait(timeout=30)

    lateness = []  # every cancelled query
    lateness_long = []  # limits no shorter than poll_interval: seen before they cross
    wrong = 0
    for c in cancels:
        m = LIMIT_IN_TEXT.search(c.get("query", ""))
        if not c.get("found") or not m:
            continue
        limit = int(m.group(1))
        if c["queryId"] in ends_by_itself:
            wrong += 1  # it ends before its limit: no rule should have cancelled it
        lateness.append(c["elapsed"] - limit)
        if limit >= args.poll_interval_ms:
            lateness_long.append(c["elapsed"] - limit)
    cancelled = {c["queryId"] for c in cancels if c.get("found")}
    expected = {f"lat-{seed}-{i}" for i in range(count)} - ends_by_itself
    return {
        "queries": count,
        "cancelled": len(cancelled),
        "missed": len(expected - cancelled),
        "early": sum(1 for late in lateness if late <= 0),
        "wrong": wrong,
        "p50": percentile(lateness, 50),
        "p99": percentile(lateness, 99),
        "max": max(lateness) if lateness else float("nan"),
        "p50_long": percentile(lateness_long, 50),
        "p99_long": percentile(lateness_long, 99),
        "max_long": max(lateness_long) if lateness_long else float("nan"),
        "requests_per_minute": (stats["statusRequests"] + stats["cancelRequests"]) / minutes,
        "polls_per_minute": stats["statusRequests"] / minutes,
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--watchdog", required=True)
    parser.add_argument("--sim", required=True)
    parser.add_argument("--runs", type=int, default=3, help="runs per mode (default 3)")
    parser.add_argument("--seconds", type=float, default=90, help="arrivals per run (default 90)")
    parser.add_argument("--rate", type=float, default=3.0, help="queries per second (default 3)")
    parser.add_argument("--poll-interval-ms", type=int, default=5000)
    parser.add_argument("--confirm", action="store_true",
                        help="also run schedule = deadline with confirm_by_id = true (mode 'confirm')")
    args = parser.parse_args()

    modes = ("fixed", "deadline", "confirm") if args.confirm else ("fixed", "deadline")
    results = {mode: [] for mode in modes}
    with tempfile.TemporaryDirectory() as workdir:
        for run in range(args.runs):
            for mode in modes:
                r = one_run(args, mode, 1000 + run, workdir)
                results[mode].append(r)
                print(f"run {run + 1} {mode:8}: {r['queries']} queries, {r['cancelled']} cancelled, "
                      f"{r['missed']} missed, {r['wrong']} wrong; lateness ms p50/p99/max all "
                      f"{r['p50']}/{r['p99']}/{r['max']}, limits >= poll_interval "
                      f"{r['p50_long']}/{r['p99_long']}/{r['max_long']}; "
                      f"{r['requests_per_minute']:.1f} requests/min", flush=True)

    def median(mode, key):
        return statistics.median(r[key] for r in results[mode])

    print()
    print(f"poll_interval {args.poll_interval_ms}ms, limits {LIMITS_MS[0] // 1000}-{LIMITS_MS[-1] // 1000}s, "
          f"{args.rate}/s arrivals for {args.seconds:.0f}s, median of {args.runs} runs per mode")
    print(f"{'schedule':9} {'limits':>16} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8} {'requests/min':>13} "
          f"{'polls/min':>10}")
    for mode in modes:
        for label, suffix in (("all 2-30s", ""), (f">= poll_interval", "_long")):
            print(f"{mode:9} {label:>16} {median(mode, 'p50' + suffix):8.0f} {median(mode, 'p99' + suffix):8.0f} "
                  f"{median(mode, 'max' + suffix):8.0f} {median(mode, 'requests_per_minute'):13.1f} "
                  f"{median(mode, 'polls_per_minute'):10.1f}")
    for mode in modes[1:]:
        ratio = median(mode, "requests_per_minute") / median("fixed", "requests_per_minute")
        print(f"requests per minute, {mode} / fixed: {ratio:.2f}")
    bad = sum(r["wrong"] + r["early"] for rs in results.values() for r in rs)
    missed = sum(r["missed"] for rs in results.values() for r in rs)
    if bad or missed:
        print(f"FAILED: {bad} cancels before a limit was broken, {missed} queries over a limit never "
              "cancelled", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
