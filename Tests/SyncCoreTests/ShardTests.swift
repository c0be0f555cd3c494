import SyncTestSupport
import Testing
@testable import SyncCore

/// `--shard=K/N`'s ownership rule: one published hash, so every run (and both ends of a remote run)
/// agrees; each name has exactly one owner; the top-level names spread roughly evenly.
@Suite(.tags(.small))
struct ShardTests {
    /// xxHash's published XXH64 vectors (seed 0): the owner does not depend on this process.
    @Test(arguments: [("", 0xEF46_DB37_51D8_E999 as UInt64), ("a", 0xD24E_C4F1_A98C_6E5B), ("abc", 0x44BC_2CF5_AD77_0999)])
    func hashIsXXH64(_ name: String, _ digest: UInt64) throws {
        #expect(Shard.hash(Array(name.utf8)) == digest)
        #expect(try Shard(index: 1, count: 7).owner(of: Array(name.utf8)) == Int(digest % 7) + 1)
    }

    @Test func eachNameHasExactlyOneOwner() throws {
        for count in [1, 2, 3, 4, 7, 16] {
            let shards = try (1...count).map { try Shard(index: $0, count: count) }
            for i in 0..<500 {
                let name = Array("dir-\(i)".utf8)
                let owners = shards.filter { $0.owns(name) }.map(\.index)
                #expect(owners == [shards[0].owner(of: name)], "\(i) of \(count)")
            }
        }
    }

    @Test func spreadsNamesRoughlyEvenly() throws {
        let count = 4
        let shard = try Shard(index: 1, count: count)
        var sizes = [Int](repeating: 0, count: count + 1)
        for i in 0..<10_000 { sizes[shard.owner(of: Array("d\(i)".utf8))] += 1 }
        // 2500 expected each; the binomial spread is about 43, so 10% either way is a broken hash.
        for k in 1...count { #expect(abs(sizes[k] - 2500) < 250, "shard \(k): \(sizes[k])") }
    }

    @Test func onlyTheRootsEntriesAreDivided() throws {
        let shard = try Shard(parsing: "1/2")
        let other: [UInt8] = try #require((0..<100).map { Array("n\($0)".utf8) }.first { !shard.owns($0) })
        #expect(shard.leavesOut(other, in: []))
        #expect(!shard.leavesOut(other, in: Array("x".utf8)))
    }

    @Test(arguments: [
        ("1/1", Shard.ParseError?.none), ("3/4", nil), ("12/12", nil),
        ("0/4", .indexOutOfRange), ("5/4", .indexOutOfRange), ("1/0", .noShards), ("0/0", .noShards),
        ("", .notKOverN), ("4", .notKOverN), ("a/b", .notKOverN), ("1/2/3", .notKOverN), ("/4", .notKOverN),
        ("1/", .notKOverN), ("-1/4", .notKOverN), ("+1/4", .notKOverN), (" 1/4", .notKOverN),
        ("99999999999999999999/4", .notKOverN),
    ])
    func parses(_ text: String, _ expected: Shard.ParseError?) {
        do throws(Shard.ParseError) {
            let shard = try Shard(parsing: text)
            #expect(expected == nil, "\(text) parsed as \(shard)")
            #expect(shard.description == text)
        } catch {
            #expect(error == expected, "\(text)")
        }
    }
}
