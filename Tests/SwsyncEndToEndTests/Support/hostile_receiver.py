#!/usr/bin/env python3
"""A hostile client of `swsync --server --sender`: it starts the server itself on SRC (no ssh), reads the
file list it offers, then asks for a file the list never offered, and reports what the server did.

    hostile_receiver.py SWSYNC SRC SCENARIO

Scenarios (the index asked for):
  directory     index 0, the root "." entry: listed, but not a regular file
  out-of-range  an index far past the end of the list
  valid         the first regular file (the control case: the server answers it)
  released      the first regular file, after a `release` of every file listed (the peer's word that it
                would never ask for them again)
  release-ahead no request: a `release` of files beyond those listed
  release-valid the first regular file, after a `release` of every file listed that keeps it (the control)

Prints one line per fact, which the end-to-end test reads:
  exit N            the server's exit status
  listed N          how many entries the file list had
  delta-frames N    how many delta frames came for the index asked for
  bytes <hex>       the delta payloads (hex) that came, so the test can look for a file's content
  abort TEXT        the server's abort message, when it sent one
"""

import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hostile_peer as wire  # noqa: E402  (the frame, varint and hello helpers)


def main() -> int:
    swsync, source, scenario = sys.argv[1], sys.argv[2], sys.argv[3]
    server = subprocess.Popen([swsync, "--server", "--sender", "-a", ".", source], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    peer = wire.Peer()
    peer.out = server.stdin
    peer.input = server.stdout
    releases = scenario.startswith("release")
    server.stdin.write(wire.hello(wire.CAPABILITIES | (wire.FILE_RELEASE_CAPABILITY if releases else 0)))
    server.stdin.flush()
    deadline = time.monotonic() + 20
    head = peer.read_exactly(10, deadline)
    if head is None or head[:8] != wire.MAGIC:
        print("no server hello")
        return 1
    peer.read_exactly(int.from_bytes(head[8:10], "little"), deadline)
    listed = 0
    first_regular = None
    while True:
        got = peer.read_frame(deadline)
        if got is None:
            print("file list cut short")
            break
        kind, payload = got
        if kind == wire.FILE_LIST_CHUNK:
            _, index = wire.read_varint(payload, 0)  # directory index
            count, _ = wire.read_varint(payload, index + 1)  # after the chunk flags
            # Entries are not parsed beyond the count: the root chunk's second entry is the first file here.
            if first_regular is None and count > 1:
                first_regular = listed + 1
            listed += count
        elif kind == wire.FILE_LIST_DONE:
            break
    print(f"listed {listed}")
    wanted = {"directory": 0, "out-of-range": listed + 1_000_000, "valid": first_regular or 1,
              "released": first_regular or 1, "release-ahead": first_regular or 1,
              "release-valid": first_regular or 1}[scenario]
    if releases:
        below = listed + 5 if scenario == "release-ahead" else listed
        kept = [wanted] if scenario == "release-valid" else []
        server.stdin.write(wire.frame(wire.RELEASE, wire.varint(below) + wire.varint(len(kept))
                                      + b"".join(wire.varint(k) for k in kept)))
    if scenario != "release-ahead":
        server.stdin.write(wire.frame(wire.REQUEST, wire.varint(wanted) + wire.varint(0)))
    server.stdin.flush()
    deltas, data = 0, bytearray()
    deadline = time.monotonic() + 20
    while True:
        got = peer.read_frame(deadline)
        if got is None:
            break
        kind, payload = got
        if kind == wire.DELTA:
            index, at = wire.read_varint(payload, 0)
            if index == wanted:
                deltas += 1
                data += payload[at:]
        if kind == wire.FILE_END and scenario in ("valid", "release-valid"):
            break  # the control has its answer; the client just goes
        if kind == wire.ABORT:
            print(f"abort {payload.decode(errors='replace')}")
        if kind in (wire.ABORT, wire.GOODBYE):
            if kind == wire.GOODBYE:
                server.stdin.write(wire.frame(wire.GOODBYE, wire.varint(0)))
                server.stdin.flush()
            break
    try:
        server.stdin.close()
    except OSError:
        pass
    status = server.wait(timeout=20)
    print(f"exit {status}")
    print(f"delta-frames {deltas}")
    print(f"bytes {data.hex()}")
    sys.stderr.write(server.stderr.read().decode(errors="replace"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
