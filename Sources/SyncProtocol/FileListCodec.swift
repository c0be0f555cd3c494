import SyncCore

/// One file-list entry as it travels: the `FileEntry` facts the receiving side needs, named relative to the
/// directory its chunk lists (rsync `send_file_entry`/`recv_file_entry`).
public struct WireFileEntry: Sendable, Equatable {
    /// In a directory's chunk, one component; in the root chunk, a relative path (more than one component
    /// with `-R`), or "." for the transfer root itself.
    public var name: [UInt8]
    /// `st_mode`, type bits included.
    public var mode: UInt32
    /// Length of a regular file, or a directory's `st_size`; 0 for everything else.
    public var size: Int64
    public var mtime: FileTime
    public var uid: UInt32
    public var gid: UInt32
    /// Device number of a character or block device; 0 for everything else.
    public var rdev: UInt64
    /// The target of a symlink; nil for everything else.
    public var symlinkTarget: [UInt8]?
    /// `-H`: entries with the same group are hard links to one file (the sender numbers its (dev, ino)
    /// pairs). Never set on directories.
    public var hardLinkGroup: UInt64?
    /// A `-R` parent directory sent only so the receiver can make it (`FileEntry.isImpliedDirectory`).
    public var isImpliedDirectory: Bool
    /// A directory whose own chunk follows later in the stream (the sender lists inside it).
    public var descends = false
    /// Full-path mode: an excluded directory only walked through (`FileEntry.isPassedThrough`).
    public var isPassedThrough = false
    /// `-c`: the whole-file checksum of a regular file.
    public var checksum: FileChecksum?
    /// `-H`: the file's link count on the sender (the group's size there), sent with the group.
    public var linkCount: UInt64 = 1
    /// `-X`/`-A`: the entry's extended attributes and ACLs (`SecurityAttributesCodec`).
    public var securityAttributes: SecurityAttributes?
    /// `-U`: a non-directory's access time, whole seconds (travels only in chunks that carry atimes).
    public var atime: Int64?

    public init(name: [UInt8], mode: UInt32, size: Int64 = 0, mtime: FileTime, uid: UInt32 = 0, gid: UInt32 = 0,
        rdev: UInt64 = 0, symlinkTarget: [UInt8]? = nil, hardLinkGroup: UInt64? = nil,
        isImpliedDirectory: Bool = false)
    {
        self.name = name
        self.mode = mode
        self.size = size
        self.mtime = mtime
        self.uid = uid
        self.gid = gid
        self.rdev = rdev
        self.symlinkTarget = symlinkTarget
        self.hardLinkGroup = hardLinkGroup
        self.isImpliedDirectory = isImpliedDirectory
    }

    /// The wire form of a sender's entry, named `name` (its last component, or its path in the root chunk).
    public init(_ entry: FileEntry, name: [UInt8], hardLinkGroup: UInt64? = nil) {
        let kind = entry.kind
        self.init(name: name, mode: entry.status.mode, size: kind == .regular || kind == .directory ? entry.status.size : 0,
            mtime: entry.status.mtime, uid: entry.status.uid, gid: entry.status.gid,
            rdev: kind.isDevice ? entry.status.rdev : 0, symlinkTarget: kind == .symlink ? entry.symlinkTarget : nil,
            hardLinkGroup: kind == .directory ? nil : hardLinkGroup,
            isImpliedDirectory: kind == .directory && entry.isImpliedDirectory)
        linkCount = entry.status.linkCount
        if kind != .symlink { securityAttributes = entry.securityAttributes }
    }

    public var kind: FileKind { FileKind(mode: mode) }

    /// The status the receiving side works with; device and inode are meaningless across hosts (0), and
    /// `hardLinkGroup` replaces them.
    public var status: FileStatus {
        var status = FileStatus(mode: mode, size: size, mtime: mtime, uid: uid, gid: gid, device: 0, inode: 0,
            linkCount: 1, rdev: rdev)
        status.atime = atime ?? 0
        return status
    }
}

/// One piece of the streamed file list: entries of one directory (or of the root), in rsync's order.
/// A directory with more entries than fit in a frame is sent as several chunks, all but the last with
/// `continues` set.
public struct FileListChunk: Sendable, Equatable {
    /// The file index of the directory listed, or nil for the root chunk (the first chunk of the run).
    public var directoryIndex: Int?
    /// More chunks of the same directory follow.
    public var continues: Bool
    public var entries: [WireFileEntry]
    /// The sender met an unreadable source while listing this directory (rsync's `io_error`).
    public var hadIOError = false
    /// The directory's contents come from a source directory, so what the destination has beyond
    /// them is extraneous for `--delete` (`SourceListing.isContentDirectory`).
    public var isContentDirectory = false
    /// Root chunk only: the sender had more than one source argument.
    public var severalSources = false
    /// `-U`: every non-directory entry carries its access time (`WireFileEntry.atime`, 0 when unset).
    public var carriesAccessTimes = false

    public init(directoryIndex: Int?, continues: Bool = false, entries: [WireFileEntry]) {
        self.directoryIndex = directoryIndex
        self.continues = continues
        self.entries = entries
    }
}

/// Encoding of `FileListChunk` (see Docs/protocol.md, "fileListChunk"):
///
///     varint directory index + 1 (0: root) · u8 flags (0x01 continues) · varint entry count · entries
///     entry: u8 flags (0x01 hard-link group · 0x02 implied dir · 0x04 nanoseconds)
///            · varint bytes shared with the previous name in this chunk · varint suffix length · suffix
///            · varint mode · [regular or directory: varint size] · zigzag varint mtime seconds · [varint nanoseconds]
///            · varint uid · varint gid · [device: varint rdev] · [symlink: varint length · target]
///            · [varint hard-link group] · … · [chunk flag 0x10, non-directory: zigzag varint atime seconds]
///
/// Names share prefixes with the previous entry the way rsync's `XMIT_SAME_NAME` does; each chunk starts
/// afresh so chunks decode on their own.
public enum FileListCodec {
    static let chunkContinues: UInt8 = 0x01
    static let chunkIOError: UInt8 = 0x02
    static let chunkContentDirectory: UInt8 = 0x04
    static let chunkSeveralSources: UInt8 = 0x08
    static let chunkAccessTimes: UInt8 = 0x10
    static let chunkKnownFlags: UInt8 = 0x1F
    static let entryHardLink: UInt8 = 0x01
    static let entryImplied: UInt8 = 0x02
    static let entryNanoseconds: UInt8 = 0x04
    static let entryDescends: UInt8 = 0x08
    static let entryPassedThrough: UInt8 = 0x10
    static let entryChecksum: UInt8 = 0x20
    static let entryExtendedAttributes: UInt8 = 0x40
    static let entryACLs: UInt8 = 0x80
    static let entryKnownFlags: UInt8 = 0xFF
    /// The fewest bytes an entry can take (flags, prefix, suffix length, mode, mtime, uid, gid).
    static let minimumEntryLength = 7

    static func encode(_ chunk: FileListChunk, into w: inout PayloadWriter) {
        w.varint(chunk.directoryIndex.map { $0 + 1 } ?? 0)
        var flags: UInt8 = chunk.continues ? chunkContinues : 0
        if chunk.hadIOError { flags |= chunkIOError }
        if chunk.isContentDirectory { flags |= chunkContentDirectory }
        if chunk.severalSources { flags |= chunkSeveralSources }
        if chunk.carriesAccessTimes { flags |= chunkAccessTimes }
        w.byte(flags)
        w.varint(chunk.entries.count)
        var previous: [UInt8] = []
        for entry in chunk.entries {
            encode(entry, after: previous, accessTimes: chunk.carriesAccessTimes, into: &w)
            previous = entry.name
        }
    }

    static func encode(_ entry: WireFileEntry, after previous: [UInt8], accessTimes: Bool, into w: inout PayloadWriter) {
        let kind = entry.kind
        var flags: UInt8 = 0
        if entry.hardLinkGroup != nil && kind != .directory { flags |= entryHardLink }
        if entry.isImpliedDirectory && kind == .directory { flags |= entryImplied }
        if entry.mtime.nanoseconds != 0 { flags |= entryNanoseconds }
        if entry.descends && kind == .directory { flags |= entryDescends }
        if entry.isPassedThrough && kind == .directory { flags |= entryPassedThrough }
        if entry.checksum != nil && kind == .regular { flags |= entryChecksum }
        let security = kind == .symlink ? nil : entry.securityAttributes
        if let security, !security.extendedAttributes.isEmpty { flags |= entryExtendedAttributes }
        if let security, security.accessACL != nil || security.defaultACL != nil { flags |= entryACLs }
        w.byte(flags)
        var shared = 0
        let limit = min(previous.count, entry.name.count, 255)
        while shared < limit && previous[shared] == entry.name[shared] { shared += 1 }
        w.varint(shared)
        w.blob(entry.name[shared...])
        w.varint(UInt64(entry.mode))
        // Directories carry theirs for `--list-only`, which prints it as rsync does.
        if kind == .regular || kind == .directory { w.varint(UInt64(max(0, entry.size))) }
        w.signedVarint(entry.mtime.seconds)
        if flags & entryNanoseconds != 0 { w.varint(UInt64(max(0, entry.mtime.nanoseconds))) }
        w.varint(UInt64(entry.uid))
        w.varint(UInt64(entry.gid))
        if kind.isDevice { w.varint(entry.rdev) }
        if kind == .symlink { w.blob(entry.symlinkTarget ?? []) }
        if flags & entryHardLink != 0, let group = entry.hardLinkGroup {
            w.varint(group)
            w.varint(entry.linkCount)
        }
        if flags & entryChecksum != 0, let checksum = entry.checksum {
            w.varint(checksum.low)
            w.varint(checksum.high)
        }
        if flags & entryExtendedAttributes != 0, let security {
            SecurityAttributesCodec.encodeExtendedAttributes(security.extendedAttributes, into: &w)
        }
        if flags & entryACLs != 0, let security {
            SecurityAttributesCodec.encodeACLs(access: security.accessACL, default: security.defaultACL, into: &w)
        }
        if accessTimes && kind != .directory { w.signedVarint(entry.atime ?? 0) }
    }

    static func decode(_ r: inout PayloadReader, limits: ProtocolLimits) throws(ProtocolError) -> FileListChunk {
        let rawDirectory = try r.varint("directory index", max: limits.maxFileCount)
        let flags = try r.byte("chunk flags")
        guard flags & ~chunkKnownFlags == 0 else { throw .malformed("file-list chunk flags 0x\(String(flags, radix: 16))") }
        let count = try r.varint("entry count", max: limits.maxEntriesPerChunk)
        // Division, not multiplication: a count the payload cannot back is refused before allocating.
        guard count <= r.remaining / minimumEntryLength else {
            throw .truncated("file-list chunk (\(count) entries announced in \(r.remaining) bytes)")
        }
        let isRoot = rawDirectory == 0
        var entries: [WireFileEntry] = []
        entries.reserveCapacity(count)
        var previous: [UInt8] = []
        for _ in 0..<count {
            let entry = try decodeEntry(&r, after: previous, isRoot: isRoot, accessTimes: flags & chunkAccessTimes != 0,
                limits: limits)
            previous = entry.name
            entries.append(entry)
        }
        if flags & chunkSeveralSources != 0 && !isRoot { throw .malformed("several-sources flag on a directory chunk") }
        var chunk = FileListChunk(directoryIndex: isRoot ? nil : rawDirectory - 1,
            continues: flags & chunkContinues != 0, entries: entries)
        chunk.hadIOError = flags & chunkIOError != 0
        chunk.isContentDirectory = flags & chunkContentDirectory != 0
        chunk.severalSources = flags & chunkSeveralSources != 0
        chunk.carriesAccessTimes = flags & chunkAccessTimes != 0
        return chunk
    }

    static func decodeEntry(_ r: inout PayloadReader, after previous: [UInt8], isRoot: Bool, accessTimes: Bool,
        limits: ProtocolLimits) throws(ProtocolError) -> WireFileEntry
    {
        let flags = try r.byte("entry flags")
        guard flags & ~entryKnownFlags == 0 else { throw .malformed("file-list entry flags 0x\(String(flags, radix: 16))") }
        let shared = try r.varint("shared name length", max: previous.count)
        let suffixLength = try r.varint("name length", max: limits.maxPathLength - shared)
        var name = Array(previous[0..<shared])
        name.append(contentsOf: try r.take(suffixLength, "name"))
        // Root names are single components too: a path through a directory (maybe a symlink) is never a name.
        if isRoot { try PathValidation.validateRelativePath(name, allowsRoot: true, limits: limits) }
        if !(isRoot && name == PathBytes.dot) { try PathValidation.validateComponent(name, limits: limits) }
        let mode = try r.uint32("mode")
        // Mode 0: a named source that is missing (--delete-missing-args); only among the named sources.
        let kind = mode == 0 && isRoot ? FileKind.regular : try kindOf(mode: mode, name: name)
        let size = kind == .regular || kind == .directory ? Int64(try r.varint("size", max: Int(Int64.max))) : 0
        let seconds = try r.signedVarint("mtime")
        var nanoseconds: Int64 = 0
        if flags & entryNanoseconds != 0 {
            nanoseconds = Int64(try r.varint("mtime nanoseconds", max: 999_999_999))
            guard nanoseconds != 0 else { throw .malformed("file-list entry: nanoseconds flag with 0 nanoseconds") }
        }
        let uid = try r.uint32("uid")
        let gid = try r.uint32("gid")
        let rdev = kind.isDevice ? try r.varint64("rdev") : 0
        var target: [UInt8]?
        if kind == .symlink {
            let bytes = try r.blob("symlink target", max: limits.maxSymlinkTargetLength)
            try PathValidation.validateSymlinkTarget(bytes, limits: limits)
            target = bytes
        }
        var group: UInt64?
        var linkCount: UInt64 = 1
        if flags & entryHardLink != 0 {
            guard kind != .directory else { throw .malformed("hard-link group on directory \(PathValidation.quoted(name))") }
            group = try r.varint64("hard-link group")
            linkCount = try r.varint64("link count")
            guard linkCount >= 1 else { throw .malformed("link count 0 for \(PathValidation.quoted(name))") }
        }
        if flags & (entryImplied | entryDescends | entryPassedThrough) != 0 && kind != .directory {
            throw .malformed("directory flag on non-directory \(PathValidation.quoted(name))")
        }
        var checksum: FileChecksum?
        if flags & entryChecksum != 0 {
            guard kind == .regular else { throw .malformed("checksum on non-file \(PathValidation.quoted(name))") }
            checksum = FileChecksum(low: try r.varint64("checksum"), high: try r.varint64("checksum"))
        }
        if flags & (entryExtendedAttributes | entryACLs) != 0 && kind == .symlink {
            throw .malformed("xattrs or ACLs on symlink \(PathValidation.quoted(name))")
        }
        let xattrs = flags & entryExtendedAttributes != 0 ? try SecurityAttributesCodec.decodeExtendedAttributes(&r) : []
        var acls: (access: AccessControlList?, default: AccessControlList?) = (nil, nil)
        if flags & entryACLs != 0 { acls = try SecurityAttributesCodec.decodeACLs(&r, isDirectory: kind == .directory) }
        let atime = accessTimes && kind != .directory ? try r.signedVarint("atime") : nil
        if name == PathBytes.dot && kind != .directory {
            throw .malformed("the transfer root \".\" is not a directory")
        }
        var entry = WireFileEntry(name: name, mode: mode, size: size,
            mtime: FileTime(seconds: seconds, nanoseconds: nanoseconds),
            uid: uid, gid: gid, rdev: rdev, symlinkTarget: target, hardLinkGroup: group,
            isImpliedDirectory: flags & entryImplied != 0)
        entry.descends = flags & entryDescends != 0
        entry.isPassedThrough = flags & entryPassedThrough != 0
        entry.checksum = checksum
        entry.linkCount = linkCount
        entry.atime = atime
        entry.securityAttributes = SecurityAttributes.unlessEmpty(
            SecurityAttributes(extendedAttributes: xattrs, accessACL: acls.access, defaultACL: acls.default))
        return entry
    }

    /// The kind for a mode, refusing type bits that are not one of the seven kinds (`FileKind(mode:)` would
    /// call them regular files).
    static func kindOf(mode: UInt32, name: [UInt8]) throws(ProtocolError) -> FileKind {
        switch mode & 0o170000 {
        case 0o100000, 0o040000, 0o120000, 0o020000, 0o060000, 0o010000, 0o140000: break
        default: throw .malformed("file-list entry \(PathValidation.quoted(name)) has file type bits 0o\(String(mode & 0o170000, radix: 8))")
        }
        guard mode & ~UInt32(0o177777) == 0 else { throw .malformed("file-list entry mode 0o\(String(mode, radix: 8))") }
        return FileKind(mode: mode)
    }

    /// Splits one directory's entries into chunks whose payloads fit `maxPayload`, marking all but the last
    /// with `continues`. An empty directory gives one empty chunk.
    public static func chunks(directoryIndex: Int?, entries: [WireFileEntry],
        maxPayload: Int = ProtocolLimits.standard.maxFramePayload,
        maxEntriesPerChunk: Int = ProtocolLimits.standard.maxEntriesPerChunk, carriesAccessTimes: Bool = false)
        -> [FileListChunk]
    {
        func chunk(continues: Bool, _ entries: [WireFileEntry]) -> FileListChunk {
            var chunk = FileListChunk(directoryIndex: directoryIndex, continues: continues, entries: entries)
            chunk.carriesAccessTimes = carriesAccessTimes
            return chunk
        }
        // Room for the chunk header (two 10-byte varints and the flag byte), with the rest for entries.
        let budget = maxPayload - 21
        var result: [FileListChunk] = []
        var current: [WireFileEntry] = []
        var used = 0
        var previous: [UInt8] = []
        for entry in entries {
            var w = PayloadWriter()
            encode(entry, after: previous, accessTimes: carriesAccessTimes, into: &w)
            if !current.isEmpty && (used + w.bytes.count > budget || current.count == maxEntriesPerChunk) {
                result.append(chunk(continues: true, current))
                current = []
                w = PayloadWriter()
                encode(entry, after: [], accessTimes: carriesAccessTimes, into: &w)
                used = 0
            }
            used += w.bytes.count
            current.append(entry)
            previous = entry.name
        }
        result.append(chunk(continues: false, current))
        return result
    }
}
