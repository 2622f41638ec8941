#!/usr/bin/env python3
"""Neptune time saved by quarantine: repeat offenders with and without a rule's quarantine.

Starts neptune-sim (no synthetic workload) and neptune-watchdog with one rule,
  [rule.reads] query_matches = ^MATCH, max_elapsed = --limit, and (second phase) quarantine = 10m,
and --clients simulated applications. Each sends a runaway query (it would run --runtime), and
whenever it is cancelled sends the same query again with another value after --retry-after,
for --seconds: what an application that retries on error, or a dashboard that refreshes, does.

Per phase: the copies sent, and the Neptune time they burned: for each copy, from when it was
sent until its cancel was seen (or the phase ended), summed, with the median per copy.
Standard library only."""
import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request


def request(port, method, path, body=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=data, method=method,
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as r:
        return json.loads(r.read() or b"null")


def client(port, n, args, stop, copies, lock):
    """One application: sends a copy, and once it is cancelled sends the next after
    --retry-after (jittered by half either way, as real back-offs are). Each copy's Neptune time
    is from when it was sent until its cancel was seen (or the end of the phase)."""
    rng = random.Random(n)
    stop.wait(n * args.stagger)
    copy = 0
    while not stop.is_set():
        copy += 1
        query_id = f"{n:08d}-0000-4000-8000-{copy:012d}"
        text = (f"MATCH (a:Account {{id: 'acct-{n}-{copy}'}})-[:PAID*1..6]->(b) "
                "RETURN count(b)")
        sent = time.monotonic()
        request(port, "POST", "/sim/queries",
                {"queryId": query_id, "queryString": text, "state": "running", "elapsed": 0,
                 "waited": 0, "runtime": int(args.runtime * 1000)})
        ends = sent + args.runtime
        while not stop.is_set() and time.monotonic() < ends:
            cancelled = {c["queryId"] for c in request(port, "GET", "/sim/cancels")}
            if query_id in cancelled:
                break
            time.sleep(0.05)
        with lock:
            copies.append(min(time.monotonic(), ends) - sent)
        stop.wait(args.retry_after * rng.uniform(0.5, 1.5))


def phase(args, quarantine):
    work = tempfile.mkdtemp(prefix="nw-quarantine-bench-")
    sim = subprocess.Popen([args.sim, "--listen", "127.0.0.1:0", "--arrival-rate", "0"],
                           stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    port = None
    for line in iter(sim.stdout.readline, ""):
        if "listening on http://127.0.0.1:" in line:
            port = int(line.rsplit(":", 1)[1])
        if line.startswith("neptune-sim: ready"):
            break
    config = os.path.join(work, "watchdog.ini")
    with open(config, "w") as f:
        f.write(f"[watchdog]\npoll_interval = {args.poll_interval}\n"
                f"audit_log = {work}/audit.jsonl\n"
                f"[endpoint.writer]\nurl = http://127.0.0.1:{port}\n"
                f"[rule.reads]\nquery_matches = ^MATCH\nmax_elapsed = {args.limit}\n")
        if quarantine:
            f.write("quarantine = 10m\n")
    os.chmod(config, 0o600)
    watchdog = subprocess.Popen([args.watchdog, "--config", config],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(1)
    stop, lock, copies = threading.Event(), threading.Lock(), []
    clients = [threading.Thread(target=client, args=(port, n, args, stop, copies, lock))
               for n in range(args.clients)]
    for t in clients:
        t.start()
    time.sleep(args.seconds)
    stop.set()
    for t in clients:
        t.join()
    cancelled = sum(1 for c in request(port, "GET", "/sim/cancels") if c.get("found"))
    watchdog.terminate()
    watchdog.wait(10)
    sim.terminate()
    sim.wait(10)
    return copies, cancelled


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--watchdog", required=True)
    parser.add_argument("--sim", required=True)
    parser.add_argument("--clients", type=int, default=3)
    parser.add_argument("--stagger", type=float, default=20, help="seconds between clients' starts")
    parser.add_argument("--seconds", type=float, default=120)
    parser.add_argument("--limit", default="30s", help="the rule's max_elapsed")
    parser.add_argument("--runtime", type=float, default=600, help="a copy's runtime if not cancelled (s)")
    parser.add_argument("--retry-after", type=float, default=5.0)
    parser.add_argument("--poll-interval", default="1s")
    args = parser.parse_args()
    print(f"repeat offenders: {args.clients} applications (starting {args.stagger:.0f}s apart) "
          f"resending one query shape for {args.seconds:.0f}s (retry after {args.retry_after}s "
          f"+-50%), max_elapsed {args.limit}, poll_interval {args.poll_interval}")
    results = {}
    for name, quarantine in (("without quarantine", False), ("quarantine = 10m", True)):
        copies, cancelled = phase(args, quarantine)
        results[name] = sum(copies)
        median = statistics.median(copies) if copies else 0.0
        print(f"  {name:19} {len(copies):4} copies sent, {cancelled:4} cancelled, Neptune time "
              f"burned {sum(copies):7.1f}s (median {median:5.2f}s per copy)")
    a, b = results["without quarantine"], results["quarantine = 10m"]
    if b > 0:
        print(f"  quarantine burned {b / a:.2f}x the Neptune time ({a - b:.1f}s saved)")


if __name__ == "__main__":
    main()
