#!/usr/bin/env python3
"""Replicas: neptune-watchdog replicas sharing neptune-sim's instances through a real etcd.

Starts Debian's etcd (/usr/bin/etcd, one member on free loopback ports, a temporary data dir),
neptune-sim with --instances N (every instance one [endpoint.iK] section, one unit each, no
synthetic workload) and replicas of neptune-watchdog with an [ha] section each. Three
measurements:

  takeover  --runs times, in a fresh replica group each (same etcd and simulator): two
            replicas over 6 instances (lease_ttl --lease-ttl, poll_interval --poll-interval,
            a rule that cancels queries running over 1 s). Once both own their rendezvous
            share (read from the owner keys in etcd), and after a random wait within one
            keep-alive period (so that the kill falls anywhere in the renewal cycle), the one
            whose share is not empty is killed with SIGKILL; at once an offender (running,
            already 5 s old) is injected on each of its instances through the simulator's
            control API. Measured from the kill: (a) the survivor's "acquired" audit records
            of every unit of the dead replica (their `time`, ms), (b) the DELETE of each
            offender at the simulator (its /sim/cancels, read every 50 ms): the survivor's
            first poll of the unit plus the cancel.
  load      for each of --units (default 6 and 60): --replicas replicas (default 3) with the
            default lease (10s); after every unit has its rendezvous owner and a warm-up, the
            requests etcd received over --minutes, from its own Prometheus counters
            (grpc_server_started_total by method: the JSON gateway turns every HTTP request into
            one gRPC call or stream, so each request counts once). etcd cannot tell clients
            apart: the figure per replica is the total divided by the replicas, and nothing but
            the replicas talks to this etcd in the window (/metrics is not a gRPC call).
  share     60 instances, 3 replicas: the units each owns (the owner keys in etcd and each
            replica's neptune_watchdog_ha_owned_units) and max / (60 / 3). Then --name-sets sets
            of three replica names, each run with the daemon in a fresh group, and the rendezvous
            share computed (a port of nw::assign_units, rendezvous with bounded loads, checked against the daemon on every
            set) for --computed-sets random name triples, to show whether the first is typical.

Standard library only; shares footprint.py's and lateness.py's helpers."""
import argparse
import base64
import datetime
import json
import os
import math
import random
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

from footprint import free_port, parse_duration
from lateness import percentile

ETCD = "/usr/bin/etcd"
OWNED = re.compile(r"^neptune_watchdog_ha_owned_units (\S+)$", re.M)
STARTED = re.compile(r'^grpc_server_started_total\{grpc_method="([^"]*)",[^}]*\} (\S+)$', re.M)


def http(method, url, body=None, timeout=10):
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method,
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=timeout) as reply:
        return reply.read()


def b64(text):
    return base64.b64encode(text.encode()).decode()


def rendezvous_weight(unit, replica):
    """nw::rendezvous_weight (src/core/replica_assignment.cpp): FNV-1a 64 over unit, NUL,
    replica, then splitmix64's finalizer."""
    mask = (1 << 64) - 1
    h = 14695981039346656037
    for byte in unit.encode() + b"\0" + replica.encode():
        h = ((h ^ byte) * 1099511628211) & mask
    h ^= h >> 30
    h = (h * 0xbf58476d1ce4e5b9) & mask
    h ^= h >> 27
    h = (h * 0x94d049bb133111eb) & mask
    h ^= h >> 31
    return h


def rendezvous_owner(unit, members):
    return max(sorted(members), key=lambda m: rendezvous_weight(unit, m))


MAX_LOAD = 1.2  # nw::kMaxLoad


def expected_owners(units, members):
    """nw::assign_units: units in name order, each to the highest-weight member below the bound
    of MAX_LOAD times the even share (rounded up)."""
    if not members:
        return {}
    order = sorted(set(units))
    cap = math.ceil(len(order) / len(members) * MAX_LOAD)
    load = {m: 0 for m in members}
    out = {}
    for u in order:
        for m in sorted(members, key=lambda m: (-rendezvous_weight(u, m), m)):
            if load[m] < cap:
                load[m] += 1
                out[u] = m
                break
    return out


def share(owners, members):
    counts = {m: 0 for m in members}
    for owner in owners.values():
        counts[owner] = counts.get(owner, 0) + 1
    return counts


class Etcd:
    """One etcd member on free loopback ports."""

    def __init__(self, work):
        self.dir = tempfile.mkdtemp(prefix="etcd-", dir=work)
        self.process = None
        for _ in range(3):
            self.port, peer = free_port(), free_port()
            client = f"http://127.0.0.1:{self.port}"
            peer = f"http://127.0.0.1:{peer}"
            self.log = open(os.path.join(self.dir, "etcd.log"), "w")
            self.process = subprocess.Popen(
                [ETCD, "--name", "bench", "--data-dir", os.path.join(self.dir, "data"),
                 "--listen-client-urls", client, "--advertise-client-urls", client,
                 "--listen-peer-urls", peer, "--initial-advertise-peer-urls", peer,
                 "--initial-cluster", f"bench={peer}", "--log-level", "error"],
                stdout=self.log, stderr=subprocess.STDOUT)
            self.url = client
            deadline = time.monotonic() + 15
            while time.monotonic() < deadline and self.process.poll() is None:
                try:
                    if b'"header"' in http("POST", client + "/v3/kv/range", {"key": b64("\0")}):
                        return
                except OSError:
                    pass
                time.sleep(0.05)
            self.close()
        raise RuntimeError("etcd did not start on loopback within 3 attempts")

    def prefix(self, prefix):
        """{key: value} of every key under prefix."""
        end = prefix[:-1] + chr(ord(prefix[-1]) + 1)
        reply = json.loads(http("POST", self.url + "/v3/kv/range",
                                {"key": b64(prefix), "range_end": b64(end)}))
        return {base64.b64decode(kv["key"]).decode(): base64.b64decode(kv.get("value", "")).decode()
                for kv in reply.get("kvs", [])}

    def owners(self, group):
        p = f"/neptune-watchdog/{group}/owners/"
        return {k[len(p):]: v for k, v in self.prefix(p).items()}

    def requests(self):
        """{gRPC method: calls and streams started} from etcd's /metrics."""
        with urllib.request.urlopen(self.url + "/metrics", timeout=10) as reply:
            text = reply.read().decode()
        out = {}
        for m in STARTED.finditer(text):
            out[m.group(1)] = out.get(m.group(1), 0) + int(float(m.group(2)))
        return out

    def close(self):
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            self.process.wait(timeout=30)


class Sim:
    """neptune-sim with `instances` instances and no synthetic workload."""

    def __init__(self, path, instances):
        self.process = subprocess.Popen([path, "--listen", "127.0.0.1:0", "--instances", str(instances),
                                         "--arrival-rate", "0", "--quiet"],
                                        stdout=subprocess.PIPE, text=True)
        self.ports = []
        while True:
            line = self.process.stdout.readline()
            if not line:
                raise RuntimeError("neptune-sim exited before it was ready")
            m = re.search(r"listening on http://127\.0\.0\.1:(\d+)", line)
            if m:
                self.ports.append(int(m.group(1)))
            if "neptune-sim: ready" in line:
                break

    def inject(self, index, query_id):
        http("POST", f"http://127.0.0.1:{self.ports[index]}/sim/queries",
             {"queryId": query_id, "queryString": "MATCH (n) RETURN n", "state": "running",
              "elapsed": 5000, "waited": 0})

    def cancelled(self, index):
        """Query ids of every DELETE the instance received, in order."""
        return [c["queryId"] for c in json.loads(http("GET", f"http://127.0.0.1:{self.ports[index]}/sim/cancels"))]

    def close(self):
        self.process.send_signal(signal.SIGTERM)
        self.process.wait(timeout=30)


class Replica:
    def __init__(self, args, work, etcd, sim, group, name, lease_ttl, poll_interval):
        self.name = name
        self.audit = os.path.join(work, f"{group}-{name}.jsonl")
        self.config = os.path.join(work, f"{group}-{name}.ini")
        self.metrics_port = free_port()
        lease = parse_duration(lease_ttl)
        with open(self.config, "w") as f:
            f.write(f"[watchdog]\npoll_interval = {poll_interval}\naudit_log = {self.audit}\n"
                    f"log_level = warn\nmetrics_listen = 127.0.0.1:{self.metrics_port}\n")
            f.write(f"[ha]\netcd = {etcd.url}\ngroup = {group}\nreplica = {name}\nlease_ttl = {lease_ttl}\n")
            if lease < 10:  # one etcd request must take less than a third of the lease
                f.write(f"request_timeout = {int(lease * 1000 / 4)}ms\n")
            for k, port in enumerate(sim.ports, 1):
                f.write(f"[endpoint.i{k}]\nurl = http://127.0.0.1:{port}\n")
            f.write("[rule.runaway]\nmax_elapsed = 1s\naction = cancel\n")
        os.chmod(self.config, 0o644)  # whatever the umask: a config others can write is refused
        self.log_path = os.path.join(work, f"{group}-{name}.log")
        with open(self.log_path, "w") as log:
            self.process = subprocess.Popen([args.watchdog, "--config", self.config],
                                            stdout=subprocess.DEVNULL, stderr=log)

    def owned(self):
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.metrics_port}/metrics", timeout=5) as reply:
                m = OWNED.search(reply.read().decode())
            return int(float(m.group(1))) if m else None
        except OSError:
            return None

    def acquired(self):
        """{unit: unix time} of the latest 'acquired' record of each unit in the audit."""
        out = {}
        with open(self.audit) as f:
            for line in f:
                if '"event":"ownership"' not in line:
                    continue
                record = json.loads(line)
                if record.get("change") == "acquired":
                    when = datetime.datetime.strptime(record["time"], "%Y-%m-%dT%H:%M:%S.%fZ")
                    out[record["unit"]] = when.replace(tzinfo=datetime.timezone.utc).timestamp()
        return out

    def check(self):
        if self.process.poll() is not None:
            with open(self.log_path) as log:
                raise RuntimeError(f"replica {self.name} exited {self.process.returncode}: {log.read()[-2000:]}")

    def stop(self, sig=signal.SIGTERM):
        if self.process.poll() is None:
            self.process.send_signal(sig)
            self.process.wait(timeout=60)


def wait_for_owners(etcd, group, replicas, units, timeout=60):
    """Seconds until etcd's owner keys are exactly the rendezvous split of units."""
    members = [r.name for r in replicas]
    want = expected_owners(units, members)
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        for r in replicas:
            r.check()
        if etcd.owners(group) == want:
            return time.monotonic() - started
        time.sleep(0.1)
    raise RuntimeError(f"group {group}: owners {etcd.owners(group)} never became the rendezvous split {want}")


def log_lines(replicas):
    kinds = {}
    for r in replicas:
        with open(r.log_path) as log:
            for line in log:
                key = re.sub(r"\d+", "N", line.strip())[:160]
                kinds[key] = kinds.get(key, 0) + 1
    return sorted(kinds.items(), key=lambda kv: -kv[1])


def print_log_summary(replicas):
    summary = log_lines(replicas)
    print(f"  daemon logs: {sum(n for _, n in summary)} lines" +
          "".join(f"\n    {n} x {text}" for text, n in summary[:6]))


def takeover(args, work):
    lease = parse_duration(args.lease_ttl)
    interval = parse_duration(args.poll_interval)
    etcd = Etcd(work)
    sim = Sim(args.sim, 6)
    units = [f"endpoint.i{k}" for k in range(1, 7)]
    rng = random.Random(args.seed)
    acquired_all, first_acquired, deleted_all, twice = [], [], [], 0
    replicas = []
    try:
        for run in range(args.runs):
            group = f"takeover-{run + 1}"
            names = [f"r{run + 1}-a", f"r{run + 1}-b"]
            replicas = [Replica(args, work, etcd, sim, group, n, args.lease_ttl, args.poll_interval) for n in names]
            joined = wait_for_owners(etcd, group, replicas, units)
            time.sleep(rng.uniform(0, lease / 3))
            owners = etcd.owners(group)
            victim = next(r for r in reversed(replicas) if r.name in owners.values())
            survivor = next(r for r in replicas if r is not victim)
            lost = sorted(u for u, o in owners.items() if o == victim.name)
            index = {u: int(u[len("endpoint.i"):]) - 1 for u in lost}
            ids = {u: f"{run + 1:08x}-0000-4000-8000-{index[u]:012x}" for u in lost}
            killed_at = time.time()
            t0 = time.monotonic()
            victim.stop(signal.SIGKILL)
            for u in lost:
                sim.inject(index[u], ids[u])
            acquired, deleted = {}, {}
            deadline = t0 + 3 * lease + 10 * interval + 10
            while (len(acquired) < len(lost) or len(deleted) < len(lost)) and time.monotonic() < deadline:
                survivor.check()
                for u, at in survivor.acquired().items():
                    if u in index and at >= killed_at - 0.001:
                        acquired.setdefault(u, at - killed_at)
                for u in lost:
                    if u not in deleted and ids[u] in sim.cancelled(index[u]):
                        deleted[u] = time.monotonic() - t0
                time.sleep(0.05)
            time.sleep(1)  # a second DELETE would have come by now
            dup = sum(sim.cancelled(index[u]).count(ids[u]) > 1 for u in lost)
            twice += dup
            survivor.stop()
            if len(acquired) < len(lost) or len(deleted) < len(lost):
                print(f"  {run + 1}: {victim.name} killed; NOT taken over within {deadline - t0:.0f}s: "
                      f"acquired {sorted(acquired)}, deleted {sorted(deleted)} of {lost}")
                acquired_all.append(float("inf"))
                deleted_all.append(float("inf"))
                continue
            acquired_all.append(max(acquired.values()))
            first_acquired.append(min(acquired.values()))
            deleted_all.append(max(deleted.values()))
            print(f"  {run + 1}: split after {joined:.1f}s; {victim.name} killed owning {len(lost)} of 6: "
                  f"acquired {min(acquired.values()):.2f}..{max(acquired.values()):.2f}s, "
                  f"offenders DELETEd {min(deleted.values()):.2f}..{max(deleted.values()):.2f}s after the kill"
                  + (f"; {dup} offenders DELETEd twice" if dup else ""))
        goal = lease + interval
        print(f"  kill -9 to the survivor's last 'acquired' record: median {statistics.median(acquired_all):.2f}s, "
              f"max {max(acquired_all):.2f}s, min {min(acquired_all):.2f}s over {len(acquired_all)} runs "
              f"(first 'acquired' of a run: median {statistics.median(first_acquired):.2f}s)")
        print(f"  kill -9 to the last offender DELETEd (first poll of the unit by the survivor + the cancel): "
              f"median {statistics.median(deleted_all):.2f}s, max {max(deleted_all):.2f}s "
              f"(goal: <= lease_ttl + poll_interval = {goal:g}s); offenders DELETEd twice: {twice}")
    finally:
        for r in replicas:
            r.stop(signal.SIGKILL)
        sim.close()
        etcd.close()
        if replicas:
            print_log_summary(replicas)


def load(args, work):
    for count in args.units:
        etcd = Etcd(work)
        sim = Sim(args.sim, count)
        units = [f"endpoint.i{k}" for k in range(1, count + 1)]
        names = [f"replica-{k}" for k in range(1, args.replicas + 1)]
        replicas = []
        try:
            replicas = [Replica(args, work, etcd, sim, "load", n, "10s", "1s") for n in names]
            joined = wait_for_owners(etcd, "load", replicas, units)
            time.sleep(args.warm_up)
            before, start = etcd.requests(), time.monotonic()
            while time.monotonic() - start < args.minutes * 60:
                time.sleep(1)
                for r in replicas:
                    r.check()
            after, window = etcd.requests(), time.monotonic() - start
            moved = etcd.owners("load") != expected_owners(units, names)
            diff = {m: after.get(m, 0) - before.get(m, 0) for m in after}
            per = {m: n * 60 / window / args.replicas for m, n in diff.items() if n}
            total = sum(per.values())
            print(f"  {count} units, {args.replicas} replicas (lease_ttl 10s), split after {joined:.1f}s, "
                  f"{window:.0f}s measured after a {args.warm_up:g}s warm-up: "
                  f"{sum(diff.values())} requests at etcd = {total:.1f} per replica per minute"
                  + ("; UNITS MOVED in the window" if moved else ""))
            print("    per replica per minute by gRPC method: " +
                  ", ".join(f"{m} {v:.1f}" for m, v in sorted(per.items(), key=lambda kv: -kv[1])))
        finally:
            for r in replicas:
                r.stop()
            sim.close()
            etcd.close()
            if replicas:
                print_log_summary(replicas)


def share_mode(args, work):
    count = 60
    units = [f"endpoint.i{k}" for k in range(1, count + 1)]
    even = count / 3
    etcd = Etcd(work)
    sim = Sim(args.sim, count)
    rng = random.Random(args.seed)
    name_sets = [["watchdog-1", "watchdog-2", "watchdog-3"]]
    while len(name_sets) < args.name_sets:
        subnet = rng.randint(0, 255)
        name_sets.append([f"ip-10-0-{subnet}-{rng.randint(2, 254)}" for _ in range(3)])
    ratios = []
    try:
        for n, names in enumerate(name_sets):
            group = f"share-{n + 1}"
            replicas = [Replica(args, work, etcd, sim, group, name, "10s", "1s") for name in names]
            try:
                joined = wait_for_owners(etcd, group, replicas, units)
                counts = share(etcd.owners(group), names)
                time.sleep(1)
                metric = {r.name: r.owned() for r in replicas}
            finally:
                for r in replicas:
                    r.stop()
            ratio = max(counts.values()) / even
            ratios.append(ratio)
            agree = "" if metric == counts else f"; the replicas' own gauges say {metric}"
            print(f"  {', '.join(names)}: own {', '.join(str(counts[m]) for m in names)} of {count} "
                  f"(split after {joined:.1f}s, as computed) max/even {ratio:.2f}{agree}")
        print(f"  {len(ratios)} name sets run with the daemon: max/even median {statistics.median(ratios):.2f}, "
              f"worst {max(ratios):.2f} (goal <= 1.3); {sum(r > 1.3 for r in ratios)} over 1.3")
        computed = []
        for _ in range(args.computed_sets):
            names = [f"replica-{rng.getrandbits(32):08x}" for _ in range(3)]
            computed.append(max(share(expected_owners(units, names), names).values()) / even)
        if computed:
            print(f"  {len(computed)} random name triples, computed: max/even median {statistics.median(computed):.2f}, "
                  f"p90 {percentile(computed, 90):.2f}, worst {max(computed):.2f}; "
                  f"{sum(r > 1.3 for r in computed)} over 1.3 ({100 * sum(r > 1.3 for r in computed) / len(computed):.1f}%)")
    finally:
        sim.close()
        etcd.close()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("mode", choices=["takeover", "load", "share"])
    parser.add_argument("--watchdog", required=True)
    parser.add_argument("--sim", required=True)
    parser.add_argument("--runs", type=int, default=20, help="takeover: kills")
    parser.add_argument("--lease-ttl", default="10s", help="takeover: the replicas' lease_ttl")
    parser.add_argument("--poll-interval", default="1s", help="takeover: the replicas' poll_interval")
    parser.add_argument("--replicas", type=int, default=3, help="load: replicas")
    parser.add_argument("--units", type=int, nargs="+", default=[6, 60], help="load: units (instances)")
    parser.add_argument("--minutes", type=float, default=2, help="load: the measured window")
    parser.add_argument("--warm-up", type=float, default=10, help="load: seconds after the split")
    parser.add_argument("--name-sets", type=int, default=10, help="share: replica name triples run")
    parser.add_argument("--computed-sets", type=int, default=1000, help="share: name triples computed")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    if not os.access(ETCD, os.X_OK):
        print(f"{ETCD} is missing: install Debian's etcd-server (scripts/setup)", file=sys.stderr)
        return 1
    load_avg = " ".join(open("/proc/loadavg").read().split()[:3])
    if args.mode == "takeover":
        print(f"takeover: {args.runs} runs, 2 replicas over 6 instances, lease_ttl {args.lease_ttl}, "
              f"poll_interval {args.poll_interval}, load {load_avg}")
    elif args.mode == "load":
        print(f"load: {args.replicas} replicas, units {args.units}, {args.minutes:g} minutes each, load {load_avg}")
    else:
        print(f"share: 60 instances, 3 replicas, {args.name_sets} name sets, load {load_avg}")
    with tempfile.TemporaryDirectory() as work:
        {"takeover": takeover, "load": load, "share": share_mode}[args.mode](args, work)
    print(f"  load at the end {' '.join(open('/proc/loadavg').read().split()[:3])}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
