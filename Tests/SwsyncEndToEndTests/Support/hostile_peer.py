#!/usr/bin/env python3
"""A hostile `swsync --server --sender`: speaks Docs/protocol.md on stdin/stdout and sends what a correct sender
never would, so the end-to-end tests can check that the receiving swsync refuses it.

Run it as the remote shell of a pull, so that it stands where ssh and the remote swsync would:

    swsync -a -e 'python3 hostile_peer.py SCENARIO [--peer-outside=DIR] [--peer-log=FILE]' host:src/ dst/

swsync appends the host and the remote command line (`swsync --server --sender ...`); everything after the
`--peer-*` options is ignored. Scenarios:

  valid           a correct sender of one directory with one file (hello.txt): the control case
  redo            like valid, but the first answer for hello.txt has a wrong digest (the receiver asks again)
  idnames         like valid, but hello.txt belongs to uid 4242 / gid 4343, which an idNames message names
                  "nobody" / "nogroup" (a well-behaved sender mapping owners by name, not hostile)
  dotdot          a root-chunk entry "../evil"
  absolute        a root-chunk entry named by the absolute path DIR/evil (--peer-outside)
  symlink-dir     "link" -> DIR (a symlink) in the root chunk, then a chunk listing "link" as a directory, with "x"
  symlink-path    "link" -> DIR and a root-chunk file "link/x" (the protocol allows multi-component root names;
                  the receiver must not write through the link)
  oversize        a frame header whose length is one more than the payload limit the client's hello announced
                  (the payload never follows)
  oversize-count  a file-list chunk announcing 10^12 entries
  nul             an entry of the chunk of directory "sub" whose name holds a NUL byte
  garbage         a login banner on stdout before the hello
  stalled-frame   the root chunk, then a frame header announcing 100000 bytes of which one comes; keepalives
                  every half second after it (they vanish into that payload): bytes keep arriving, no frame
                  ever completes (--timeout must still fire)
  keepalive-only  a correct file list, then keepalives every half second and never the data asked for
                  (--timeout counts progress, not keepalives)

After its hostile message the peer keeps the connection open, reading stdin until the client closes it (or
30 s pass), so a receiver that waits for more instead of refusing at once shows up as a slow run. With
--peer-log it writes what it did, one line each ("sent hostile: ..." marks the bad message).

The file data of `valid` (and of any file the client asks for) is a whole-file delta whose end record carries
the XXH3-128 of the data, computed with libxxhash through ctypes; without libxxhash the digest is zero and
the client must reject the file. Standard library only.
"""

import ctypes
import ctypes.util
import os
import select
import sys
import time

MAGIC = b"\x00SWSYNC\n"
VERSION = 1
CAPABILITIES = 0x7F  # zstd, zlib, xxh128, xxh3, xxh64, hard links, nanoseconds
MAX_FRAME = 256 * 1024
WINDOW = 64
LINGER_SECONDS = 30.0

# Message types (Docs/protocol.md, "Messages").
FILE_LIST_CHUNK = 0x01
FILE_LIST_DONE = 0x02
ID_NAMES = 0x03
REQUEST = 0x10
RELEASE = 0x17
FILE_RELEASE_CAPABILITY = 1 << 10
SIGNATURE = 0x11
DELTA = 0x12
FILE_END = 0x13
LOG = 0x20
ABORT = 0x21
DONE = 0x30
STATS = 0x31
GOODBYE = 0x32
KEEPALIVE = 0x3F

S_IFREG = 0o100000
S_IFDIR = 0o040000
S_IFLNK = 0o120000
MTIME = 1_234_567_890
PAYLOAD = b"EVIL\n"
VALID_DATA = b"hello from the peer\n" * 3

LOG_FILE = None


def log(line: str) -> None:
    if LOG_FILE is not None:
        LOG_FILE.write(line + "\n")
        LOG_FILE.flush()


# --- encoding -------------------------------------------------------------------------------------------------

def varint(value: int) -> bytes:
    out = bytearray()
    while value >= 0x80:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def zigzag(value: int) -> bytes:
    return varint(((value << 1) ^ (value >> 63)) & 0xFFFF_FFFF_FFFF_FFFF)


def frame(kind: int, payload: bytes, flags: int = 0) -> bytes:
    return bytes([kind, flags]) + len(payload).to_bytes(4, "little") + payload


def hello(capabilities: int = CAPABILITIES) -> bytes:
    body = varint(VERSION) + varint(VERSION) + varint(capabilities) + varint(MAX_FRAME) + varint(WINDOW)
    return MAGIC + len(body).to_bytes(2, "little") + body


# Chunk flag 0x04: the listing is a source directory's contents; entry flag 0x08: a directory whose own chunk
# follows (what swsync's sender sends: the root chunk holds "." and the top-level names).
CONTENT_DIRECTORY = 0x04
DESCENDS = 0x08


def entry(name: bytes, mode: int, size: int = 0, target: bytes = b"", flags: int = 0, uid=None, gid=None) -> dict:
    return {"name": name, "mode": mode, "size": size, "target": target, "flags": flags,
            "uid": os.getuid() if uid is None else uid, "gid": os.getgid() if gid is None else gid}


def chunk(directory_index, entries, count=None) -> bytes:
    """A fileListChunk payload; directory_index None is the root chunk. Names share no prefix (shared = 0)."""
    out = bytearray(varint(0 if directory_index is None else directory_index + 1))
    out.append(CONTENT_DIRECTORY)  # does not continue
    out += varint(len(entries) if count is None else count)
    for e in entries:
        out.append(e["flags"])  # no hard link, not implied, no nanoseconds
        out += varint(0) + varint(len(e["name"])) + e["name"]
        out += varint(e["mode"])
        kind = e["mode"] & 0o170000
        if kind == S_IFREG or kind == S_IFDIR:
            out += varint(e["size"])
        out += zigzag(MTIME)
        out += varint(e["uid"]) + varint(e["gid"])
        if kind == S_IFLNK:
            out += varint(len(e["target"])) + e["target"]
    return bytes(out)


class XXH128(ctypes.Structure):
    _fields_ = [("low64", ctypes.c_uint64), ("high64", ctypes.c_uint64)]


def xxh128(data: bytes) -> bytes:
    for name in ("libxxhash.so.0", ctypes.util.find_library("xxhash")):
        if not name:
            continue
        try:
            library = ctypes.CDLL(name)
        except OSError:
            continue
        function = library.XXH3_128bits
        function.restype = XXH128
        function.argtypes = [ctypes.c_char_p, ctypes.c_size_t]
        digest = function(data, len(data))
        return digest.low64.to_bytes(8, "little") + digest.high64.to_bytes(8, "little")
    log("no libxxhash: sending a zero digest")
    return bytes(16)


def whole_file_delta(data: bytes) -> bytes:
    """DeltaCodec: header (version 1, 'D', xxh128, empty basis in 700-byte blocks), literals, end record."""
    out = bytearray([1, 0x44, 1]) + varint(0) + varint(700)
    for start in range(0, len(data), 64 * 1024):
        piece = data[start:start + 64 * 1024]
        out += bytes([0x01]) + varint(len(piece)) + piece
    out += bytes([0x00]) + varint(len(data)) + bytes([16]) + xxh128(data)
    return bytes(out)


# --- I/O ------------------------------------------------------------------------------------------------------

class Peer:
    def __init__(self) -> None:
        self.out = sys.stdout.buffer
        self.input = sys.stdin.buffer.raw if hasattr(sys.stdin.buffer, "raw") else sys.stdin.buffer
        self.buffer = bytearray()
        self.eof = False
        self.client_max_frame = MAX_FRAME

    def send(self, data: bytes, what: str) -> None:
        try:
            self.out.write(data)
            self.out.flush()
        except (BrokenPipeError, OSError) as error:
            log(f"write failed ({what}): {error}")
            raise SystemExit(0)
        log(f"sent {what}")

    def fill(self, deadline: float) -> bool:
        """Reads what is there (waiting until `deadline`); False at EOF or when time is up."""
        if self.eof:
            return False
        left = deadline - time.monotonic()
        if left <= 0:
            return False
        readable, _, _ = select.select([self.input], [], [], left)
        if not readable:
            return False
        data = os.read(self.input.fileno(), 65536)
        if not data:
            self.eof = True
            log("client closed its end")
            return False
        self.buffer += data
        return True

    def read_exactly(self, count: int, deadline: float):
        while len(self.buffer) < count:
            if not self.fill(deadline):
                return None
        data = bytes(self.buffer[:count])
        del self.buffer[:count]
        return data

    def read_hello(self) -> None:
        deadline = time.monotonic() + 10
        head = self.read_exactly(10, deadline)
        if head is None or head[:8] != MAGIC:
            log(f"no client hello ({head!r})")
            return
        body = self.read_exactly(int.from_bytes(head[8:10], "little"), deadline)
        if body is None:
            log("client hello cut short")
            return
        fields, index = [], 0
        try:
            while index < len(body) and len(fields) < 5:
                value, index = read_varint(body, index)
                fields.append(value)
        except IndexError:
            log(f"client hello body cut inside a varint: {body!r}")
        if len(fields) >= 4:
            self.client_max_frame = fields[3]
        log(f"client hello: {fields}")

    def read_frame(self, deadline: float):
        head = self.read_exactly(6, deadline)
        if head is None:
            return None
        length = int.from_bytes(head[2:6], "little")
        payload = self.read_exactly(length, deadline)
        if payload is None:
            return None
        return head[0], payload

    def linger(self) -> None:
        """Keeps the connection open until the client closes it (or LINGER_SECONDS pass)."""
        deadline = time.monotonic() + LINGER_SECONDS
        while self.fill(deadline):
            self.buffer.clear()
        log("linger over" if not self.eof else "done lingering: client gone")

    def keep_alive(self, seconds: float) -> None:
        """Sends a keepalive frame every half second for `seconds` (or until the client goes), reading and
        dropping what the client sends."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            self.send(frame(KEEPALIVE, b""), "keepalive")
            tick = time.monotonic() + 0.5
            while time.monotonic() < tick:
                if not self.fill(tick):
                    if self.eof:
                        return
                    break
                self.buffer.clear()
        log("keepalives over")

    def serve(self, files: dict, corrupt_first: frozenset = frozenset()) -> None:
        """Answers requests (index -> data) until the client's `done`, then ends the run like a good sender.
        The first answer for an index in `corrupt_first` carries a wrong whole-file digest."""
        deadline = time.monotonic() + LINGER_SECONDS
        while True:
            got = self.read_frame(deadline)
            if got is None:
                log("no more frames from the client")
                return
            kind, payload = got
            if kind == REQUEST:
                index, at = read_varint(payload, 0)
                signature_length, _ = read_varint(payload, at)
                skipped = 0
                while skipped < signature_length:
                    piece = self.read_frame(deadline)
                    if piece is None:
                        return
                    skipped += len(payload_after_index(piece[1]))
                data = files.get(index, PAYLOAD)
                delta = whole_file_delta(data)
                if index in corrupt_first:
                    corrupt_first = corrupt_first - {index}
                    delta = delta[:-16] + bytes(16)
                    log(f"file {index}: wrong digest this time")
                self.send(frame(DELTA, varint(index) + delta), f"delta for file {index}")
                self.send(frame(FILE_END, varint(index) + b"\x00"), f"fileEnd {index}")
            elif kind in (DONE, GOODBYE):
                # The client ends its part with done, or with its stats and goodbye: either way, ours follow.
                log("client done" if kind == DONE else "client goodbye")
                self.send(frame(DONE, b""), "done")
                self.send(frame(STATS, varint(0)), "stats")
                self.send(frame(GOODBYE, varint(0)), "goodbye")
                while kind == DONE:
                    got = self.read_frame(deadline)
                    if got is None or got[0] == GOODBYE:
                        log("client goodbye" if got else "client gone")
                        return
            elif kind in (ABORT, LOG):
                log(f"client {'abort' if kind == ABORT else 'log'}: {payload!r}")
                if kind == ABORT:
                    return
            else:
                log(f"client frame type {kind:#x} ({len(payload)} bytes)")


def read_varint(data: bytes, index: int):
    value, shift = 0, 0
    while True:
        byte = data[index]
        index += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if byte < 0x80:
            return value, index


def payload_after_index(payload: bytes) -> bytes:
    return payload[read_varint(payload, 0)[1]:]


# --- scenarios ------------------------------------------------------------------------------------------------

ROOT = entry(b".", S_IFDIR | 0o755)


def run(scenario: str, outside: str) -> int:
    peer = Peer()
    outside_bytes = os.fsencode(outside)
    if scenario == "garbage":
        peer.send(b"Welcome to the hostile host! Last login: never\r\n", "hostile: banner before the hello")
        peer.send(hello(), "hello")
        peer.linger()
        return 0

    peer.send(hello(), "hello")
    peer.read_hello()

    if scenario == "idnames":
        names = bytearray(varint(2))
        for kind, ident, name in ((0, 4242, b"nobody"), (1, 4343, b"nogroup")):
            names += bytes([kind]) + varint(ident) + varint(len(name)) + name
        peer.send(frame(ID_NAMES, bytes(names)), "idNames: 4242 nobody, 4343 nogroup")
        peer.send(frame(FILE_LIST_CHUNK, chunk(None, [ROOT, entry(b"hello.txt", S_IFREG | 0o644, len(VALID_DATA),
                                                                  uid=4242, gid=4343)])), "root chunk")
        peer.send(frame(FILE_LIST_DONE, b"\x00"), "fileListDone")
        peer.serve({1: VALID_DATA})
        return 0
    if scenario == "redo":
        peer.send(frame(FILE_LIST_CHUNK, chunk(None, [ROOT, entry(b"hello.txt", S_IFREG | 0o644, len(VALID_DATA))])),
                  "root chunk")
        peer.send(frame(FILE_LIST_DONE, b"\x00"), "fileListDone")
        peer.serve({1: VALID_DATA}, corrupt_first=frozenset({1}))
        return 0
    if scenario == "valid":
        peer.send(frame(FILE_LIST_CHUNK, chunk(None, [ROOT, entry(b"hello.txt", S_IFREG | 0o644, len(VALID_DATA))])),
                  "root chunk")
        peer.send(frame(FILE_LIST_DONE, b"\x00"), "fileListDone")
        peer.serve({1: VALID_DATA})
        return 0
    if scenario == "dotdot":
        peer.send(frame(FILE_LIST_CHUNK, chunk(None, [ROOT, entry(b"../evil", S_IFREG | 0o644, len(PAYLOAD))])),
                  "hostile: root chunk naming ../evil")
    elif scenario == "absolute":
        name = outside_bytes + b"/evil"
        peer.send(frame(FILE_LIST_CHUNK, chunk(None, [ROOT, entry(name, S_IFREG | 0o644, len(PAYLOAD))])),
                  f"hostile: root chunk naming {outside}/evil")
    elif scenario == "symlink-dir":
        peer.send(frame(FILE_LIST_CHUNK, chunk(None, [ROOT, entry(b"link", S_IFLNK | 0o777, target=outside_bytes)])),
                  "root chunk: link -> outside")
        peer.send(frame(FILE_LIST_CHUNK, chunk(1, [entry(b"x", S_IFREG | 0o644, len(PAYLOAD))])),
                  "hostile: chunk listing the symlink as a directory")
        peer.send(frame(FILE_LIST_DONE, b"\x00"), "fileListDone")
        peer.serve({})
        peer.linger()
        return 0
    elif scenario == "symlink-path":
        entries = [ROOT, entry(b"link", S_IFLNK | 0o777, target=outside_bytes),
                   entry(b"link/x", S_IFREG | 0o644, len(PAYLOAD))]
        peer.send(frame(FILE_LIST_CHUNK, chunk(None, entries)), "hostile: root chunk with link -> outside and link/x")
        peer.send(frame(FILE_LIST_DONE, b"\x00"), "fileListDone")
        peer.serve({})
        peer.linger()
        return 0
    elif scenario == "oversize":
        length = peer.client_max_frame + 1
        peer.send(bytes([FILE_LIST_CHUNK, 0]) + length.to_bytes(4, "little") + b"\x00\x00\x01",
                  f"hostile: frame header announcing {length} bytes (client limit {peer.client_max_frame})")
    elif scenario == "oversize-count":
        payload = varint(0) + b"\x00" + varint(10**12) + chunk(None, [ROOT])[3:]
        peer.send(frame(FILE_LIST_CHUNK, payload), "hostile: root chunk announcing 10^12 entries")
    elif scenario == "stalled-frame":
        peer.send(frame(FILE_LIST_CHUNK, chunk(None, [ROOT, entry(b"hello.txt", S_IFREG | 0o644, len(VALID_DATA))])),
                  "root chunk")
        peer.send(bytes([FILE_LIST_DONE, 0]) + (100000).to_bytes(4, "little") + b"\x00",
                  "hostile: a fileListDone frame announcing 100000 bytes, of which 1 comes")
        peer.keep_alive(60)
        return 0
    elif scenario == "keepalive-only":
        peer.send(frame(FILE_LIST_CHUNK, chunk(None, [ROOT, entry(b"hello.txt", S_IFREG | 0o644, len(VALID_DATA))])),
                  "root chunk")
        peer.send(frame(FILE_LIST_DONE, b"\x00"), "fileListDone")
        log("sent hostile: keepalives from now on, never the data")
        peer.keep_alive(60)
        return 0
    elif scenario == "nul":
        peer.send(frame(FILE_LIST_CHUNK, chunk(None, [ROOT, entry(b"sub", S_IFDIR | 0o755, flags=DESCENDS)])),
                  "root chunk")
        peer.send(frame(FILE_LIST_CHUNK, chunk(1, [entry(b"ev\x00il", S_IFREG | 0o644, len(PAYLOAD))])),
                  "hostile: chunk of sub with a NUL in a name")
    else:
        print(f"hostile_peer.py: unknown scenario {scenario!r}", file=sys.stderr)
        return 2
    peer.linger()
    return 0


def main() -> int:
    global LOG_FILE
    args = sys.argv[1:]
    if not args:
        print(__doc__, file=sys.stderr)
        return 2
    scenario, outside = args[0], ""
    for arg in args[1:]:
        if arg.startswith("--peer-outside="):
            outside = arg.split("=", 1)[1]
        elif arg.startswith("--peer-log="):
            LOG_FILE = open(arg.split("=", 1)[1], "a")
        else:
            break  # the host and the remote command line follow: ignored
    if not outside:
        outside = "/nonexistent-swsync-outside"
    log(f"scenario {scenario}; arguments {args}")
    try:
        return run(scenario, outside)
    except SystemExit as done:
        return int(done.code or 0)


if __name__ == "__main__":
    sys.exit(main())
