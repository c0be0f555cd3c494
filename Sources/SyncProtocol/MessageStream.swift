import SyncCore

/// Turns messages into frames for a peer that accepts payloads of at most `maxPayload` bytes. Signature and
/// delta bytes are split over as many frames as needed, and a file-list chunk too large for one frame is
/// re-chunked (all pieces but the last marked `continues`), so encoding never fails.
public struct MessageEncoder: Sendable {
    public let maxPayload: Int
    public let limits: ProtocolLimits

    public init(maxPayload: Int, limits: ProtocolLimits = .standard) {
        precondition(ProtocolLimits.framePayloadRange.contains(maxPayload), "frame payload \(maxPayload)")
        self.maxPayload = maxPayload
        self.limits = limits
    }

    /// For a negotiated session: frames no larger than the peer accepts.
    public init(session: Session, limits: ProtocolLimits = .standard) {
        self.init(maxPayload: session.sendFramePayload, limits: limits)
    }

    /// Appends the frames for `message` to `out`.
    public func encode(_ message: Message, into out: inout [UInt8]) {
        for piece in pieces(of: message, maxPayload: maxPayload) {
            FrameEncoder.append(type: piece.type, payload: piece.encodePayload(limits: limits), to: &out)
        }
    }

    /// Appends the frames for `message`, compressing file-list chunks and delta data with `compressor`
    /// (`-z`; pass `compress: false` for a file on the `--skip-compress` list). Other messages go plain.
    public func encode(_ message: Message, into out: inout [UInt8], compressor: FrameCompressor, compress: Bool = true)
        throws(SyncError)
    {
        guard compress, message.type == .delta || message.type == .fileListChunk else {
            encode(message, into: &out)
            return
        }
        for piece in pieces(of: message, maxPayload: FrameCompressor.inputBudget(forPayload: maxPayload)) {
            let compressed = try compressor.compress(piece.encodePayload(limits: limits))
            precondition(compressed.count <= maxPayload, "compressed frame over the peer's limit")
            FrameEncoder.append(type: piece.type, flags: .compressed, payload: compressed, to: &out)
        }
    }

    /// Splits a message whose payload would not fit in `maxPayload` bytes.
    func pieces(of message: Message, maxPayload: Int) -> [Message] {
        switch message {
        case .signature(let index, let bytes), .delta(let index, let bytes):
            let room = maxPayload - 10  // the index varint
            guard bytes.count > room else { return [message] }
            var result: [Message] = []
            var start = 0
            while start < bytes.count {
                let end = min(start + room, bytes.count)
                let part = Array(bytes[start..<end])
                result.append(message.type == .signature ? .signature(fileIndex: index, bytes: part)
                    : .delta(fileIndex: index, bytes: part))
                start = end
            }
            return result
        case .fileListChunk(let chunk):
            guard message.encodePayload(limits: limits).count > maxPayload else { return [message] }
            var chunks = FileListCodec.chunks(directoryIndex: chunk.directoryIndex, entries: chunk.entries,
                maxPayload: maxPayload, maxEntriesPerChunk: limits.maxEntriesPerChunk,
                carriesAccessTimes: chunk.carriesAccessTimes)
            chunks[chunks.count - 1].continues = chunk.continues
            for i in chunks.indices {
                chunks[i].hadIOError = chunk.hadIOError
                chunks[i].isContentDirectory = chunk.isContentDirectory
                chunks[i].severalSources = chunk.severalSources
            }
            return chunks.map { .fileListChunk($0) }
        default:
            return [message]
        }
    }
}

/// Reads messages from the peer's bytes: frames, then payloads, each checked against `limits`.
/// `next` returns nil until a whole frame has arrived.
public struct MessageDecoder: Sendable {
    public var frames: FrameDecoder
    public let limits: ProtocolLimits

    /// - Parameters:
    ///   - session: gives the frame limit we announced, and whether compressed frames may come.
    ///   - compression: true when `-z` is on for this run (the peer may then set the compressed flag).
    public init(session: Session, compression: Bool = false, limits: ProtocolLimits = .standard) {
        var limits = limits
        limits.maxFramePayload = session.receiveFramePayload
        self.init(limits: limits, compression: compression)
    }

    public init(limits: ProtocolLimits = .standard, compression: Bool = false) {
        self.limits = limits
        frames = FrameDecoder(maxPayload: limits.maxFramePayload, allowsCompression: compression)
    }

    public mutating func feed(_ bytes: some Collection<UInt8>) { frames.feed(bytes) }

    /// The next message. A compressed frame needs `decompressor`.
    public mutating func next(decompressor: FrameDecompressor? = nil) throws(ProtocolError) -> Message? {
        guard var frame = try frames.next() else { return nil }
        if frame.flags.contains(.compressed) {
            guard let decompressor else { throw ProtocolError(.compression, "compressed \(frame.type) frame without -z") }
            frame = try decompressor.decompress(frame)
        }
        return try Message.decode(frame, limits: limits)
    }

    public func finishInput() throws(ProtocolError) { try frames.finishInput() }
}
