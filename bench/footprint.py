#!/usr/bin/env python3
"""Footprint: resident memory and CPU time of neptune-watchdog polling N endpoints every 5 s.

Starts neptune-sim with N instances (each with its own synthetic workload: --arrival-rate
queries per second, 8 worker slots, log-normal runtimes) and neptune-watchdog with one
[endpoint.iN] per instance and three rules with regexes, then samples the daemon's
/proc/PID/status (VmRSS) and /proc/PID/stat (user + system CPU) every few seconds for --minutes.
Reports resident memory after warm-up (median and max of the samples, and VmHWM), CPU seconds
per hour and the share of one core, measured over the run after the first minute, the
daemon's thread count (/proc/PID/status Threads), and whether every poll loop kept its
interval: the poll requests the daemon counted (its own /metrics, poll_requests_total) over
the measured window, against endpoints x languages x window / poll_interval.
Standard library only."""
import argparse
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # utime, stime


def status_kb(pid, key):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    raise RuntimeError(f"{key} not in /proc/{pid}/status")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--watchdog", required=True)
    parser.add_argument("--sim", required=True)
    parser.add_argument("--endpoints", type=int, default=1)
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--arrival-rate", type=float, default=0.5)
    parser.add_argument("--sample-seconds", type=float, default=5)
    parser.add_argument("--poll-interval", default="5s")
    parser.add_argument("--languages", default="opencypher",
                        help="languages polled on each endpoint, e.g. opencypher,gremlin,sparql")
    parser.add_argument("--fault", action="append", default=[],
                        help="a neptune-sim --fault spec (repeatable), e.g. huge=5MB,share=0.1,on=status")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as work:
        sim, urls = start_sim(args.sim, args.endpoints, args.arrival_rate, args.fault)
        try:
            metrics_port = free_port()
            config = write_config(work, urls, args.poll_interval, args.languages, metrics_port)
            with open(os.path.join(work, "watchdog.log"), "w") as log:
                watchdog = subprocess.Popen([args.watchdog, "--config", config],
                                            stdout=subprocess.DEVNULL, stderr=log)
            try:
                start = time.monotonic()
                warm_up = min(60.0, args.minutes * 60 / 5)
                rss = []
                threads = []
                cpu_start = None
                polls_start = None
                while time.monotonic() - start < args.minutes * 60:
                    time.sleep(args.sample_seconds)
                    if watchdog.poll() is not None:
                        raise RuntimeError(f"neptune-watchdog exited {watchdog.returncode}")
                    if time.monotonic() - start < warm_up:
                        continue
                    if cpu_start is None:
                        cpu_start = (time.monotonic(), cpu_seconds(watchdog.pid))
                        polls_start = (time.monotonic(), poll_requests(metrics_port))
                    rss.append(status_kb(watchdog.pid, "VmRSS"))
                    threads.append(status_kb(watchdog.pid, "Threads"))
                cpu_end = (time.monotonic(), cpu_seconds(watchdog.pid))
                polls_end = (time.monotonic(), poll_requests(metrics_port))
                hwm = status_kb(watchdog.pid, "VmHWM")
            finally:
                stop(watchdog, 30)
        finally:
            stop(sim, 60)
        audit_lines = sum(1 for _ in open(os.path.join(work, "audit.jsonl")))

    wall = cpu_end[0] - cpu_start[0]
    cpu = cpu_end[1] - cpu_start[1]
    faults = "".join(f", fault {spec}" for spec in args.fault)
    print(f"endpoints {args.endpoints}, poll_interval {args.poll_interval}{faults}, {args.minutes:g} min "
          f"(measured after {warm_up:.0f}s warm-up), {audit_lines} audit records")
    print(f"  RSS MB: median {statistics.median(rss) / 1024:.1f}, max {max(rss) / 1024:.1f}, "
          f"first {rss[0] / 1024:.1f}, last {rss[-1] / 1024:.1f}; VmHWM {hwm / 1024:.1f}")
    # Whether memory levels off: the median of each fifth of the samples, in order.
    fifths = [rss[len(rss) * i // 5:len(rss) * (i + 1) // 5] for i in range(5)]
    print("  RSS MB by fifth of the run: " +
          ", ".join(f"{statistics.median(f) / 1024:.1f}" for f in fifths if f))
    print(f"  CPU: {cpu * 3600 / wall:.1f} s per hour = {100 * cpu / wall:.3f}% of one core")
    print(f"  threads: median {statistics.median(threads):.0f}, max {max(threads)}")
    loops = args.endpoints * len(args.languages.split(","))
    expected = loops * (polls_end[0] - polls_start[0]) / (parse_duration(args.poll_interval))
    sent = polls_end[1] - polls_start[1]
    print(f"  poll requests: {sent:.0f} in {polls_end[0] - polls_start[0]:.0f}s over {loops} loops, "
          f"{sent / expected:.3f}x interval-exact")
    return 0


def stop(process, timeout):
    """SIGTERM, then wait for the process to exit (at most `timeout` seconds)."""
    process.send_signal(signal.SIGTERM)
    process.wait(timeout=timeout)


def start_sim(sim_path, instances, arrival_rate, faults=(), extra_args=()):
    """neptune-sim with `instances` instances on loopback ports; returns it and their URLs."""
    sim = subprocess.Popen([sim_path, "--listen", "127.0.0.1:0", "--instances", str(instances),
                            "--arrival-rate", str(arrival_rate), "--quiet"]
                           + [a for spec in faults for a in ("--fault", spec)] + list(extra_args),
                           stdout=subprocess.PIPE, text=True)
    urls = []
    while len(urls) < instances:
        line = sim.stdout.readline()
        if not line:
            sim.kill()
            raise RuntimeError("neptune-sim exited before listening")
        m = re.search(r"listening on (https?://\S+)", line)
        if m:
            urls.append(m.group(1))
    return sim, urls


def write_config(work, urls, poll_interval, languages, metrics_port, endpoint_extra=""):
    """The benchmark's configuration: one endpoint per URL and three rules with regexes."""
    config = os.path.join(work, "footprint.ini")
    with open(config, "w") as f:
        f.write(f"[watchdog]\npoll_interval = {poll_interval}\naudit_log = {work}/audit.jsonl\n"
                f"log_level = warn\nmetrics_listen = 127.0.0.1:{metrics_port}\n")
        for i, url in enumerate(urls):
            f.write(f"[endpoint.i{i}]\nurl = {url}\nlanguages = {languages}\n{endpoint_extra}")
        f.write("[rule.reports]\nquery_matches = (?i)report|export\nmax_elapsed = 60s\n"
                "[rule.writes]\nquery_matches = ^\\s*(CREATE|MERGE|DELETE)\nmax_elapsed = 20s\n"
                "[rule.reads]\nquery_excludes = watchdog:exempt\nmax_elapsed = 8s\nmax_waited = 5s\n")
    os.chmod(config, 0o644)  # whatever the umask: a config others can write is refused
    return config


def parse_duration(text):
    for suffix, scale in (("ms", 0.001), ("s", 1), ("m", 60), ("h", 3600)):
        if text.endswith(suffix) and text[:-len(suffix)].replace(".", "").isdigit():
            return float(text[:-len(suffix)]) * scale
    raise ValueError(f"bad duration {text}")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def poll_requests(port):
    """The daemon's poll_requests_total over all endpoints, from its own /metrics."""
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as reply:
        text = reply.read().decode()
    return sum(float(line.rsplit(" ", 1)[1]) for line in text.splitlines()
               if line.startswith("neptune_watchdog_poll_requests_total{"))


if __name__ == "__main__":
    sys.exit(main())
