import SyncTestSupport
import Testing
@testable import SyncCore

@Suite("Compression", .tags(.small))
struct CompressionTests {
    static func roundTrip(_ choice: CompressionChoice, level: Int?, data: [UInt8], chunk: Int) throws -> (out: [UInt8], compressed: Int) {
        let compressor = try choice.makeCompressor(level: level)
        let decompressor = try choice.makeDecompressor()
        var output: [UInt8] = []
        var compressedBytes = 0
        let sink: (UnsafeRawBufferPointer) throws(SyncError) -> Void = { (piece) throws(SyncError) in
            compressedBytes += piece.count
            try decompressor.decompress(piece) { output.append(contentsOf: $0) }
        }
        try data.withUnsafeBytes { raw in
            var i = 0
            while i < raw.count {
                let n = min(chunk, raw.count - i)
                // Flushing makes everything so far decodable: check that after each flushed message.
                try compressor.compress(UnsafeRawBufferPointer(rebasing: raw[i..<i + n]), flush: true, emit: sink)
                i += n
                #expect(output.count == i)
            }
        }
        try compressor.finish(emit: sink)
        return (output, compressedBytes)
    }

    @Test(arguments: CompressionChoice.allCases)
    func roundTrips(choice: CompressionChoice) throws {
        var rng = SeededRandom(seed: 1)
        let text = Array(String(repeating: "the quick brown fox jumps over the lazy dog. ", count: 5000).utf8)
        let random = rng.bytes(300_000)
        for (data, chunk) in [(text, 7000), (random, 65536), ([UInt8](), 1), (text, 1_000_000)] {
            for level in [nil, choice.levels.lowerBound, choice.levels.upperBound] {
                let (out, compressed) = try Self.roundTrip(choice, level: level, data: data, chunk: chunk)
                #expect(out == data)
                if data == text && level != choice.levels.lowerBound { #expect(compressed < data.count / 10) }
            }
        }
    }

    @Test(arguments: CompressionChoice.allCases)
    func corruptInputThrows(choice: CompressionChoice) throws {
        let decompressor = try choice.makeDecompressor()
        let garbage: [UInt8] = [0xff, 0xff, 0xff, 0xff, 0x00, 0x13, 0x37, 0xde, 0xad, 0xbe, 0xef, 0x42]
        #expect(throws: SyncError.self) {
            try garbage.withUnsafeBytes { raw in try decompressor.decompress(raw) { _ in } }
        }
    }

    @Test func levelsAreChecked() {
        #expect(throws: SyncError.self) { try CompressionChoice.zlib.makeCompressor(level: 10) }
        #expect(throws: SyncError.self) { try CompressionChoice.zstd.makeCompressor(level: 1000) }
        #expect(CompressionChoice(name: "ZSTD") == .zstd)
        #expect(CompressionChoice(name: "lz4") == nil)
    }

    @Test(arguments: [
        ("movie.MKV", false), ("a/b/photo.jpg", false), ("archive.tar.gz", false), ("x.7z", false),
        ("notes.txt", true), ("gz", true), (".gz", true), ("dir.gz/file", true), ("file.", true),
        ("a.tbz2", false), ("a.tbz3", true), ("song.mp3", false), ("a.Z", false), ("a.zst", false),
    ])
    func defaultSkipList(name: String, compress: Bool) {
        #expect(shouldCompress(fileName: Array(name.utf8)) == compress)
    }

    @Test func customSkipList() {
        let list = SkipCompressList(option: "gz/jpg/mp[34]/7z/bz2")
        let names = ["a.gz", "a.JPG", "a.mp3", "a.mp4", "a.mp5", "a.7z", "a.bz2", "a.zip", "a.mp"]
        #expect(names.map { list.matches(fileName: Array($0.utf8)) }
            == [true, true, true, true, false, true, true, false, false])
        // "*" and "?" are ordinary characters; an empty list skips nothing.
        #expect(!SkipCompressList(option: "*").matches(fileName: Array("a.gz".utf8)))
        #expect(SkipCompressList(option: "*").matches(fileName: Array("a.*".utf8)))
        #expect(!SkipCompressList(option: "").matches(fileName: Array("a.gz".utf8)))
        #expect(SkipCompressList(option: "[").matches(fileName: Array("a.[".utf8)))
        #expect(SkipCompressList.rsyncDefaultSuffixes.count == 96)
    }
}
