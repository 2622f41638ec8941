#!/usr/bin/env python3
"""The median wall-clock and CPU (user + system) time of a whole process, over repeated runs:
python3 bench/process_time.py RUNS COMMAND [ARGS...]. Its output goes to /dev/null; each run
is started with posix_spawn and reaped with wait4, whose resource usage gives the CPU time.
Used by docs/PERFORMANCE.md ("Start-up and a whole --test-matching run")."""
import os
import statistics
import sys
import time


def main():
    runs, argv = int(sys.argv[1]), sys.argv[2:]
    devnull = os.open(os.devnull, os.O_WRONLY)
    actions = [(os.POSIX_SPAWN_DUP2, devnull, 1)]
    walls, cpus = [], []
    for _ in range(runs):
        start = time.perf_counter()
        pid = os.posix_spawnp(argv[0], argv, os.environ, file_actions=actions)
        _, status, usage = os.wait4(pid, 0)
        walls.append((time.perf_counter() - start) * 1000)
        cpus.append((usage.ru_utime + usage.ru_stime) * 1000)
        if os.waitstatus_to_exitcode(status) != 0:
            sys.exit(f"{argv[0]} exited {os.waitstatus_to_exitcode(status)}")
    print(f"median of {runs}: wall {statistics.median(walls):.2f} ms, "
          f"cpu {statistics.median(cpus):.2f} ms")


if __name__ == "__main__":
    main()
