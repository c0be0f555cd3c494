import Foundation
import Testing

/// `--stats` counts, `-u` against the modify window and `--list-only`'s stats, each run through rsync and
/// swsync on the same fixture.
@Suite(.tags(.large, .differential), .enabled(if: Tools.rsyncAvailable, "reference rsync not found"))
struct StatsTests {
    /// A listing prints rsync's stats block and `-v` summary, counting every listed entry; the timing lines
    /// are compared by their shape.
    @Test(arguments: [
        ["--list-only", "--stats", "-r"], ["--list-only", "--stats"], ["--list-only", "--stats", "-r", "-h"], ["--list-only", "--stats", "-r", "-hh"],
        ["--list-only", "-v", "-r"], ["--list-only", "-v"], ["--list-only", "-vv", "-r", "--no-W"],
        ["--list-only", "-r", "--info=stats1"], ["--list-only", "-r", "--stats", "-q"],
    ])
    func listOnlyStats(_ options: [String]) throws {
        try DifferentialRunner.run(DifferentialCase(arguments: options, operands: ["src/"], scenario: .fresh,
            output: .statsBlock, rerun: false))
    }

    /// `--list-only` with a destination lists too, and `--stats` counts the list.
    @Test func listOnlyStatsWithADestination() throws {
        try DifferentialRunner.run(DifferentialCase(arguments: ["--list-only", "--stats", "-r"], scenario: .fresh,
            output: .statsBlock, rerun: false, checks: [.printed("Number of files:")]))
    }

    /// `host:path` lists over a remote shell (`local-shell`, which runs the command here, each tool's
    /// own server) with the same stats block and summary.
    @Test(arguments: [["--list-only", "--stats", "-r"], ["--list-only", "--stats"], ["--list-only", "-v", "-r"],
        ["--list-only", "-vv", "-r"]])
    func remoteListingStats(_ options: [String]) throws {
        let listing = Scenario(name: "remote-listing") { context in
            try context.buildRichSource()
            let shell = "#!/bin/sh\nshift\nif [ \"$1\" = swsync ]; then shift; exec '\(Tools.swsync)' \"$@\"; fi\nexec \"$@\"\n"
            try writeFile(context.path("local-shell"), Array(shell.utf8), mode: 0o755)
        }
        // -vv: a swsync server's own Landlock line has no rsync counterpart; File list size is the size of
        // rsync's own encoding of the list (Docs/compatibility.md).
        var output = OutputFilter.statsBlock
        output.droppedPrefixes += ["opening connection", "landlock:", "File list size:"]
        try DifferentialRunner.run(DifferentialCase(arguments: options + ["-e", "{RUN}/local-shell"],
            operands: ["localhost:{RUN}/src/"], scenario: listing, output: output, rerun: false))
    }

    /// The file counts and total size cover the whole list, also below directories the run does not
    /// enter (`--existing` where the destination lacks them) and files skipped for their size.
    @Test(arguments: [
        (["--existing"], Scenario.emptyDestination, Int32(0)), (["--existing"], .stale, 0),
        (["--ignore-existing"], .stale, 0), (["--ignore-existing"], .emptyDestination, 0),
        (["--max-size=100"], .stale, 0), (["--min-size=100"], .stale, 0),
        (["--existing", "--max-size=100"], .emptyDestination, 0),
        // A file where the source has a directory: rsync's generator cannot make it (exit 23).
        (["--existing", "-i"], .typeSwapped, 23),
    ])
    func statsCountTheWholeList(_ options: [String], _ scenario: Scenario, _ exit: Int32) throws {
        try DifferentialRunner.run(DifferentialCase(arguments: ["-a", "--stats"] + options, scenario: scenario,
            output: .statsBlock, oracleExit: exit, checks: [.printed("Number of files:")]))
    }

    /// `-u` keeps a destination file unless the source is at least the modify window ahead of it, in whole
    /// seconds (rsync's generator), whatever the sizes: equal and near-equal times with a positive window,
    /// one second newer with `--modify-window=-1`.
    @Test(arguments: ["0", "1", "2", "-1"])
    func updateAgainstTheModifyWindow(_ window: String) throws {
        try RsyncOptionTests.expectSameAsRsync("update-window",
            ["-ru", "--modify-window=" + window, "-i", "--info=skip2", "src/", "dst/"]) { root in
            for directory in ["/src", "/dst"] { try makeDirectories(root + directory) }
            let sourceTime = 1_700_000_000
            for (name, offset) in [("equal", 0), ("older1", -1), ("older2", -2), ("newer1", 1), ("newer3", 3)] {
                try writeFile(root + "/src/" + name, Array("src\n".utf8))
                try writeFile(root + "/dst/" + name, Array("destination\n".utf8))
                try setModificationTime(root + "/src/" + name, seconds: sourceTime, nanoseconds: 500)
                try setModificationTime(root + "/dst/" + name, seconds: sourceTime + offset)
            }
        }
    }
}
