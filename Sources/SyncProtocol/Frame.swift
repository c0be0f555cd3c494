/// The frame layout after the hello (see Docs/protocol.md, "Frames"):
///
///     u8 type · u8 flags · u32 LE payload length · payload
///
/// One frame holds one message. The type is a `MessageType`; flags other than `compressed` must be zero.
public struct FrameFlags: OptionSet, Sendable, Hashable {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    /// The payload is the next piece of the sending side's compressed stream, ended with a sync flush
    /// (`-z`; only when both hellos offered the compressor).
    public static let compressed = FrameFlags(rawValue: 0x01)

    static let known: FrameFlags = [.compressed]
}

/// One frame: a message type, its flags and the payload (still compressed if the flag says so).
public struct Frame: Sendable, Equatable {
    public var type: MessageType
    public var flags: FrameFlags
    public var payload: [UInt8]

    public init(type: MessageType, flags: FrameFlags = [], payload: [UInt8]) {
        self.type = type
        self.flags = flags
        self.payload = payload
    }

    /// Bytes before the payload.
    public static let headerLength = 6
}

/// Appends frames to a byte buffer. The caller keeps payloads within the peer's `maxFramePayload`
/// (`MessageEncoder` does this for messages).
public enum FrameEncoder {
    public static func append(_ frame: Frame, to out: inout [UInt8]) {
        append(type: frame.type, flags: frame.flags, payload: frame.payload, to: &out)
    }

    public static func append(type: MessageType, flags: FrameFlags = [], payload: some Collection<UInt8>,
        to out: inout [UInt8])
    {
        precondition(payload.count <= Int(UInt32.max), "frame payload over 4 GiB")
        out.append(type.rawValue)
        out.append(flags.rawValue)
        let length = UInt32(payload.count)
        for k in 0..<4 { out.append(UInt8(truncatingIfNeeded: length >> (8 * UInt32(k)))) }
        out.append(contentsOf: payload)
    }
}

/// Incremental frame decoder: `feed` bytes as they arrive, then call `next` until it returns nil ("not
/// enough bytes yet"). It checks the header before buffering the payload, so memory stays within one read
/// plus one frame of at most `maxPayload` bytes.
public struct FrameDecoder: Sendable {
    public let maxPayload: Int
    /// Whether frames may carry `FrameFlags.compressed` (both hellos offered a compressor and `-z` is on).
    public var allowsCompression: Bool

    private var storage: [UInt8] = []
    private var readIndex = 0

    public init(maxPayload: Int = ProtocolLimits.standard.maxFramePayload, allowsCompression: Bool = false) {
        self.maxPayload = maxPayload
        self.allowsCompression = allowsCompression
    }

    /// Bytes fed but not yet returned in a frame.
    public var bufferedCount: Int { storage.count - readIndex }

    public mutating func feed(_ bytes: some Collection<UInt8>) {
        if readIndex > 0 && readIndex >= storage.count / 2 {
            storage.removeSubrange(0..<readIndex)
            readIndex = 0
        }
        storage.append(contentsOf: bytes)
    }

    public mutating func feed(_ bytes: UnsafeRawBufferPointer) {
        feed(UnsafeBufferPointer(start: bytes.baseAddress?.assumingMemoryBound(to: UInt8.self), count: bytes.count))
    }

    /// The next whole frame, or nil until its bytes have all arrived. Throws on a bad header as soon as the
    /// six header bytes are in, without waiting for the payload.
    public mutating func next() throws(ProtocolError) -> Frame? {
        guard bufferedCount >= Frame.headerLength else { return nil }
        let h = readIndex
        let rawType = storage[h]
        guard let type = MessageType(rawValue: rawType) else {
            throw ProtocolError(.unknownMessage, "unknown frame type \(rawType)")
        }
        let flags = FrameFlags(rawValue: storage[h + 1])
        guard FrameFlags.known.isSuperset(of: flags) else {
            throw .malformed("frame flags 0x\(String(flags.rawValue, radix: 16)) on \(type)")
        }
        if flags.contains(.compressed) && !allowsCompression {
            throw .malformed("compressed \(type) frame, but compression was not negotiated")
        }
        var length: UInt32 = 0
        for k in 0..<4 { length |= UInt32(storage[h + 2 + k]) << (8 * UInt32(k)) }
        guard length <= UInt32(maxPayload) else {
            throw .limit("\(type) frame of \(length) bytes (limit \(maxPayload))")
        }
        let end = h + Frame.headerLength + Int(length)
        guard storage.count >= end else { return nil }
        let payload = Array(storage[(h + Frame.headerLength)..<end])
        readIndex = end
        return Frame(type: type, flags: flags, payload: payload)
    }

    /// Call at end of input: throws if a frame was cut off.
    public func finishInput() throws(ProtocolError) {
        guard bufferedCount == 0 else {
            throw .truncated("frame (\(bufferedCount) bytes left at end of stream)")
        }
    }
}
