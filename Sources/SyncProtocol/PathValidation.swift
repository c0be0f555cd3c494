/// The receiver's checks on every name the peer sends. A name that fails is a protocol error: a correct
/// sender never produces one, so the run stops instead of skipping the entry (rsync's `clean_fname` plus
/// the "unsafe path" checks in `flist.c`, `recv_file_entry`).
public enum PathValidation {
    static let slash = UInt8(ascii: "/")
    static let dot = UInt8(ascii: ".")

    /// Checks a relative path: not empty, not absolute, no NUL, no empty, `.` or `..` component, no trailing
    /// slash, each component at most `maxComponentLength` bytes and the whole at most `maxPathLength`.
    /// With `allowsRoot`, the single name "." (the transfer root itself) is accepted.
    public static func validateRelativePath(_ path: some Collection<UInt8>, allowsRoot: Bool = false,
        limits: ProtocolLimits = .standard) throws(ProtocolError)
    {
        guard !path.isEmpty else { throw .unsafePath("empty file name") }
        guard path.count <= limits.maxPathLength else {
            throw .unsafePath("file name of \(path.count) bytes (limit \(limits.maxPathLength))")
        }
        if allowsRoot && path.count == 1 && path.first == dot { return }
        guard path.first != slash else { throw .unsafePath("absolute file name \(quoted(path))") }
        var componentStart = path.startIndex
        var length = 0
        var index = path.startIndex
        while true {
            let atEnd = index == path.endIndex
            if atEnd || path[index] == slash {
                try validateComponent(path[componentStart..<index], length: length, in: path, limits: limits)
                if atEnd { return }
                componentStart = path.index(after: index)
                length = 0
            } else {
                if path[index] == 0 { throw .unsafePath("file name with a NUL byte \(quoted(path))") }
                length += 1
            }
            index = path.index(after: index)
        }
    }

    /// Checks one path component: a name inside a directory, with no slash.
    public static func validateComponent(_ name: some Collection<UInt8>, limits: ProtocolLimits = .standard)
        throws(ProtocolError)
    {
        if name.contains(slash) { throw .unsafePath("file name component with a slash \(quoted(name))") }
        if name.contains(0) { throw .unsafePath("file name with a NUL byte \(quoted(name))") }
        try validateComponent(name[...], length: name.count, in: name, limits: limits)
    }

    private static func validateComponent<C: Collection<UInt8>>(_ component: C.SubSequence, length: Int, in path: C,
        limits: ProtocolLimits) throws(ProtocolError)
    {
        guard length > 0 else { throw .unsafePath("file name with an empty component \(quoted(path))") }
        guard length <= limits.maxComponentLength else {
            throw .unsafePath("file name component of \(length) bytes (limit \(limits.maxComponentLength))")
        }
        if length <= 2 && component.allSatisfy({ $0 == dot }) {
            throw .unsafePath("file name with a \"\(length == 1 ? "." : "..")\" component \(quoted(path))")
        }
    }

    /// Checks a symlink target: not empty, no NUL, bounded. The target itself may be absolute or climb with
    /// `..`; that is what `--safe-links`/`--munge-links` decide about, not the protocol.
    public static func validateSymlinkTarget(_ target: some Collection<UInt8>, limits: ProtocolLimits = .standard)
        throws(ProtocolError)
    {
        guard !target.isEmpty else { throw .unsafePath("empty symlink target") }
        guard target.count <= limits.maxSymlinkTargetLength else {
            throw .unsafePath("symlink target of \(target.count) bytes (limit \(limits.maxSymlinkTargetLength))")
        }
        if target.contains(0) { throw .unsafePath("symlink target with a NUL byte \(quoted(target))") }
    }

    /// The name for an error message, escaped and cut short.
    static func quoted(_ name: some Collection<UInt8>) -> String {
        var bytes = Array(name.prefix(80))
        let cut = name.count > 80
        for i in bytes.indices where bytes[i] < 0x20 || bytes[i] >= 0x7f { bytes[i] = UInt8(ascii: "?") }
        return "\"" + String(decoding: bytes, as: UTF8.self) + (cut ? "...\"" : "\"")
    }
}
