import Testing
import SyncCore
import SyncTestSupport

/// `-S`: which parts of a write into a new file are written, and which stay holes.
@Suite("sparse writes", .tags(.small))
struct DataWritesTests {
    func runs(_ bytes: [UInt8], at offset: Int64 = 0) -> [(offset: Int64, count: Int)] {
        var pieces: [(offset: Int64, count: Int)] = []
        bytes.withUnsafeBytes { buffer in
            DataWrites.dataRuns(of: buffer, at: offset) { (piece, pieceOffset) throws(Never) in
                pieces.append((pieceOffset, piece.count))
            }
        }
        return pieces
    }

    func data(_ count: Int) -> [UInt8] { (0..<count).map { UInt8($0 % 251 + 1) } }
    func zeros(_ count: Int) -> [UInt8] { [UInt8](repeating: 0, count: count) }

    @Test func zerosAtTheEndsAndLongRunsStayHoles() {
        #expect(runs(zeros(10_000)).isEmpty)
        #expect(runs([]).isEmpty)
        let short = runs(data(100) + zeros(1000) + data(100))
        #expect(short.map(\.offset) == [0] && short.map(\.count) == [1200], "a short run is written with its data")
        var bytes: [UInt8] = zeros(300)
        bytes += data(100)
        bytes += zeros(8192)
        bytes += data(50)
        bytes += zeros(70)
        let long = runs(bytes, at: 1000)
        let expected: [Int64] = [1256, 9576]
        #expect(long.map(\.offset) == expected, "\(long)")
        // Every byte that is not zero is inside a piece that is written.
        var covered = zeros(bytes.count)
        for piece in long { for index in 0..<piece.count { covered[Int(piece.offset) - 1000 + index] = 1 } }
        #expect(bytes.indices.allSatisfy { bytes[$0] == 0 || covered[$0] == 1 })
    }
}
