/// A streaming compressor for `-z`: feed chunks, get compressed bytes through `emit`.
public protocol StreamCompressor: AnyObject {
    /// Compresses `input`. With `flush`, everything given so far becomes decodable by the peer (a sync flush),
    /// which the sender does at the end of each message.
    func compress(_ input: UnsafeRawBufferPointer, flush: Bool,
        emit: (UnsafeRawBufferPointer) throws(SyncError) -> Void) throws(SyncError)
    /// Ends the stream.
    func finish(emit: (UnsafeRawBufferPointer) throws(SyncError) -> Void) throws(SyncError)
}

/// The matching decompressor. Output goes to `emit` in bounded pieces, so a small hostile input cannot make
/// it allocate a large buffer.
public protocol StreamDecompressor: AnyObject {
    func decompress(_ input: UnsafeRawBufferPointer,
        emit: (UnsafeRawBufferPointer) throws(SyncError) -> Void) throws(SyncError)
}

/// `--compress-choice`/`--zc`: zstd (our default) or zlib.
public enum CompressionChoice: String, Sendable, CaseIterable {
    case zstd
    case zlib

    public init?(name: String) { self.init(rawValue: name.lowercased()) }

    /// The level used without `--compress-level`: zlib 6 as rsync; zstd 2 where rsync uses 3. On text,
    /// level 2's output is within about 1% of level 3's and takes about 30% less CPU, which on a link
    /// fast enough for the CPU to be the limit is the whole difference in time.
    public var defaultLevel: Int { self == .zstd ? 2 : 6 }

    /// Levels `--compress-level` accepts for this algorithm.
    public var levels: ClosedRange<Int> { self == .zstd ? ZstdCompressor.levels : 1...9 }

    public func makeCompressor(level: Int? = nil) throws(SyncError) -> any StreamCompressor {
        let level = level ?? defaultLevel
        guard levels.contains(level) else {
            throw SyncError(.syntax, "--compress-level=\(level) is out of range for \(rawValue) (\(levels))")
        }
        switch self {
        case .zstd: return try ZstdCompressor(level: level)
        case .zlib: return try ZlibCompressor(level: level)
        }
    }

    public func makeDecompressor() throws(SyncError) -> any StreamDecompressor {
        switch self {
        case .zstd: return try ZstdDecompressor()
        case .zlib: return try ZlibDecompressor()
        }
    }
}

extension SyncError {
    /// A compression library failure: rsync reports these as protocol stream errors (exit 12).
    @inline(never)
    static func compression(_ message: String) -> SyncError { SyncError(.streamIO, message) }
}
