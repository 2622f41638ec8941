#!/usr/bin/env python3
"""Soak run of neptune-watchdog against neptune-sim; scripts/soak builds the binaries and
calls this. Standard library only.

The run: neptune-sim with a synthetic openCypher workload (3 arrivals a second, heavy-tailed
runtimes) and faults that rotate through throttling, timeouts, server errors and slow answers;
the daemon polling it every second; and this script injecting a query every half second
through POST /sim/queries. Injected queries are of known kinds: some a cancelling rule
selects (running or queued past its limit, some refusing to die), some no rule selects, some
only a `log` rule selects. Every few seconds it samples the daemon's VmRSS and open file
descriptors and scrapes /metrics. After the run it lets the last cancels settle, stops the
daemon with SIGTERM and checks (see scripts/soak for the list).
"""

import argparse
import collections
import glob
import shutil
import json
import os
import random
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid

POLL_INTERVAL_S = 1
SAMPLE_EVERY_S = 5
INJECT_EVERY_S = 0.5
SETTLE_S = 15  # after the load stops: time for the last cancels (and their retries) to finish

# The policy under test. Rules are tried in file order; the first that selects a query governs it.
# The Python twins of the rules' regexes decide, after the run, which rule selected a text.
CONFIG = """\
[watchdog]
poll_interval = {poll}s
dry_run = false
audit_log = {audit}
# small, so that the audit log rotates many times during a soak
audit_max_size = 256K
audit_max_files = 1000
log_level = info
metrics_listen = 127.0.0.1:{metrics_port}

[retry]
max_attempts = 5
initial_backoff = 100ms
max_backoff = 2s

[endpoint.sim]
url = http://127.0.0.1:{sim_port}
api = rest
include_waiting = true
request_timeout = 3s

[rule.exempt]
query_matches = watchdog:exempt
max_elapsed = 10s
action = log

[rule.writes]
query_matches = (?i)\\b(CREATE|MERGE|DELETE|SET)\\b
max_elapsed = 5s
action = log

[rule.long-reads]
query_matches = ^\\s*MATCH
max_elapsed = 8s
max_waited = 4s
action = cancel
silent = true
"""
RULES = [  # (name, regex, action), as in CONFIG
    ("exempt", re.compile(r"watchdog:exempt"), "log"),
    ("writes", re.compile(r"(?i)\b(CREATE|MERGE|DELETE|SET)\b"), "log"),
    ("long-reads", re.compile(r"^\s*MATCH"), "cancel"),
]


def governing_rule(text):
    """The rule that selects TEXT (first in file order), or None."""
    for name, regex, action in RULES:
        if regex.search(text):
            return name, action
    return None


# Injected queries, by kind: (weight, body without queryId). No "runtime": until cancelled.
INJECTED = {
    # a cancelling rule selects these, and they are past its limit: cancelled at the next poll
    "read": (4, {"queryString": "MATCH (n:SoakRead)-[:LINK*1..5]->(m) RETURN count(m)",
                 "state": "running", "elapsed": 9000}),
    "queued": (2, {"queryString": "MATCH (q:SoakQueued) RETURN q", "state": "waiting", "waited": 5000}),
    # acknowledges its cancels and keeps running: cancel, cancel_ineffective, one retried cancel
    "stubborn": (1, {"queryString": "MATCH (s:SoakStubborn) RETURN s", "state": "running",
                     "elapsed": 9000, "ignoreCancel": True, "runtime": 20000}),
    # no rule selects these: never cancelled, whatever their clocks
    "unselected": (2, {"queryString": "CALL db.soak.unselected() YIELD x RETURN x",
                       "state": "running", "elapsed": 600000, "runtime": 15000}),
    # only a `log` rule selects these: recorded, never cancelled
    "exempt": (1, {"queryString": "/* watchdog:exempt */ MATCH (e:SoakExempt) RETURN e",
                   "state": "running", "elapsed": 600000, "runtime": 15000}),
    "write": (1, {"queryString": "MERGE (w:SoakWrite {id: 1}) SET w.seen = 1 RETURN w",
                  "state": "running", "elapsed": 600000, "runtime": 15000}),
}
NEVER_CANCELLED = {"unselected", "exempt", "write"}

# Faults, when the simulator takes time windows (--fault ...,during=FROM..TO): each segment of
# the run gets the next of these, on top of a steady 5% of throttling. Errors (429, 408, 500)
# keep a request from being served. Answers damaged on the wire (reset, truncated, not-json,
# trickle) and strange lists are aimed at status requests only, and delays of cancels stay
# below request_timeout (3s): a cancel that is served always gets its answer back, so every
# cancel the simulator received has its own `cancelled` or `not_found` record.
# The first window, inside the warm-up, serves a few multi-megabyte status lists. While such
# an answer is in hand the daemon's memory rises by design; the memory check leaves those
# seconds out and requires the level to come back down (within 10% of the one after warm-up).
ROTATING_FAULTS = [
    "huge=5MB,count=3,on=status",
    "429,share=0.5",
    "408,share=0.3",
    "500,share=0.3,on=cancel",
    "delay=1500ms,share=0.3",
    "delay=5s,share=0.2,on=status",
    "reset,share=0.3,on=status",
    "truncated,share=0.3,on=status",
    "not-json,share=0.3,on=status",
    "duplicate-ids,share=0.5",
    "bad-numbers,share=0.2",
    "trickle=2s,share=0.3,on=status",
    "429,count=20,on=cancel",
]
STEADY_FAULT = "429,share=0.05"
# Without windows: one mix for the whole run.
CONSTANT_FAULTS = ["429,share=0.1", "408,share=0.03", "500,share=0.05,on=cancel", "delay=800ms,share=0.05"]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http(method, url, body=None, timeout=5):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method,
                                 headers={"Content-Type": "application/json"} if data else {})
    with urllib.request.urlopen(req, timeout=timeout) as resp:
        return resp.status, resp.read().decode()


def sim_takes_windows(sim):
    out = subprocess.run([sim, "--help"], capture_output=True, text=True).stdout
    return "during=" in out


def fault_args(duration_s, windows):
    """The --fault arguments and a description of the schedule."""
    if not windows:
        return [a for f in CONSTANT_FAULTS for a in ("--fault", f)], "constant: " + "; ".join(CONSTANT_FAULTS)
    # The last stretch is quiet, so that the run ends on settled cancels.
    quiet_from = int(duration_s * 0.85)
    segment = max(10, quiet_from // (2 * len(ROTATING_FAULTS)))  # each fault at least twice
    args, schedule = ["--fault", f"{STEADY_FAULT},during=0s..{quiet_from}s"], []
    start, i = 0, 0
    while start < quiet_from:
        end = min(start + segment, quiet_from)
        spec = f"{ROTATING_FAULTS[i % len(ROTATING_FAULTS)]},during={start}s..{end}s"
        args += ["--fault", spec]
        schedule.append(spec)
        start, i = end, i + 1
    return args, (f"rotating every {segment}s ({len(schedule)} windows, then quiet from {quiet_from}s) "
                  f"over a steady {STEADY_FAULT}")


def huge_windows(fault_args):
    """(from, to) seconds of each window that serves multi-megabyte status answers."""
    windows = []
    for spec in fault_args:
        m = re.match(r"huge(?:-chunked)?=[^,]*,.*during=(\d+)s\.\.(\d+)s", spec)
        if m:
            windows.append((int(m.group(1)), int(m.group(2))))
    return windows


def sample(pid):
    """(VmRSS in kB, open fds) of PID."""
    rss = 0
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                rss = int(line.split()[1])
    return rss, len(os.listdir(f"/proc/{pid}/fd"))


def read_audit(work):
    """Every record of the audit log and its rotated files, and the lines that are not one."""
    records, bad = [], []
    for path in sorted(glob.glob(os.path.join(work, "audit*.jsonl"))):
        with open(path) as f:
            for n, line in enumerate(f, 1):
                try:
                    records.append(json.loads(line))
                except ValueError:
                    bad.append(f"{os.path.basename(path)}:{n}: {line[:120]!r}")
    return records, bad


class Soak:
    def __init__(self, args):
        self.args = args
        self.duration = args.minutes * 60
        self.rng = random.Random(args.seed)
        self.work = args.work or tempfile.mkdtemp(prefix="neptune-watchdog-soak.")
        os.makedirs(self.work, exist_ok=True)
        self.injected = {}  # query id -> kind
        self.inject_errors = []
        self.samples = []  # (seconds since the daemon started, rss kB, fds)
        self.scrape_errors = 0
        self.sim = self.watchdog = None
        self.failures = []
        self.notes = []

    # --- running ---------------------------------------------------------------------------

    def start(self):
        self.windows = sim_takes_windows(self.args.sim)
        faults, self.fault_schedule = fault_args(self.duration, self.windows)
        self.huge_windows = huge_windows(faults)
        self.sim_out = open(os.path.join(self.work, "sim.out"), "w+")
        self.sim = subprocess.Popen(
            [self.args.sim, "--listen", "127.0.0.1:0", "--seed", str(self.args.seed), "--arrival-rate", "3",
             "--workers", "12", "--runtime-median", "2s", "--runtime-max", "40s", "--quiet"] + faults,
            stdout=self.sim_out, stderr=subprocess.STDOUT)
        self.sim_port = None
        for _ in range(100):
            self.sim_out.seek(0)
            m = re.search(r"listening on http://127\.0\.0\.1:(\d+)", self.sim_out.read())
            if m:
                self.sim_port = int(m.group(1))
                break
            if self.sim.poll() is not None:
                break
            time.sleep(0.1)
        if not self.sim_port:
            self.sim_out.seek(0)
            sys.exit("soak: neptune-sim did not start:\n" + self.sim_out.read())
        self.sim_url = f"http://127.0.0.1:{self.sim_port}"

        self.metrics_port = free_port()
        config = os.path.join(self.work, "neptune-watchdog.ini")
        with open(config, "w") as f:
            f.write(CONFIG.format(poll=POLL_INTERVAL_S, audit=os.path.join(self.work, "audit.jsonl"),
                                  metrics_port=self.metrics_port, sim_port=self.sim_port))
        os.chmod(config, 0o644)  # whatever the umask: a config others can write is refused
        self.watchdog_log = open(os.path.join(self.work, "watchdog.log"), "w")
        self.watchdog = subprocess.Popen([self.args.watchdog, "--config", config],
                                         stdout=self.watchdog_log, stderr=subprocess.STDOUT)
        # Ready when /metrics answers (the daemon has loaded its configuration).
        for _ in range(150):
            try:
                http("GET", f"http://127.0.0.1:{self.metrics_port}/metrics")
                break
            except (urllib.error.URLError, OSError):
                if self.watchdog.poll() is not None:
                    sys.exit(f"soak: neptune-watchdog exited at start (status {self.watchdog.returncode}); "
                             f"see {self.work}/watchdog.log")
                time.sleep(0.1)
        self.started = time.monotonic()

    def inject(self):
        kinds = list(INJECTED)
        kind = self.rng.choices(kinds, weights=[INJECTED[k][0] for k in kinds])[0]
        query_id = str(uuid.UUID(int=self.rng.getrandbits(128), version=4))
        body = dict(INJECTED[kind][1], queryId=query_id)
        try:
            http("POST", self.sim_url + "/sim/queries", body)
            self.injected[query_id] = kind
        except (urllib.error.URLError, OSError) as e:
            self.inject_errors.append(f"{kind}: {e}")

    def scrape(self):
        try:
            status, text = http("GET", f"http://127.0.0.1:{self.metrics_port}/metrics")
            if status != 200 or "neptune_watchdog_" not in text:
                self.scrape_errors += 1
        except (urllib.error.URLError, OSError):
            self.scrape_errors += 1

    def run(self):
        print(f"soak: {self.args.minutes:g} min; work directory {self.work}", flush=True)
        print(f"soak: sim faults {self.fault_schedule}", flush=True)
        end = self.started + self.duration
        next_inject = next_sample = time.monotonic()
        next_report = self.started + 60
        while time.monotonic() < end:
            if self.watchdog.poll() is not None:
                self.failures.append(f"the daemon exited during the run (status {self.watchdog.returncode})")
                return
            now = time.monotonic()
            if now >= next_inject:
                self.inject()
                next_inject += INJECT_EVERY_S
            if now >= next_sample:
                rss, fds = sample(self.watchdog.pid)
                self.samples.append((now - self.started, rss, fds))
                self.scrape()
                next_sample += SAMPLE_EVERY_S
            if now >= next_report:
                t, rss, fds = self.samples[-1]
                print(f"soak: {t / 60:.0f} min: injected {len(self.injected)}, VmRSS {rss} kB, {fds} fds",
                      flush=True)
                next_report += 60
            time.sleep(max(0.0, min(next_inject, next_sample) - time.monotonic()))
        # Settle: no new queries; the cancels already decided finish (and retry) meanwhile.
        time.sleep(SETTLE_S)

    def stop(self):
        status = None
        if self.watchdog and self.watchdog.poll() is None:
            self.watchdog.send_signal(signal.SIGTERM)
            try:
                status = self.watchdog.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.watchdog.kill()
                self.failures.append("the daemon did not stop within 10 s of SIGTERM")
        if status not in (None, 0):
            self.failures.append(f"the daemon exited with status {status} on SIGTERM")
        try:  # after the daemon stopped, so that every cancel it sent is in this list
            self.sim_cancels = json.loads(http("GET", self.sim_url + "/sim/cancels", timeout=30)[1])
            self.sim_stats = json.loads(http("GET", self.sim_url + "/sim/stats", timeout=30)[1])
        except (urllib.error.URLError, OSError, ValueError) as e:
            self.failures.append(f"could not read the simulator's cancel log: {e}")
            self.sim_cancels, self.sim_stats = [], {}
        self.sim.send_signal(signal.SIGTERM)
        try:
            self.sim.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.sim.kill()

    # --- checking --------------------------------------------------------------------------

    def check_flat(self):
        warm_up = min(120, self.duration / 3)
        later = [s for s in self.samples if s[0] >= warm_up]
        with open(os.path.join(self.work, "samples.csv"), "w") as f:
            f.write("seconds,vmrss_kb,fds\n")
            f.writelines(f"{t:.0f},{rss},{fds}\n" for t, rss, fds in self.samples)
        if len(later) < 4:
            self.failures.append(f"too few samples after the {warm_up:.0f} s warm-up to judge memory and fds")
            return
        # While a multi-megabyte answer is being read and parsed the daemon holds it: memory
        # rises for those seconds by design. Flat means it comes back down afterwards, so the
        # samples inside such a window (and a few seconds after it) are reported, not judged.
        def in_huge_window(t):
            return any(start <= t <= end + 10 for start, end in self.huge_windows)
        judged = [s for s in later if not in_huge_window(s[0])]
        held = [s for s in later if in_huge_window(s[0])]
        if len(judged) < 4:
            self.failures.append("too few samples outside the large-answer windows to judge memory")
            return
        # The level after warm-up: the median of the first minute's samples past it.
        first = [s for s in judged if s[0] < judged[0][0] + 60]
        base_rss = statistics.median(s[1] for s in first)
        base_fds = max(s[2] for s in first)
        max_rss, last_rss = max(s[1] for s in judged), judged[-1][1]
        max_fds, last_fds = max(s[2] for s in later), later[-1][2]
        growth = (max_rss - base_rss) / base_rss * 100
        rss_ok = max_rss <= base_rss * 1.10
        # A poll or a scrape in flight holds a socket: a little headroom, but no trend.
        fds_ok = max_fds <= base_fds + 2 and last_fds <= base_fds
        self.report(rss_ok, f"VmRSS flat: {base_rss:.0f} kB after a {warm_up:.0f} s warm-up, "
                            f"max {max_rss} kB ({growth:+.1f}%), last {last_rss} kB (limit +10%)")
        if held:
            self.notes.append(f"VmRSS while a multi-megabyte status answer was in hand (not judged): "
                              f"max {max(s[1] for s in held)} kB over {len(held)} samples")
        self.report(fds_ok, f"open fds flat: {base_fds} after warm-up, max {max_fds}, last {last_fds}")

    def check_cancels(self, records):
        outcomes = collections.Counter(r.get("outcome") for r in records)
        audit_cancelled = collections.Counter(r["query_id"] for r in records if r.get("outcome") == "cancelled")
        audit_not_found = collections.Counter(r["query_id"] for r in records if r.get("outcome") == "not_found")
        sim_found = collections.Counter(c["queryId"] for c in self.sim_cancels if c.get("found"))
        sim_not_found = collections.Counter(c["queryId"] for c in self.sim_cancels if not c.get("found"))

        # Cancels the daemon abandoned at shutdown: the design audits them `failed` even when
        # the simulator got them. The settle time makes them rare; they are named, not failed.
        abandoned = {r["query_id"] for r in records
                     if r.get("outcome") == "failed" and "abandoned at shutdown" in r.get("error", "")}

        def mismatches(sim, audit, outcome):
            out = []
            for qid in sorted(set(sim) | set(audit)):
                if sim[qid] != audit[qid] and not (qid in abandoned and sim[qid] == audit[qid] + 1):
                    out.append(f"{qid} ({self.injected.get(qid, 'synthetic')}): simulator received "
                               f"{sim[qid]}, audit `{outcome}` {audit[qid]}")
            return out

        bad = mismatches(sim_found, audit_cancelled, "cancelled")
        self.report(not bad, f"every cancel received has one `cancelled` record for its id: "
                             f"{sum(sim_found.values())} cancels of running or queued queries, "
                             f"{sum(audit_cancelled.values())} `cancelled` records", bad)
        bad = mismatches(sim_not_found, audit_not_found, "not_found")
        self.report(not bad, f"every cancel of an ended query has one `not_found` record: "
                             f"{sum(sim_not_found.values())} received, {sum(audit_not_found.values())} records",
                    bad)
        if abandoned:
            self.notes.append(f"abandoned at shutdown (audited `failed`): {', '.join(sorted(abandoned))}")

        # No cancel for a query that no cancelling rule selects.
        wrong = [f"{c['queryId']} (injected {self.injected[c['queryId']]})" for c in self.sim_cancels
                 if self.injected.get(c["queryId"]) in NEVER_CANCELLED]
        for c in self.sim_cancels:  # the simulator's own record of the text, when it has one
            text = c.get("query", c.get("queryString"))
            if text and (governing_rule(text) or (None, None))[1] != "cancel":
                wrong.append(f"{c['queryId']}: simulator's text {text[:80]!r}")
        for r in records:
            if r.get("outcome") in ("cancelled", "not_found", "failed", "cancel_ineffective"):
                rule = governing_rule(r.get("query", ""))
                if len(r.get("query", "")) < 512 and (rule is None or rule != (r.get("rule"), "cancel")):
                    wrong.append(f"{r['query_id']}: audited `{r['outcome']}` by {r.get('rule')} for "
                                 f"{r.get('query', '')[:80]!r}")
        never = sum(1 for k in self.injected.values() if k in NEVER_CANCELLED)
        self.report(not wrong, f"no cancel for a query no cancelling rule selects "
                               f"({never} such queries injected)", wrong)

        stubborn = [q for q, k in self.injected.items() if k == "stubborn"]
        ineffective = sum(1 for r in records if r.get("outcome") == "cancel_ineffective")
        self.notes.append(f"audit outcomes: " + ", ".join(f"{k} {v}" for k, v in sorted(outcomes.items())))
        self.notes.append(f"queries that ignore cancels: {len(stubborn)} injected, "
                          f"{ineffective} `cancel_ineffective` records")

    def check(self):
        records, bad_lines = read_audit(self.work)
        required = {"time", "endpoint", "language", "query_id", "rule", "elapsed_ms", "waited_ms", "action",
                    "silent", "dry_run", "outcome", "attempts", "query"}
        incomplete = [f"{r.get('query_id')}: missing {sorted(required - set(r))}" for r in records
                      if not required <= set(r)]
        files = len(glob.glob(os.path.join(self.work, "audit*.jsonl")))
        self.report(not bad_lines and not incomplete,
                    f"audit log: {len(records)} records in {files} files (rotated), each one whole JSON "
                    f"record", bad_lines + incomplete)
        self.check_flat()
        self.check_cancels(records)
        self.report(not self.inject_errors, f"{len(self.injected)} queries injected "
                                            f"({', '.join(f'{k} {v}' for k, v in sorted(collections.Counter(self.injected.values()).items()))})",
                    self.inject_errors)
        self.report(self.scrape_errors == 0, f"/metrics scraped {len(self.samples)} times, "
                                             f"{self.scrape_errors} failed")
        if self.sim_stats:
            self.notes.append("simulator: " + json.dumps({k: v for k, v in self.sim_stats.items()
                                                            if not isinstance(v, (dict, list))}))

    def report(self, ok, line, details=()):
        print(f"soak: {'ok  ' if ok else 'FAIL'} {line}")
        for d in list(details)[:20]:
            print(f"soak:        {d}")
        if len(details) > 20:
            print(f"soak:        ... and {len(details) - 20} more")
        if not ok:
            self.failures.append(line)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=30)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--work", help="work directory (default: a new one under /tmp)")
    parser.add_argument("--watchdog", required=True)
    parser.add_argument("--sim", required=True)
    args = parser.parse_args()
    if args.minutes <= 0:
        parser.error("--minutes must be positive")

    soak = Soak(args)
    try:
        soak.start()
        soak.run()
    finally:
        soak.stop()
    print(f"soak: == summary: {args.minutes:g} min, faults {soak.fault_schedule}")
    soak.check()
    for note in soak.notes:
        print(f"soak: note {note}")
    for failure in soak.failures:
        if failure.startswith("the daemon") or failure.startswith("could not") or failure.startswith("too few"):
            print(f"soak: FAIL {failure}")
    print(f"soak: {'PASSED' if not soak.failures else 'FAILED'}; work directory {soak.work}")
    if not soak.failures and not args.keep and not args.work:
        shutil.rmtree(soak.work, ignore_errors=True)
        print("soak: (work directory removed; --keep keeps it)")
    sys.exit(0 if not soak.failures else 1)


if __name__ == "__main__":
    main()
