import Testing
@testable import SyncCore
import SyncTestSupport

/// `-y`: rsync's scoring of names, so the same basis is chosen.
@Suite("fuzzy basis", .tags(.small))
struct FuzzyBasisTests {
    func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

    @Test func suffixesAsRsyncFindsThem() {
        let cases: [(String, String)] = [
            ("report.pdf", ".pdf"), ("a.tar.gz", ".gz"), ("a.tar.gz.bak", ".gz"), ("notes.txt.old", ".txt"),
            ("x.c.orig", ".c"), ("log.2026", ".2026"), ("app.log.1", ".log"), (".bashrc", ""), ("...", ""),
            ("name", ""), ("file~", ""), ("file.txt~", ".txt"), ("file.txt.~2~", ".txt"), ("a.", "."),
        ]
        for (name, suffix) in cases {
            #expect(Array(FuzzyBasis.suffix(of: bytes(name))) == bytes(suffix), "\(name)")
        }
    }

    @Test func distanceWeighsBytes() {
        #expect(FuzzyBasis.distance(bytes("abc")[...], bytes("abc")[...], upperLimit: .max) == 0)
        let unit = FuzzyBasis.unit
        #expect(FuzzyBasis.distance(bytes("abc")[...], bytes("abd")[...], upperLimit: .max) == unit + 1)
        #expect(FuzzyBasis.distance(bytes("")[...], bytes("ab")[...], upperLimit: .max) == 2 * unit + 97 + 98)
        #expect(FuzzyBasis.distance(bytes("a")[...], bytes("abcdef")[...], upperLimit: 3 * unit) == 0xFFFF * unit + 1,
            "a length difference beyond the limit gives up")
    }

    @Test func sameSizeAndTimeWinsThenTheNearestName() {
        let directory = PathDirectoryHandle(path: bytes("/d"))
        func candidate(_ name: String, size: Int64 = 10, seconds: Int64 = 1) -> FuzzyBasis.Candidate {
            FuzzyBasis.Candidate(name: bytes(name), size: size, mtime: FileTime(seconds: seconds),
                location: FileLocation(bytes(name), in: directory), path: bytes("/d/" + name))
        }
        let lists = [[candidate("zzz-unrelated", size: 99, seconds: 7), candidate("data-2025.log"), candidate("data-2024.log")]]
        #expect(FuzzyBasis.choose(for: bytes("data-2026.log"), size: 99, mtime: FileTime(seconds: 7), modifyWindow: 0,
            in: lists)?.name == bytes("zzz-unrelated"))
        #expect(FuzzyBasis.choose(for: bytes("data-2026.log"), size: 5, mtime: FileTime(seconds: 3), modifyWindow: 0,
            in: lists)?.name == bytes("data-2025.log"))
        #expect(FuzzyBasis.choose(for: bytes("completely-different-name.iso"), size: 5, mtime: FileTime(seconds: 3),
            modifyWindow: 0, in: [[candidate("x")]]) == nil, "too far: no basis")
    }
}
