/// One step of a delta: copy a run of basis blocks, or insert literal bytes (rsync's tokens).
public enum DeltaInstruction: Sendable, Equatable {
    /// Copy `count` consecutive basis blocks starting at `blockIndex`.
    case copy(blockIndex: Int, count: Int)
    /// Bytes of the new file not found in the basis; at most `DeltaLimits.maxLiteralLength` per instruction.
    case literal([UInt8])
}

/// What ends a delta: the new file's length and its whole-file strong digest.
public struct DeltaTrailer: Sendable, Equatable {
    public var fileSize: Int
    public var digest: StrongDigest

    public init(fileSize: Int, digest: StrongDigest) {
        self.fileSize = fileSize
        self.digest = digest
    }
}
