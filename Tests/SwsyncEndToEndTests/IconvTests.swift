import Foundation
import SyncTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// `--iconv=LOCAL,REMOTE` against rsync 3.5.0: local runs, pushes and pulls (through a remote shell that runs
/// its command here, as `-e` does), UTF-8 source names received as ISO-8859-1 and back. Compared: the
/// destination's raw byte names and symlink targets (with the rest of the tree), the `-i` lines, the
/// "cannot convert" lines on stderr, and the exit status.
@Suite(.tags(.large, .differential), .enabled(if: Tools.rsyncAvailable, "reference rsync not found"))
struct IconvTests {
    enum Mode: String, Sendable { case local, push, pull }

    struct Case: Sendable, CustomTestStringConvertible {
        var mode: Mode
        var spec: String
        var options: [String] = ["-ai"]
        /// The source holds a name the receiving side's charset cannot hold (日本 in ISO-8859-1) or one the
        /// sender's cannot read (a Latin-1 byte where UTF-8 is expected).
        var source: Source = .convertible
        /// The destination holds Latin-1 names that are not in the source (for `--delete`).
        var staleLatin1 = false
        var oracleExit: Int32 = 0
        /// stdout lines left out of the comparison, with the reason (Docs/compatibility.md).
        var ignoredLines: [String] = []
        /// A documented difference: the case runs as a known issue.
        var knownDifference: String?

        enum Source: Sendable {
            case convertible, unconvertibleForReceiver, unconvertibleForSender, unconvertibleInSubdirectory
            /// A symlink whose target the sender cannot read as UTF-8, or the receiver cannot write in Latin-1.
            case symlinkUnconvertibleForSender, symlinkUnconvertibleForReceiver
            /// KOI8-R names whose byte order is not their UTF-8 order (а = 0xC1 < А = 0xE1, but U+0410 < U+0430).
            case koi8Reordered
        }

        var testDescription: String { "\(mode) --iconv=\(spec) \(options.joined(separator: " ")) [\(source)]" }
    }

    /// rsync turns a receiver's unconvertible top-level name into an empty one, which its generator then
    /// takes for "." (the root's line becomes `.d..t......`); swsync leaves the entry out.
    static let emptyNameRoot = ["cd+++++++++ ./", ".d..t...... ./"]

    static let cases: [Case] = [
        Case(mode: .local, spec: "UTF-8,ISO-8859-1"),
        Case(mode: .push, spec: "UTF-8,ISO-8859-1"),
        Case(mode: .pull, spec: "ISO-8859-1,UTF-8"),
        Case(mode: .pull, spec: "UTF-8,UTF-8"),
        Case(mode: .local, spec: "UTF-8", options: ["-av"]),
        Case(mode: .local, spec: "-", options: ["-ai"]),
        Case(mode: .push, spec: "UTF-8,ISO-8859-1", options: ["-ai", "--delete"], staleLatin1: true),
        Case(mode: .pull, spec: "ISO-8859-1,UTF-8", options: ["-ai", "--delete"], staleLatin1: true),
        Case(mode: .local, spec: "UTF-8,ISO-8859-1", options: ["-ai", "--delete"], staleLatin1: true),
        // Errors: a name the receiver's charset cannot hold, one the sender cannot read.
        Case(mode: .local, spec: "UTF-8,ISO-8859-1", source: .unconvertibleForReceiver, oracleExit: 23,
            ignoredLines: emptyNameRoot),
        Case(mode: .push, spec: "UTF-8,ISO-8859-1", source: .unconvertibleForReceiver, oracleExit: 23,
            ignoredLines: emptyNameRoot),
        Case(mode: .pull, spec: "ISO-8859-1,UTF-8", options: ["-ai", "--trust-sender"],
            source: .unconvertibleForReceiver, oracleExit: 23, ignoredLines: emptyNameRoot),
        Case(mode: .local, spec: "UTF-8,ISO-8859-1", options: ["-ai", "--delete"], source: .unconvertibleForReceiver,
            staleLatin1: true, oracleExit: 23, ignoredLines: emptyNameRoot),
        Case(mode: .local, spec: "UTF-8,ISO-8859-1", source: .unconvertibleForSender, oracleExit: 23),
        Case(mode: .push, spec: "UTF-8,ISO-8859-1", source: .unconvertibleForSender, oracleExit: 23),
        Case(mode: .pull, spec: "ISO-8859-1,UTF-8", source: .unconvertibleForSender, oracleExit: 23),
        Case(mode: .local, spec: "KOI8-R,UTF-8", source: .koi8Reordered),
        Case(mode: .push, spec: "KOI8-R,KOI8-R", source: .koi8Reordered),
        Case(mode: .pull, spec: "KOI8-R,KOI8-R", options: ["-ai", "--delete"], source: .koi8Reordered),
        Case(mode: .local, spec: "UTF-8,ISO-8859-1", source: .symlinkUnconvertibleForSender, oracleExit: 23),
        Case(mode: .push, spec: "UTF-8,ISO-8859-1", source: .symlinkUnconvertibleForSender, oracleExit: 23),
        Case(mode: .local, spec: "UTF-8,ISO-8859-1", source: .symlinkUnconvertibleForReceiver, oracleExit: 23,
            ignoredLines: emptyNameRoot),
        // rsync 3.5.0 aborts on the empty name it made: exit 4 ("ABORTING due to invalid path from sender"),
        // and a pull's client exits 4 too ("rejecting unrequested file-list name"). swsync skips the entry.
        Case(mode: .local, spec: "UTF-8,ISO-8859-1", source: .unconvertibleInSubdirectory, oracleExit: 4,
            knownDifference: "rsync 3.5.0 aborts with exit 4 on its own empty name; swsync skips the entry (23)"),
        Case(mode: .pull, spec: "ISO-8859-1,UTF-8", source: .unconvertibleForReceiver, oracleExit: 4,
            knownDifference: "rsync 3.5.0's pull client rejects its own empty name (exit 4); swsync skips it (23)"),
    ]

    @Test(arguments: cases)
    func matchesRsync(_ testCase: Case) throws {
        if let reason = testCase.knownDifference, !Tools.binaryUnderTestIsRsync {
            withKnownIssue(Comment(rawValue: reason)) { try Self.compare(testCase) }
        } else {
            try Self.compare(testCase)
        }
    }

    /// An unknown charset: rsync's line and exit code (4 when this side's charset is unknown; 12 when only
    /// the peer's or the receiving half's is, as the peer is gone before its hello).
    @Test(arguments: [
        (Mode.local, "foo", Int32(4)), (.local, "UTF-8,foo", 12), (.local, "foo,UTF-8", 4),
        (.push, "foo", 4), (.push, "UTF-8,foo", 12), (.pull, "UTF-8,foo", 12),
    ])
    func unknownCharset(mode: Mode, spec: String, expected: Int32) throws {
        let run = try TemporaryDirectory("iconv-unknown")
        try Self.buildSource(run.path + "/src", .convertible)
        for tool in [Tools.rsync!, Tools.swsync] {
            let output = try Self.run(tool, mode: mode, spec: spec, options: ["-a"], in: run.path)
            #expect(output.termination == .exited(expected), "\(tool): \(output.stderrText)")
            #expect(output.stderrText.contains("iconv_open(\"UTF-8\", \"foo\") failed"),
                "\(tool): \(output.stderrText)")
            #expect(!exists(run.path + "/dst"), "\(tool) made the destination")
        }
    }

    /// The peer is told the part after the comma: a push with REMOTE = ISO-8859-1 writes Latin-1 names.
    /// (Checked without rsync, so a wrong forwarding fails here even if both tools' trees were compared wrongly.)
    @Test func thePeerIsToldRemote() throws {
        let run = try TemporaryDirectory("iconv-remote")
        try Self.buildSource(run.path + "/src", .convertible)
        let output = try Self.run(Tools.swsync, mode: .push, spec: "UTF-8,ISO-8859-1", options: ["-a"], in: run.path)
        #expect(output.termination == .exited(0), "\(output.stderrText)")
        #expect(try directoryEntries(Array((run.path + "/dst").utf8)).contains([0x63, 0x61, 0x66, 0xE9]))
        let target = try TreeSnapshot(run.path + "/dst")["link"]?.linkTarget
        #expect(target == displayString([0x63, 0x61, 0x66, 0xE9]))
    }

    /// A receiving charset whose names hold NULs (UTF-16) yields no name the receiver may write: every entry
    /// is refused with rsync's line (exit 23), nothing is written, nothing traps. (rsync 3.5.0 writes names
    /// that start with a byte-order mark until it aborts, exit 4.)
    @Test(.disabled(if: Tools.binaryUnderTestIsRsync, "swsync's own behaviour"), arguments: [Mode.local, .push])
    func namesWithNULsAreRefused(mode: Mode) throws {
        let run = try TemporaryDirectory("iconv-utf16")
        try Self.buildSource(run.path + "/src", .convertible)
        let output = try Self.run(Tools.swsync, mode: mode, spec: "UTF-8,UTF-16", options: ["-a"], in: run.path)
        #expect(output.termination == .exited(23), "\(output.stderrText)")
        #expect(output.stderrText.contains("cannot convert filename: caf"), "\(output.stderrText)")
        #expect(try Self.rawNames(below: run.path + "/dst").isEmpty)
    }

    /// `--list-only` of a remote source: the peer's names shown in LOCAL, as rsync lists them.
    @Test func remoteListing() throws {
        let run = try TemporaryDirectory("iconv-list")
        try Self.buildSource(run.path + "/src", .convertible)
        let rsh = run.path + "/rsh"
        try writeFile(rsh, Array("#!/bin/sh\nshift\nexec \"$@\"\n".utf8), mode: 0o755)
        var listings: [[String]] = []
        for (label, tool) in Self.tools {
            let output = try Subprocess.run(tool, ["-r", "--iconv=ISO-8859-1,UTF-8", "-e", rsh,
                "--rsync-path=" + tool, "peer:" + run.path + "/src/"], in: run.path,
                outputPrefix: run.path + "/" + label)
            #expect(output.termination == .exited(0), "\(tool): \(output.stderrText)")
            // The directory's own time is the run's (the fixture's entries are fixed).
            listings.append(OutputFilter.exact.apply(output.stdout).filter { !$0.hasSuffix(" .") })
        }
        #expect(listings[0].contains { $0.hasSuffix(" caf\\#351") }, "\(listings[0])")
        #expect(listings[1] == listings[0])
    }

    // MARK: Running both tools

    /// The oracle and the binary under test, with the labels of their run directories.
    static var tools: [(label: String, executable: String)] {
        [(DifferentialRunner.labels.0, Tools.rsync!), (DifferentialRunner.labels.1, Tools.swsync)]
    }

    static func compare(_ testCase: Case) throws {
        let root = try TemporaryDirectory("iconv")
        var results: [(output: ProcessOutput, tree: TreeSnapshot?, names: [[UInt8]], run: String)] = []
        for (label, tool) in Self.tools {
            let run = root.path + "/" + label
            try makeDirectory(run)
            try buildSource(run + "/src", testCase.source)
            if testCase.staleLatin1 { try buildStaleDestination(run + "/dst") }
            let output = try Self.run(tool, mode: testCase.mode, spec: testCase.spec, options: testCase.options,
                in: run)
            let tree = exists(run + "/dst") ? try TreeSnapshot(run + "/dst") : nil
            results.append((output, tree, try rawNames(below: run + "/dst"), run))
        }
        let (rsync, swsync) = (results[0], results[1])
        let context = "rsync stderr:\n\(rsync.output.stderrText)\nswsync stderr:\n\(swsync.output.stderrText)"
        #expect(rsync.output.termination == .exited(testCase.oracleExit), "HARNESS: rsync itself: \(context)")
        #expect(swsync.output.termination == rsync.output.termination, "exit status differs\n\(context)")
        // A push names the destination by its path, which is each tool's own.
        let lines = results.map { result in
            stdoutLines(result.output, ignoring: testCase.ignoredLines).map {
                $0.replacingOccurrences(of: result.run, with: "{RUN}")
            }
        }
        #expect(lines[1] == lines[0], "stdout differs\n\(DifferentialRunner.lineDiff(lines[0], lines[1]))\n\(context)")
        let errors = results.map { result in
            conversionErrors(result.output).map { $0.replacingOccurrences(of: result.run, with: "{RUN}") }
        }
        #expect(errors[1] == errors[0], "cannot-convert lines differ\n\(context)")
        #expect(swsync.names == rsync.names, "destination names differ")
        #expect((swsync.tree == nil) == (rsync.tree == nil), "only one tool made the destination")
        if let rsyncTree = rsync.tree, let swsyncTree = swsync.tree {
            let differences = TreeComparison.differences(rsyncTree, swsyncTree, labels: DifferentialRunner.labels)
            #expect(differences.isEmpty, "trees differ:\n\(TreeComparison.report(differences))")
        }
    }

    /// `tool` with `--iconv=spec` on `run/src` → `run/dst`, locally or through a remote shell that runs the
    /// command on this machine (swsync naming itself as the peer's program).
    static func run(_ tool: String, mode: Mode, spec: String, options: [String], in run: String) throws
        -> ProcessOutput
    {
        let rsh = run + "/rsh"
        if !exists(rsh) { try writeFile(rsh, Array("#!/bin/sh\nshift\nexec \"$@\"\n".utf8), mode: 0o755) }
        var arguments = options + ["--iconv=" + spec]
        if mode != .local {
            arguments += ["-e", rsh]
            if tool == Tools.swsync { arguments.append("--rsync-path=" + Tools.swsync) }
        }
        switch mode {
        case .local: arguments += ["src/", "dst/"]
        case .push: arguments += ["src/", "peer:" + run + "/dst/"]
        case .pull: arguments += ["peer:" + run + "/src/", "dst/"]
        }
        return try Subprocess.run(tool, arguments, in: run, outputPrefix: run + "/out")
    }

    static let latin1E: UInt8 = 0xE9

    /// café, a symlink to it, dïr/naïve, plain, all UTF-8; with the source's problem name.
    static func buildSource(_ src: String, _ kind: Case.Source) throws {
        if kind == .koi8Reordered {
            try makeDirectories(src)
            for name: [UInt8] in [[0xC1], [0xE1], [0xC1, 0x62], [0xD7]] {
                try writeFile(Array((src + "/").utf8) + name, name)
            }
            try makeDirectory(src + "/" + "d")
            try writeFile(Array((src + "/d/").utf8) + [0xE1], [0x41])
            // Directories whose order flips too, with subdirectories: the receiving side must take their
            // listings in its own order, not the wire's.
            for directory: [UInt8] in [[0xC1, 0x64], [0xE1, 0x64]] {
                let path = Array((src + "/").utf8) + directory
                for sub: [UInt8] in [[], [0x2F, 0xC1], [0x2F, 0xE1]] {
                    guard withRawPath(path + sub, { mkdir($0, 0o755) }) == 0 else { throw posixError("mkdir", src) }
                    try writeFile(path + sub + [0x2F, 0xD7], directory + sub)
                }
            }
            try freezeRaw(src)
            return
        }
        try makeDirectories(src + "/dïr")
        try writeFile(src + "/café", Array("coffee\n".utf8))
        try writeFile(src + "/plain", Array("plain\n".utf8))
        try writeFile(src + "/dïr/naïve", Array("naive\n".utf8))
        try makeSymlink(src + "/link", to: "café")
        switch kind {
        case .convertible, .koi8Reordered: break
        case .unconvertibleForReceiver: try writeFile(src + "/日本", Array("x".utf8))
        case .unconvertibleInSubdirectory: try writeFile(src + "/dïr/日本", Array("x".utf8))
        case .unconvertibleForSender: try writeFile(Array((src + "/f").utf8) + [latin1E], Array("x".utf8))
        case .symlinkUnconvertibleForSender:
            let target = Array("t".utf8) + [latin1E, UInt8(ascii: "x")]
            guard withRawPath(target, { symlink($0, src + "/badlink") }) == 0 else { throw posixError("symlink", src) }
        case .symlinkUnconvertibleForReceiver: try makeSymlink(src + "/jl", to: "日本")
        }
        try freezeRaw(src)
    }

    /// A destination with Latin-1 names the source lacks.
    static func buildStaleDestination(_ dst: String) throws {
        try makeDirectories(dst + "/sub")
        try writeFile(Array((dst + "/gon").utf8) + [latin1E], Array("old".utf8))
        try writeFile(Array((dst + "/sub/x").utf8) + [latin1E], Array("old".utf8))
        try freezeRaw(dst)
    }

    /// Every entry's mtime set to a fixed time, by raw name (the names need not be UTF-8).
    static func freezeRaw(_ root: String) throws {
        func walk(_ path: [UInt8]) throws {
            var st = stat()
            guard withRawPath(path, { lstat($0, &st) }) == 0 else { return }
            if st.st_mode & S_IFMT == S_IFDIR {
                for name in try directoryEntries(path) { try walk(path + [UInt8(ascii: "/")] + name) }
            }
            if st.st_mode & S_IFMT != S_IFLNK { try setModificationTime(path, seconds: 1_600_000_000) }
        }
        try walk(Array(root.utf8))
    }

    /// The raw names below `root`, relative, sorted.
    static func rawNames(below root: String) throws -> [[UInt8]] {
        var names: [[UInt8]] = []
        func walk(_ relative: [UInt8]) throws {
            let path = Array(root.utf8) + (relative.isEmpty ? [] : [UInt8(ascii: "/")] + relative)
            var st = stat()
            guard withRawPath(path, { lstat($0, &st) }) == 0, st.st_mode & S_IFMT == S_IFDIR else { return }
            for name in try directoryEntries(path) {
                let child = relative.isEmpty ? name : relative + [UInt8(ascii: "/")] + name
                names.append(child)
                try walk(child)
            }
        }
        guard exists(root) else { return [] }
        try walk([])
        return names.sorted { $0.lexicographicallyPrecedes($1) }
    }

    static func stdoutLines(_ output: ProcessOutput, ignoring ignored: [String]) -> [String] {
        OutputFilter(droppedPrefixes: OutputFilter.standard.droppedPrefixes + ["receiving incremental file list"])
            .apply(output.stdout).filter { !ignored.contains($0) }
    }

    /// rsync's "[ROLE] cannot convert ..." lines (the role's spelling included).
    static func conversionErrors(_ output: ProcessOutput) -> [String] {
        output.stderrText.split(separator: "\n").map(String.init).filter { $0.contains("cannot convert") }.sorted()
    }
}
