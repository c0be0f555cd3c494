/// Binary encoding of a delta stream (see Docs/Protocol.md, "Delta"):
///
///     header:  u8 version (1) · u8 kind 'D' · u8 checksum · varint basis size · varint block length
///     records: 0x01 literal · varint length (1...maxLiteralLength) · bytes
///              0x02 copy    · varint first block · varint block count (≥ 1, inside the basis)
///              0x00 end     · varint new file size · u8 digest length (the checksum's full length) · digest
///
/// The header repeats the basis geometry so the receiver can check the delta belongs to the signature it sent.
public enum DeltaCodec {
    public static let version: UInt8 = 1
    static let kind: UInt8 = 0x44  // "D"
    static let tagEnd: UInt8 = 0x00
    static let tagLiteral: UInt8 = 0x01
    static let tagCopy: UInt8 = 0x02

    public static func encodeHeader(checksum: ChecksumChoice, geometry: BlockGeometry, into out: inout [UInt8]) {
        var w = WireWriter()
        w.byte(version)
        w.byte(kind)
        w.byte(checksum.rawValue)
        w.varint(geometry.fileSize)
        w.varint(geometry.blockLength)
        out.append(contentsOf: w.bytes)
    }

    public static func encode(_ instruction: DeltaInstruction, into out: inout [UInt8]) {
        var w = WireWriter()
        switch instruction {
        case .literal(let bytes):
            w.byte(tagLiteral)
            w.varint(bytes.count)
            out.append(contentsOf: w.bytes)
            out.append(contentsOf: bytes)
        case .copy(let index, let count):
            w.byte(tagCopy)
            w.varint(index)
            w.varint(count)
            out.append(contentsOf: w.bytes)
        }
    }

    public static func encodeEnd(_ trailer: DeltaTrailer, into out: inout [UInt8]) {
        var w = WireWriter()
        w.byte(tagEnd)
        w.varint(trailer.fileSize)
        w.byte(UInt8(trailer.digest.length))
        out.append(contentsOf: w.bytes)
        out.append(contentsOf: trailer.digest.bytes)
    }

    /// A whole delta in one buffer.
    public static func encode(checksum: ChecksumChoice, geometry: BlockGeometry, instructions: [DeltaInstruction],
        trailer: DeltaTrailer) -> [UInt8]
    {
        var out: [UInt8] = []
        encodeHeader(checksum: checksum, geometry: geometry, into: &out)
        for instruction in instructions { encode(instruction, into: &out) }
        encodeEnd(trailer, into: &out)
        return out
    }

    /// Decodes a whole delta from one buffer, checking it against the signature it was made for.
    public static func decode(_ bytes: [UInt8], signature: Signature, limits: DeltaLimits = .standard)
        throws(DeltaError) -> (instructions: [DeltaInstruction], trailer: DeltaTrailer)
    {
        let decoder = DeltaDecoder(expecting: signature.geometry, checksum: signature.checksum, limits: limits)
        try withBytes(of: bytes) { (raw) throws(DeltaError) in try decoder.feed(raw) }
        var instructions: [DeltaInstruction] = []
        while let event = try decoder.next() {
            switch event {
            case .header: continue
            case .instruction(let instruction): instructions.append(instruction)
            case .end(let trailer):
                try decoder.finishInput()
                return (instructions, trailer)
            }
        }
        try decoder.finishInput()
        throw .truncated("delta")  // finishInput throws first; kept for the type checker
    }

    /// Checks a geometry claimed by a peer against the limits.
    static func checkedGeometry(fileSize: Int, blockLength: Int, limits: DeltaLimits) throws(DeltaError)
        -> BlockGeometry
    {
        guard blockLength >= 1, blockLength <= limits.maxBlockLength else {
            throw .limit("block length \(blockLength) (limit \(limits.maxBlockLength))")
        }
        guard fileSize <= limits.maxFileSize else { throw .limit("file size \(fileSize)") }
        let geometry = BlockGeometry(fileSize: fileSize, blockLength: blockLength)
        guard geometry.blockCount <= limits.maxBlockCount else {
            throw .limit("\(geometry.blockCount) blocks (limit \(limits.maxBlockCount))")
        }
        return geometry
    }
}

/// Incremental delta decoder: feed bytes as they arrive, then pull events; `next()` returns nil when it needs
/// more input. It checks every field before acting on it and never buffers more than one record beyond what
/// it was fed.
public final class DeltaDecoder {
    public enum Event: Sendable, Equatable {
        case header(checksum: ChecksumChoice, geometry: BlockGeometry)
        case instruction(DeltaInstruction)
        case end(DeltaTrailer)
    }

    private enum State { case header, records, ended }

    public let limits: DeltaLimits
    private let expectedGeometry: BlockGeometry?
    private let expectedChecksum: ChecksumChoice?
    private var geometry = BlockGeometry(fileSize: 0, blockLength: 1)
    private var checksum = ChecksumChoice.xxh128
    private var state = State.header
    private var storage: [UInt8] = []
    private var readIndex = 0

    /// - Parameters:
    ///   - geometry, checksum: what the local signature said; a header that disagrees is rejected.
    public init(expecting geometry: BlockGeometry?, checksum: ChecksumChoice?, limits: DeltaLimits = .standard) {
        expectedGeometry = geometry
        expectedChecksum = checksum
        self.limits = limits
    }

    public func feed(_ bytes: UnsafeRawBufferPointer) throws(DeltaError) {
        if state == .ended && !bytes.isEmpty { throw .malformed("bytes after the end of the delta") }
        if readIndex > 0 && readIndex >= storage.count / 2 {
            storage.removeSubrange(0..<readIndex)
            readIndex = 0
        }
        storage.append(contentsOf: bytes)
    }

    /// Call when the input has ended: throws unless the end record was read and nothing follows it.
    public func finishInput() throws(DeltaError) {
        guard state == .ended else { throw .truncated("delta (no end record)") }
        guard readIndex == storage.count else { throw .malformed("bytes after the end of the delta") }
    }

    public func next() throws(DeltaError) -> Event? {
        let (event, consumed) = try withBytes(of: storage) { (raw) throws(DeltaError) -> (Event?, Int) in
            var r = WireReader(UnsafeRawBufferPointer(rebasing: raw[readIndex...]))
            let event = try parse(&r)
            return (event, event == nil ? 0 : r.index)
        }
        readIndex += consumed
        return event
    }

    private func parse(_ r: inout WireReader) throws(DeltaError) -> Event? {
        switch state {
        case .ended:
            if r.remaining > 0 { throw .malformed("bytes after the end of the delta") }
            return nil
        case .header:
            guard let v = r.byte() else { return nil }
            guard v == DeltaCodec.version else { throw DeltaError(.unsupportedVersion, "delta version \(v)") }
            guard let k = r.byte() else { return nil }
            guard k == DeltaCodec.kind else { throw .malformed("not a delta (kind \(k))") }
            guard let c = r.byte() else { return nil }
            guard let choice = ChecksumChoice(rawValue: c) else {
                throw DeltaError(.unsupportedVersion, "unknown checksum \(c)")
            }
            guard let size = try r.varint("basis size"), let blockLength = try r.varint("block length") else {
                return nil
            }
            let claimed = try DeltaCodec.checkedGeometry(fileSize: size, blockLength: blockLength, limits: limits)
            if let expectedGeometry, expectedGeometry != claimed {
                throw .mismatch("delta is for a \(size)-byte basis in \(blockLength)-byte blocks")
            }
            if let expectedChecksum, expectedChecksum != choice {
                throw .mismatch("delta uses \(choice.name), signature used \(expectedChecksum.name)")
            }
            geometry = claimed
            checksum = choice
            state = .records
            return .header(checksum: choice, geometry: claimed)
        case .records:
            guard let tag = r.byte() else { return nil }
            switch tag {
            case DeltaCodec.tagLiteral:
                guard let length = try r.varint("literal length") else { return nil }
                guard length >= 1, length <= limits.maxLiteralLength else {
                    throw .limit("literal of \(length) bytes (limit \(limits.maxLiteralLength))")
                }
                guard let bytes = r.take(length) else { return nil }
                return .instruction(.literal(Array(bytes)))
            case DeltaCodec.tagCopy:
                guard let index = try r.varint("block index"), let count = try r.varint("block count") else {
                    return nil
                }
                let instruction = DeltaInstruction.copy(blockIndex: index, count: count)
                try DeltaPatcher.validate(instruction, geometry: geometry, limits: limits)
                return .instruction(instruction)
            case DeltaCodec.tagEnd:
                guard let size = try r.varint("file size") else { return nil }
                guard size <= limits.maxFileSize else { throw .limit("file size \(size)") }
                guard let length = r.byte() else { return nil }
                guard Int(length) == checksum.digestLength else {
                    throw .malformed("digest of \(length) bytes for \(checksum.name)")
                }
                guard let digest = r.take(Int(length)) else { return nil }
                state = .ended
                return .end(DeltaTrailer(fileSize: size, digest: StrongDigest(bytes: digest)))
            default:
                throw .malformed("unknown delta record \(tag)")
            }
        }
    }
}
