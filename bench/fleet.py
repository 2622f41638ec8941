#!/usr/bin/env python3
"""Fleet: one neptune-watchdog following whole DB clusters discovered from neptune-sim.

Starts neptune-sim with --cluster fleet --clusters K --instances N (K clusters fleet-1 ... fleet-K
of N instances each, every instance with its own synthetic workload) and neptune-watchdog with
one [cluster.cK] section per cluster (management_url pointing at the simulator's management API,
scheme = http) and footprint.py's three rules. Two measurements:

  scale      for --minutes: every endpoint's poll gaps, from the daemon's own /metrics
             (last_successful_poll_timestamp_seconds, which changes once per successful poll;
             scraped every --sample-seconds, less than the interval, so no poll is missed:
             the gaps are differences of the timestamps themselves, not of the scrape times),
             resident memory and threads (/proc/PID/status) and CPU (/proc/PID/stat) over the
             run after the warm-up, and the management requests (DescribeDB*, counted by the
             simulator) per cluster per hour. The daemon's CPU for serving the scrapes is
             measured at the end (a burst of scrapes) and reported separately; --no-gaps
             leaves /metrics alone, for the daemon's CPU and memory as they are unobserved.
  discovery  --repeat times: add an instance to a cluster through the simulator's control API
             as `creating`, available after a random delay within one refresh_interval (so
             that availability falls anywhere in the refresh cycle), and time from the moment
             it becomes available to the first status request it receives (the instance's own
             /sim/stats, read every 20 ms). The instance is removed again after each repetition.

The management requests are signed; the simulator does not check signatures, and the daemon
gets the documented example keys. Standard library only; shares footprint.py's helpers."""
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

from footprint import cpu_seconds, free_port, parse_duration, status_kb
from lateness import percentile

# The AWS documentation's example keys: the simulator ignores signatures.
EXAMPLE_ENV = {
    "AWS_ACCESS_KEY_ID": "AKIDEXAMPLE",
    "AWS_SECRET_ACCESS_KEY": "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
    "AWS_EC2_METADATA_DISABLED": "true",
    "AWS_CONFIG_FILE": "/nonexistent",
    "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent",
}
TIMESTAMP = re.compile(r'^neptune_watchdog_last_successful_poll_timestamp_seconds\{endpoint="([^"]*)"\} (\S+)$',
                       re.M)


def http_json(method, url, body=None):
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method,
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as reply:
        return json.loads(reply.read() or b"null")


def scrape(port):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as reply:
        return reply.read().decode()


def last_success(text):
    """{endpoint: unix time of its latest successful poll} from a /metrics page."""
    return {m.group(1): float(m.group(2)) for m in TIMESTAMP.finditer(text)}


def refresh_outcomes(text):
    """{outcome: refreshes} over every cluster, from a /metrics page."""
    out = {}
    for m in re.finditer(r'^neptune_watchdog_discovery_refreshes_total\{cluster="[^"]*",outcome="([^"]*)"\} (\S+)$',
                         text, re.M):
        out[m.group(1)] = out.get(m.group(1), 0) + int(float(m.group(2)))
    return out


def management_requests(management):
    """DescribeDB* requests the simulator has answered, or None when it does not answer."""
    try:
        counters = http_json("GET", management + "/sim/clusters")["requests"]
    except OSError:
        return None
    return counters["DescribeDBClusters"] + counters["DescribeDBInstances"]


class Fleet:
    """neptune-sim serving the clusters, and neptune-watchdog following them."""

    def __init__(self, args, work, poll_interval, refresh_interval):
        self.args = args
        self.sim = subprocess.Popen([args.sim, "--listen", "127.0.0.1:0", "--cluster", "fleet",
                                     "--clusters", str(args.clusters), "--instances", str(args.instances),
                                     "--arrival-rate", str(args.arrival_rate), "--quiet"],
                                    stdout=subprocess.PIPE, text=True)
        self.watchdog = None
        self.management = None
        while True:
            line = self.sim.stdout.readline()
            if not line:
                raise RuntimeError("neptune-sim exited before it was ready")
            m = re.search(r"management API on (http://\S+)", line)
            if m:
                self.management = m.group(1)
            if "neptune-sim: ready" in line:
                break
        if self.management is None:
            raise RuntimeError("neptune-sim named no management API")
        config = os.path.join(work, "fleet.ini")
        self.metrics_port = free_port()
        self.audit = os.path.join(work, "audit.jsonl")
        with open(config, "w") as f:
            f.write(f"[watchdog]\npoll_interval = {poll_interval}\naudit_log = {self.audit}\n"
                    f"log_level = warn\nmetrics_listen = 127.0.0.1:{self.metrics_port}\n")
            for k in range(1, args.clusters + 1):
                f.write(f"[cluster.c{k}]\ncluster_id = fleet-{k}\nregion = us-east-1\n"
                        f"management_url = {self.management}\nscheme = http\n"
                        f"refresh_interval = {refresh_interval}\nlanguages = {args.languages}\n")
            f.write("[rule.reports]\nquery_matches = (?i)report|export\nmax_elapsed = 60s\n"
                    "[rule.writes]\nquery_matches = ^\\s*(CREATE|MERGE|DELETE)\nmax_elapsed = 20s\n"
                    "[rule.reads]\nquery_excludes = watchdog:exempt\nmax_elapsed = 8s\nmax_waited = 5s\n")
        os.chmod(config, 0o644)  # whatever the umask: a config others can write is refused
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        env.update(EXAMPLE_ENV)
        self.log_path = os.path.join(work, "watchdog.log")
        with open(self.log_path, "w") as log:
            self.started = time.monotonic()
            self.watchdog = subprocess.Popen([args.watchdog, "--config", config], env=env,
                                             stdout=subprocess.DEVNULL, stderr=log)

    def wait_for_endpoints(self, count, timeout):
        """Seconds until every one of count endpoints has polled successfully once."""
        while time.monotonic() - self.started < timeout:
            self.check()
            try:
                if len(last_success(scrape(self.metrics_port))) >= count:
                    return time.monotonic() - self.started
            except OSError:
                pass
            time.sleep(0.5)
        raise RuntimeError(f"not every one of {count} endpoints polled within {timeout}s")

    def check(self):
        if self.watchdog.poll() is not None:
            raise RuntimeError(f"neptune-watchdog exited {self.watchdog.returncode}")

    def log_summary(self):
        """The daemon's warnings and errors, counted by their text without numbers."""
        kinds = {}
        with open(self.log_path) as log:
            for line in log:
                key = re.sub(r"\d+", "N", line.strip())[:160]
                kinds[key] = kinds.get(key, 0) + 1
        return sorted(kinds.items(), key=lambda kv: -kv[1])

    def close(self):
        if self.watchdog is not None:
            self.watchdog.send_signal(signal.SIGTERM)
            self.watchdog.wait(timeout=60)
        self.sim.send_signal(signal.SIGTERM)
        self.sim.wait(timeout=60)


def scale(args, fleet):
    interval = parse_duration(args.poll_interval)
    endpoints = args.clusters * args.instances
    ready = fleet.wait_for_endpoints(endpoints, 300)
    print(f"  all {endpoints} endpoints polled once {ready:.1f}s after start")
    warm_up = max(60.0, ready + 2 * interval)
    seen = {}  # endpoint -> ordered distinct success timestamps
    rss, threads, scrapes = [], [], 0
    cpu_start = requests_start = None
    measure_from = None
    while time.monotonic() - fleet.started < warm_up + args.minutes * 60:
        time.sleep(args.sample_seconds)
        fleet.check()
        text = scrape(fleet.metrics_port) if args.gaps else ""
        now = time.monotonic()
        if now - fleet.started < warm_up:
            continue
        if cpu_start is None:
            cpu_start = (now, cpu_seconds(fleet.watchdog.pid))
            requests_start = (now, management_requests(fleet.management))
            measure_from = time.time()
        scrapes += 1
        for endpoint, at in last_success(text).items():
            series = seen.setdefault(endpoint, [])
            if not series or series[-1] != at:
                series.append(at)
        rss.append(status_kb(fleet.watchdog.pid, "VmRSS"))
        threads.append(status_kb(fleet.watchdog.pid, "Threads"))
    cpu_end = (time.monotonic(), cpu_seconds(fleet.watchdog.pid))
    requests_end = (time.monotonic(), management_requests(fleet.management))
    hwm = status_kb(fleet.watchdog.pid, "VmHWM")
    # The daemon's CPU for one scrape of /metrics, from a burst of them.
    burst = 20 if args.gaps else 1
    before = cpu_seconds(fleet.watchdog.pid)
    size = sum(len(scrape(fleet.metrics_port)) for _ in range(burst)) / burst
    per_scrape = (cpu_seconds(fleet.watchdog.pid) - before) / burst

    wall = cpu_end[0] - cpu_start[0]
    cpu = cpu_end[1] - cpu_start[1]
    gaps, p99s = [], []
    if not args.gaps:
        scrapes = 0
    late = 0
    for endpoint, series in seen.items():
        # The first timestamp may predate the window; every gap after it is one the run saw.
        mine = [b - a for a, b in zip(series, series[1:])]
        if not mine:
            continue
        gaps += mine
        p99s.append(percentile(mine, 99))
        if p99s[-1] > 1.1 * interval:
            late += 1
    print(f"  measured {wall:.0f}s after a {warm_up:.0f}s warm-up, {scrapes} scrapes of /metrics "
          f"every {args.sample_seconds:g}s")
    if gaps:
        print(f"  poll gaps: {len(gaps)} over {len(p99s)} endpoints (of {endpoints}); all gaps: median "
              f"{statistics.median(gaps):.3f}s, p99 {percentile(gaps, 99):.3f}s, max {max(gaps):.3f}s")
        print(f"  per-endpoint p99 gap: median {statistics.median(p99s):.3f}s, max {max(p99s):.3f}s "
              f"= {max(p99s) / interval:.3f}x the interval; {late} endpoints over 1.1x")
    print(f"  RSS MB: median {statistics.median(rss) / 1024:.1f}, max {max(rss) / 1024:.1f}, "
          f"first {rss[0] / 1024:.1f}, last {rss[-1] / 1024:.1f}; VmHWM {hwm / 1024:.1f}")
    fifths = [rss[len(rss) * i // 5:len(rss) * (i + 1) // 5] for i in range(5)]
    print("  RSS MB by fifth of the run: " +
          ", ".join(f"{statistics.median(f) / 1024:.1f}" for f in fifths if f))
    scrape_share = per_scrape * scrapes / wall
    print(f"  CPU: {100 * cpu / wall:.2f}% of one core ({cpu * 3600 / wall:.0f} s per hour), of which "
          f"serving /metrics {100 * scrape_share:.2f}% ({1000 * per_scrape:.1f} ms per {size / 1e6:.1f} MB "
          f"scrape); without the scrapes {100 * (cpu / wall - scrape_share):.2f}%")
    print(f"  threads: median {statistics.median(threads):.0f}, max {max(threads)}")
    window = requests_end[0] - requests_start[0]
    if requests_start[1] is None or requests_end[1] is None:
        made = "(the management API did not answer /sim/clusters)"
    else:
        made = requests_end[1] - requests_start[1]
        made = f"{made} in {window:.0f}s = {made * 3600 / window / args.clusters:.1f} per cluster per hour"
    print(f"  management requests: {made} (refresh_interval {args.refresh_interval}); "
          f"refreshes since start by outcome: {refresh_outcomes(scrape(fleet.metrics_port))}")


def discovery(args, fleet):
    refresh = parse_duration(args.refresh_interval)
    interval = parse_duration(args.poll_interval)
    ready = fleet.wait_for_endpoints(args.clusters * args.instances, 300)
    print(f"  all {args.clusters * args.instances} endpoints polled once {ready:.1f}s after start")
    rng = random.Random(args.seed)
    latencies = []
    for rep in range(args.repeat):
        cluster = f"fleet-{rng.randint(1, args.clusters)}"
        delay_ms = rng.randint(0, int(refresh * 1000))
        sent = time.time()
        added = http_json("POST", f"{fleet.management}/sim/clusters/{cluster}/instances",
                          {"status": "creating", "availableAfter": delay_ms})
        available = (sent + time.time()) / 2 + delay_ms / 1000
        stats = f"http://127.0.0.1:{added['port']}/sim/stats"
        deadline = available + refresh + interval + 30
        first = None
        while time.time() < deadline:
            fleet.check()
            if http_json("GET", stats)["statusRequests"] > 0:
                first = time.time()
                break
            time.sleep(0.02)
        if first is None:
            print(f"  {rep + 1}: {added['instanceId']} in {cluster} never polled")
            latencies.append(float("inf"))
        else:
            latencies.append(first - available)
            print(f"  {rep + 1}: {added['instanceId']} in {cluster}, available {delay_ms} ms after "
                  f"it was added: first poll {latencies[-1]:.2f}s after it became available")
        http_json("DELETE", f"{fleet.management}/sim/instances/{added['instanceId']}")
        time.sleep(rng.uniform(0, refresh / 2))
    print(f"  available to first poll: median {statistics.median(latencies):.2f}s, "
          f"max {max(latencies):.2f}s over {len(latencies)} (goal: <= refresh_interval + poll_interval "
          f"= {refresh + interval:g}s)")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("mode", choices=["scale", "discovery"])
    parser.add_argument("--watchdog", required=True)
    parser.add_argument("--sim", required=True)
    parser.add_argument("--clusters", type=int, default=60)
    parser.add_argument("--instances", type=int, default=16, help="instances per cluster")
    parser.add_argument("--minutes", type=float, default=5, help="scale: the measured window")
    parser.add_argument("--repeat", type=int, default=10, help="discovery: instances added")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--arrival-rate", type=float, default=0.2)
    parser.add_argument("--sample-seconds", type=float, default=1)
    parser.add_argument("--poll-interval", default=None, help="default 5s (scale), 1s (discovery)")
    parser.add_argument("--refresh-interval", default=None, help="default 60s (scale), 10s (discovery)")
    parser.add_argument("--languages", default="opencypher")
    parser.add_argument("--no-gaps", dest="gaps", action="store_false",
                        help="scale: no /metrics scrapes (and so no poll gaps), only memory and CPU")
    args = parser.parse_args()
    scale_mode = args.mode == "scale"
    args.poll_interval = args.poll_interval or ("5s" if scale_mode else "1s")
    args.refresh_interval = args.refresh_interval or ("60s" if scale_mode else "10s")

    print(f"{args.mode}: {args.clusters} clusters x {args.instances} instances, poll_interval "
          f"{args.poll_interval}, refresh_interval {args.refresh_interval}, load "
          f"{' '.join(open('/proc/loadavg').read().split()[:3])}")
    with tempfile.TemporaryDirectory() as work:
        fleet = Fleet(args, work, args.poll_interval, args.refresh_interval)
        try:
            (scale if scale_mode else discovery)(args, fleet)
        finally:
            fleet.close()
            print(f"  load at the end {' '.join(open('/proc/loadavg').read().split()[:3])}")
            summary = fleet.log_summary()
            print(f"  daemon log: {sum(n for _, n in summary)} lines" +
                  "".join(f"\n    {n} x {text}" for text, n in summary[:8]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
