#!/usr/bin/env python3
"""The time of `neptune-watchdog --digest` on one million audit records (docs/PERFORMANCE.md,
"Digest"): python3 bench/digest.py [--records N] [--runs N] [--dir DIR] [--keep] BINARY.

Writes an audit file as the daemon writes it: decision records of a few hundred query shapes
(each with its `fingerprint`) over a week, on a dozen endpoints, with the daemon's mix of
outcomes (every cancel a `sending` record and its outcome record, dry-run and logged decisions,
queries that ended first, failed and given-up cancels, exhausted budgets), and topology events
among them. Then times the whole --digest process, median of RUNS runs, on three inputs with the
same records: the plain file, the file gzip-compressed, and a rotated set (audit.jsonl,
audit.jsonl.1, audit.jsonl.2.gz). With --dir DIR --reuse, the files a previous run left in DIR
are timed again without being written anew. Prints one Markdown row per input (wall and CPU medians,
records per second) and the size of each input."""
import argparse
import gzip
import json
import os
import random
import shutil
import statistics
import tempfile
import time

SHAPES = 300
ENDPOINTS = ["writer", "reader-1", "reader-2", "reader-3"] + [
    f"prod/db-instance-{i}" for i in range(1, 9)]
RULES = ["long-reads", "scans", "writes-at-night", "max-running", "dashboards", "observe"]
CYPHER = [
    "MATCH (p:Person {{id: {n}}})-[:KNOWS*1..{d}]->(f) RETURN count(f)",
    "MATCH (a:Account)-[t:TRANSFER]->(b) WHERE t.amount > {n} RETURN a.id, sum(t.amount)",
    "MATCH (n:Product) WHERE n.name CONTAINS 'item-{n}' RETURN n ORDER BY n.price LIMIT {d}",
    "MATCH (u:User {{email: 'user{n}@example.com'}}) OPTIONAL MATCH (u)-[:OWNS]->(d) RETURN u, d",
]
GREMLIN = [
    "g.V().has('person','id',{n}).repeat(out('knows')).times({d}).dedup().count()",
    "g.V().hasLabel('order').has('total', gt({n})).order().by('total', desc).limit({d})",
]
SPARQL = [
    "SELECT ?s ?o WHERE {{ ?s <http://example.com/p{d}> ?o . FILTER(?o > {n}) }} LIMIT 100",
]
# (outcome, weight): a cancel is written twice, `sending` first.
OUTCOMES = [("cancelled", 30), ("dry_run", 8), ("logged", 12), ("not_found", 3),
            ("failed", 1), ("given_up", 1), ("budget_exhausted", 2)]


def shapes(rng):
    out = []
    for i in range(SHAPES):
        language, templates = rng.choice(
            [("opencypher", CYPHER)] * 5 + [("gremlin", GREMLIN)] * 2 + [("sparql", SPARQL)])
        out.append({
            "fingerprint": f"{rng.getrandbits(64):016x}",
            "language": language,
            "template": rng.choice(templates),
            "depth": 1 + i % 7,
            # A few shapes do most of the damage, as in life.
            "weight": 1.0 / (1 + i) ** 1.1,
            "endpoints": rng.sample(ENDPOINTS, rng.choice([1, 1, 2, 3, 6])),
            "rule": rng.choice(RULES),
        })
    return out


def write_audit(path, records, rng):
    population = shapes(rng)
    weights = [s["weight"] for s in population]
    outcomes, outcome_weights = zip(*OUTCOMES)
    start = 1796083200.0  # 2026-12-01T00:00:00Z
    step = 7 * 86400.0 / records
    written = 0
    seq = 0
    with open(path, "w", encoding="utf-8") as out:
        while written < records:
            t = start + written * step
            stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t)) + f".{int(t * 1000) % 1000:03d}Z"
            if written % 5000 == 4999:
                out.write(json.dumps({
                    "time": stamp, "event": "topology", "cluster": "prod",
                    "instance": "db-instance-9", "endpoint": "prod/db-instance-9",
                    "change": "status", "detail": "available -> rebooting",
                    "config_version": "5e2c0a9f41b7", "mode": "service"},
                    separators=(",", ":")) + "\n")
                written += 1
                continue
            shape = rng.choices(population, weights)[0]
            outcome = rng.choices(outcomes, outcome_weights)[0]
            seq += 1
            elapsed = rng.randint(30000, 900000)
            record = {
                "time": stamp, "endpoint": rng.choice(shape["endpoints"]),
                "language": shape["language"], "query_id": f"{rng.getrandbits(128):032x}",
                "rule": shape["rule"], "elapsed_ms": elapsed, "waited_ms": rng.randint(0, 50),
                "action": "log" if outcome == "logged" else "cancel", "silent": False,
                "dry_run": outcome == "dry_run", "outcome": outcome,
                "attempts": 1 if outcome in ("cancelled", "not_found", "failed") else 0,
                "query": shape["template"].format(n=rng.randint(1, 10**6), d=shape["depth"]),
                "reason": f"elapsed {elapsed}ms > max_elapsed 30000ms",
            }
            if outcome == "failed":
                record["error"] = "TimeLimitExceededException: cancel not answered in time"
            record["config_version"] = "5e2c0a9f41b7"
            record["mode"] = "service"
            sends = outcome in ("cancelled", "not_found", "failed")
            if sends:
                record["record_id"] = f"3f9c0a7e-{seq}"
            record["fingerprint"] = shape["fingerprint"]
            if sends and written + 1 < records:
                first = dict(record, outcome="sending", attempts=0)
                out.write(json.dumps(first, separators=(",", ":")) + "\n")
                written += 1
            out.write(json.dumps(record, separators=(",", ":")) + "\n")
            written += 1


def write_inputs(plain, rotated, records):
    began = time.perf_counter()
    write_audit(plain, records, random.Random(7))
    with open(plain, "rb") as src, gzip.open(plain + ".gz", "wb", compresslevel=6) as dst:
        shutil.copyfileobj(src, dst, 1 << 20)
    # The same records as logrotate leaves them: the newest file, .1, and a compressed .2.gz.
    os.makedirs(rotated, exist_ok=True)
    with open(plain, "rb") as src:
        lines = src.readlines()
    third = len(lines) // 3
    with gzip.open(os.path.join(rotated, "audit.jsonl.2.gz"), "wb", compresslevel=6) as f:
        f.writelines(lines[:third])
    with open(os.path.join(rotated, "audit.jsonl.1"), "wb") as f:
        f.writelines(lines[third:2 * third])
    with open(os.path.join(rotated, "audit.jsonl"), "wb") as f:
        f.writelines(lines[2 * third:])
    del lines
    print(f"wrote {records:,} records in {time.perf_counter() - began:.1f} s to {os.path.dirname(plain)}")


def timed(argv, runs):
    devnull = os.open(os.devnull, os.O_WRONLY)
    actions = [(os.POSIX_SPAWN_DUP2, devnull, 1), (os.POSIX_SPAWN_DUP2, devnull, 2)]
    walls, cpus = [], []
    for _ in range(runs):
        start = time.perf_counter()
        pid = os.posix_spawn(argv[0], argv, os.environ, file_actions=actions)
        _, status, usage = os.wait4(pid, 0)
        walls.append(time.perf_counter() - start)
        cpus.append(usage.ru_utime + usage.ru_stime)
        if os.waitstatus_to_exitcode(status) != 0:
            raise SystemExit(f"{' '.join(argv)} exited {os.waitstatus_to_exitcode(status)}")
    return statistics.median(walls), statistics.median(cpus)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("binary")
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--dir", help="where to write the audit files (default: a temporary one)")
    parser.add_argument("--keep", action="store_true", help="keep the audit files")
    parser.add_argument("--reuse", action="store_true",
                        help="time the files an earlier run left in --dir instead of writing them")
    args = parser.parse_args()
    work = args.dir or tempfile.mkdtemp(prefix="nw-digest-bench-")
    os.makedirs(work, exist_ok=True)
    plain = os.path.join(work, "audit.jsonl")
    rotated = os.path.join(work, "rotated")
    if not (args.reuse and os.path.exists(plain + ".gz")):
        write_inputs(plain, rotated, args.records)
    inputs = [
        ("plain", [plain]),
        ("gzip", [plain + ".gz"]),
        ("rotated (3 files, 1 gzip)", [os.path.join(rotated, n) for n in
                                       ("audit.jsonl", "audit.jsonl.1", "audit.jsonl.2.gz")]),
    ]
    print(f"| input | size | wall, median of {args.runs} | CPU, median of {args.runs} | records/s |")
    print("|---|---:|---:|---:|---:|")
    for name, files in inputs:
        size = sum(os.path.getsize(f) for f in files)
        wall, cpu = timed([args.binary, "--digest", *files], args.runs)
        print(f"| {name} | {size / 1e6:.0f} MB | {wall:.2f} s | {cpu:.2f} s | "
              f"{args.records / wall / 1e6:.2f} M |")
    if not args.keep and not args.dir:
        shutil.rmtree(work)


if __name__ == "__main__":
    main()
