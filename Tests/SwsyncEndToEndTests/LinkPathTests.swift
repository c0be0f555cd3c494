import Glibc
import SyncTestSupport
import Testing

/// Two symlink rules at the edge of confinement, against rsync 3.5.0: `--no-implied-dirs` uses an
/// existing destination path element that is a symlink leading inside the destination (rsync's
/// documented behaviour), and `--safe-links -b` drops an unsafe destination symlink instead of keeping
/// it as a backup.
@Suite(.tags(.large, .differential), .enabled(if: Tools.rsyncAvailable, "reference rsync not found"))
struct LinkPathTests {
    /// Runs `arguments` with rsync and swsync in copies of the tree `build` makes; returns both run dirs.
    func runBoth(_ arguments: [String], build: (String) throws -> Void) throws -> (TemporaryDirectory, [String]) {
        let rsync = try #require(Tools.rsync)
        try #require(Tools.swsyncAvailable, Comment(rawValue: Tools.missingBinaryMessage))
        let scratch = try TemporaryDirectory("link-paths")
        var runs: [String] = []
        for (label, executable) in [("rsync", rsync), ("swsync", Tools.swsync)] {
            let run = scratch.path + "/" + label
            try makeDirectory(run)
            try build(run)
            let output = try Subprocess.run(executable, arguments, in: run, outputPrefix: run + "-out")
            #expect(output.termination == .exited(0), Comment(rawValue: "\(label): \(output.stderrText)"))
            runs.append(run)
        }
        return (scratch, runs)
    }

    @Test func noImpliedDirsWritesThroughAnInTreeSymlinkedPathElement() throws {
        let (scratch, runs) = try runBoth(["-aR", "--no-implied-dirs", "src/./path/file", "dst/"]) { run in
            try makeDirectories(run + "/src/path")
            try writeFile(run + "/src/path/file", Array("NEW\n".utf8))
            try makeDirectories(run + "/dst/real")
            try makeSymlink(run + "/dst/path", to: "real")
        }
        defer { withExtendedLifetime(scratch) {} }
        for run in runs {
            #expect(try readAllBytes(run + "/dst/real/file") == Array("NEW\n".utf8), "\(run)")
            #expect(fileStatus(run + "/dst/path").map { $0.st_mode & S_IFMT == S_IFLNK } == true, "\(run)")
        }
    }

    @Test func safeLinksDropsAnUnsafeSymlinkInsteadOfBackingItUp() throws {
        let (scratch, runs) = try runBoth(["-a", "-b", "--suffix=.bak", "--safe-links", "src/", "dst/"]) { run in
            try makeDirectories(run + "/src")
            try writeFile(run + "/src/escape", Array("replacement\n".utf8))
            try makeDirectories(run + "/dst")
            try makeSymlink(run + "/dst/escape", to: "../../sensitive")
        }
        defer { withExtendedLifetime(scratch) {} }
        for run in runs {
            #expect(fileStatus(run + "/dst/escape.bak") == nil, "\(run): the unsafe link was kept as a backup")
            #expect(try readAllBytes(run + "/dst/escape") == Array("replacement\n".utf8), "\(run)")
        }
    }
}
