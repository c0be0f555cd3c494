/// How a basis file of `fileSize` bytes splits into blocks of `blockLength` bytes; the last block may be short.
public struct BlockGeometry: Sendable, Equatable, Hashable {
    public let fileSize: Int
    public let blockLength: Int

    /// `blockLength` must be ≥ 1 and `fileSize` ≥ 0; decoders check this before building one.
    public init(fileSize: Int, blockLength: Int) {
        precondition(blockLength >= 1 && fileSize >= 0, "invalid block geometry")
        self.fileSize = fileSize
        self.blockLength = blockLength
    }

    public var blockCount: Int { fileSize / blockLength + (fileSize % blockLength == 0 ? 0 : 1) }

    /// Length of the last block (equal to `blockLength` when the size is a multiple of it; 0 for an empty file).
    public var lastBlockLength: Int {
        let remainder = fileSize % blockLength
        return remainder == 0 ? (fileSize == 0 ? 0 : blockLength) : remainder
    }

    public func offset(ofBlock index: Int) -> Int { index * blockLength }

    public func length(ofBlock index: Int) -> Int {
        index == blockCount - 1 ? lastBlockLength : blockLength
    }

    /// Byte length of `count` blocks starting at `index` (which the caller has checked are in range).
    public func length(ofBlocks index: Int, count: Int) -> Int {
        min(fileSize, (index + count) * blockLength) - index * blockLength
    }
}
