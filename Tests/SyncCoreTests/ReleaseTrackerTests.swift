import SyncTestSupport
import Testing
@testable import SyncCore

/// What the generator of a remote run releases to its sender (issue 14), and what it keeps.
@Suite("Release tracker", .tags(.small))
struct ReleaseTrackerTests {
    @Test func theMarkFollowsTheWalkInSteps() throws {
        var tracker = ReleaseTracker()
        #expect(tracker.release(before: ReleaseTracker.minimumStep - 1) == nil)
        let due = try #require(tracker.release(before: 1000))
        #expect(due.below == 1000 && due.keeping.isEmpty)
        #expect(tracker.release(before: 1000 + ReleaseTracker.minimumStep - 1) == nil)
        #expect(tracker.release(before: 2000)?.below == 2000)
    }

    /// An unfinished write holds the mark before it: its `received` and a redo of it come after it ends.
    @Test func theMarkStopsBeforeTheOldestUnfinishedWrite() throws {
        var tracker = ReleaseTracker()
        tracker.writeSubmitted(700)
        tracker.writeSubmitted(300)  // --iconv: submitted in the walk's order, not the index order
        tracker.writeSubmitted(900)
        #expect(tracker.release(before: 5000)?.below == 300)
        tracker.writeFinished()
        tracker.writeFinished()
        #expect(tracker.release(before: 5000)?.below == 900)
        tracker.writeFinished()
        #expect(tracker.release(before: 5000)?.below == 5000)
    }

    /// Files settled at the end (a redo, a -H member, a delayed update) are kept, not the whole range.
    @Test func heldFilesAreKeptOnce() throws {
        var tracker = ReleaseTracker()
        tracker.hold(40)
        tracker.hold(12)
        tracker.hold(2500)
        let first = try #require(tracker.release(before: 2000))
        #expect(first.below == 2000 && first.keeping == [12, 40])
        let second = try #require(tracker.release(before: 3000))
        #expect(second.keeping == [2500])
        #expect(try #require(tracker.release(before: 4000)).keeping.isEmpty)
    }
}
