/// Builds a `Signature` from the basis file read in chunks of any size (e.g. 256 KiB reads).
///
/// Whole blocks inside a chunk are hashed in place; only a block split across chunks is copied.
public final class SignatureBuilder {
    public let checksum: ChecksumChoice
    public let blockLength: Int
    public let strongLength: Int
    private var weak: [UInt32] = []
    private var strong: [UInt8] = []
    private var fileSize = 0
    private let partial: UnsafeMutableRawBufferPointer
    private var partialCount = 0

    /// - Parameters:
    ///   - fileSize: the basis size, used for rsync's block and strong-checksum sizing and to reserve memory.
    ///   - blockLength: `-B/--block-size`; nil picks rsync's square-root rule.
    ///   - wholeDigests: keep each block's whole strong digest instead of rsync's `s2length` bytes. For a
    ///     signature that never crosses the wire (a local run): the generator can then take the next block
    ///     of a run on its strong digest alone (`MatchTable.isExpectedBlock`), without its weak sum.
    public init(fileSize: Int, checksum: ChecksumChoice = .xxh128, blockLength: Int? = nil,
        wholeDigests: Bool = false)
    {
        let length = max(1, blockLength ?? BlockSizing.blockLength(fileSize: fileSize))
        self.checksum = checksum
        self.blockLength = length
        strongLength = wholeDigests ? checksum.digestLength : BlockSizing.strongLength(
            fileSize: fileSize, blockLength: length, digestLength: checksum.digestLength)
        let expectedBlocks = min(max(fileSize, 0) / length + 1, 1 << 20)
        weak.reserveCapacity(expectedBlocks)
        strong.reserveCapacity(expectedBlocks * strongLength)
        partial = .allocate(byteCount: length, alignment: 16)
    }

    /// A builder for one block-aligned piece of a basis whose sizing was decided for the whole file
    /// (several pieces are hashed at once and their blocks joined with `Signature.joining`).
    public init(pieceOf sizing: SignatureBuilder, expectedLength: Int) {
        checksum = sizing.checksum
        blockLength = sizing.blockLength
        strongLength = sizing.strongLength
        let length = blockLength
        let expectedBlocks = min(max(expectedLength, 0) / length + 1, 1 << 20)
        weak.reserveCapacity(expectedBlocks)
        strong.reserveCapacity(expectedBlocks * strongLength)
        partial = .allocate(byteCount: length, alignment: 16)
    }

    /// The blocks of a piece (see `init(pieceOf:expectedLength:)`).
    public func finishPiece() -> (weak: [UInt32], strong: [UInt8], length: Int) {
        if partialCount > 0 {
            addBlock(UnsafeRawBufferPointer(rebasing: partial[0..<partialCount]))
            partialCount = 0
        }
        return (weak, strong, fileSize)
    }

    deinit { partial.deallocate() }

    public func append(_ bytes: UnsafeRawBufferPointer) {
        var rest = bytes
        fileSize += bytes.count
        if partialCount > 0 {
            let take = min(blockLength - partialCount, rest.count)
            UnsafeMutableRawBufferPointer(rebasing: partial[partialCount..<partialCount + take])
                .copyMemory(from: UnsafeRawBufferPointer(rebasing: rest[0..<take]))
            partialCount += take
            rest = UnsafeRawBufferPointer(rebasing: rest[take...])
            if partialCount < blockLength { return }
            addBlock(UnsafeRawBufferPointer(partial))
            partialCount = 0
        }
        while rest.count >= blockLength {
            addBlock(UnsafeRawBufferPointer(rebasing: rest[0..<blockLength]))
            rest = UnsafeRawBufferPointer(rebasing: rest[blockLength...])
        }
        if !rest.isEmpty {
            UnsafeMutableRawBufferPointer(rebasing: partial[0..<rest.count]).copyMemory(from: rest)
            partialCount = rest.count
        }
    }

    public func finish() -> Signature {
        if partialCount > 0 {
            addBlock(UnsafeRawBufferPointer(rebasing: partial[0..<partialCount]))
            partialCount = 0
        }
        // The arrays match the geometry by construction.
        return try! Signature(
            checksum: checksum, geometry: BlockGeometry(fileSize: fileSize, blockLength: blockLength),
            strongLength: strongLength, weak: weak, strong: strong)
    }

    private func addBlock(_ block: UnsafeRawBufferPointer) {
        weak.append(RollingChecksum(block).value)
        let digest = checksum.digest(block)
        for k in 0..<strongLength {
            strong.append(UInt8(truncatingIfNeeded: (k < 8 ? digest.low : digest.high) >> (8 * UInt64(k % 8))))
        }
    }
}
