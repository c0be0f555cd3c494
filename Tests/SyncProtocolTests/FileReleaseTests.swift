import SyncCore
import SyncTestSupport
import Testing
@testable import SyncProtocol

/// The sender's table of listed files and the generator's `release` messages (issue 14: the sender's
/// memory stays flat in the file count).
@Suite("File release", .tags(.small))
struct FileReleaseTests {
    /// A table holding `count` files, all sent to the peer.
    static func table(_ count: Int) -> ListedFileTable<String> {
        var table = ListedFileTable<String>()
        for index in 0..<count { table.append("file \(index)", at: index) }
        table.sent(upTo: count)
        return table
    }

    @Test func aReleaseDropsTheFilesBeforeItsMarkButThoseItKeeps() throws {
        var table = Self.table(1000)
        try table.apply(FileRelease(below: 600, keeping: [3, 599]))
        #expect(table.count == 402)
        #expect(table[3] == "file 3" && table[599] == "file 599" && table[600] == "file 600")
        #expect(table[4] == nil && table.wasReleased(4))
        #expect(!table.wasReleased(3) && !table.wasReleased(600) && !table.wasReleased(999))
        // Kept files stay through later releases.
        try table.apply(FileRelease(below: 1000))
        #expect(table.count == 2)
        #expect(table[3] == "file 3" && table.wasReleased(999))
    }

    /// Indices with gaps (directories are numbered but not kept) are found and released alike.
    @Test func sparseIndices() throws {
        var table = ListedFileTable<Int>()
        for index in stride(from: 1, to: 200, by: 3) { table.append(index, at: index) }
        table.sent(upTo: 200)
        #expect(table[100] == 100 && table[101] == nil)
        try table.apply(FileRelease(below: 101, keeping: [52]))
        #expect(table[52] == 52 && table[100] == nil && table[103] == 103)
    }

    /// A hostile or broken generator: a mark beyond the entries sent, a mark going back, a kept file
    /// released before. Each is a protocol error, never a trap.
    @Test func releasesOutOfStepAreRefused() throws {
        var table = Self.table(100)
        expectProtocolError(.outOfSequence) { try table.apply(FileRelease(below: 101)) }
        try table.apply(FileRelease(below: 50))
        expectProtocolError(.outOfSequence) { try table.apply(FileRelease(below: 40)) }
        expectProtocolError(.outOfSequence) { try table.apply(FileRelease(below: 60, keeping: [10])) }
        #expect(table[10] == nil && table[55] == "file 55")
    }

    @Test func keptIndicesMustAscendBelowTheMark() {
        for keeping in [[5, 5], [7, 3], [10]] {
            var w = PayloadWriter()
            w.varint(10)
            w.varint(keeping.count)
            for index in keeping { w.varint(index) }
            expectProtocolError(.malformed) { _ = try Message.decode(type: .release, payload: w.bytes) }
        }
        var w = PayloadWriter()
        w.varint(10)
        w.varint(FileRelease.maxKept + 1)
        expectProtocolError(.limitExceeded) { _ = try Message.decode(type: .release, payload: w.bytes) }
    }

    /// More kept files than one message holds: several messages, each releasing up to the next one's first.
    @Test func aLongKeptListIsSplit() throws {
        let keeping = Array(stride(from: 0, to: 3 * FileRelease.maxKept, by: 1)).map { $0 * 2 }
        let messages = FileRelease.messages(below: 20_000, keeping: keeping)
        #expect(messages.count == 3)
        var table = Self.table(20_000)
        for case .release(let release) in messages {
            #expect(release.keeping.count <= FileRelease.maxKept)
            let decoded = try Message.decode(type: .release, payload: Message.release(release).encodePayload())
            guard case .release(let again) = decoded else { Issue.record("not a release"); return }
            try table.apply(again)
        }
        #expect(table.count == keeping.count)
        #expect(table[keeping.last!] != nil && table[1] == nil && table.releasedBelow == 20_000)
    }
}
