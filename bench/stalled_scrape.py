#!/usr/bin/env python3
"""A scraper that stalls must not slow polling: poll gaps with and without stalled scrapers.

Starts neptune-sim with --instances N (no workload) and neptune-watchdog polling every instance
every --poll-interval with log_level = debug, which logs one line per poll with its time. Two
phases of --seconds each:

  quiet    nothing scrapes /metrics;
  stalled  --stalled scrapers each connect to /metrics with a 1 KB receive buffer, send the
           request and never read the answer (the response stops mid-way once the socket
           buffers are full), held for the whole phase; meanwhile one well-behaved scrape every
           second, timed.

For each phase: every endpoint's gaps between consecutive polls (from the log's timestamps),
median, p99 and max, and, in the stalled phase, how long the well-behaved scrapes took.
Standard library only."""
import argparse
import datetime
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

POLL_LINE = re.compile(r"^(\S+) debug endpoint (\S+): \d+ queries")


def percentile(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * p / 100))]


def read_lines(stream, into):
    for line in iter(stream.readline, ""):
        into.append((time.monotonic(), line.rstrip("\n")))


def poll_times(lines, start, end):
    """{endpoint: [poll time in seconds]} of the polls logged between start and end (monotonic
    arrival of the line; the gaps use the log's own timestamps)."""
    out = {}
    for arrived, line in lines:
        if not start <= arrived < end:
            continue
        m = POLL_LINE.match(line)
        if m:
            t = datetime.datetime.fromisoformat(m.group(1).replace("Z", "+00:00")).timestamp()
            out.setdefault(m.group(2), []).append(t)
    return out


def gaps_of(times):
    gaps = []
    for ts in times.values():
        gaps += [b - a for a, b in zip(ts, ts[1:])]
    return gaps


def stalled_scraper(port, hold, stop):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1024)
    s.connect(("127.0.0.1", port))
    s.sendall(b"GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
    stop.wait(hold)  # never reads
    s.close()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--watchdog", required=True)
    parser.add_argument("--sim", required=True)
    parser.add_argument("--instances", type=int, default=10)
    parser.add_argument("--poll-interval", default="1s")
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--stalled", type=int, default=4)
    args = parser.parse_args()

    work = tempfile.mkdtemp(prefix="nw-stalled-scrape-")
    sim = subprocess.Popen([args.sim, "--listen", "127.0.0.1:0", "--arrival-rate", "0",
                            "--instances", str(args.instances)],
                           stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    ports = []
    for line in iter(sim.stdout.readline, ""):
        if "listening on http://127.0.0.1:" in line:
            ports.append(int(line.rsplit(":", 1)[1]))
        if line.startswith("neptune-sim: ready"):
            break
    config = os.path.join(work, "watchdog.ini")
    with open(config, "w") as f:
        f.write(f"[watchdog]\npoll_interval = {args.poll_interval}\naudit_log = {work}/audit.jsonl\n"
                "metrics_listen = 127.0.0.1:0\nlog_level = debug\n")
        for i, port in enumerate(ports):
            f.write(f"[endpoint.i{i}]\nurl = http://127.0.0.1:{port}\n")
        f.write("[rule.long]\nmax_elapsed = 1h\n")
    os.chmod(config, 0o600)
    watchdog = subprocess.Popen([args.watchdog, "--config", config], stdout=subprocess.DEVNULL,
                                stderr=subprocess.PIPE, text=True)
    lines = []
    threading.Thread(target=read_lines, args=(watchdog.stderr, lines), daemon=True).start()
    metrics_port = None
    deadline = time.monotonic() + 20
    while metrics_port is None and time.monotonic() < deadline:
        for _, line in list(lines):
            m = re.search(r"metrics on http://127\.0\.0\.1:(\d+)/metrics", line)
            if m:
                metrics_port = int(m.group(1))
        time.sleep(0.05)
    if metrics_port is None:
        sys.exit("the watchdog did not start: " + "\n".join(l for _, l in lines))
    time.sleep(3)  # every loop has polled

    print(f"stalled scrape: {args.instances} endpoints, poll_interval {args.poll_interval}, "
          f"{args.seconds:.0f}s per phase, {args.stalled} stalled scrapers, "
          f"load {' '.join(open('/proc/loadavg').read().split()[:3])}")
    quiet_start = time.monotonic()
    time.sleep(args.seconds)
    quiet_end = stalled_start = time.monotonic()
    stop = threading.Event()
    scrapers = [threading.Thread(target=stalled_scraper, args=(metrics_port, args.seconds, stop))
                for _ in range(args.stalled)]
    for t in scrapers:
        t.start()
    scrape_times, scrape_failures, scrape_bytes = [], 0, 0
    while time.monotonic() < stalled_start + args.seconds:
        began = time.monotonic()
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{metrics_port}/metrics", timeout=10) as r:
                scrape_bytes = len(r.read())
            scrape_times.append(time.monotonic() - began)
        except OSError:
            scrape_failures += 1
        time.sleep(max(0.0, 1 - (time.monotonic() - began)))
    stalled_end = time.monotonic()
    stop.set()
    for t in scrapers:
        t.join()
    watchdog.terminate()
    watchdog.wait(10)
    sim.terminate()
    sim.wait(10)

    for name, (a, b) in (("quiet", (quiet_start, quiet_end)), ("stalled", (stalled_start, stalled_end))):
        gaps = gaps_of(poll_times(lines, a, b))
        print(f"  {name:8} poll gaps: {len(gaps)}, median {statistics.median(gaps):.3f}s, "
              f"p99 {percentile(gaps, 99):.3f}s, max {max(gaps):.3f}s")
    if scrape_times:
        print(f"  well-behaved scrapes while stalled: {len(scrape_times)} answered, median "
              f"{statistics.median(scrape_times) * 1000:.1f} ms, max {max(scrape_times) * 1000:.1f} ms; "
              f"{scrape_failures} failed; /metrics is {scrape_bytes} bytes")
    else:
        print(f"  well-behaved scrapes while stalled: none answered, {scrape_failures} failed")


if __name__ == "__main__":
    main()
