import Foundation
import SyncTestSupport
import Testing

import Glibc

/// A destination directory the running user does not own and may not write (root's, mode 0555 or 0755),
/// run as `nobody` by rsync 3.5.0 and swsync on copies of the same tree: rsync's `set_file_attrs` sets the
/// directory's time first and, when that fails, says so once and leaves its mode alone; the temp file's
/// `mkstemp` failure names its full path. The same messages, exit status (23) and trees.
@Suite(.tags(.large, .differential), .enabled(if: Tools.swsyncAvailable && Tools.rsyncAvailable, "swsync or rsync missing"),
    .enabled(if: geteuid() == 0, "needs root to switch to an unprivileged user"),
    .enabled(if: Tools.isExecutable("/usr/bin/setpriv"), "setpriv (util-linux) not installed"))
struct UnwritableDestinationTests {
    static let cases: [(options: [String], mode: UInt32)] = [
        (["-a", "--partial"], 0o555), (["-a"], 0o755), (["-rt"], 0o555), (["-r", "--partial"], 0o555),
    ]

    @Test(arguments: cases)
    func aDirectoryTheUserMayNotChange(_ options: [String], mode: UInt32) throws {
        let scratch = try TemporaryDirectory("unwritable-destination")
        let (rsync, swsync) = try Unprivileged.runBoth(in: scratch.path, options + ["src/", "dst/"], prepare: { root in
            try makeDirectories(root + "/src")
            try writeFile(root + "/src/f", Array(repeating: 0x61, count: 50_000))
            try makeDirectories(root + "/dst")
            try writeFile(root + "/dst/f", Array("old\n".utf8))
            try setModificationTime(root + "/src", seconds: 1_100_000_000)
            try setModificationTime(root + "/dst", seconds: 1_000_000_000)
            try changeMode(root, 0o755)
            try changeMode(root + "/dst", mode)
        }, afterRun: { root in try changeMode(root + "/dst", 0o755) })
        #expect(rsync.output.termination == .exited(23), Comment(rawValue: rsync.output.stderrText))
        #expect(swsync.output.termination == rsync.output.termination, Comment(rawValue: swsync.output.stderrText))
        let messages = [rsync, swsync].map { result in
            result.output.stderrText.split(separator: "\n").dropLast().map { line in
                // The program's name, the temp file's random part and the run directory differ.
                var text = String(line).replacingOccurrences(of: scratch.path + "/" + result.label, with: "@")
                for program in ["rsync: ", "swsync: "] where text.hasPrefix(program) { text = String(text.dropFirst(program.count)) }
                return text.replacingOccurrences(of: #"\.f\.[A-Za-z0-9]{6}"#, with: ".f.XXXXXX", options: .regularExpression)
            }
        }
        #expect(messages[0] == messages[1], "rsync: \(messages[0])\nswsync: \(messages[1])")
        let differences = TreeComparison.differences(rsync.tree, swsync.tree, labels: ("rsync", "swsync"))
        #expect(differences.isEmpty, Comment(rawValue: differences.joined(separator: "\n")))
    }

    /// The user's own read-only directories (0555, without -p keeping that mode) take the new files: rsync's
    /// generator gives a directory the owner's full access while files go in and its mode back afterwards.
    @Test(arguments: [["-r"], ["-rt"], ["-a"], ["-ri", "--delete"]])
    func theUsersOwnReadOnlyDirectoriesTakeFiles(_ options: [String]) throws {
        let scratch = try TemporaryDirectory("read-only-destination")
        let (rsync, swsync) = try Unprivileged.runBoth(in: scratch.path, options + ["src/", "dst/"], prepare: { root in
            try makeDirectories(root + "/src/sub")
            try writeFile(root + "/src/f", Array("new\n".utf8))
            try writeFile(root + "/src/sub/g", Array("new\n".utf8))
            try makeDirectories(root + "/dst/sub")
            try writeFile(root + "/dst/sub/old", Array("old\n".utf8))
            try Unprivileged.handOver(root)
            try changeMode(root + "/dst/sub", 0o555)
            try changeMode(root + "/dst", 0o555)
        }, afterRun: { root in
            try changeMode(root + "/dst", 0o755)
            try changeMode(root + "/dst/sub", 0o755)
        })
        #expect(rsync.output.termination == .exited(0), Comment(rawValue: rsync.output.stderrText))
        #expect(swsync.output.termination == rsync.output.termination, Comment(rawValue: swsync.output.stderrText))
        // (rsync's root lines and the deletions below it come in either order from run to run.)
        let lines = [rsync, swsync].map { $0.output.stdoutText.split(separator: "\n").map(String.init) }
        #expect(OutputComparison.problem(rsync: lines[0], swsync: lines[1]) == nil, "rsync \(lines[0]), swsync \(lines[1])")
        let differences = TreeComparison.differences(rsync.tree, swsync.tree, labels: ("rsync", "swsync"))
        #expect(differences.isEmpty, Comment(rawValue: differences.joined(separator: "\n")))
    }
}
