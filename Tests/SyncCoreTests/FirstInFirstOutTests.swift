import Testing
@testable import SyncCore

/// `FirstInFirstOut`: oldest first, across the cut-off of the taken front, and `waiting` shows what is
/// still queued.
struct FirstInFirstOutTests {
    @Test func takesInOrderAcrossTheCutOff() {
        var queue = FirstInFirstOut<Int>()
        var expected = 0
        for round in 0..<5 {
            queue.append(contentsOf: (0..<150).map { round * 150 + $0 })
            for _ in 0..<100 {
                #expect(queue.popFirst() == expected)
                expected += 1
            }
        }
        #expect(queue.count == 250)
        #expect(Array(queue.waiting) == Array(expected..<750))
        while let next = queue.popFirst() {
            #expect(next == expected)
            expected += 1
        }
        #expect(expected == 750 && queue.isEmpty && queue.popFirst() == nil)
    }
}
