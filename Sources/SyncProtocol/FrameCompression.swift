import SyncCore

/// `-z` on the wire: the payloads of compressed frames are consecutive pieces of one compressed stream per
/// direction, each ended with a sync flush, so each frame decompresses on its own (given the ones before it).
///
/// These own a zstd/zlib stream (a C handle), so unlike the rest of this module they are classes and not
/// `Sendable`: one writer task owns the compressor, one reader task the decompressor.
public final class FrameCompressor {
    private let compressor: any StreamCompressor

    public init(_ choice: CompressionChoice, level: Int? = nil) throws(SyncError) {
        compressor = try choice.makeCompressor(level: level)
    }

    /// The largest payload to compress so the output surely fits a frame of `maxPayload` bytes: both
    /// compressors' worst-case growth on incompressible input plus a flush is well under 1/16 + 1 KiB.
    public static func inputBudget(forPayload maxPayload: Int) -> Int { maxPayload - maxPayload / 16 - 1024 }

    /// Compresses one frame's payload and flushes.
    public func compress(_ payload: [UInt8]) throws(SyncError) -> [UInt8] {
        var out: [UInt8] = []
        let result = payload.withUnsafeBytes { raw in
            Result { () throws(SyncError) in
                try compressor.compress(raw, flush: true) { (piece) throws(SyncError) in out.append(contentsOf: piece) }
            }
        }
        try result.get()
        return out
    }
}

/// The receiving half of `FrameCompressor`. Output past the frame limit stops the decompression at once, so a
/// small hostile frame cannot expand into a large allocation.
public final class FrameDecompressor {
    private let decompressor: any StreamDecompressor
    public let maxPayload: Int

    public init(_ choice: CompressionChoice, maxPayload: Int) throws(SyncError) {
        decompressor = try choice.makeDecompressor()
        self.maxPayload = maxPayload
    }

    /// The frame with its payload decompressed and the compressed flag cleared.
    public func decompress(_ frame: Frame) throws(ProtocolError) -> Frame {
        guard frame.flags.contains(.compressed) else { return frame }
        var out: [UInt8] = []
        let limit = maxPayload
        let result = frame.payload.withUnsafeBytes { raw in
            Result { () throws(SyncError) in
                try decompressor.decompress(raw) { (piece) throws(SyncError) in
                    guard out.count + piece.count <= limit else {
                        throw SyncError(.streamIO, "compressed \(frame.type) frame expands past \(limit) bytes")
                    }
                    out.append(contentsOf: piece)
                }
            }
        }
        if case .failure(let error) = result { throw ProtocolError(.compression, error.message) }
        return Frame(type: frame.type, flags: frame.flags.subtracting(.compressed), payload: out)
    }
}
