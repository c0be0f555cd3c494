/// Limits the decoders enforce on data from a peer, so a hostile header cannot make us allocate or loop.
public struct DeltaLimits: Sendable, Equatable {
    /// Longest literal run in one instruction. The generator never emits longer ones.
    public var maxLiteralLength: Int
    /// Largest block length accepted (rsync `MAX_BLOCK_SIZE`).
    public var maxBlockLength: Int
    /// Most blocks in a signature (rsync keeps the count in an int32).
    public var maxBlockCount: Int
    /// Largest file size a header may claim.
    public var maxFileSize: Int

    public init(maxLiteralLength: Int = 256 * 1024, maxBlockLength: Int = BlockSizing.maximumBlockLength,
        maxBlockCount: Int = Int(Int32.max), maxFileSize: Int = Int(Int64.max / 2))
    {
        self.maxLiteralLength = maxLiteralLength
        self.maxBlockLength = maxBlockLength
        self.maxBlockCount = maxBlockCount
        self.maxFileSize = maxFileSize
    }

    public static let standard = DeltaLimits()
}
