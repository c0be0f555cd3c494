import Foundation
import Testing

/// `--stats` counts, `-u` against the modify window and `--list-only`'s stats, each run through rsync and
/// swsync on the same fixture.
@Suite(.tags(.large, .differential), .enabled(if: Tools.rsyncAvailable, "reference rsync not found"))
struct StatsTests {
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
