/// rsync's rule for the paths an operator names: the destination root, `--temp-dir`, `--backup-dir`,
/// `--partial-dir`, the reference directories, `--files-from`, rules files and `--log-file`. swsync
/// often runs as root on trees other users can write to; a symlink one of them planted on such a path
/// would send its writes (or its reads) anywhere. So each component is examined without following it,
/// and a symlink on the way is followed only when it is owned by root or by the effective user, the
/// operator's own links keep working, and one planted by another user is refused (ELOOP).
public struct SymlinkTrust: Sendable, Equatable {
    /// `--insecure-links`: follow any symlink, as before rsync 3.5.
    public var followsAnyOwner = false
    /// `--confine-root=DIR`: an operator path reaching outside DIR (through trusted links too) is refused.
    /// Absolute, without a trailing slash.
    public var confineRoot: [UInt8]?

    public init(followsAnyOwner: Bool = false, confineRoot: [UInt8]? = nil) {
        self.followsAnyOwner = followsAnyOwner
        self.confineRoot = confineRoot
    }
}

/// Why an operator path was refused.
public enum OperatorPathRefusal: Sendable {
    /// A symlink on the way is owned by another user.
    case untrustedSymlink
    /// The path reaches outside `--confine-root`.
    case outsideConfineRoot
    /// A directory on the way was swapped for a symlink while it was walked.
    case swappedMeanwhile

    /// The line rsync 3.5.0 (as Debian ships it) prints on stderr for each refused lookup.
    public static let untrustedSymlinkWarning = "refusing to follow a symlink owned by an untrusted user; use "
        + "--insecure-links locally or \"insecure links = yes\" in a daemon module ONLY if every path component "
        + "is trusted"
}

extension FileSystem {
    /// A file system without owners of its own (a test's) opens operator paths as given.
    public func openOperatorDirectory(_ path: [UInt8], confined: Bool) throws(SystemCallError)
        -> any DirectoryHandle
    {
        try openDirectory(path)
    }

    public func readOperatorFile(_ path: [UInt8]) throws(SystemCallError) -> [UInt8] { try readFile(path) }
}
