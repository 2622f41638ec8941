#!/usr/bin/env python3
"""One cycle of bench/cycle_baseline.py as a whole process, to compare with the whole
`neptune-watchdog --test-matching` process: python3 bench/cycle_once.py RULES.ini STATUS.json
(start-up, imports, rule compilation, json.loads and every rule's regexes per query)."""
import sys

from cycle_baseline import cycle, load_rules

if __name__ == "__main__":
    with open(sys.argv[2]) as f:
        print(cycle(f.read(), load_rules(sys.argv[1])))
