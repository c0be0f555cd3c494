import Foundation
import SyncTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// rsync options of issue 13, each run through rsync and swsync on the same fixture: trees, `-i` lines
/// and exit codes compared.
@Suite(.tags(.large, .differential), .enabled(if: Tools.rsyncAvailable, "reference rsync not found"))
struct RsyncOptionTests {
    // MARK: -m / --prune-empty-dirs

    @Test(arguments: [
        ["-ri", "-m"], ["-ri", "-m", "--delete"], ["-ri", "-m", "--exclude=*.o"], ["-ri", "-m", "--delete", "--exclude=*.o"],
        ["-ri", "-m", "--filter=protect g/"], ["-ri", "-m", "--filter=protect g/", "--delete"], ["-ri", "-m", "-n", "--delete"],
        ["-ri", "-m", "-l"], ["-dim"], ["-ri", "--prune-empty-dirs", "--no-m"],
    ])
    func pruneEmptyDirs(_ options: [String]) throws {
        try DifferentialRunner.run(DifferentialCase(arguments: options, scenario: .prunable, output: .withoutSkipLines))
    }

    /// A source directory whose whole tree is empty directories is pruned too; only "." stays.
    @Test func pruneEmptyDirsDropsANamedEmptyTree() throws {
        try DifferentialRunner.run(DifferentialCase(arguments: ["-ri", "-m"], operands: ["src/a", "dst/"],
            scenario: .prunable, output: .withoutSkipLines))
        try DifferentialRunner.run(DifferentialCase(arguments: ["-ri", "-m"], operands: ["src/j", "dst/"],
            scenario: .prunable, output: .withoutSkipLines))
    }

    // MARK: --remove-source-files

    /// The source keeps what was not received (skipped, newer in the destination, a dry run, an
    /// unsupported kind) and loses every other non-directory (the whole run directory is compared);
    /// the "sender removed" lines come from rsync's sender process at its own pace, so only their set
    /// is compared. `-H` without `-i`: the leader rsync itemizes differs (Docs/compatibility.md).
    @Test(arguments: [
        ["-a", "-i"], ["-a", "-vv"], ["-r", "-i"], ["-a", "-u", "-i"], ["-a", "-n", "-i"], ["-aH"],
        ["-a", "--ignore-existing", "-i"], ["-a", "-i", "--info=remove"], ["-a", "-i", "--delete"],
        ["-a", "-i", "--link-dest=../prev"], ["-a", "-i", "-c"],
    ])
    func removeSourceFiles(_ options: [String]) throws {
        try DifferentialRunner.run(DifferentialCase(arguments: options + ["--remove-source-files"], scenario: .removable,
            rerun: false, checks: [.exists("src/sub/deep")]))
    }

    /// A run into its own source keeps every entry, each one being the destination itself (exit 23, as
    /// rsync; rsync 3.5.0 removes the symlinks, Docs/compatibility.md).
    @Test func removeSourceFilesNeverRemovesTheDestinationItself() throws {
        let scratch = try TemporaryDirectory("remove-self")
        try makeDirectories(scratch.path + "/src/sub")
        for name in ["a", "sub/b"] { try writeFile(scratch.path + "/src/" + name, Array(name.utf8)) }
        try makeSymlink(scratch.path + "/src/link", to: "a")
        let before = try TreeSnapshot(scratch.path + "/src")
        let output = try Subprocess(executable: Tools.swsync, arguments: ["-a", "--remove-source-files", "src/", "src/"],
            directory: scratch.path, outputPrefix: scratch.path + "/out").wait()
        #expect(output.termination == .exited(23), Comment(rawValue: output.stderrText))
        for name in ["a", "link", "sub/b"] {
            #expect(output.stderrText.contains("ERROR: Skipping sender remove of destination file: \(name)\n"))
        }
        let differences = TreeComparison.differences(before, try TreeSnapshot(scratch.path + "/src"), labels: ("before", "after"))
        #expect(differences.isEmpty, Comment(rawValue: TreeComparison.report(differences)))
    }

    /// A file that changes while it is sent stays in the source (rsync 3.1's rule), and the run ends
    /// with 23.
    @Test func removeSourceFilesKeepsAFileChangedWhileSent() throws {
        let scratch = try TemporaryDirectory("remove-changed")
        for tool in [Tools.swsync, Tools.rsync!] {
            let root = scratch.path + "/" + (tool == Tools.swsync ? "swsync" : "rsync")
            try makeDirectories(root + "/src")
            try writeFile(root + "/src/big", Fixture.content("big", size: 8_000_000))
            let run = try Subprocess(executable: tool, arguments: ["-a", "--bwlimit=4000", "--remove-source-files",
                "src/", "dst/"], directory: root, outputPrefix: root + "/out")
            for _ in 0..<400 where ((try? directoryEntries(root + "/dst")) ?? []).isEmpty { usleep(25_000) }
            let appended = open(root + "/src/big", O_WRONLY | O_APPEND)
            #expect(appended >= 0)
            _ = write(appended, "more", 4)
            close(appended)
            let output = run.wait(timeout: 60)
            #expect(output.termination == .exited(23), "\(root): \(output.stderrText)")
            #expect(output.stderrText.contains("ERROR: Skipping sender remove for changed file: big"), "\(output.stderrText)")
            #expect(exists(root + "/src/big"))
        }
    }
}

extension OutputFilter {
    /// The standard lines without "skipping non-regular file" (rsync prints them at another point,
    /// Docs/compatibility.md).
    static let withoutSkipLines = OutputFilter(droppedPrefixes: OutputFilter.standard.droppedPrefixes + ["skipping non-regular"])
}

extension Scenario {
    /// For `--remove-source-files`: files, a symlink, a FIFO, a hard-link pair, a file already up to
    /// date, one newer in the destination, and a `prev/` snapshot holding one file unchanged.
    static let removable = Scenario(name: "removable") { context in
        try makeDirectories(context.path("src/sub/deep"))
        try makeDirectories(context.path("dst"))
        try makeDirectories(context.path("prev/sub"))
        for file in ["src/a", "src/sub/b", "src/sub/deep/c", "src/same", "src/newer"] {
            try writeFile(context.path(file), Array(file.utf8))
        }
        try makeSymlink(context.path("src/link"), to: "a")
        try makeSymlink(context.path("src/sub/tob"), to: "b")
        #expect(mkfifo(context.path("src/fifo"), 0o644) == 0)
        #expect(link(context.path("src/a"), context.path("src/hard")) == 0)
        try copyTree(context.path("src/same"), to: context.path("dst/same"))
        try copyTree(context.path("src/sub/b"), to: context.path("prev/sub/b"))
        try writeFile(context.path("dst/newer"), Array("newer in the destination".utf8))
        try setModificationTime(context.path("dst/newer"), seconds: 1_900_000_000)
    }

    /// Empty directory chains (`a/b`, `j/k/l`), directories with a file deep down (`d/e/f`), one holding
    /// only a symlink (`h`), one holding only an `*.o` file (`i`), an empty one to protect (`g`); the
    /// destination has an empty chain of its own (`old/empty`) and `a/b`.
    static let prunable = Scenario(name: "prunable") { context in
        for directory in ["src/a/b", "src/c", "src/d/e", "src/g", "src/h", "src/i", "src/j/k/l", "dst/a/b", "dst/old/empty", "dst/g"] {
            try makeDirectories(context.path(directory))
        }
        for file in ["src/c/file", "src/d/e/f", "src/i/x.o", "src/j/k/top"] {
            try writeFile(context.path(file), Array(file.utf8))
        }
        try makeSymlink(context.path("src/h/link"), to: "nowhere")
    }
}
