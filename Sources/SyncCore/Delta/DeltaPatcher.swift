/// Rebuilds the new file from the basis and a delta (rsync's receiver, `receive_data`), then checks the
/// whole-file digest. The basis is read and the output written through closures, so this stays pure.
///
/// Every instruction is checked against the basis geometry first, so a hostile delta is rejected with a
/// `DeltaError` before any read. Copy runs are read in pieces of at most `pieceLength` bytes, in increasing
/// offset order; that keeps `--inplace` correct whenever each copied block lies at or after the write offset.
public final class DeltaPatcher {
    public let geometry: BlockGeometry
    public let checksum: ChecksumChoice
    private let digester: FileDigester
    private let piece: UnsafeMutableRawBufferPointer
    /// Bytes written so far (the write offset).
    public private(set) var outputLength = 0

    /// The outcome of `finish`: on a digest mismatch the caller redoes the whole file (rsync retries the
    /// file with a full-length checksum, "WARNING: ... failed verification -- update retained/discarded").
    public enum Verification: Sendable, Equatable {
        case verified
        case digestMismatch(expected: StrongDigest, actual: StrongDigest)
        case sizeMismatch(expected: Int, actual: Int)
    }

    public init(geometry: BlockGeometry, checksum: ChecksumChoice, pieceLength: Int = 256 * 1024) {
        self.geometry = geometry
        self.checksum = checksum
        digester = FileDigester(checksum)
        piece = .allocate(byteCount: max(pieceLength, 1), alignment: 16)
    }

    public convenience init(signature: Signature) {
        self.init(geometry: signature.geometry, checksum: signature.checksum)
    }

    deinit { piece.deallocate() }

    /// Checks one instruction against the geometry and the limits, without doing it.
    public static func validate(_ instruction: DeltaInstruction, geometry: BlockGeometry,
        limits: DeltaLimits = .standard) throws(DeltaError)
    {
        switch instruction {
        case .copy(let index, let count):
            guard index >= 0, count >= 1, index < geometry.blockCount, count <= geometry.blockCount - index else {
                throw .malformed("copy of blocks \(index)+\(count) outside basis of \(geometry.blockCount) blocks")
            }
        case .literal(let bytes):
            guard !bytes.isEmpty, bytes.count <= limits.maxLiteralLength else {
                throw .limit("literal of \(bytes.count) bytes (limit \(limits.maxLiteralLength))")
            }
        }
    }

    /// Applies one instruction.
    /// - Parameters:
    ///   - read: fills the buffer with basis bytes at the offset; must fill it completely.
    ///   - write: appends bytes to the output.
    public func apply(
        _ instruction: DeltaInstruction,
        read: (_ offset: Int, _ into: UnsafeMutableRawBufferPointer) throws(SyncError) -> Void,
        write: (UnsafeRawBufferPointer) throws(SyncError) -> Void
    ) throws(SyncError) {
        do {
            try Self.validate(instruction, geometry: geometry)
        } catch {
            throw error.syncError
        }
        switch instruction {
        case .literal(let bytes):
            try withBytes(of: bytes) { (raw) throws(SyncError) in
                try write(raw)
                digester.update(raw)
            }
            outputLength += bytes.count
        case .copy(let index, let count):
            var offset = geometry.offset(ofBlock: index)
            var remaining = geometry.length(ofBlocks: index, count: count)
            while remaining > 0 {
                let n = min(remaining, piece.count)
                let chunk = UnsafeMutableRawBufferPointer(rebasing: piece[0..<n])
                try read(offset, chunk)
                try write(UnsafeRawBufferPointer(chunk))
                digester.update(UnsafeRawBufferPointer(chunk))
                offset += n
                remaining -= n
                outputLength += n
            }
        }
    }

    /// Accounts for bytes of a copy run the caller moved itself (after `validate`), straight from the
    /// basis into its own write buffers: they count toward the output and its digest.
    public func absorbCopied(_ bytes: UnsafeRawBufferPointer) {
        digester.update(bytes)
        outputLength += bytes.count
    }

    /// Compares what was written with the sender's trailer.
    public func finish(expecting trailer: DeltaTrailer) -> Verification {
        let actual = digester.finish()
        if outputLength != trailer.fileSize { return .sizeMismatch(expected: trailer.fileSize, actual: outputLength) }
        if actual.truncated(to: trailer.digest.length) != trailer.digest {
            return .digestMismatch(expected: trailer.digest, actual: actual)
        }
        return .verified
    }

    /// One-shot patch of an in-memory basis; nil when the result fails verification.
    public static func patch(basis: [UInt8], signature: Signature, instructions: [DeltaInstruction],
        trailer: DeltaTrailer) throws(SyncError) -> [UInt8]?
    {
        guard signature.geometry.fileSize == basis.count else {
            throw DeltaError.mismatch("basis is \(basis.count) bytes, signature says \(signature.geometry.fileSize)")
                .syncError
        }
        let patcher = DeltaPatcher(signature: signature)
        var output: [UInt8] = []
        try withBytes(of: basis) { (source) throws(SyncError) in
            for instruction in instructions {
                try patcher.apply(
                    instruction,
                    read: { offset, into in
                        into.copyMemory(from: UnsafeRawBufferPointer(rebasing: source[offset..<offset + into.count]))
                    },
                    write: { output.append(contentsOf: $0) })
            }
        }
        return patcher.finish(expecting: trailer) == .verified ? output : nil
    }
}
