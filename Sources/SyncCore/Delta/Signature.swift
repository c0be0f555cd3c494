/// The block checksums of a basis file, which the generator sends so the sender can describe the new file as
/// copies of basis blocks plus literal bytes (rsync's `sum_struct`).
public struct Signature: Sendable, Equatable {
    public let checksum: ChecksumChoice
    public let geometry: BlockGeometry
    /// Bytes of each block's strong digest kept (rsync `s2length`).
    public let strongLength: Int
    /// Weak rolling checksum per block (`RollingChecksum.value`).
    public let weak: [UInt32]
    /// Truncated strong digests, `strongLength` bytes per block, back to back.
    public let strong: [UInt8]

    /// Checks that the arrays agree with the geometry; decoders rely on this.
    public init(checksum: ChecksumChoice, geometry: BlockGeometry, strongLength: Int, weak: [UInt32], strong: [UInt8])
        throws(DeltaError)
    {
        guard strongLength >= 1, strongLength <= checksum.digestLength else {
            throw .malformed("strong checksum length \(strongLength) is invalid for \(checksum.name)")
        }
        guard weak.count == geometry.blockCount, strong.count == weak.count * strongLength else {
            throw .malformed("signature has \(weak.count) blocks, expected \(geometry.blockCount)")
        }
        self.checksum = checksum
        self.geometry = geometry
        self.strongLength = strongLength
        self.weak = weak
        self.strong = strong
    }

    public var blockLength: Int { geometry.blockLength }
    public var blockCount: Int { weak.count }

    /// The stored (truncated) strong digest of block `index`.
    public func strongDigest(ofBlock index: Int) -> StrongDigest {
        StrongDigest(bytes: strong[index * strongLength..<(index + 1) * strongLength])
    }

    /// One-shot signature of an in-memory basis, with rsync's sizing unless `blockLength` is given (`-B`).
    public static func make(basis: UnsafeRawBufferPointer, checksum: ChecksumChoice = .xxh128, blockLength: Int? = nil)
        -> Signature
    {
        let builder = SignatureBuilder(fileSize: basis.count, checksum: checksum, blockLength: blockLength)
        builder.append(basis)
        return builder.finish()
    }
}
