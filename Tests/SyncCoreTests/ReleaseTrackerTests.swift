import SyncTestSupport
import Testing
@testable import SyncCore

/// What the generator of a remote run releases to its sender (issue 14), and what it keeps.
@Suite("Release tracker", .tags(.small))
struct ReleaseTrackerTests {
    @Test func theMarkFollowsTheWalkInSteps() {
        var tracker = ReleaseTracker()
        let tooSoon = tracker.release(before: ReleaseTracker.minimumStep - 1)
        #expect(tooSoon == nil)
        let due = tracker.release(before: 1000)
        #expect(due?.below == 1000 && due?.keeping == [])
        let small = tracker.release(before: 1000 + ReleaseTracker.minimumStep - 1)
        #expect(small == nil)
        let next = tracker.release(before: 2000)
        #expect(next?.below == 2000)
    }

    /// An unfinished write holds the mark before it: its `received` and a redo of it come after it ends.
    @Test func theMarkStopsBeforeTheOldestUnfinishedWrite() {
        var tracker = ReleaseTracker()
        tracker.writeSubmitted(700)
        tracker.writeSubmitted(300)  // --iconv: submitted in the walk's order, not the index order
        tracker.writeSubmitted(900)
        var due = tracker.release(before: 5000)
        #expect(due?.below == 300)
        tracker.writeFinished()
        tracker.writeFinished()
        due = tracker.release(before: 5000)
        #expect(due?.below == 900)
        tracker.writeFinished()
        due = tracker.release(before: 5000)
        #expect(due?.below == 5000)
    }

    /// Files settled at the end (a redo, a -H member, a delayed update) are kept, not the whole range.
    @Test func heldFilesAreKeptOnce() {
        var tracker = ReleaseTracker()
        tracker.hold(40)
        tracker.hold(12)
        tracker.hold(2500)
        var due = tracker.release(before: 2000)
        #expect(due?.below == 2000 && due?.keeping == [12, 40])
        due = tracker.release(before: 3000)
        #expect(due?.keeping == [2500])
        due = tracker.release(before: 4000)
        #expect(due?.keeping == [])
    }
}
