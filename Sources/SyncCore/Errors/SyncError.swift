/// The role that met an error, as rsync names it in `rsync: [sender] ...` messages.
public enum Role: String, Sendable {
    case sender, receiver, generator, client
}

/// An error that ends the run (or, for per-file errors, is reported and counted).
///
/// `message` is already shaped like rsync's ("change_dir \"/x\" failed: No such file or directory (2)").
public struct SyncError: Error, Sendable, CustomStringConvertible {
    public var status: ExitStatus
    public var message: String
    public var role: Role?

    public init(_ status: ExitStatus, _ message: String, role: Role? = nil) {
        self.status = status
        self.message = message
        self.role = role
    }

    public var description: String { message }

    @inline(never)
    public static func syntax(_ message: String) -> SyncError {
        SyncError(.syntax, message)
    }
}

/// A failed system call: the call's name, the path it was given and `errno`.
public struct SystemCallError: Error, Sendable, CustomStringConvertible {
    public var call: String
    public var path: [UInt8]
    public var errno: Int32
    public var errnoText: String

    public init(call: String, path: [UInt8], errno: Int32, errnoText: String) {
        self.call = call
        self.path = path
        self.errno = errno
        self.errnoText = errnoText
    }

    /// rsync's shape: `link_stat "/a/b" failed: No such file or directory (2)`.
    public var description: String {
        "\(call) \"\(OutputEscaper.escape(path))\" failed: \(errnoText) (\(errno))"
    }
}
