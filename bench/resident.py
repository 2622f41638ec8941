#!/usr/bin/env python3
"""Where the daemon's resident memory is: /proc/PID/smaps summed per mapped file, and how much of
the online program's .text is resident (/proc/PID/pagemap, page by page).

Runs the footprint benchmark's daemon (bench/footprint.py's configuration, one endpoint) for
--seconds and then reads the running process. The figures of docs/PERFORMANCE.md, "Resident
code", come from here: the resident kB per file before and after libsystemd went, and the
resident share of the executable's text before and after the code it runs was laid out
together (src/online_text.order).

Usage: bench/resident.py [--watchdog BUILD/neptune-watchdog] [--sim BUILD/neptune-sim] [--seconds 40]
Standard library and readelf (binutils) only."""
import argparse
import collections
import os
import re
import struct
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from footprint import free_port, start_sim, stop, write_config  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def resident_per_file(pid):
    """kB resident and private dirty per mapped file ("[anon]" etc. for the rest)."""
    rss, dirty, name = collections.Counter(), collections.Counter(), None
    with open(f"/proc/{pid}/smaps") as f:
        for line in f:
            fields = line.split()
            if re.match(r"^[0-9a-f]+-[0-9a-f]+ ", line):
                name = fields[5] if len(fields) > 5 else "[anon]"
            elif fields[0] == "Rss:":
                rss[name] += int(fields[1])
            elif fields[0] == "Private_Dirty:":
                dirty[name] += int(fields[1])
    return rss, dirty


def resident_text_kb(pid, program):
    """(resident kB, size kB) of `program`'s .text in process `pid`."""
    headers = subprocess.run(["readelf", "-SW", program], capture_output=True, text=True,
                             check=True).stdout
    m = re.search(r"\.text\s+PROGBITS\s+[0-9a-f]+\s+([0-9a-f]+)\s+([0-9a-f]+)", headers)
    text_start, text_size = int(m.group(1), 16), int(m.group(2), 16)
    program = os.path.realpath(program)
    resident = 0
    with open(f"/proc/{pid}/maps") as maps, open(f"/proc/{pid}/pagemap", "rb") as pagemap:
        for line in maps:
            fields = line.split()
            if len(fields) < 6 or os.path.realpath(fields[5]) != program:
                continue
            begin, end = (int(x, 16) for x in fields[0].split("-"))
            offset = int(fields[2], 16)
            for page in range(begin, end, 4096):
                file_offset = offset + page - begin
                if not text_start <= file_offset < text_start + text_size:
                    continue
                pagemap.seek(page // 4096 * 8)
                if struct.unpack("Q", pagemap.read(8))[0] >> 63:  # present
                    resident += 4
    return resident, text_size // 1024


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--watchdog", default=os.path.join(ROOT, "build/neptune-watchdog"))
    parser.add_argument("--sim", default=os.path.join(ROOT, "build/neptune-sim"))
    parser.add_argument("--seconds", type=float, default=40)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as work:
        sim, urls = start_sim(args.sim, 1, 0.5)
        try:
            config = write_config(work, urls, "5s", "opencypher", free_port())
            with open(os.path.join(work, "watchdog.log"), "w") as log:
                watchdog = subprocess.Popen([args.watchdog, "--config", config],
                                            stdout=subprocess.DEVNULL, stderr=log)
            try:
                time.sleep(args.seconds)
                # The launcher executed the online program in place: the same process.
                program = os.readlink(f"/proc/{watchdog.pid}/exe")
                rss, dirty = resident_per_file(watchdog.pid)
                text = resident_text_kb(watchdog.pid, program)
            finally:
                stop(watchdog, 30)
        finally:
            stop(sim, 60)

    print(f"resident after {args.seconds:g}s at one endpoint: {sum(rss.values())} kB "
          f"({sum(dirty.values())} kB private dirty)")
    for name, kb in rss.most_common(16):
        print(f"  {kb:6d} kB  (dirty {dirty[name]:5d})  {os.path.basename(name)}")
    print(f"{program} .text: {text[0]} of {text[1]} kB resident")
    return 0


if __name__ == "__main__":
    sys.exit(main())
