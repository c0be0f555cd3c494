import Foundation
import SyncTestSupport
import Testing

import Glibc

/// A source directory the scan cannot read (EACCES) is an I/O error: the rest is transferred, no
/// deletion runs after the error, and the run ends with 23. Differential: rsync 3.5.0 and swsync, both
/// as `nobody` (root reads everything), on copies of the same tree, with each deletion timing.
/// `--delete` deletes in the directories it reached before the error (both tools, which walk the same
/// order); `--delete-before` and `--delete-after` delete nothing. With `--delete-delay`, rsync still
/// deletes what it recorded before the error; swsync deletes nothing (its documented difference).
@Suite(.tags(.large), .enabled(if: Tools.swsyncAvailable && Tools.rsyncAvailable, "swsync or rsync missing"),
    .enabled(if: geteuid() == 0, "needs root to switch to an unprivileged user"),
    .enabled(if: Tools.isExecutable("/usr/bin/setpriv"), "setpriv (util-linux) not installed"))
struct ScanErrorTests {
    /// src/{a/f1, locked/ (mode 000) holding g, top}, dst/ with files the source does not have, all
    /// reachable by `nobody`.
    static func prepare(_ root: String) throws {
        try makeDirectories(root + "/src/a")
        try makeDirectories(root + "/src/locked")
        try makeDirectories(root + "/dst/a")
        try makeDirectories(root + "/dst/locked")
        try writeFile(root + "/src/a/f1", Array("one\n".utf8))
        try writeFile(root + "/src/top", Array("top\n".utf8))
        try writeFile(root + "/src/locked/g", Array("hidden\n".utf8))
        for extra in ["/dst/extraneous", "/dst/a/stale", "/dst/locked/old"] { try writeFile(root + extra, Array("x\n".utf8)) }
        try Unprivileged.handOver(root)
        try changeMode(root + "/src/locked", 0o000)
    }

    @Test(arguments: [["-a", "--delete"], ["-a", "--delete-after"], ["-a", "--delete-delay"], ["-a", "--delete-before"]])
    func unreadableSourceDirectoryStopsDeletions(_ options: [String]) throws {
        let scratch = try TemporaryDirectory("scan-eacces")
        let (rsync, swsync) = try Unprivileged.runBoth(in: scratch.path, options + ["src/", "dst/"],
            prepare: Self.prepare, afterRun: { root in try changeMode(root + "/src/locked", 0o755) })
        let results = [rsync, swsync]
        #expect(rsync.output.termination == .exited(23), Comment(rawValue: rsync.output.stderrText))
        #expect(swsync.output.termination == rsync.output.termination, Comment(rawValue: swsync.output.stderrText))
        for result in results {
            // rsync's FINFO line: on stdout.
            #expect(result.output.stdoutText.contains("IO error encountered -- skipping file deletion"),
                "\(result.label): \(result.output.stderrText)")
            #expect(result.output.stderrText.contains("Permission denied (13)"), "\(result.label): \(result.output.stderrText)")
        }
        let strictlyKept: Set<String> = options.contains("--delete-delay") ? ["extraneous", "a/stale"] : []
        let differences = TreeComparison.differences(rsync.tree, swsync.tree, labels: ("rsync", "swsync"))
            .filter { line in !strictlyKept.contains { line.hasPrefix($0 + ": only in swsync") } }
        #expect(differences.isEmpty, Comment(rawValue: differences.joined(separator: "\n")))
        #expect(swsync.tree["locked/old"] != nil, "the unreadable directory's counterpart lost its files")
        if options != ["-a", "--delete"] {
            #expect(swsync.tree["extraneous"] != nil && swsync.tree["a/stale"] != nil, "a deletion ran despite the scan error")
        }
        #expect(swsync.tree["a/f1"] != nil && swsync.tree["top"] != nil, "the readable files were not sent")
    }
}
