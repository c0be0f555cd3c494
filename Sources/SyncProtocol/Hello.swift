import SyncCore

/// What each side can do, offered in the hello; the run uses the bits both offered. Unknown bits are ignored
/// so a newer peer can offer more.
public struct Capabilities: OptionSet, Sendable, Hashable {
    public let rawValue: UInt64
    public init(rawValue: UInt64) { self.rawValue = rawValue }

    /// `-z` with `--compress-choice=zstd`.
    public static let zstd = Capabilities(rawValue: 1 << 0)
    /// `-z` with `--compress-choice=zlib`.
    public static let zlib = Capabilities(rawValue: 1 << 1)
    /// Delta checksums (`ChecksumChoice`).
    public static let xxh128 = Capabilities(rawValue: 1 << 2)
    public static let xxh3 = Capabilities(rawValue: 1 << 3)
    public static let xxh64 = Capabilities(rawValue: 1 << 4)
    /// Hard-link groups in file-list entries (`-H`).
    public static let hardLinks = Capabilities(rawValue: 1 << 5)
    /// Modification times with nanoseconds.
    public static let nanosecondTimes = Capabilities(rawValue: 1 << 6)

    /// The client sends its `RunSetup` (filter rules, rules files, `--files-from` sources) in `setup`
    /// messages right after the hello, and the server reads them before it starts.
    public static let runSetup = Capabilities(rawValue: 1 << 7)
    /// `progress` messages: `--timeout` counts the peer's progress, not its keepalives.
    public static let progress = Capabilities(rawValue: 1 << 8)
    /// `--files-from=host:FILE`: the server reads the list (a pull's sends what it names; a push's sends
    /// the list to the client in `fileList` messages after the setup).
    public static let peerFileList = Capabilities(rawValue: 1 << 9)
    /// `release` messages: the generator tells the sender which listed files it is done with, so the
    /// sender's table of files stays flat in the file count (`FileRelease`).
    public static let fileRelease = Capabilities(rawValue: 1 << 10)

    /// Everything this build implements.
    public static let supported: Capabilities = [.zstd, .zlib, .xxh128, .xxh3, .xxh64, .hardLinks, .nanosecondTimes,
        .runSetup, .progress, .peerFileList, .fileRelease]

    public init(compression: CompressionChoice) { self = compression == .zstd ? .zstd : .zlib }

    public init(checksum: ChecksumChoice) {
        switch checksum {
        case .xxh128: self = .xxh128
        case .xxh3: self = .xxh3
        case .xxh64: self = .xxh64
        }
    }
}

/// The first bytes each side writes, before any frame (see Docs/protocol.md, "Hello"):
///
///     magic "\0SWSYNC\n" (8 bytes) · u16 LE body length (4...1024) · body
///     body: varint version · varint minimum version · varint capabilities
///           · varint max frame payload · varint max outstanding requests · [fields of later versions]
///
/// Both sides send their hello at once and read the other's; no round trip is spent waiting.
public struct Hello: Sendable, Equatable {
    /// The newest protocol version this side speaks.
    public var version: Int
    /// The oldest version it still speaks.
    public var minimumVersion: Int
    public var capabilities: Capabilities
    /// The largest frame payload this side accepts; the peer must not send more.
    public var maxFramePayload: Int
    /// How many file requests this side lets the peer have outstanding (the pipelining window).
    public var maxOutstandingRequests: Int

    public init(version: Int = Hello.currentVersion, minimumVersion: Int = Hello.oldestVersion,
        capabilities: Capabilities = .supported, maxFramePayload: Int = ProtocolLimits.standard.maxFramePayload,
        maxOutstandingRequests: Int = Hello.defaultWindow)
    {
        self.version = version
        self.minimumVersion = minimumVersion
        self.capabilities = capabilities
        self.maxFramePayload = maxFramePayload
        self.maxOutstandingRequests = maxOutstandingRequests
    }

    public static let currentVersion = 1
    public static let oldestVersion = 1
    public static let defaultWindow = 64
    public static let windowRange = 1...4096

    /// `\0SWSYNC\n`: the NUL first means no text banner can look like a hello.
    public static let magic: [UInt8] = [0x00, 0x53, 0x57, 0x53, 0x59, 0x4E, 0x43, 0x0A]
    static let maxBodyLength = 1024
    static let versionLimit = 0xFFFF

    public func encode() -> [UInt8] {
        var body = PayloadWriter()
        body.varint(version)
        body.varint(minimumVersion)
        body.varint(capabilities.rawValue)
        body.varint(maxFramePayload)
        body.varint(maxOutstandingRequests)
        var out = Hello.magic
        out.append(UInt8(truncatingIfNeeded: body.bytes.count))
        out.append(UInt8(truncatingIfNeeded: body.bytes.count >> 8))
        out.append(contentsOf: body.bytes)
        return out
    }

    /// Parses a body whose length was already checked. Fields after the known ones are skipped.
    static func parseBody(_ body: [UInt8]) throws(ProtocolError) -> Hello {
        var r = PayloadReader(body, what: "hello")
        let version = try r.varint("version", max: versionLimit)
        let minimum = try r.varint("minimum version", max: versionLimit)
        let capabilities = Capabilities(rawValue: try r.varint64("capabilities"))
        let frame = try r.varint("max frame payload", max: Int(UInt32.max))
        let window = try r.varint("max outstanding requests", max: Int(UInt32.max))
        guard minimum <= version else {
            throw ProtocolError(.versionMismatch, "protocol version mismatch: the peer's hello offers \(minimum)...\(version)")
        }
        guard ProtocolLimits.framePayloadRange.contains(frame) else {
            throw .limit("hello: max frame payload \(frame) (allowed \(ProtocolLimits.framePayloadRange))")
        }
        guard windowRange.contains(window) else {
            throw .limit("hello: max outstanding requests \(window) (allowed \(windowRange))")
        }
        return Hello(version: version, minimumVersion: minimum, capabilities: capabilities, maxFramePayload: frame,
            maxOutstandingRequests: window)
    }
}

/// What both hellos agree on.
public struct Session: Sendable, Equatable {
    public var version: Int
    /// Bits both sides offered.
    public var capabilities: Capabilities
    /// Largest payload we may send (the peer's limit).
    public var sendFramePayload: Int
    /// Largest payload we accept (our limit): give it to `FrameDecoder`.
    public var receiveFramePayload: Int
    /// Requests that may be outstanding at once: the smaller of the two hellos' windows.
    public var window: Int

    /// Checks that the version ranges overlap and that `required` capabilities are offered by both sides.
    public init(local: Hello, remote: Hello, required: Capabilities = []) throws(ProtocolError) {
        let version = min(local.version, remote.version)
        guard version >= max(local.minimumVersion, remote.minimumVersion) else {
            throw ProtocolError(.versionMismatch,
                "protocol version mismatch: we speak \(local.minimumVersion)...\(local.version), the peer speaks "
                    + "\(remote.minimumVersion)...\(remote.version) (upgrade the older swsync)")
        }
        let shared = local.capabilities.intersection(remote.capabilities)
        let missing = required.subtracting(shared)
        guard missing.isEmpty else {
            throw ProtocolError(.missingCapability,
                "the peer does not support this run's options (capability bits 0x\(String(missing.rawValue, radix: 16)))")
        }
        self.version = version
        capabilities = shared
        sendFramePayload = remote.maxFramePayload
        receiveFramePayload = local.maxFramePayload
        window = min(local.maxOutstandingRequests, remote.maxOutstandingRequests)
    }
}

/// Reads the peer's hello from the start of the stream. Anything else there (a login banner, "stdin: is not a
/// tty", a shell's error) is reported with its first line, like rsync's "is your shell clean?".
public struct HelloDecoder: Sendable {
    /// Bytes of garbage gathered (waiting for its end of line) before giving up and reporting what we have.
    public static let garbageLineLimit = 200

    private var storage: [UInt8] = []
    private var garbage = false
    private var done = false

    public init() {}

    public mutating func feed(_ bytes: some Collection<UInt8>) {
        storage.append(contentsOf: bytes)
    }

    /// The hello, or nil until it has all arrived. After it returns a hello, `remainder` holds the bytes that
    /// followed it (the first frames).
    public mutating func next() throws(ProtocolError) -> Hello? {
        precondition(!done, "HelloDecoder.next() after the hello")
        if !garbage {
            let n = min(storage.count, Hello.magic.count)
            garbage = !storage[0..<n].elementsEqual(Hello.magic[0..<n])
        }
        if garbage {
            if storage.contains(0x0A) || storage.count >= HelloDecoder.garbageLineLimit { throw garbageError() }
            return nil
        }
        let head = Hello.magic.count + 2
        guard storage.count >= head else { return nil }
        let length = Int(storage[head - 2]) | Int(storage[head - 1]) << 8
        guard length >= 4, length <= Hello.maxBodyLength else {
            throw .malformed("hello body of \(length) bytes")
        }
        guard storage.count >= head + length else { return nil }
        let hello = try Hello.parseBody(Array(storage[head..<head + length]))
        storage.removeSubrange(0..<head + length)
        done = true
        return hello
    }

    /// Bytes after the hello: feed them to the `FrameDecoder`.
    public var remainder: [UInt8] { done ? storage : [] }

    /// Call when the stream ends before the hello arrived.
    public func finishInput() throws(ProtocolError) {
        if done { return }
        if garbage { throw garbageError() }
        if storage.isEmpty {
            throw .truncated("stream: the connection closed before the hello (is swsync installed on the remote host?)")
        }
        throw .truncated("hello (\(storage.count) bytes)")
    }

    private func garbageError() -> ProtocolError {
        var line = storage.prefix(HelloDecoder.garbageLineLimit)
        if let end = line.firstIndex(of: 0x0A) { line = line[..<end] }
        if line.last == 0x0D { line = line.dropLast() }
        return ProtocolError(.garbageBeforeHello,
            "protocol version mismatch -- is your shell clean?\n"
                + "(the remote shell printed \"\(OutputEscaper.escape(Array(line)))\" before swsync's hello)")
    }
}
