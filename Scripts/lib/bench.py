#!/usr/bin/env python3
"""Benchmark swsync against rsync (and cp, and the xargs -P4 rsync recipe) on trees in /dev/shm or on a disk.

Run it through Scripts/bench, which builds the release binary first.

Each case times every tool in the same run, alternating the order per
repetition (A B, then B A, ...), and verifies the destination after every
run, outside the timing, so that a broken tool cannot look fast. Each timed
command runs under GNU time for its peak RSS (see Run.max_rss); old trees are
renamed into a trash directory rather than deleted before a timed run (see
Trash); cases with cold=True (or --cold) drop the caches first (drop_caches).

Adding a case: append a Case to CASES. A case names a dataset (a source tree
built once per run, see DATASETS), the command line of each tool (argv
templates with {src} {dst} and the tool binaries {rsync} {swsync} {cp}), what
to do before the timed runs (prepare_all) and before each run (prepare_each),
and which ratios to report. A new kind of source tree is a new Dataset.

Standard library only (Python 3.9+).
"""

from __future__ import annotations

import argparse
import datetime
import json
import math
import os
import platform
import random
import shutil
import signal
import stat
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from typing import Callable, Dict, List, Optional, Tuple

KiB = 1024
MiB = 1024 * KiB
GiB = 1024 * MiB

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.realpath(__file__))))


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def human_bytes(n: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if abs(n) < 1024 or unit == "TiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n} B"


def rm_rf(path: str) -> None:
    if os.path.lexists(path):
        subprocess.run(["rm", "-rf", "--", path], check=True)


class Trash:
    """Old trees are renamed into a directory of the bench's work directory (the same file system) instead of
    being deleted right before a timed run: on the ext4 disk without a journal, files created right after a
    large `rm -rf` are many times slower to create (the allocator skips the recently freed inodes). The trash
    is emptied between cases, followed by a `sync`, or sooner when the file system runs short of space.
    On tmpfs (eager) it is emptied after every run, outside the timing: freed tmpfs inodes cost nothing, and
    a trash there would be memory taken from whoever else uses the machine."""

    def __init__(self, directory: str, eager: bool = False) -> None:
        self.directory = directory
        self.eager = eager
        self.count = 0

    def move_aside(self, path: str) -> None:
        if not os.path.lexists(path):
            return
        os.makedirs(self.directory, exist_ok=True)
        os.rename(path, os.path.join(self.directory, str(self.count)))
        self.count += 1

    def empty(self) -> None:
        if os.path.lexists(self.directory):
            rm_rf(self.directory)
            if not self.eager:
                os.sync()  # write the frees back before the next case creates files


# ---------------------------------------------------------------------------
# Datasets: source trees, built once per run, removed when no longer needed.
# ---------------------------------------------------------------------------

DIR_WORDS = [
    "src", "lib", "include", "docs", "test", "tests", "assets", "images", "cache",
    "build", "config", "data", "modules", "util", "core", "api", "v1", "v2",
    "internal", "vendor", "pkg", "static", "templates", "locale", "scripts",
    "fixtures", "examples", "resources", "icons", "fonts", "models", "views",
    "controllers", "handlers", "migrations", "schemas", "tools", "bin", "share",
    "man", "html", "css", "js", "node_modules", "third_party", "generated", "proto",
]
FILE_STEMS = [
    "index", "main", "util", "helpers", "README", "config", "test", "model", "view",
    "controller", "parser", "lexer", "types", "errors", "client", "server", "api",
    "schema", "style", "app", "logo", "icon", "font", "data", "record", "report",
    "notes", "changelog", "module", "package", "settings", "handler", "router",
]
FILE_EXTS = [
    ("c", 8), ("h", 6), ("swift", 6), ("py", 6), ("js", 8), ("json", 6), ("txt", 5),
    ("md", 4), ("html", 3), ("css", 3), ("png", 5), ("jpg", 3), ("o", 3), ("yaml", 2),
    ("xml", 2), ("go", 3), ("rs", 3), ("sh", 2), ("", 2),
]


@dataclass
class DatasetInfo:
    path: str
    files: int = 0
    dirs: int = 0
    symlinks: int = 0
    bytes: int = 0

    def describe(self) -> str:
        def n(count: int, what: str) -> str:
            return f"{count:,} {what}" + ("" if count == 1 else "s")
        parts = [n(self.files, "file")]
        if self.dirs > 1:
            parts.append(n(self.dirs, "dir"))
        if self.symlinks:
            parts.append(n(self.symlinks, "symlink"))
        parts.append(human_bytes(self.bytes))
        return ", ".join(parts)


def random_pool(rng: random.Random) -> bytes:
    return rng.randbytes(4 * MiB) if hasattr(rng, "randbytes") else os.urandom(4 * MiB)


def write_small_file(full: str, ext: str, rng: random.Random, pool: bytes, now: float) -> int:
    """A file of 0-16 KiB cut from pool, some executable, mtime in the last two years; returns its size."""
    size = rng.randint(0, 16 * KiB)
    off = rng.randint(0, len(pool) - size)
    with open(full, "wb") as f:
        f.write(pool[off:off + size])
    if ext in ("sh", "") and rng.random() < 0.5:
        os.chmod(full, 0o755)
    mtime_ns = int((now - rng.uniform(0, 2 * 365 * 86400)) * 1e9)
    os.utime(full, ns=(mtime_ns, mtime_ns))
    return size


def build_small_tree(path: str, scale: float, seed: int) -> DatasetInfo:
    """~100,000 files of 0-16 KiB in ~1,000 directories (times scale)."""
    rng = random.Random(seed)
    n_files = max(1, round(100_000 * scale))
    n_dirs = max(1, round(1_000 * scale))
    info = DatasetInfo(path)
    os.makedirs(path)

    # Directory tree: each new directory goes below a random existing one
    # (a random recursive tree: bushy near the top, a few deep paths).
    dirs = [""]
    depth = {"": 0}
    names_in: Dict[str, set] = {"": set()}
    while len(dirs) < n_dirs:
        parent = rng.choice(dirs)
        if depth[parent] >= 9:
            continue
        word = rng.choice(DIR_WORDS)
        name = word if word not in names_in[parent] else f"{word}-{len(dirs)}"
        names_in[parent].add(name)
        rel = os.path.join(parent, name) if parent else name
        os.mkdir(os.path.join(path, rel))
        dirs.append(rel)
        depth[rel] = depth[parent] + 1
        names_in[rel] = set()
    info.dirs = len(dirs)

    # Files: heavy-tailed number of files per directory.
    weights = [rng.paretovariate(1.2) for _ in dirs]
    where = rng.choices(dirs, weights=weights, k=n_files)
    exts, ext_weights = zip(*FILE_EXTS)
    pool = random_pool(rng)
    now = time.time()
    files_in: Dict[str, List[str]] = {}
    for i, d in enumerate(where):
        ext = rng.choices(exts, weights=ext_weights)[0]
        name = f"{rng.choice(FILE_STEMS)}_{i}" + (f".{ext}" if ext else "")
        rel = os.path.join(d, name) if d else name
        info.bytes += write_small_file(os.path.join(path, rel), ext, rng, pool, now)
        files_in.setdefault(d, []).append(name)
        info.files += 1

    # A few relative symlinks to files in the same directory (0.1%).
    with_files = sorted(files_in)
    for i in range(max(1, n_files // 1000) if n_files >= 100 else 0):
        d = rng.choice(with_files)
        target = rng.choice(files_in[d])
        link = os.path.join(path, d, f"link_{i}")
        os.symlink(target, link)
        info.symlinks += 1
    return info


def build_flat_tree(path: str, scale: float, seed: int) -> DatasetInfo:
    """20,000 files of 0-16 KiB (times scale) in one directory, as in a media upload folder."""
    rng = random.Random(seed)
    n_files = max(1, round(20_000 * scale))
    info = DatasetInfo(path, dirs=1)
    os.makedirs(path)
    exts, ext_weights = zip(*FILE_EXTS)
    pool = random_pool(rng)
    now = time.time()
    for i in range(n_files):
        ext = rng.choices(exts, weights=ext_weights)[0]
        name = f"{rng.choice(FILE_STEMS)}_{i}" + (f".{ext}" if ext else "")
        info.bytes += write_small_file(os.path.join(path, name), ext, rng, pool, now)
        info.files += 1
    return info


def build_empty_tree(path: str, n_files: int) -> DatasetInfo:
    """n_files empty files, 100 per directory, in a two-level tree (about sqrt(n/100) directories of
    about as many subdirectories each). Files are made with os.open through a directory fd, which keeps
    a million of them at well under a minute on tmpfs."""
    per_dir = 100
    n_leaves = max(1, -(-n_files // per_dir))
    n_top = max(1, math.isqrt(n_leaves - 1) + 1)
    info = DatasetInfo(path, dirs=1)
    os.makedirs(path)
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC
    left = n_files
    for leaf in range(n_leaves):
        top = os.path.join(path, f"d{leaf % n_top:04d}")
        if leaf < n_top:
            os.mkdir(top)
            info.dirs += 1
        sub = os.path.join(top, f"s{leaf // n_top:04d}")
        os.mkdir(sub)
        info.dirs += 1
        dfd = os.open(sub, os.O_RDONLY | os.O_DIRECTORY)
        try:
            for i in range(min(per_dir, left)):
                os.close(os.open(f"f{i:03d}", flags, 0o644, dir_fd=dfd))
        finally:
            os.close(dfd)
        info.files += min(per_dir, left)
        left -= min(per_dir, left)
    return info


def write_random(path: str, size: int, rng: random.Random) -> None:
    with open(path, "wb") as f:
        left = size
        while left:
            n = min(4 * MiB, left)
            f.write(rng.randbytes(n))
            left -= n


def build_delta_pair(path: str, scale: float, seed: int, edit: Callable[[bytearray, random.Random], None]) -> DatasetInfo:
    """src/big.bin (1 GiB times scale) and, beside src, old/big.bin: the same file before `edit`."""
    rng = random.Random(seed)
    size = max(1 * MiB, int(1 * GiB * scale))
    os.makedirs(path)
    old_dir = os.path.join(os.path.dirname(path), "old-" + os.path.basename(path))
    os.makedirs(old_dir, exist_ok=True)
    old = os.path.join(old_dir, "big.bin")
    write_random(old, size, rng)
    data = bytearray(open(old, "rb").read())
    edit(data, rng)
    with open(os.path.join(path, "big.bin"), "wb") as f:
        f.write(data)
    os.utime(old, (1_500_000_000, 1_500_000_000))
    return DatasetInfo(path, files=1, dirs=1, bytes=len(data))


def scatter_changes(data: bytearray, rng: random.Random) -> None:
    """1% of the bytes changed, in 100 places."""
    places = 100
    run = max(1, len(data) // 100 // places)
    for i in range(places):
        start = (len(data) // places) * i + rng.randrange(max(1, len(data) // places - run))
        data[start:start + run] = rng.randbytes(run)


def insert_near_start(data: bytearray, rng: random.Random) -> None:
    """4 KiB inserted 1 MiB into the file."""
    at = min(len(data), 1 * MiB)
    data[at:at] = rng.randbytes(4 * KiB)


def no_change(data: bytearray, rng: random.Random) -> None:
    pass


def build_bwlimit_file(path: str, scale: float, seed: int) -> DatasetInfo:
    """One 300 MiB file (times scale): 30 seconds at --bwlimit=10m."""
    size = max(1 * MiB, int(300 * MiB * scale))
    os.makedirs(path)
    write_random(os.path.join(path, "payload.bin"), size, random.Random(seed))
    return DatasetInfo(path, files=1, dirs=1, bytes=size)


def build_text_tree(path: str, scale: float, seed: int) -> DatasetInfo:
    """500 MiB (times scale) of compressible text: files of 1-8 MiB cut from a 16 MiB pool of lines of
    pseudo-words (zlib gets about 3:1 on it; repeats are further apart than its 32 KiB window)."""
    rng = random.Random(seed)
    total = max(1 * MiB, int(500 * MiB * scale))
    letters = "etaoinshrdlcumwfgypbvkjxqz"
    vocabulary = ["".join(rng.choices(letters, k=rng.randint(2, 10))) for _ in range(5000)]
    lines = []
    size = 0
    while size < 16 * MiB:
        line = " ".join(rng.choices(vocabulary, k=rng.randint(4, 16))) + "\n"
        lines.append(line)
        size += len(line)
    pool = "".join(lines).encode()
    info = DatasetInfo(path, dirs=1)
    os.makedirs(path)
    while info.bytes < total:
        n = min(total - info.bytes, rng.randint(1 * MiB, 8 * MiB))
        start = rng.randrange(0, len(pool) - n) if n < len(pool) else 0
        with open(os.path.join(path, f"text-{info.files:04d}.txt"), "wb") as f:
            left, at = n, start
            while left:
                piece = pool[at:at + left]
                f.write(piece)
                left -= len(piece)
                at = 0
        info.files += 1
        info.bytes += n
    return info


def copy_old_version(ctx: Ctx, src: str, dst: str) -> None:
    """dst/ holds the file's old version (older mtime), the basis of the delta."""
    ctx.trash.move_aside(dst)
    os.makedirs(dst)
    old_dir = os.path.join(os.path.dirname(src), "old-" + os.path.basename(src))
    shutil.copy2(os.path.join(old_dir, "big.bin"), os.path.join(dst, "big.bin"))


def build_large_files(path: str, scale: float, seed: int) -> DatasetInfo:
    """8 incompressible files of 256 MiB (times scale) from /dev/urandom."""
    del seed  # /dev/urandom: content is not reproducible, sizes are
    n_files = 8
    size = max(64 * KiB, int(256 * MiB * scale) // (64 * KiB) * (64 * KiB))
    info = DatasetInfo(path, dirs=1)
    os.makedirs(path)
    chunk = 4 * MiB
    for i in range(n_files):
        with open(os.path.join(path, f"blob-{i:02d}.bin"), "wb") as f:
            left = size
            while left:
                n = min(chunk, left)
                f.write(os.urandom(n))
                left -= n
        info.files += 1
        info.bytes += size
    return info


@dataclass
class Dataset:
    name: str
    build: Callable[[str, float, int], DatasetInfo]
    # bytes the tree needs at this scale (for the free-space check)
    estimate: Callable[[float], int]
    # inodes (files, directories, symlinks) the tree needs at this scale (for the free-inode check)
    inodes: Callable[[float], int] = lambda s: 1


DATASETS: Dict[str, Dataset] = {
    d.name: d
    for d in [
        Dataset("small", build_small_tree,
                # 100k files, avg 8 KiB data + page rounding
                lambda s: int(100_000 * s * 12 * KiB) + 4 * MiB, lambda s: int(101_100 * s) + 10),
        Dataset("flat", build_flat_tree, lambda s: int(20_000 * s * 12 * KiB) + 4 * MiB,
                lambda s: int(20_000 * s) + 10),
        # empty files cost an inode (tmpfs: about 1 KiB of memory), directories a 4 KiB block
        Dataset("hundredk", lambda p, s, seed: build_empty_tree(p, max(1, round(100_000 * s))),
                lambda s: int(100_000 * s * 1.1 * KiB) + 4 * MiB, lambda s: int(101_100 * s) + 10),
        Dataset("million", lambda p, s, seed: build_empty_tree(p, max(1, round(1_000_000 * s))),
                lambda s: int(1_000_000 * s * 1.1 * KiB) + 4 * MiB, lambda s: int(1_010_100 * s) + 10),
        Dataset("large", build_large_files, lambda s: int(8 * 256 * MiB * s) + MiB),
        Dataset("delta-scattered", lambda p, s, seed: build_delta_pair(p, s, seed, scatter_changes),
                lambda s: int(4 * GiB * s) + MiB),
        Dataset("delta-insert", lambda p, s, seed: build_delta_pair(p, s, seed, insert_near_start),
                lambda s: int(4 * GiB * s) + MiB),
        Dataset("bwlimit", build_bwlimit_file, lambda s: int(900 * MiB * s) + MiB),
        Dataset("delta-unchanged", lambda p, s, seed: build_delta_pair(p, s, seed, no_change),
                lambda s: int(4 * GiB * s) + MiB),
        Dataset("text", build_text_tree, lambda s: int(500 * MiB * s) + 8 * MiB),
    ]
}


# ---------------------------------------------------------------------------
# Verification: the destination must equal the source (outside the timing).
# ---------------------------------------------------------------------------

Entry = Tuple  # (kind, size, mode, mtime_s) for files; (kind, mode) dirs; (kind, target) links


def manifest(root: str) -> Dict[str, Entry]:
    out: Dict[str, Entry] = {}
    stack = [""]
    while stack:
        rel_dir = stack.pop()
        with os.scandir(os.path.join(root, rel_dir)) as it:
            for e in it:
                rel = os.path.join(rel_dir, e.name) if rel_dir else e.name
                st = e.stat(follow_symlinks=False)
                mode = stat.S_IMODE(st.st_mode)
                if stat.S_ISDIR(st.st_mode):
                    out[rel] = ("d", mode)
                    stack.append(rel)
                elif stat.S_ISREG(st.st_mode):
                    out[rel] = ("f", st.st_size, mode, int(st.st_mtime))
                elif stat.S_ISLNK(st.st_mode):
                    out[rel] = ("l", os.readlink(e.path))
                else:
                    out[rel] = ("o", stat.S_IFMT(st.st_mode), mode)
    return out


def same_content(a: str, b: str, size: int, rng: random.Random) -> bool:
    """Whole file up to 1 MiB; else first, last and 8 random 64 KiB chunks."""
    with open(a, "rb") as fa, open(b, "rb") as fb:
        if size <= MiB:
            return fa.read() == fb.read()
        n = 64 * KiB
        offsets = [0, size - n] + [rng.randrange(0, size - n) for _ in range(8)]
        for off in offsets:
            fa.seek(off)
            fb.seek(off)
            if fa.read(n) != fb.read(n):
                return False
    return True


def verify_tree(src: str, dst: str, src_manifest: Dict[str, Entry], seed: int,
                samples: int = 300) -> Optional[str]:
    """None if dst matches src, else a short description of the differences."""
    try:
        got = manifest(dst)
    except OSError as e:
        return f"cannot read destination: {e}"
    problems = []
    missing = [p for p in src_manifest if p not in got]
    extra = [p for p in got if p not in src_manifest]
    differ = [p for p in src_manifest if p in got and got[p] != src_manifest[p]]
    for label, items in (("missing", missing), ("extra", extra), ("different", differ)):
        if items:
            shown = ", ".join(sorted(items)[:5])
            problems.append(f"{len(items)} {label} (e.g. {shown})")
            if label == "different":
                p = sorted(items)[0]
                problems.append(f"  {p}: source {src_manifest[p]} vs destination {got[p]}")
    if problems:
        return f"{len(got):,} entries in destination vs {len(src_manifest):,} in source: " + "; ".join(problems)
    rng = random.Random(seed)
    regular = [p for p, e in src_manifest.items() if e[0] == "f"]
    for p in rng.sample(regular, min(samples, len(regular))) if regular else []:
        if not same_content(os.path.join(src, p), os.path.join(dst, p), src_manifest[p][1], rng):
            return f"content differs: {p}"
    return None


# ---------------------------------------------------------------------------
# Cases
# ---------------------------------------------------------------------------

@dataclass
class Ctx:
    work: str
    tools: Dict[str, str]  # tool name -> binary
    seed: int
    trash: Trash
    # the remote placeholders {host} {ssh_config} {remote_home} (see RemoteHost), once the sshd runs
    remote: Dict[str, str] = field(default_factory=dict)
    # --cold / BENCH_COLD=1: every case's timed runs start with a cold cache (see drop_caches)
    cold_all: bool = False
    # how the page cache is dropped once it has been tried: "drop_caches" or "fadvise"
    cold_method: Optional[str] = None
    cold_logged: bool = False
    # GNU time, which reports each timed command's peak RSS (None: not installed, no RSS column)
    time_bin: Optional[str] = None


@dataclass
class Case:
    name: str
    description: str
    dataset: str
    # tool name -> argv template; the first tool is the reference
    commands: Dict[str, List[str]]
    # (numerator, denominator) tool pairs to report as per-repetition ratios
    ratios: List[Tuple[str, str]]
    # untimed, once before the repetitions: (ctx, src, dst)
    prepare_all: Optional[Callable[[Ctx, str, str], None]] = None
    # untimed, before every timed run: (ctx, src, dst)
    prepare_each: Optional[Callable[[Ctx, str, str], None]] = None
    # tools whose runs are verified (None: all)
    verify_tools: Optional[List[str]] = None
    # bytes per second the case limits the transfer to (--bwlimit): the report shows the achieved rate
    rate_limit: Optional[float] = None
    # drop the page cache (and dentries and inodes) before every timed run
    cold: bool = False
    # a case over the same kind of tree with fewer files: the report shows this case's peak RSS over that one's
    rss_baseline: Optional[str] = None

    @property
    def remote(self) -> bool:
        """The case runs through the test sshd (its commands name {host})."""
        return any("{host}" in a for argv in self.commands.values() for a in argv)


def remove_dst(ctx: Ctx, src: str, dst: str) -> None:
    ctx.trash.move_aside(dst)


def reference_copy(ctx: Ctx, src: str, dst: str) -> None:
    """Make dst an up-to-date copy of src with rsync -a (the reference)."""
    ctx.trash.move_aside(dst)
    subprocess.run([ctx.tools["rsync"], "-a", src + "/", dst + "/"], check=True)


def sync(tool: str, *options: str) -> List[str]:
    """argv template of `tool` (rsync, swsync) syncing {src}/ into {dst}/ with `options`."""
    return ["{" + tool + "}", *options, "{src}/", "{dst}/"]


def both(*options: str) -> Dict[str, List[str]]:
    """The same options through rsync and swsync: the commands of a side-by-side case."""
    return {"rsync": sync("rsync", *options), "swsync": sync("swsync", *options)}


def remote_push(tool: str, *options: str) -> List[str]:
    """argv template of `tool` pushing {src}/ to {host}:{dst}/ through the test sshd on 127.0.0.1.

    rsync goes through `ssh -F config`; swsync through its built-in libssh client, configured by
    $HOME/.ssh/config in a HOME of its own (and SWSYNC_SSH_DIR). Each runs the same binary on the far end
    (--rsync-path)."""
    operands = ["{src}/", "{host}:{dst}/"]
    if tool == "rsync":
        return ["{rsync}", "-e", "ssh -F {ssh_config}", "--rsync-path={rsync}", *options, *operands]
    # libssh finds ~/.ssh through getpwuid, not $HOME; SWSYNC_SSH_DIR (SSHOptions.applyEnvironment) names it.
    return ["/usr/bin/env", "-u", "SSH_AUTH_SOCK", "HOME={remote_home}", "SWSYNC_SSH_DIR={remote_home}/.ssh",
            "{" + tool + "}", "--rsync-path={" + tool + "}", *options, *operands]


def both_remote(*options: str) -> Dict[str, List[str]]:
    """`both` for a push to the test sshd."""
    return {"rsync": remote_push("rsync", *options), "swsync": remote_push("swsync", *options)}


# The depth at which the xargs recipe splits the tree into one rsync per directory. The guides split at the
# top level (1), but the small tree's top level has 2 directories, one with 96% of the files (a random
# recursive tree is lopsided near its root), which leaves -P4 nothing to run in parallel. At depth 3 it has
# 45 directories, the largest with 20% of the files and 1% of them above depth 3 (at scale 1).
XARGS_DEPTH = int(os.environ.get("BENCH_XARGS_DEPTH", "3"))


def xargs_rsync(remote: bool = False, jobs: int = 4, depth: Optional[int] = None) -> List[str]:
    """The rsync guides' recipe for parallel rsync, `find | xargs -P4 rsync` by subdirectory: one rsync
    copies everything down to `depth` (an exclude of deeper paths: the files and symlinks above the split,
    and the directories at the split created empty, with the root's and every upper directory's
    attributes), then one rsync per directory at `depth`, `jobs` at a time. Each of those writes only below
    its own directory, so the upper directories' mtimes stay right, and sets its own directory's attributes
    last. `-I__DIR__`, not `-I{}`: the templates go through str.format. depth None: XARGS_DEPTH."""
    depth = XARGS_DEPTH if depth is None else depth
    shell = "{rsync} -e 'ssh -F {ssh_config}' --rsync-path={rsync} " if remote else "{rsync} "
    dst = "{host}:{dst}/" if remote else "'{dst}'/"
    deeper = "/" + "/".join(["*"] * (depth + 1))  # depth 1: '/*/*', everything below a top-level directory
    return ["/bin/sh", "-c",
            f"cd '{{src}}' && {shell}-a --exclude='{deeper}' ./ {dst} && "
            f"find . -mindepth {depth} -maxdepth {depth} -type d -print0 | "
            f"{{xargs}} -0 -r -P{jobs} -I__DIR__ {shell}-a __DIR__/ {dst}__DIR__/"]


CP_A = ["{cp}", "-a", "{src}", "{dst}"]

# 50 rules of the kinds backup scripts use: suffixes, anchored and unanchored directories, classes, **.
FILTER_RULES = [
    "- *.o", "- *.tmp", "- *.bak", "- *~", "- .DS_Store", "- Thumbs.db", "- *.swp", "- *.pyc",
    "- __pycache__/", "- .git/", "- .svn/", "- .hg/", "- /generated/", "- **/third_party/*.jpg",
    "+ src/**/*.c", "- /tmp/", "- *.log", "- *.class", "- *.jar", "- *.war", "- core", "- *.core",
    "- .cache/", "- dist/", "- target/", "- out/", "- coverage/", "- *.min.js", "- *.map", "- *.lock",
    "- [Tt]emp*", "- *.[oa]", "- lib/**/*.so", "- **/fixtures/*.bin", "- *.iso", "- *.img", "- *.vmdk",
    "- *.part", "- .idea/", "- .vscode/", "- *.orig", "- *.rej", "- docs/_build/", "- site/",
    "- *.egg-info/", "- .tox/", "- .venv/", "+ *.h", "- *.dSYM/", "- vendor/**/test*",
]
assert len(FILTER_RULES) == 50
FILTER_ARGS = [arg for rule in FILTER_RULES for arg in ("-f", rule)]

CASES: List[Case] = [
    Case("small-initial",
         "initial -a copy of many small files into an empty destination; cp -a and xargs -P4 rsync beside",
         dataset="small",
         commands={**both("-a"), "xargs": xargs_rsync(), "cp": CP_A},
         ratios=[("swsync", "rsync"), ("swsync", "xargs"), ("swsync", "cp")],
         prepare_each=remove_dst),
    Case("small-noop",
         "-a re-run with the destination already identical (quick check only), warm cache",
         dataset="small",
         commands={**both("-a"), "xargs": xargs_rsync()},
         ratios=[("swsync", "rsync"), ("swsync", "xargs")],
         prepare_all=reference_copy),
    Case("small-noop-cold",
         "small-noop with the caches dropped before every run (drop_caches; only meaningful on a disk)",
         dataset="small",
         commands={**both("-a"), "xargs": xargs_rsync()},
         ratios=[("swsync", "rsync"), ("swsync", "xargs")],
         prepare_all=reference_copy,
         cold=True),
    Case("filter-noop",
         "-a re-run on an identical copy with 50 mixed filter rules; swsync without rules for the rules' cost",
         dataset="small",
         commands={**both("-a", *FILTER_ARGS), "swsync-norules": sync("swsync", "-a")},
         ratios=[("swsync", "rsync"), ("swsync", "swsync-norules")],
         prepare_all=reference_copy),
    Case("flat-initial",
         "initial -a copy of 20,000 small files in one directory; cp -a beside",
         dataset="flat",
         commands={**both("-a"), "cp": CP_A},
         ratios=[("swsync", "rsync"), ("swsync", "cp")],
         prepare_each=remove_dst),
    Case("flat-noop",
         "-a re-run over an identical copy of 20,000 files in one directory",
         dataset="flat",
         commands=both("-a"),
         ratios=[("swsync", "rsync")],
         prepare_all=reference_copy),
    # The empty trees' top level is balanced (sqrt(n/100) directories of as many leaves), so the xargs
    # recipe splits them there, as the guides do.
    Case("hundredk-noop",
         "-a re-run over an identical copy of 100,000 empty files, 100 per directory (million-noop's baseline)",
         dataset="hundredk",
         commands={**both("-a"), "xargs": xargs_rsync(depth=1)},
         ratios=[("swsync", "rsync"), ("swsync", "xargs")],
         prepare_all=reference_copy),
    Case("million-noop",
         "-a re-run over an identical copy of 1,000,000 empty files, 100 per directory: peak RSS vs hundredk-noop",
         dataset="million",
         commands={**both("-a"), "xargs": xargs_rsync(depth=1)},
         ratios=[("swsync", "rsync"), ("swsync", "xargs")],
         prepare_all=reference_copy,
         rss_baseline="hundredk-noop"),
    Case("delta-scattered",
         "--no-whole-file re-sync of a 1 GiB file with 1% changed in 100 places (--stats: literal data)",
         dataset="delta-scattered",
         commands=both("-a", "--no-whole-file", "--stats"),
         ratios=[("swsync", "rsync")],
         prepare_each=copy_old_version),
    Case("delta-insert",
         "--no-whole-file re-sync of a 1 GiB file with 4 KiB inserted near the start",
         dataset="delta-insert",
         commands=both("-a", "--no-whole-file", "--stats"),
         ratios=[("swsync", "rsync")],
         prepare_each=copy_old_version),
    Case("delta-unchanged",
         "--no-whole-file -I over an unchanged 1 GiB file: signature, delta and rebuild of every block",
         dataset="delta-unchanged",
         commands=both("-a", "-I", "--no-whole-file", "--stats"),
         ratios=[("swsync", "rsync")],
         prepare_each=copy_old_version),
    Case("bwlimit",
         "initial copy of 300 MiB with --bwlimit=10m: 30.0 s is exact (at scale 1)",
         dataset="bwlimit",
         commands=both("-a", "--bwlimit=10m"),
         ratios=[("swsync", "rsync")],
         prepare_each=remove_dst),
    Case("large-initial",
         "initial -a copy of large incompressible files; cp -a is the floor",
         dataset="large",
         commands={**both("-a"), "cp": CP_A},
         ratios=[("swsync", "rsync"), ("swsync", "cp")],
         prepare_each=remove_dst),
    # Remote cases: a push to a private sshd on 127.0.0.1 (Scripts/lib/test-sshd.sh), started for the run.
    Case("remote-small-push",
         "initial -a push of many small files over ssh to 127.0.0.1; xargs -P4 of rsync pushes beside",
         dataset="small",
         commands={**both_remote("-a", "--stats"), "xargs": xargs_rsync(remote=True)},
         ratios=[("swsync", "rsync"), ("swsync", "xargs")],
         prepare_each=remove_dst),
    Case("remote-delta",
         "-a push re-sync of a 1 GiB file with 1% changed in 100 places (delta transfer over ssh)",
         dataset="delta-scattered",
         commands=both_remote("-a", "--stats"),
         ratios=[("swsync", "rsync")],
         prepare_each=copy_old_version),
    Case("remote-z-push",
         "initial -z push of 500 MiB of text over ssh (compression on the wire)",
         dataset="text",
         commands=both_remote("-a", "-z", "--stats"),
         ratios=[("swsync", "rsync")],
         prepare_each=remove_dst),
    Case("remote-bwlimit",
         "initial push of 300 MiB over ssh with --bwlimit=10m: 30.0 s is exact (at scale 1)",
         dataset="bwlimit",
         commands=both_remote("-a", "--bwlimit=10m", "--stats"),
         ratios=[("swsync", "rsync")],
         prepare_each=remove_dst,
         rate_limit=10 * MiB),
]


# ---------------------------------------------------------------------------
# Running
# ---------------------------------------------------------------------------

@dataclass
class Run:
    wall: float  # seconds
    cpu: float  # user + system seconds of the tool and its child processes
    literal: Optional[int] = None  # "Literal data" from --stats, when the tool printed it
    sent: Optional[int] = None  # "Total bytes sent" from --stats (the client's side of the connection)
    received: Optional[int] = None  # "Total bytes received" from --stats
    # Peak RSS in KiB, from GNU time (`/usr/bin/time -f %M`): the largest ru_maxrss of the command and its
    # waited-for descendants (for xargs, the largest single rsync; for a push, the client or its ssh, not the
    # server). Not this process's own wait4 figure: Linux keeps the high-water mark of the mm a process had
    # before exec (Python's, copied by the fork) in the process's maxrss, so a tool forked from Python shows
    # Python's size. GNU time forks the tool from its own small image (about 1 MiB), and reports that.
    max_rss: Optional[int] = None


@dataclass
class CaseResult:
    case: Case
    data: str = ""
    bytes: int = 0  # the dataset's size
    runs: Dict[str, List[Run]] = field(default_factory=dict)
    per_rep: List[Dict[str, float]] = field(default_factory=list)
    error: Optional[str] = None


class RunFailed(Exception):
    pass


CURRENT: Optional[subprocess.Popen] = None  # the timed process, if running


def stop_current() -> None:
    """Kill the timed command's process group (on a signal), so that cleanup can remove its trees."""
    global CURRENT
    p, CURRENT = CURRENT, None
    if p is not None and p.returncode is None:
        try:
            os.killpg(p.pid, signal.SIGKILL)  # its own group (start_new_session): sh, xargs and rsyncs too
            os.waitpid(p.pid, 0)
        except (ProcessLookupError, ChildProcessError):
            pass
        p.returncode = -9


def timed_run(argv: List[str], errpath: str, time_bin: Optional[str]) -> Run:
    global CURRENT
    rsspath = errpath + ".rss"
    wrapped = [time_bin, "-f", "%M", "-o", rsspath, *argv] if time_bin else argv
    if os.path.lexists(rsspath):
        os.unlink(rsspath)  # never read the previous run's figure
    with open(errpath, "wb") as err:
        t0 = time.perf_counter()
        with open(errpath + ".out", "wb") as out:
            p = CURRENT = subprocess.Popen(wrapped, stdin=subprocess.DEVNULL, stdout=out, stderr=err,
                                           start_new_session=True)
            _, status, ru = os.wait4(p.pid, 0)
        wall = time.perf_counter() - t0
        CURRENT = None
    p.returncode = os.waitstatus_to_exitcode(status)
    if p.returncode != 0:
        with open(errpath, "rb") as f:
            tail = f.read()[-2000:].decode(errors="replace").strip()
        raise RunFailed(f"`{' '.join(argv)}` exited with {p.returncode}" + (f":\n{tail}" if tail else ""))
    stats: Dict[str, int] = {}
    with open(errpath + ".out", "rb") as f:
        for line in f.read().decode(errors="replace").splitlines():
            for label in ("Literal data", "Total bytes sent", "Total bytes received"):
                if line.startswith(label + ":"):
                    stats[label] = int(line.split(":")[1].split()[0].replace(",", ""))
    max_rss = None
    if time_bin:
        try:
            with open(rsspath) as f:
                max_rss = int(f.read().split()[-1])  # the last line: %M
        except (OSError, ValueError, IndexError):
            pass
    return Run(wall, ru.ru_utime + ru.ru_stime, stats.get("Literal data"), stats.get("Total bytes sent"),
               stats.get("Total bytes received"), max_rss)


def fs_type(path: str) -> str:
    """The type of the file system path is on (from /proc/self/mountinfo: the longest mount point above it)."""
    path = os.path.realpath(path)
    best, kind = "", "?"
    try:
        with open("/proc/self/mountinfo") as f:
            for line in f:
                fields = line.split()
                mount = fields[4].replace("\\040", " ")
                fstype = fields[fields.index("-") + 1]
                inside = path == mount or path.startswith(mount.rstrip("/") + "/")
                if inside and len(mount) >= len(best):
                    best, kind = mount, fstype
    except (OSError, ValueError, IndexError):
        pass
    return kind


def fadvise_dontneed(root: str) -> None:
    """posix_fadvise(DONTNEED) on every regular file below root: drops their data pages, not the inodes or
    dentries (a no-op re-sync reads mostly those, so this is a weaker cold cache than drop_caches)."""
    for dirpath, _dirs, files in os.walk(root):
        for name in files:
            try:
                fd = os.open(os.path.join(dirpath, name), os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
            except OSError:
                continue  # a symlink (O_NOFOLLOW) or gone
            try:
                os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
            finally:
                os.close(fd)


def drop_caches(ctx: Ctx, paths: List[str]) -> None:
    """Cold cache before a timed run: write back dirty pages, then drop the page cache, dentries and inodes
    (`echo 3 > /proc/sys/vm/drop_caches`, needs root, system-wide). Where that is refused, fall back to
    posix_fadvise(DONTNEED) on every file of paths. On tmpfs neither touches the trees (tmpfs pages and
    dentries are the files themselves); drop_caches still evicts the tools' binaries and libraries on disk,
    so the first exec of each is cold, as it is in a cold run on a disk."""
    os.sync()
    if ctx.cold_method in (None, "drop_caches"):
        try:
            with open("/proc/sys/vm/drop_caches", "w") as f:
                f.write("3\n")
            if not ctx.cold_logged:
                log("cold cache: sync; echo 3 > /proc/sys/vm/drop_caches before every timed run")
                ctx.cold_logged = True
            ctx.cold_method = "drop_caches"
            return
        except OSError as e:
            log(f"cold cache: cannot write /proc/sys/vm/drop_caches ({e}); falling back")
            ctx.cold_method = "fadvise"
    if not ctx.cold_logged:
        log("cold cache: posix_fadvise(DONTNEED) on every file of the source and destination before every timed "
            "run (data pages only; inodes and dentries stay cached)")
        ctx.cold_logged = True
    for p in paths:
        if os.path.isdir(p):
            fadvise_dontneed(p)


def make_room(ctx: Ctx, src_info: DatasetInfo, estimate: int) -> None:
    """Empty the trash (outside the timing) when the file system could not take another copy of the
    source: bytes from the dataset's estimate, inodes from its entry count, both with a margin."""
    st = os.statvfs(ctx.work)
    free_bytes = st.f_bavail * st.f_frsize
    entries = src_info.files + src_info.dirs + src_info.symlinks
    if free_bytes < estimate * 1.2 + 64 * MiB or (st.f_files and st.f_favail < entries * 1.2 + 1000):
        log(f"emptying the trash for room ({human_bytes(free_bytes)}, {st.f_favail:,} inodes free)")
        ctx.trash.empty()


def run_case(case: Case, ctx: Ctx, src_info: DatasetInfo, src_manifest: Dict[str, Entry],
             reps: int, warmup: int, estimate: int) -> CaseResult:
    res = CaseResult(case, data=src_info.describe(), bytes=src_info.bytes)
    src = src_info.path
    dst = os.path.join(ctx.work, f"dst-{case.name}")
    errpath = os.path.join(ctx.work, "stderr.txt")
    tools = list(case.commands)
    res.runs = {t: [] for t in tools}
    failed: Dict[str, str] = {}  # a tool that failed once is not run again; the others go on
    try:
        if case.prepare_all:
            make_room(ctx, src_info, estimate)
            case.prepare_all(ctx, src, dst)
        # Warm-up rounds (rep < 0) run and verify every tool but record
        # nothing: the first writes into fresh tmpfs memory are slower.
        for rep in range(-warmup, reps):
            order = tools if rep % 2 == 0 else list(reversed(tools))
            walls: Dict[str, float] = {}
            for tool in order:
                if tool in failed:
                    continue
                if case.prepare_each:
                    make_room(ctx, src_info, estimate)
                    case.prepare_each(ctx, src, dst)
                if case.cold or ctx.cold_all:
                    drop_caches(ctx, [src, dst])
                argv = [a.format(src=src, dst=dst, **ctx.tools, **ctx.remote) for a in case.commands[tool]]
                try:
                    run = timed_run(argv, errpath, ctx.time_bin)
                    if case.verify_tools is None or tool in case.verify_tools:
                        bad = verify_tree(src, dst, src_manifest, ctx.seed + rep)
                        if bad:
                            raise RunFailed(f"destination incomplete or wrong after `{' '.join(argv)}`: {bad}")
                except RunFailed as e:
                    failed[tool] = str(e)
                    log(f"[{case.name}] {tool} FAILED (its other runs are skipped): {e}")
                    continue
                if rep >= 0:
                    res.runs[tool].append(run)
                walls[tool] = run.wall
                if ctx.trash.eager:
                    ctx.trash.empty()
            if len(failed) == len(tools):
                break
            shown = "  ".join(f"{t} {walls[t]:.3f}s" for t in order if t in walls)
            if rep >= 0:
                res.per_rep.append(walls)
                log(f"[{case.name}] rep {rep + 1}/{reps}: {shown}  (verified)")
            else:
                log(f"[{case.name}] warm-up: {shown}  (verified, not counted)")
    except RunFailed as e:
        failed["case"] = str(e)
        log(f"[{case.name}] FAILED: {e}")
    finally:
        # between cases, outside any timing: the next case starts after a sync
        ctx.trash.move_aside(dst)
        ctx.trash.empty()
    if failed:
        res.error = "\n    ".join(f"{tool}: " + message.replace("\n", "\n      ") for tool, message in failed.items())
    return res


class RemoteHost:
    """The private sshd of Scripts/lib/test-sshd.sh on 127.0.0.1 that the remote cases push to.

    rsync reaches it with `-e 'ssh -F CONFIG'`; swsync with its libssh client, through a HOME of its own whose
    .ssh/config names the same host, key and known_hosts. Nothing reads or writes the real ~/.ssh."""

    SCRIPT = os.path.join(ROOT, "Scripts", "lib", "test-sshd.sh")

    def __init__(self, directory: str) -> None:
        self.directory = directory

    def start(self) -> Dict[str, str]:
        """Starts the sshd and returns the placeholders {host} {ssh_config} {remote_home}; raises RunFailed."""
        p = subprocess.run(["bash", self.SCRIPT, "start", os.path.join(self.directory, "sshd")],
                           capture_output=True, text=True, timeout=120)
        if p.returncode != 0:
            raise RunFailed(f"the test sshd did not start: {p.stderr.strip() or p.stdout.strip()}")
        values = dict(line.split("=", 1) for line in p.stdout.splitlines() if "=" in line)
        home = os.path.join(self.directory, "home")
        os.makedirs(os.path.join(home, ".ssh"), mode=0o700)
        with open(os.path.join(home, ".ssh", "config"), "w") as f:
            f.write(f"Host {values['SSHD_ALIAS']}\n"
                    f"    HostName {values['SSHD_HOST']}\n"
                    f"    Port {values['SSHD_PORT']}\n"
                    f"    User {values['SSHD_USER']}\n"
                    f"    IdentityFile {values['SSHD_IDENTITY']}\n"
                    f"    UserKnownHostsFile {values['SSHD_KNOWN_HOSTS']}\n"
                    f"    StrictHostKeyChecking yes\n")
        log(f"test sshd: {values['SSHD_ALIAS']} = {values['SSHD_HOST']}:{values['SSHD_PORT']} "
            f"(pid {values.get('SSHD_PID', '?')})")
        return {"host": values["SSHD_ALIAS"], "ssh_config": values["SSHD_CONFIG"], "remote_home": home}

    def stop(self) -> None:
        subprocess.run(["bash", self.SCRIPT, "stop", os.path.join(self.directory, "sshd")],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=60)


def tool_version(binary: str) -> str:
    try:
        p = subprocess.run([binary, "--version"], capture_output=True, text=True, timeout=20)
        line = (p.stdout or p.stderr).strip().splitlines()
        return line[0].strip() if line else "?"
    except (OSError, subprocess.TimeoutExpired) as e:
        return f"? ({e})"


def fmt_table(rows: List[List[str]], right: set) -> str:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = []
    for n, r in enumerate(rows):
        cells = [c.rjust(widths[i]) if i in right else c.ljust(widths[i]) for i, c in enumerate(r)]
        lines.append("  ".join(cells).rstrip())
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def report(results: List[CaseResult], header: List[str]) -> str:
    out = list(header) + [""]
    def median_of(runs: List[Run], attribute: str) -> str:
        values = [getattr(x, attribute) for x in runs if getattr(x, attribute) is not None]
        return f"{int(statistics.median(values)):,}" if values else ""

    def median_rss(runs: List[Run]) -> Optional[float]:
        values = [x.max_rss for x in runs if x.max_rss is not None]
        return statistics.median(values) if values else None

    rows = [["case", "data", "tool", "runs", "median s", "min s", "max s", "cpu s (med)", "peak RSS (med)",
             "literal data", "bytes sent", "bytes received"]]
    for r in results:
        first = True
        for tool, runs in r.runs.items():
            if not runs:
                continue
            walls = [x.wall for x in runs]
            rows.append([r.case.name if first else "", r.data if first else "", tool, str(len(runs)),
                         f"{statistics.median(walls):.3f}", f"{min(walls):.3f}", f"{max(walls):.3f}",
                         f"{statistics.median(x.cpu for x in runs):.3f}",
                         human_bytes(median_rss(runs) * KiB) if median_rss(runs) is not None else "",
                         median_of(runs, "literal"), median_of(runs, "sent"), median_of(runs, "received")])
            first = False
    out.append("Wall time per tool (each run verified after it, outside the timing; bytes from --stats, medians;")
    out.append("for remote cases cpu counts the local side only, not the server the sshd starts; peak RSS from")
    out.append("GNU time: the largest single process of the command (xargs: one rsync; remote: the client or its ssh)):")
    out.append(fmt_table(rows, right={3, 4, 5, 6, 7, 8, 9, 10, 11}))
    out.append("")

    # Peak RSS against the case's reference tool, and against the same tool in the rss_baseline case.
    by_name = {r.case.name: r for r in results}
    rows = [["case", "tool", "peak RSS", "÷ " + "reference", "÷ same tool in"]]
    for r in results:
        ref = next(iter(r.runs), None)
        ref_rss = median_rss(r.runs[ref]) if ref else None
        base = by_name.get(r.case.rss_baseline or "")
        for tool, runs in r.runs.items():
            rss = median_rss(runs)
            if rss is None or not runs:
                continue
            vs_ref = f"{rss / ref_rss:.2f}x ({ref})" if ref_rss and tool != ref else ""
            base_rss = median_rss(base.runs.get(tool, [])) if base else None
            vs_base = f"{rss / base_rss:.2f}x ({base.case.name})" if base and base_rss else ""
            rows.append([r.case.name, tool, human_bytes(rss * KiB), vs_ref, vs_base])
    if len(rows) > 1:
        out.append("Peak RSS (median over the runs):")
        out.append(fmt_table(rows, right={2}))
        out.append("")

    rows = [["case", "tool", "limit", "achieved (median)", "of the limit"]]
    for r in results:
        if not r.case.rate_limit or not r.bytes:
            continue
        for tool, runs in r.runs.items():
            if runs:
                rate = r.bytes / statistics.median(x.wall for x in runs)
                rows.append([r.case.name, tool, f"{human_bytes(r.case.rate_limit)}/s", f"{human_bytes(rate)}/s",
                             f"{100 * rate / r.case.rate_limit:.1f}%"])
    if len(rows) > 1:
        out.append("Achieved rate under --bwlimit (data bytes / median wall time):")
        out.append(fmt_table(rows, right={2, 3, 4}))
        out.append("")

    rows = [["case", "ratio", "median", "min", "max", "pairs"]]
    for r in results:
        first = True
        for num, den in r.case.ratios:
            ratios = [p[num] / p[den] for p in r.per_rep if num in p and den in p and p[den] > 0]
            if not ratios:
                continue
            rows.append([r.case.name if first else "", f"{num}/{den}", f"{statistics.median(ratios):.2f}x",
                         f"{min(ratios):.2f}x", f"{max(ratios):.2f}x", str(len(ratios))])
            first = False
    if len(rows) > 1:
        out.append("Median of the per-repetition ratios (below 1.00x: swsync is faster):")
        out.append(fmt_table(rows, right={2, 3, 4, 5}))
    failed = [r for r in results if r.error]
    if failed:
        out.append("")
        out.append("FAILED:")
        for r in failed:
            out.append(f"  {r.case.name}:\n    {r.error}")
    return "\n".join(out)


def parse_args() -> argparse.Namespace:
    env = os.environ
    ap = argparse.ArgumentParser(
        prog="Scripts/bench",
        description="Benchmark swsync against rsync (and cp, and xargs -P4 rsync) on trees in /dev/shm or a disk.",
        epilog="Environment: BENCH_REPS, BENCH_WARMUP, BENCH_SCALE, BENCH_DIR, BENCH_SEED, BENCH_KEEP=1, "
               "BENCH_COLD=1 (as --cold), BENCH_COLD_METHOD=fadvise (instead of drop_caches), SWSYNC_BIN (default .build/release/swsync; when set, Scripts/bench "
               "does not build), RSYNC_BIN (default rsync), CP_BIN (default cp), XARGS_BIN (default xargs), "
               "TIME_BIN (GNU time for peak RSS, default /usr/bin/time; empty: no RSS), BENCH_XARGS_DEPTH (where "
               "the xargs recipe splits the tree, default 3), BENCH_NO_BUILD=1.")
    ap.add_argument("cases", nargs="*", metavar="CASE", help="cases to run (default: all); see --list")
    ap.add_argument("-n", "--reps", type=int, default=int(env.get("BENCH_REPS", "5")),
                    help="repetitions per case (default: $BENCH_REPS or 5)")
    ap.add_argument("-w", "--warmup", type=int, default=int(env.get("BENCH_WARMUP", "1")),
                    help="untimed warm-up rounds per case (default: $BENCH_WARMUP or 1)")
    ap.add_argument("-s", "--scale", type=float, default=float(env.get("BENCH_SCALE", "1")),
                    help="scale data set sizes, e.g. 0.01 for a quick run (default: $BENCH_SCALE or 1)")
    ap.add_argument("--workdir", default=env.get("BENCH_DIR", "/dev/shm"),
                    help="where the trees go (default: $BENCH_DIR or /dev/shm)")
    ap.add_argument("--seed", type=int, default=int(env.get("BENCH_SEED", "20240601")))
    ap.add_argument("--keep", action="store_true", default=env.get("BENCH_KEEP") == "1",
                    help="keep the trees afterwards (for inspection)")
    ap.add_argument("--cold", action="store_true", default=env.get("BENCH_COLD") == "1",
                    help="drop the caches before every timed run of every case (root: drop_caches; else "
                         "posix_fadvise on every file); meaningful on a disk, not on tmpfs")
    ap.add_argument("--json", metavar="FILE", help="also write the results as JSON to FILE")
    ap.add_argument("--list", action="store_true", help="list the cases and exit")
    ap.add_argument("--no-build", action="store_true", help="(for Scripts/bench) do not build first")
    a = ap.parse_args()
    if a.reps < 1:
        ap.error("--reps must be at least 1")
    if a.warmup < 0:
        ap.error("--warmup must not be negative")
    if a.scale <= 0:
        ap.error("--scale must be positive")
    known = [c.name for c in CASES]
    for c in a.cases:
        if c not in known:
            ap.error(f"unknown case {c!r}; known: {', '.join(known)}")
    return a


def main() -> int:
    args = parse_args()
    if XARGS_DEPTH < 1:
        log(f"error: BENCH_XARGS_DEPTH must be at least 1, not {XARGS_DEPTH}")
        return 1
    if args.list:
        for c in CASES:
            cold = ", cold cache" if c.cold else ""
            print(f"{c.name:17} [{c.dataset}] {c.description}; tools: {', '.join(c.commands)}{cold}")
        return 0
    selected = [c for c in CASES if not args.cases or c.name in args.cases]

    tools = {
        "rsync": shutil.which(os.environ.get("RSYNC_BIN", "rsync")) or os.environ.get("RSYNC_BIN", "rsync"),
        "swsync": os.environ.get("SWSYNC_BIN") or os.path.join(ROOT, ".build", "release", "swsync"),
        "cp": shutil.which(os.environ.get("CP_BIN", "cp")) or "cp",
        "xargs": shutil.which(os.environ.get("XARGS_BIN", "xargs")) or "xargs",
    }
    tools["swsync-norules"] = tools["swsync"]  # the same binary, timed without filter rules
    needed = {t for c in selected for t in c.commands}
    if "xargs" in needed:
        needed.add("rsync")  # the xargs recipe runs rsync
    for t in sorted(needed):
        b = tools[t]
        if not (os.path.isfile(b) and os.access(b, os.X_OK)):
            log(f"error: {t} binary not found or not executable: {b}")
            return 1

    cold_method = os.environ.get("BENCH_COLD_METHOD") or None
    if cold_method not in (None, "drop_caches", "fadvise"):
        log(f"error: BENCH_COLD_METHOD must be drop_caches or fadvise, not {cold_method!r}")
        return 1

    base = args.workdir
    if not os.path.isdir(base):
        log(f"warning: {base} does not exist; using {tempfile.gettempdir()}")
        base = tempfile.gettempdir()
    os.umask(0o022)
    work = tempfile.mkdtemp(prefix="swsync-bench.", dir=base)

    def on_signal(signum, _frame):
        raise SystemExit(128 + signum)

    for s in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(s, on_signal)

    time_bin = os.environ.get("TIME_BIN", "/usr/bin/time")
    if time_bin and not (os.path.isfile(time_bin) and os.access(time_bin, os.X_OK)):
        log(f"warning: GNU time not found at {time_bin} (apt-get install time): no peak RSS")
        time_bin = ""
    kind = fs_type(work)
    trash = Trash(os.path.join(work, "trash"), eager=kind == "tmpfs")
    ctx = Ctx(work=work, tools=tools, seed=args.seed, trash=trash,
              cold_all=args.cold, time_bin=time_bin or None, cold_method=cold_method)
    cold_cases = [c.name for c in selected if c.cold or args.cold]
    cold_note = ""
    if cold_cases:
        cold_note = (f"; cold cache before every run of {'every case' if args.cold else ', '.join(cold_cases)}"
                     + (" (tmpfs: that changes nothing for the trees, which live in memory; only the tools' "
                        "binaries and libraries are read again)"
                        if kind == "tmpfs" else ""))
    remote_host: Optional[RemoteHost] = None
    remote_error: Optional[str] = None
    header = [
        f"swsync benchmark: {datetime.datetime.now():%Y-%m-%d %H:%M}, {platform.system()} "
        f"{platform.release()}, {os.cpu_count()} CPUs, scale {args.scale:g}, {args.reps} reps "
        f"(+{args.warmup} warm-up), order alternating per rep, trees in {base} ({kind}){cold_note}",
    ] + [f"  {t:7} {tools[t]}  ({tool_version(tools[t])})" for t in sorted(needed)]
    if "xargs" in needed:
        header.append(f"  xargs: rsync -P4 per directory at depth {XARGS_DEPTH} (BENCH_XARGS_DEPTH) in the small tree, "
                      "at the top level in the empty trees")
    if not time_bin:
        header.append("  no peak RSS: GNU time not found")
    for line in header:
        log(line)

    results: List[CaseResult] = []
    built: Dict[str, Tuple[DatasetInfo, Dict[str, Entry]]] = {}
    try:
        for i, case in enumerate(selected):
            if case.remote and remote_host is None and remote_error is None:
                remote_host = RemoteHost(work)
                try:
                    ctx.remote = remote_host.start()
                except (RunFailed, OSError, subprocess.SubprocessError, KeyError) as e:
                    remote_error = str(e)
            if case.remote and remote_error is not None:
                log(f"[{case.name}] FAILED: {remote_error}")
                results.append(CaseResult(case, error=remote_error))
                continue
            ds = DATASETS[case.dataset]
            if case.dataset not in built:
                need = ds.estimate(args.scale) * 2  # the source + one copy
                need_inodes = ds.inodes(args.scale) * 2
                st = os.statvfs(work)
                free, free_inodes = st.f_bavail * st.f_frsize, st.f_favail
                if free < need * 1.1 or (st.f_files and free_inodes < need_inodes * 1.1):
                    msg = (f"not enough space in {base} for dataset {ds.name!r}: needs about "
                           f"{human_bytes(need)} and {need_inodes:,} inodes, {human_bytes(free)} and "
                           f"{free_inodes:,} free (try BENCH_SCALE)")
                    log(f"[{case.name}] FAILED: {msg}")
                    results.append(CaseResult(case, error=msg))
                    continue
                path = os.path.join(work, f"src-{ds.name}")
                log(f"[{case.name}] building dataset {ds.name!r} ...")
                t0 = time.perf_counter()
                info = ds.build(path, args.scale, args.seed)
                built[case.dataset] = (info, manifest(path))
                log(f"[{case.name}] dataset {ds.name!r}: {info.describe()} ({time.perf_counter() - t0:.1f}s)")
            info, man = built[case.dataset]
            results.append(run_case(case, ctx, info, man, args.reps, args.warmup, ds.estimate(args.scale)))
            # Drop a dataset as soon as no later selected case needs it.
            if not args.keep and all(c.dataset != case.dataset for c in selected[i + 1:]):
                ctx.trash.move_aside(info.path)
                ctx.trash.empty()
                del built[case.dataset]
    except KeyboardInterrupt:
        log("interrupted")
        return 130
    finally:
        stop_current()
        if remote_host is not None:
            remote_host.stop()
        if args.keep:
            log(f"kept: {work}")
        else:
            rm_rf(work)

    if ctx.cold_method:
        header.append(f"  cold cache by {ctx.cold_method}" + (
            " (data pages only: inodes and dentries stayed cached)" if ctx.cold_method == "fadvise" else
            " (sync; echo 3 > /proc/sys/vm/drop_caches: page cache, dentries and inodes, system-wide)"))
    text = report(results, header)
    print()
    print(text)
    if args.json:
        data = {
            "header": header, "scale": args.scale, "reps": args.reps, "tools": {t: tools[t] for t in needed},
            "file_system": kind, "cold_method": ctx.cold_method,
            "cases": [{
                "name": r.case.name, "data": r.data, "error": r.error,
                "runs": {t: [vars(x) for x in runs] for t, runs in r.runs.items()},
                "per_rep_wall": r.per_rep,
            } for r in results],
        }
        with open(args.json, "w") as f:
            json.dump(data, f, indent=2)
    return 1 if any(r.error for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
