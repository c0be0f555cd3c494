import SyncCore

/// `TransferStats` as exchanged at the end of the run (rsync sends its totals from the sender and the
/// generator's side so the client can print `--stats`).
///
/// Encoded as a varint count and that many non-negative varints in the order of `fieldValues`; a newer peer
/// may send more fields (up to `maxFields`) and an older one fewer (missing fields are 0).
public struct WireStats: Sendable, Equatable {
    public var stats: TransferStats

    public init(_ stats: TransferStats) { self.stats = stats }

    public static func == (a: WireStats, b: WireStats) -> Bool { a.fieldValues == b.fieldValues }

    static let maxFields = 64

    var fieldValues: [Int64] {
        let s = stats
        func counts(_ c: TransferStats.KindCounts) -> [Int64] {
            [Int64(c.regular), Int64(c.directory), Int64(c.symlink), Int64(c.device), Int64(c.special)]
        }
        return counts(s.files) + counts(s.created) + counts(s.deleted) + [
            Int64(s.regularFilesTransferred), s.totalFileSize, s.transferredFileSize, s.literalData, s.matchedData,
            s.fileListSize, Int64((s.fileListGenerationSeconds * 1_000_000).rounded()), s.bytesSent, s.bytesReceived,
        ]
    }

    static func decode(_ r: inout PayloadReader) throws(ProtocolError) -> WireStats {
        let count = try r.varint("field count", max: maxFields)
        var v = [Int64](repeating: 0, count: 24)
        for i in 0..<count {
            let value = Int64(try r.varint("stats field \(i)", max: Int(Int64.max)))
            if i < v.count { v[i] = value }
        }
        func counts(_ at: Int) -> TransferStats.KindCounts {
            var c = TransferStats().files  // KindCounts has no public init
            // Counts beyond Int32 are nonsense from a peer; clamp rather than trap on 32-bit hosts.
            func n(_ i: Int) -> Int { Int(min(v[at + i], Int64(Int32.max))) }
            c.regular = n(0)
            c.directory = n(1)
            c.symlink = n(2)
            c.device = n(3)
            c.special = n(4)
            return c
        }
        var s = TransferStats()
        s.files = counts(0)
        s.created = counts(5)
        s.deleted = counts(10)
        s.regularFilesTransferred = Int(min(v[15], Int64(Int32.max)))
        s.totalFileSize = v[16]
        s.transferredFileSize = v[17]
        s.literalData = v[18]
        s.matchedData = v[19]
        s.fileListSize = v[20]
        s.fileListGenerationSeconds = Double(v[21]) / 1_000_000
        s.bytesSent = v[22]
        s.bytesReceived = v[23]
        return WireStats(s)
    }
}
