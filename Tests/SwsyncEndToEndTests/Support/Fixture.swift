import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// SplitMix64: a tiny seeded generator so fixture bytes are the same on every run and machine.
struct SeededRandom: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    init(seed text: String) {
        // FNV-1a of the text: each file gets its own stream, so editing one fixture file never shifts another.
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        state = hash
    }

    mutating func next() -> UInt64 {
        state &+= 0x9e37_79b9_7f4a_7c15
        var z = state
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }

    mutating func bytes(_ count: Int) -> [UInt8] {
        var result = [UInt8](repeating: 0, count: count)
        result.withUnsafeMutableBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                var word = next()
                let take = min(8, buffer.count - offset)
                withUnsafeBytes(of: &word) { wordBytes in
                    for index in 0..<take { buffer[offset + index] = wordBytes[index] }
                }
                offset += take
            }
        }
        return result
    }
}

/// Builders for the trees the end-to-end tests sync.
///
/// Every time stamp here is far from "now" (see `TreeSnapshot.recentWindow`), so the snapshot can tell a time the
/// tool preserved from one it set to the current time.
enum Fixture {
    /// Deterministic content for `path` (seeded by the path and a variant tag).
    static func content(_ path: String, size: Int, variant: String = "") -> [UInt8] {
        var random = SeededRandom(seed: variant + "|" + path)
        return random.bytes(size)
    }

    /// A deterministic old time stamp with a nanosecond part, distinct per `index`.
    static func stamp(_ index: Int) -> (seconds: Int, nanoseconds: Int) {
        (1_234_567_890 + index * 7_919, (index * 123_456_789 + 987) % 1_000_000_000)
    }

    /// Regular files of the rich tree: path, size, mode.
    static let richFiles: [(path: String, size: Int, mode: mode_t)] = [
        ("empty.txt", 0, 0o644),
        ("one.bin", 1, 0o644),
        ("f4095.bin", 4095, 0o644),
        ("f4096.bin", 4096, 0o644),
        ("f4097.bin", 4097, 0o644),
        ("f100k.bin", 100 * 1024, 0o644),
        ("big.bin", 1_572_864 + 4_321, 0o644),
        (".hidden", 10, 0o644),
        (".dotdir/inner.txt", 33, 0o644),
        ("with space.txt", 17, 0o644),
        ("-leading-dash", 12, 0o644),
        ("café.txt", 21, 0o644),
        ("readonly.txt", 300, 0o444),
        ("secret.txt", 64, 0o600),
        ("script.sh", 120, 0o755),
        ("a/top.txt", 200, 0o644),
        ("a/b/sibling.txt", 400, 0o664),
        ("a/b/c/d/deep.txt", 800, 0o640),
        ("privdir/private.txt", 50, 0o600),
        ("sgid/g.txt", 70, 0o644),
        ("links/peer.txt", 90, 0o644),
    ]

    /// Directories with explicit modes (others are created 0755 on the way).
    static let richDirectories: [(path: String, mode: mode_t)] = [
        ("a", 0o755), ("a/b", 0o755), ("a/b/c", 0o750), ("a/b/c/d", 0o755),
        (".dotdir", 0o755), ("privdir", 0o700), ("sgid", 0o2775), ("links", 0o755),
        ("hard", 0o755), ("emptydir", 0o755), ("a/b/emptydir2", 0o711),
    ]

    /// Builds the rich source tree at `root` (which must not exist).
    ///
    /// `absoluteTarget` is a directory outside every run directory holding `target.txt` and `dir/`, for the
    /// absolute symlinks. The tree also expects `../outside/unsafe.txt` next to `root` (see `buildOutside`) for
    /// the `..`-escaping link.
    static func buildRichTree(at root: String, absoluteTarget: String) throws {
        try makeDirectory(root)
        for (path, mode) in richDirectories {
            try makeDirectories(root + "/" + path)
            try changeMode(root + "/" + path, mode)
        }
        for (path, size, mode) in richFiles {
            try writeFile(root + "/" + path, content(path, size: size), mode: mode)
        }
        // A hard-link group of three names for one inode, across directories.
        try writeFile(root + "/hard/h1", content("hard/h1", size: 5_000), mode: 0o644)
        try makeHardLink(root + "/a/h2", to: root + "/hard/h1")
        try makeHardLink(root + "/a/b/h3", to: root + "/hard/h1")

        // Symlinks of every kind.
        try makeSymlink(root + "/links/rel", to: "../a/b/sibling.txt")  // relative, inside the tree
        try makeSymlink(root + "/links/local", to: "peer.txt")  // same directory
        try makeSymlink(root + "/links/abs", to: absoluteTarget + "/target.txt")  // absolute, outside
        try makeSymlink(root + "/links/absdir", to: absoluteTarget + "/dir")  // absolute, to a directory
        try makeSymlink(root + "/links/dangling", to: "does-not-exist")
        try makeSymlink(root + "/links/dirlink", to: "../a/b")  // to a directory inside the tree
        try makeSymlink(root + "/links/unsafe", to: "../../outside/unsafe.txt")  // escapes the tree

        try makeFIFO(root + "/fifo", mode: 0o640)

        if isRoot {
            try changeOwner(root + "/secret.txt", uid: 1234, gid: 5678)
            try changeOwner(root + "/a/b/sibling.txt", uid: 65534, gid: 65534)
            try changeOwner(root + "/links/rel", uid: 1234, gid: 1234)
            try changeOwner(root + "/sgid", uid: 0, gid: 5678)
            try changeMode(root + "/sgid", 0o2775)  // chown may clear the setgid bit
            try changeOwner(root + "/privdir", uid: 4321, gid: 0)
        }

        // Times last, leaves before directories (creating entries bumps the parent's mtime).
        var index = 0
        try walkPaths(root) { relative in
            index += 1
            let (seconds, nanoseconds) = stamp(index)
            try setModificationTime(root + "/" + relative, seconds: seconds, nanoseconds: nanoseconds)
        }
        try setModificationTime(root + "/empty.txt", seconds: 315_532_800)  // 1980-01-01, no nanoseconds
        try setModificationTime(root + "/one.bin", seconds: 86_400, nanoseconds: 1)  // 1970-01-02
        try setModificationTime(root + "/big.bin", seconds: 1_400_000_000, nanoseconds: 999_999_999)
        try setModificationTime(root, seconds: 1_111_111_111, nanoseconds: 500_000_000)
    }

    /// The targets of the escaping links: `<runTemplate>/outside/unsafe.txt` (copied with each run directory) and
    /// `absoluteTarget/{target.txt,dir/}` (shared by both runs so the absolute link text is the same).
    static func buildOutside(runTemplate: String, absoluteTarget: String) throws {
        try makeDirectories(runTemplate + "/outside")
        try writeFile(runTemplate + "/outside/unsafe.txt", content("outside/unsafe.txt", size: 77))
        try makeDirectories(absoluteTarget + "/dir/sub")
        try writeFile(absoluteTarget + "/target.txt", content("abs/target.txt", size: 55))
        try writeFile(absoluteTarget + "/dir/sub/file.txt", content("abs/dir/sub/file.txt", size: 66))
        try freezeTimes(absoluteTarget)
    }

    /// Names that stress output escaping and name handling: tab, backslash, bytes that are not UTF-8,
    /// non-Latin script, a 255-byte name; plus set-uid bits and extreme time stamps.
    static func addEdgeCases(to root: String) throws {
        try writeFile(root + "/tab\tname.txt", content("tab", size: 11))
        try writeFile(root + "/back\\slash.txt", content("backslash", size: 12))
        let badName = rawBytes(root + "/bad") + [0xff, 0xfe] + rawBytes("name.bin")
        try writeFile(badName, content("bad", size: 13))
        try setModificationTime(badName, seconds: 1_000_000_000, nanoseconds: 42)
        try writeFile(root + "/日本語.txt", content("cjk", size: 14))
        try writeFile(root + "/" + String(repeating: "L", count: 251) + ".txt", content("long", size: 15))
        try writeFile(root + "/suid.bin", content("suid", size: 16), mode: 0o755)
        try changeMode(root + "/suid.bin", 0o4755)
        try writeFile(root + "/question?mark*.txt", content("glob", size: 17))
        try writeFile(root + "/pre1970.txt", content("pre1970", size: 18))
        try setModificationTime(root + "/pre1970.txt", seconds: -86_400 * 365, nanoseconds: 250_000_000)
        try writeFile(root + "/year2100.txt", content("future", size: 19))
        try setModificationTime(root + "/year2100.txt", seconds: 4_102_444_800)
        try makeDirectories(root + "/deep/1/2/3/4/5/6/7/8/9")
        try writeFile(root + "/deep/1/2/3/4/5/6/7/8/9/leaf.txt", content("leaf", size: 20))
        try makeSymlink(root + "/links/tab\tlink", to: "target\twith tab")
        try freezeTimes(root)
    }

    /// Rules files for the filter cases: `.rsync-filter` in three directories (with inheritance,
    /// anchoring, a clear and a nested dir-merge), a `.cvsignore`, a `cache/` directory, and
    /// `rules.txt`/`more.rules` beside `src/` for `--exclude-from`, `--include-from` and `merge`.
    static func addFilterFiles(source src: String, runDirectory: String) throws {
        try writeFile(src + "/.rsync-filter", Array("+ f4096.bin\n- *.bin\n- .hidden\n: .inner\n".utf8))
        try writeFile(src + "/a/.rsync-filter", Array("- top.txt\n- /b/c/d/\n".utf8))
        try writeFile(src + "/a/b/.rsync-filter", Array("- sibling.txt\n".utf8))
        try writeFile(src + "/deep/1/2/.rsync-filter", Array("!\n- 4/\n".utf8))
        try writeFile(src + "/deep/1/.inner", Array("- 3/\n".utf8))
        try writeFile(src + "/a/b/.cvsignore", Array("sibling.txt h3\n".utf8))
        try makeDirectories(src + "/cache/tmp")
        try writeFile(src + "/cache/tmp/t.tmp", content("t.tmp", size: 9))
        try writeFile(src + "/cache/data.o", content("data.o", size: 9))
        try writeFile(src + "/cache/core", content("core", size: 9))
        // A "!" word in a .cvsignore clears the list before it (-C).
        try writeFile(src + "/cache/.cvsignore", Array("*.o ! core".utf8))
        try writeFile(src + "/a/b/notes.txt", content("notes", size: 9))
        try writeFile(runDirectory + "/rules.txt",
            Array("# comment\n; another\n\n- *.txt\n+ a/\n+ a/b/\n- a/*\n".utf8))
        try writeFile(runDirectory + "/more.rules", Array("- cache/\n+ *.sh\n".utf8))
        try writeFile(runDirectory + "/list.txt",
            Array("a/top.txt\n/script.sh\nlinks/\n# not this\n../deep/1/2/3/4/5/6/7/8/9/leaf.txt\ncache\n".utf8))
        // A directory named before and after paths below it, a missing path, and "." with -r.
        try writeFile(runDirectory + "/nested.txt", Array("a/b/c/nope\na\na/b/sibling.txt\n".utf8))
        try writeFile(runDirectory + "/withdot.txt", Array("deep/nope\n.\n".utf8))
        // Entries with their own "/./": the -R name starts after it (rsync's files-from test).
        try writeFile(runDirectory + "/dotted.txt", Array("a/./b/notes.txt\na/b/./c\na/./\ncache\n".utf8))
        try writeFile(runDirectory + "/list0.txt", Array("a/b/notes.txt\0with space.txt\0cache/\0".utf8))
        try writeFile(runDirectory + "/rules0.txt", Array("- *.txt\0+ cache/***\0- cache*\0".utf8))
        try freezeTimes(src)
    }

    /// Mutates a copy of the rich tree into a "stale destination" with every kind of difference.
    ///
    /// `source` is the rich tree the destination was copied from (used for its time stamps).
    static func makeStale(destination dst: String, source src: String) throws {
        func mtime(_ path: String) -> (Int, Int) {
            let st = fileStatus(src + "/" + path)!
            return (st.st_mtim.tv_sec, st.st_mtim.tv_nsec)
        }
        // Same size, different content, different mtime.
        try writeFile(dst + "/f4096.bin", content("f4096.bin", size: 4096, variant: "stale"))
        try setModificationTime(dst + "/f4096.bin", seconds: mtime("f4096.bin").0 - 100)
        // Same size, different content, SAME mtime: only -c or -I notice.
        try writeFile(dst + "/f4097.bin", content("f4097.bin", size: 4097, variant: "stale"))
        try setModificationTime(dst + "/f4097.bin", seconds: mtime("f4097.bin").0, nanoseconds: mtime("f4097.bin").1)
        // Different size.
        try writeFile(dst + "/f100k.bin", Array(content("f100k.bin", size: 100 * 1024).prefix(50_000)))
        // Permissions only.
        try changeMode(dst + "/script.sh", 0o644)
        try changeMode(dst + "/a/b/c", 0o755)
        // mtime only (same content): by an hour, and by one second (for --modify-window).
        try setModificationTime(dst + "/one.bin", seconds: mtime("one.bin").0 + 3_600)
        let f4095 = mtime("f4095.bin")
        try setModificationTime(dst + "/f4095.bin", seconds: f4095.0 + 1, nanoseconds: f4095.1)
        // Newer on the receiver, different content (for -u).
        try writeFile(dst + "/a/top.txt", content("a/top.txt", size: 150, variant: "newer"))
        try setModificationTime(dst + "/a/top.txt", seconds: mtime("a/top.txt").0 + 31_536_000)
        // A read-only file whose content changed.
        try changeMode(dst + "/readonly.txt", 0o644)
        try writeFile(dst + "/readonly.txt", content("readonly.txt", size: 299, variant: "stale"), mode: 0o444)
        // A few bytes changed in the middle of the big file (what the delta algorithm is for).
        var big = try readAllBytes(dst + "/big.bin")
        for index in 700_000..<700_100 { big[index] ^= 0x5a }
        try writeFile(dst + "/big.bin", big)
        try setModificationTime(dst + "/big.bin", seconds: 1_300_000_000)
        // Extraneous files and directories.
        try writeFile(dst + "/extra.txt", content("extra", size: 10))
        try writeFile(dst + "/.extra-hidden", content("extra-hidden", size: 10))
        try makeDirectories(dst + "/extradir/x")
        try writeFile(dst + "/extradir/x/y.txt", content("extradir", size: 10))
        try writeFile(dst + "/a/b/extra2.txt", content("extra2", size: 10))
        try makeDirectories(dst + "/emptydir/extra-subdir")
        // A symlink whose target changed.
        unlink(dst + "/links/rel")
        try makeSymlink(dst + "/links/rel", to: "../a/top.txt")
        // A file replaced by an (empty) directory.
        unlink(dst + "/-leading-dash")
        try makeDirectory(dst + "/-leading-dash")
        // The hard-link group broken: a/h2 is now a separate copy with the same content and time.
        let h2 = try readAllBytes(dst + "/a/h2")
        unlink(dst + "/a/h2")
        try writeFile(dst + "/a/h2", h2)
        try setModificationTime(dst + "/a/h2", seconds: mtime("a/h2").0, nanoseconds: mtime("a/h2").1)
        if isRoot {
            // Owner changed only.
            try changeOwner(dst + "/secret.txt", uid: 0, gid: 0)
            try changeMode(dst + "/secret.txt", 0o600)
        }
        try freezeTimes(dst)
    }

    /// Turns a copy of the rich tree into one where entries changed type: non-empty directories where the source
    /// has files or symlinks, a file where it has a directory, a symlink where it has a directory.
    static func makeTypeSwapped(destination dst: String) throws {
        unlink(dst + "/with space.txt")
        try makeDirectories(dst + "/with space.txt/inner")
        try writeFile(dst + "/with space.txt/inner/deep.txt", content("swap1", size: 10))
        removeTree(dst + "/a/b/c")
        try writeFile(dst + "/a/b/c", content("swap2", size: 10))
        removeTree(dst + "/emptydir")
        try makeSymlink(dst + "/emptydir", to: "a")
        unlink(dst + "/links/rel")
        try makeDirectories(dst + "/links/rel")
        try writeFile(dst + "/links/rel/file.txt", content("swap3", size: 10))
        unlink(dst + "/fifo")
        try makeDirectory(dst + "/fifo")
        try freezeTimes(dst)
    }

    /// Visits every entry below `root` (not `root` itself), children before their directory.
    static func walkPaths(_ root: String, _ visit: (String) throws -> Void) throws {
        func recurse(_ relative: String) throws {
            let full = relative.isEmpty ? root : root + "/" + relative
            for name in try directoryEntries(full) {
                let child = relative.isEmpty ? name : relative + "/" + name
                if let st = fileStatus(root + "/" + child), (st.st_mode & S_IFMT) == S_IFDIR {
                    try recurse(child)
                }
                try visit(child)
            }
        }
        try recurse("")
    }

    /// Replaces every time stamp near "now" below (and including) `root` by a deterministic old one.
    ///
    /// Scenario set-up creates and deletes entries, which bumps directory times; this makes the prepared
    /// template fully deterministic again. Names that are not UTF-8 are skipped: set their times explicitly.
    static func freezeTimes(_ root: String) throws {
        func freeze(_ path: String, _ relative: String) throws {
            guard let st = fileStatus(path), TreeSnapshot.isRecent(seconds: st.st_mtim.tv_sec) else { return }
            var random = SeededRandom(seed: "freeze|" + relative)
            let seconds = 1_500_000_000 + Int(random.next() % 10_000_000)
            let nanoseconds = Int(random.next() % 1_000_000_000)
            try setModificationTime(path, seconds: seconds, nanoseconds: nanoseconds)
        }
        try walkPaths(root) { relative in
            try freeze(root + "/" + relative, relative)
        }
        try freeze(root, ".")
    }
}
