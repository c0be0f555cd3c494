import Foundation
import SyncTestSupport
import Testing

/// `--progress`, `--info=progress2` and `--log-file` against rsync. Their lines carry rates, clocks,
/// timestamps and process ids, so they are compared after those fields are masked; everything else
/// (names, byte counts, percentages, transfer numbers, the final "to-chk=0/N") must match.
@Suite(.tags(.large, .differential), .enabled(if: Tools.rsyncAvailable, "reference rsync not found"))
struct ProgressAndLogTests {
    /// A small tree: three files at two depths, one of them empty.
    private func makeTree(in directory: String) throws {
        try makeDirectories(directory + "/src/x/y")
        try writeFile(directory + "/src/top.txt", Array("hello\n".utf8))
        try writeFile(directory + "/src/x/g", [UInt8](repeating: 7, count: 70_000))
        try writeFile(directory + "/src/x/y/empty", [])
    }

    /// Runs `arguments` with both tools, each in a fresh copy of the tree under `base`; returns the
    /// (rsync, swsync) runs.
    private func runBoth(_ base: TemporaryDirectory, _ arguments: [String]) throws
        -> [(output: ProcessOutput, directory: String)]
    {
        var runs: [(ProcessOutput, String)] = []
        for (name, tool) in [("rsync", Tools.rsync!), ("swsync", Tools.swsync)] {
            let directory = base.path + "/" + name
            try makeDirectory(directory)
            try makeTree(in: directory)
            let output = try Subprocess.run(tool, arguments, in: directory, outputPrefix: directory + "/out")
            #expect(output.termination == .exited(0), "\(name): \(output.termination) \(output.stderrText)")
            runs.append((output, directory))
        }
        return runs
    }

    /// The last carriage-return segment of each line: what a terminal shows once the line is done.
    static func finalSegments(_ text: String) -> [String] {
        text.split(separator: "\n", omittingEmptySubsequences: false).map { line in
            String(line.split(separator: "\r", omittingEmptySubsequences: false).last ?? "")
        }.filter { !$0.isEmpty }
    }

    /// Masks the rate and the clock of a progress line ("1.95kB/s    0:00:00").
    static func maskTiming(_ line: String) -> String {
        line.replacingOccurrences(of: #"[0-9.]+[kMGT]B/s"#, with: "RATE", options: .regularExpression)
            .replacingOccurrences(of: #"[0-9]+:[0-9]{2}:[0-9]{2}"#, with: "CLOCK", options: .regularExpression)
            .replacingOccurrences(of: #" +"#, with: " ", options: .regularExpression)
    }

    /// Masks how far the file list had come ("to-chk=2/5" or "ir-chk=1/4"), which depends on how far
    /// ahead each tool's sender is; the last line of a run must still agree exactly.
    static func maskCheckCounts(_ line: String) -> String {
        line.replacingOccurrences(of: #"(to|ir)-chk=[0-9]+/[0-9]+"#, with: "CHK", options: .regularExpression)
    }

    @Test func perFileProgressLines() throws {
        try #require(Tools.swsyncAvailable, Comment(rawValue: Tools.missingBinaryMessage))
        let base = try TemporaryDirectory("progress")
        let runs = try runBoth(base, ["-a", "--progress", "src/", "dst/"])
        let lines = runs.map { Self.finalSegments($0.output.stdoutText).map(Self.maskTiming) }
        // rsync prints a provisional line per file before the final one; only final lines (with xfr#) and
        // names are compared.
        let comparable = lines.map { $0.filter { !$0.hasSuffix(" ") && !$0.hasPrefix("sent ") && !$0.hasPrefix("total size") && !$0.hasPrefix("created directory") } }
        #expect(comparable[0].map(Self.maskCheckCounts) == comparable[1].map(Self.maskCheckCounts),
            "rsync:\n\(comparable[0].joined(separator: "\n"))\nswsync:\n\(comparable[1].joined(separator: "\n"))")
        #expect(comparable[0].last(where: { $0.contains("xfr#") }) == comparable[1].last(where: { $0.contains("xfr#") }))
        #expect(comparable[1].contains { $0.contains("70,000 100%") && $0.contains("xfr#") })
    }

    @Test func wholeRunProgressLine() throws {
        try #require(Tools.swsyncAvailable, Comment(rawValue: Tools.missingBinaryMessage))
        let base = try TemporaryDirectory("progress2")
        let runs = try runBoth(base, ["-a", "--info=progress2", "src/", "dst/"])
        let finals = runs.map { run in
            Self.finalSegments(run.output.stdoutText).map(Self.maskTiming).filter { $0.contains("xfr#") }.last
        }
        #expect(finals[0] != nil)
        #expect(finals[0] == finals[1])
    }

    /// `--debug=FILTER`: the same "hiding"/"protecting" lines as rsync. rsync's sender prints them as it
    /// lists, ahead of the generator, so they are compared as a set.
    @Test func filterDebugLines() throws {
        try #require(Tools.swsyncAvailable, Comment(rawValue: Tools.missingBinaryMessage))
        let base = try TemporaryDirectory("debug-filter")
        let arguments = ["-rn", "--delete", "--debug=FILTER", "--exclude=*.txt", "--include=x/", "--exclude=y/",
            "src/", "dst/"]
        var lines: [[String]] = []
        for (name, tool) in [("rsync", Tools.rsync!), ("swsync", Tools.swsync)] {
            let directory = base.path + "/" + name
            try makeDirectory(directory)
            try makeTree(in: directory)
            try makeDirectories(directory + "/dst/x/y")
            try writeFile(directory + "/dst/old.txt", [1])
            try writeFile(directory + "/dst/x/y/keep.txt", [2])
            let output = try Subprocess.run(tool, arguments, in: directory, outputPrefix: directory + "/out")
            #expect(output.termination == .exited(0), "\(name): \(output.stderrText)")
            lines.append(Self.finalSegments(output.stdoutText).filter { $0.contains(" because of pattern ") }.sorted())
        }
        #expect(!lines[0].isEmpty)
        #expect(lines[0] == lines[1])
    }

    @Test func logFileLines() throws {
        try #require(Tools.swsyncAvailable, Comment(rawValue: Tools.missingBinaryMessage))
        let base = try TemporaryDirectory("log-file")
        let runs = try runBoth(base, ["-a", "--delete", "--log-file=run.log", "src/", "dst/"])
        let logs = try runs.map { run in
            let text = String(decoding: try readAllBytes(run.directory + "/run.log"), as: UTF8.self)
            return text.split(separator: "\n").map { line -> String in
                // "2026/11/23 06:05:15 [6920] cd+++++++++ x/" -> "cd+++++++++ x/"
                let masked = line.replacingOccurrences(
                    of: #"^[0-9]{4}/[0-9]{2}/[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2} \[[0-9]+\] "#, with: "",
                    options: .regularExpression)
                #expect(masked != line, "log line without rsync's date and pid prefix: \(line)")
                return masked.hasPrefix("sent ") ? "sent" : masked
            }
        }
        #expect(logs[0] == logs[1], "rsync:\n\(logs[0].joined(separator: "\n"))\nswsync:\n\(logs[1].joined(separator: "\n"))")
        #expect(logs[1].contains(">f+++++++++ x/g"))
    }
}
