/// Binary encoding of a `Signature` (see Docs/Protocol.md, "Signature"):
///
///     u8 version (1) · u8 kind 'S' · u8 checksum (1 xxh128, 2 xxh3, 3 xxh64)
///     varint basis file size · varint block length · u8 strong length
///     block count × (u32 LE weak sum · strong length bytes)
///
/// The block count is not sent: it follows from the size and block length, and the decoder checks that
/// exactly that many entries are present before allocating anything.
public enum SignatureCodec {
    public static let version: UInt8 = 1
    static let kind: UInt8 = 0x53  // "S"

    public static func encode(_ signature: Signature) -> [UInt8] {
        var w = WireWriter()
        w.bytes.reserveCapacity(16 + signature.blockCount * (4 + signature.strongLength))
        w.byte(version)
        w.byte(kind)
        w.byte(signature.checksum.rawValue)
        w.varint(signature.geometry.fileSize)
        w.varint(signature.blockLength)
        w.byte(UInt8(signature.strongLength))
        signature.strong.withUnsafeBytes { strong in
            for i in 0..<signature.blockCount {
                w.uint32(signature.weak[i])
                w.append(UnsafeRawBufferPointer(
                    rebasing: strong[i * signature.strongLength..<(i + 1) * signature.strongLength]))
            }
        }
        return w.bytes
    }

    public static func decode(_ bytes: [UInt8], limits: DeltaLimits = .standard) throws(DeltaError) -> Signature {
        try withBytes(of: bytes) { (raw) throws(DeltaError) in try decode(raw, limits: limits) }
    }

    /// Decodes one complete signature; trailing bytes are an error.
    public static func decode(_ raw: UnsafeRawBufferPointer, limits: DeltaLimits = .standard) throws(DeltaError)
        -> Signature
    {
        var r = WireReader(raw)
        guard let v = r.byte(), let k = r.byte(), let c = r.byte() else { throw .truncated("signature header") }
        guard v == version else { throw DeltaError(.unsupportedVersion, "signature version \(v)") }
        guard k == kind else { throw .malformed("not a signature (kind \(k))") }
        guard let checksum = ChecksumChoice(rawValue: c) else {
            throw DeltaError(.unsupportedVersion, "unknown checksum \(c)")
        }
        guard let fileSize = try r.varint("basis size"), let blockLength = try r.varint("block length"),
            let strongLength = r.byte().map(Int.init)
        else { throw .truncated("signature header") }
        let geometry = try DeltaCodec.checkedGeometry(fileSize: fileSize, blockLength: blockLength, limits: limits)
        guard strongLength >= 1, strongLength <= checksum.digestLength else {
            throw .malformed("strong length \(strongLength) for \(checksum.name)")
        }
        let count = geometry.blockCount
        let entry = 4 + strongLength
        // Division instead of count * entry: no overflow, and no allocation the input cannot back.
        guard r.remaining % entry == 0, r.remaining / entry == count else {
            throw r.remaining / entry < count
                ? .truncated("signature (\(count) blocks announced)")
                : .malformed("signature has bytes after \(count) blocks")
        }
        var weak = [UInt32](repeating: 0, count: count)
        var strong = [UInt8](repeating: 0, count: count * strongLength)
        strong.withUnsafeMutableBytes { out in
            for i in 0..<count {
                weak[i] = r.uint32()!
                out.baseAddress!.advanced(by: i * strongLength).copyMemory(
                    from: r.take(strongLength)!.baseAddress!, byteCount: strongLength)
            }
        }
        return try Signature(checksum: checksum, geometry: geometry, strongLength: strongLength, weak: weak, strong: strong)
    }
}
