#!/usr/bin/env python3
"""The baseline a user would otherwise write as a cron job: json.loads of the status body, then
every rule's regexes searched in every query's text (first match decides, as in the watchdog).
Reads the bodies and rules that `cycle_bench --write-bodies DIR` wrote, so both sides do the
same work. Prints the median CPU time of several runs in milliseconds (as the C++ side reports)."""
import configparser
import json
import re
import statistics
import sys
import time


def load_rules(path):
    parser = configparser.ConfigParser(interpolation=None)
    parser.read(path)
    rules = []
    for section in parser.sections():
        if not section.startswith("rule."):
            continue
        s = parser[section]
        rules.append((
            re.compile(s["query_matches"]) if "query_matches" in s else None,
            re.compile(s["query_excludes"]) if "query_excludes" in s else None,
            int(s["max_elapsed"].rstrip("s")) * 1000,
            int(s["max_waited"].rstrip("s")) * 1000,
        ))
    return rules


def cycle(body, rules):
    decisions = 0
    for q in json.loads(body)["queries"]:
        text, stats = q.get("queryString", ""), q.get("queryEvalStats", {})
        for matches, excludes, max_elapsed, max_waited in rules:
            if matches and not matches.search(text):
                continue
            if excludes and excludes.search(text):
                continue
            elapsed, waited = stats.get("elapsed", 0), stats.get("waited", 0)
            if (elapsed == 0 and waited > max_waited) or elapsed > max_elapsed:
                decisions += 1
            break
    return decisions


def main(directory, runs=7):
    for queries in (10, 1000, 8192):
        with open(f"{directory}/status-{queries}.json") as f:
            body = f.read()
        for nrules in (1, 20, 100):
            rules = load_rules(f"{directory}/rules-{nrules}.ini")
            times = []
            for _ in range(runs):
                start = time.process_time()
                cycle(body, rules)
                times.append((time.process_time() - start) * 1000)
            print(f"python {queries} {nrules} {statistics.median(times):.3f}")


if __name__ == "__main__":
    main(sys.argv[1])
