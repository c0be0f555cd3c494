/// What the client gives the server after the hello and before the run starts (Docs/protocol.md,
/// "Setup"): the filter rules, the contents of the rule files the client read for them, and for a pull
/// with `--files-from` the server's source arguments. These are the user's data: they travel in frames,
/// never on the remote shell's command line, so nothing a rules file holds can reach that shell.
public struct RunSetup: Sendable, Equatable {
    /// The kind of one filter option, in command-line order (SyncCore's `FilterOption.Kind`).
    public enum RuleKind: UInt8, Sendable, CaseIterable {
        case filter = 0, include = 1, exclude = 2, includeFrom = 3, excludeFrom = 4
        /// `-F` (the value is empty).
        case perDirectoryFilter = 5
        /// `-C` (the value is empty).
        case cvsExclude = 6

        /// The value names a rules file the client read (its content is in `files`).
        var namesFile: Bool { self == .includeFrom || self == .excludeFrom }
        /// The option takes no value.
        var isFlag: Bool { self == .perDirectoryFilter || self == .cvsExclude }
    }

    public struct Rule: Sendable, Equatable {
        public var kind: RuleKind
        public var value: [UInt8]
        public init(_ kind: RuleKind, _ value: [UInt8]) {
            self.kind = kind
            self.value = value
        }
    }

    /// A rules file as the client read it (`--exclude-from`, `--include-from`, `merge`), by the name the
    /// rules give it.
    public struct File: Sendable, Equatable {
        public var name: [UInt8]
        public var content: [UInt8]
        public init(name: [UInt8], content: [UInt8]) {
            self.name = name
            self.content = content
        }
    }

    public var rules: [Rule]
    public var files: [File]
    /// `--files-from` of a pull: the server's source arguments, in place of its command line's (nil: keep those).
    public var sources: [[UInt8]]?

    public init(rules: [Rule] = [], files: [File] = [], sources: [[UInt8]]? = nil) {
        self.rules = rules
        self.files = files
        self.sources = sources
    }

    /// The content of the rules file `name`, as the client read it.
    public func file(named name: [UInt8]) -> [UInt8]? { files.first { $0.name == name }?.content }

    // MARK: Limits (checked by the receiving side; the client checks the same before sending)

    /// Longest rule value (an `--exclude` word, a `--filter` rule, a file name).
    public static let maxRuleLength = 64 * 1024
    /// Most rules.
    public static let maxRules = 1 << 20
    /// Most rules files.
    public static let maxFiles = 4096
    /// Longest source argument: a directory, `/./` and a listed name.
    public static let maxSourceLength = 3 * 4096
    /// Everything the setup holds, each item counted with `itemOverhead` more: memory stays bounded
    /// whatever the counts say.
    public static let maxTotalBytes = 256 << 20
    static let itemOverhead = 32

    /// The messages that carry this setup, each payload at most `maxPayload` bytes (file contents are cut
    /// into pieces), ending with `end`.
    public func messages(maxPayload: Int) -> [Message] {
        var out: [Message] = rules.map { .setup(.rule(kind: $0.kind, value: $0.value)) }
        let room = maxPayload - 1
        for file in files {
            out.append(.setup(.file(name: file.name, length: file.content.count)))
            var start = 0
            while start < file.content.count {
                let end = min(file.content.count, start + room)
                out.append(.setup(.fileData(Array(file.content[start..<end]))))
                start = end
            }
        }
        for source in sources ?? [] { out.append(.setup(.source(source))) }
        out.append(.setup(.end(replacesSources: sources != nil)))
        return out
    }

    /// Why the client cannot send this setup (a rule, a file or a source over the limits), or nil.
    public func problem() -> String? {
        var assembler = RunSetupAssembler()
        for message in messages(maxPayload: ProtocolLimits.framePayloadRange.lowerBound) {
            guard case .setup(let part) = message else { continue }
            do {
                let payload = Message.setup(part).encodePayload()
                _ = try Message.decode(type: .setup, payload: payload)
                _ = try assembler.accept(part)
            } catch {
                return error.message
            }
        }
        return nil
    }
}

/// One `setup` message (type 0x08, client → server).
public enum SetupPart: Sendable, Equatable {
    /// A filter option, in order.
    case rule(kind: RunSetup.RuleKind, value: [UInt8])
    /// A rules file of `length` bytes begins; its bytes follow in `fileData` messages.
    case file(name: [UInt8], length: Int)
    /// The next bytes of the file begun last.
    case fileData([UInt8])
    /// One source argument of the server (`--files-from` of a pull).
    case source([UInt8])
    /// The setup is complete; `replacesSources`: the sources above (maybe none) replace the command line's.
    case end(replacesSources: Bool)

    var partByte: UInt8 {
        switch self {
        case .rule: return 0
        case .file: return 1
        case .fileData: return 2
        case .source: return 3
        case .end: return 4
        }
    }

    func encode(into w: inout PayloadWriter) {
        w.byte(partByte)
        switch self {
        case .rule(let kind, let value):
            w.byte(kind.rawValue)
            w.raw(value)
        case .file(let name, let length):
            w.varint(length)
            w.raw(name)
        case .fileData(let bytes), .source(let bytes):
            w.raw(bytes)
        case .end(let replaces):
            w.byte(replaces ? 1 : 0)
        }
    }

    /// Each part on its own: known kinds, lengths in range, no NUL where a name is expected.
    static func decode(_ r: inout PayloadReader) throws(ProtocolError) -> SetupPart {
        let part = try r.byte("setup part")
        switch part {
        case 0:
            let raw = try r.byte("rule kind")
            guard let kind = RunSetup.RuleKind(rawValue: raw) else { throw .malformed("setup: rule kind \(raw)") }
            guard r.remaining <= RunSetup.maxRuleLength else {
                throw .limit("setup: rule of \(r.remaining) bytes (limit \(RunSetup.maxRuleLength))")
            }
            let value = Array(try r.take(r.remaining, "rule"))
            guard !value.contains(0) else { throw .malformed("setup: a rule holds a NUL byte") }
            if kind.isFlag && !value.isEmpty { throw .malformed("setup: rule kind \(raw) takes no value") }
            if kind.namesFile && value.isEmpty { throw .malformed("setup: a rules file without a name") }
            return .rule(kind: kind, value: value)
        case 1:
            let length = try r.varint("file length", max: RunSetup.maxTotalBytes)
            let name = Array(try r.take(r.remaining, "file name"))
            guard !name.isEmpty, name.count <= RunSetup.maxRuleLength, !name.contains(0) else {
                throw .malformed("setup: a rules file name of \(name.count) bytes, empty, too long or with a NUL")
            }
            return .file(name: name, length: length)
        case 2:
            guard r.remaining > 0 else { throw .malformed("setup: empty file data") }
            return .fileData(Array(try r.take(r.remaining, "file data")))
        case 3:
            let source = Array(try r.take(r.remaining, "source"))
            guard !source.isEmpty, source.count <= RunSetup.maxSourceLength, !source.contains(0) else {
                throw .malformed("setup: a source argument of \(source.count) bytes, empty, too long or with a NUL")
            }
            return .source(source)
        case 4:
            let flags = try r.byte("end flags")
            guard flags <= 1 else { throw .malformed("setup: end flags 0x\(String(flags, radix: 16))") }
            return .end(replacesSources: flags == 1)
        default:
            throw .malformed("setup: part \(part)")
        }
    }
}

/// Gathers the server's `setup` messages into a `RunSetup`, checking their order and the limits: rules
/// and files in any order, each file's data right after it and exactly its announced length, then `end`
/// once. The budget is charged as items are announced, before their bytes are kept.
public struct RunSetupAssembler: Sendable {
    private var setup = RunSetup()
    private var sources: [[UInt8]] = []
    /// The file being received and the bytes it still lacks.
    private var open: (index: Int, remaining: Int)?
    private var budget = RunSetup.maxTotalBytes
    private var done = false

    public init() {}

    /// Takes one part; returns the setup once `end` arrives.
    public mutating func accept(_ part: SetupPart) throws(ProtocolError) -> RunSetup? {
        guard !done else { throw .sequence("setup: a part after the end") }
        if case .fileData(let bytes) = part {
            guard let file = open else { throw .sequence("setup: file data without a file") }
            guard bytes.count <= file.remaining else {
                throw .sequence("setup: \(bytes.count) bytes of file data where \(file.remaining) were left")
            }
            setup.files[file.index].content += bytes
            open = file.remaining == bytes.count ? nil : (file.index, file.remaining - bytes.count)
            return nil
        }
        if let file = open { throw .sequence("setup: file \(file.index) ended \(file.remaining) bytes short") }
        switch part {
        case .rule(let kind, let value):
            guard setup.rules.count < RunSetup.maxRules else { throw .limit("setup: over \(RunSetup.maxRules) rules") }
            try charge(value.count)
            setup.rules.append(RunSetup.Rule(kind, value))
        case .file(let name, let length):
            guard setup.files.count < RunSetup.maxFiles else { throw .limit("setup: over \(RunSetup.maxFiles) files") }
            try charge(name.count + length)
            setup.files.append(RunSetup.File(name: name, content: []))
            if length > 0 { open = (setup.files.count - 1, length) }
        case .source(let source):
            try charge(source.count)
            sources.append(source)
        case .end(let replaces):
            guard replaces || sources.isEmpty else { throw .malformed("setup: sources that replace nothing") }
            if replaces { setup.sources = sources }
            done = true
            return setup
        case .fileData:
            break
        }
        return nil
    }

    private mutating func charge(_ bytes: Int) throws(ProtocolError) {
        let cost = bytes + RunSetup.itemOverhead
        guard cost <= budget else { throw .limit("setup: over \(RunSetup.maxTotalBytes) bytes") }
        budget -= cost
    }
}
