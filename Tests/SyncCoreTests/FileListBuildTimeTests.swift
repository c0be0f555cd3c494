import SyncTestSupport
import Testing
@testable import SyncCore

/// `--stats`' "File list generation time": rsync's whole milliseconds, the initial list alone when the
/// list goes incrementally.
@Suite("File-list build time", .tags(.small))
struct FileListBuildTimeTests {
    @Test func aListBuiltWithinAMillisecondCountsOne() {
        #expect(FileListBuildTime().milliseconds(incremental: true) == 1)
        let time = FileListBuildTime()
        time.add(.microseconds(400), isRoot: true)
        #expect(time.milliseconds(incremental: false) == 1)
    }

    @Test func anIncrementalListCountsTheRootListingOnly() {
        let time = FileListBuildTime()
        time.add(.milliseconds(7), isRoot: true)
        time.add(.microseconds(2_500), isRoot: false)
        time.add(.milliseconds(3), isRoot: false)
        #expect(time.milliseconds(incremental: true) == 7)
        #expect(time.milliseconds(incremental: false) == 12)
    }

    @Test func secondsFollowTheRunsListing() {
        let time = FileListBuildTime()
        time.add(.milliseconds(20), isRoot: true)
        time.add(.milliseconds(30), isRoot: false)
        var options = SyncOptions()
        options.recursive = true
        #expect(time.seconds(options) == 0.02)
        options.allowsIncrementalRecursion = false
        #expect(time.seconds(options) == 0.05)
    }
}
