#!/usr/bin/env python3
"""Notifications and cancel lateness: the lateness of cancels (bench/lateness.py's workload and
measure, schedule = deadline) with no notification section ("none"), and with a [notify.NAME]
webhook whose receiver accepts connections and never answers ("hanging": every message waits
its whole `timeout`, is retried, and is dropped; the sink's queue fills).

Modes alternate (none, hanging, none, ...) so that machine noise falls on both alike; the report
gives the median over runs of each figure. A notification is sent by a thread of its own from a
queue, so the two rows should not differ beyond noise. Standard library only."""
import argparse
import os
import socket
import statistics
import sys
import tempfile
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lateness  # noqa: E402  (bench/lateness.py: the workload, one run, the measure)


class HangingReceiver:
    """Accepts every connection on a loopback port and never answers."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self.held = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.held.append(conn)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--watchdog", required=True)
    parser.add_argument("--sim", required=True)
    parser.add_argument("--runs", type=int, default=3, help="runs per mode (default 3)")
    parser.add_argument("--seconds", type=float, default=60, help="arrivals per run (default 60)")
    parser.add_argument("--rate", type=float, default=3.0, help="queries per second (default 3)")
    parser.add_argument("--poll-interval-ms", type=int, default=5000)
    args = parser.parse_args()

    receiver = HangingReceiver()
    plain_config = lateness.write_config

    def write_config(path, url, mode, poll_ms, audit):
        plain_config(path, url, "deadline", poll_ms, audit)
        if mode == "hanging":
            with open(path, "a") as f:
                f.write("[notify.hanging]\n"
                        f"webhook = http://127.0.0.1:{receiver.port}/hook\n"
                        "on = cancelled, given_up, budget_exhausted\n"
                        "batch_window = 100ms\n"
                        "timeout = 5s\n")

    lateness.write_config = write_config
    modes = ("none", "hanging")
    results = {mode: [] for mode in modes}
    with tempfile.TemporaryDirectory() as workdir:
        for run in range(args.runs):
            for mode in modes:
                r = lateness.one_run(args, mode, 2000 + run, workdir)
                results[mode].append(r)
                print(f"run {run + 1} {mode:8}: {r['queries']} queries, {r['cancelled']} cancelled, "
                      f"{r['missed']} missed, {r['wrong']} wrong; lateness ms p50/p99/max all "
                      f"{r['p50']}/{r['p99']}/{r['max']}, limits >= poll_interval "
                      f"{r['p50_long']}/{r['p99_long']}/{r['max_long']}", flush=True)

    def median(mode, key):
        return statistics.median(r[key] for r in results[mode])

    print()
    print(f"schedule = deadline, poll_interval {args.poll_interval_ms}ms, {args.rate}/s arrivals for "
          f"{args.seconds:.0f}s, median of {args.runs} runs per mode; hanging receiver held "
          f"{len(receiver.held)} connections")
    print(f"{'webhook':9} {'limits':>16} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8} {'cancelled':>10}")
    for mode in modes:
        for label, suffix in (("all 2-30s", ""), (">= poll_interval", "_long")):
            print(f"{mode:9} {label:>16} {median(mode, 'p50' + suffix):8.0f} "
                  f"{median(mode, 'p99' + suffix):8.0f} {median(mode, 'max' + suffix):8.0f} "
                  f"{median(mode, 'cancelled'):10.0f}")
    bad = sum(r["wrong"] + r["early"] + r["missed"] for rs in results.values() for r in rs)
    if bad:
        print(f"FAILED: {bad} cancels wrong, early or missed", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
