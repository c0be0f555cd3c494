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
    /// Printed after the program name (rsync's `rsyserr`), or bare (`Diagnostic`).
    public var isPrefixed: Bool
    /// The failed system call behind it, when there is one: a caller that knows more of the context
    /// words its own message from it.
    public var cause: SystemCallError?

    public init(_ status: ExitStatus, _ message: String, role: Role? = nil, isPrefixed: Bool = true,
        cause: SystemCallError? = nil)
    {
        self.status = status
        self.message = message
        self.role = role
        self.isPrefixed = isPrefixed
        self.cause = cause
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
    /// Where in a copy the call failed, when the file system knows (a copy has two files, and rsync
    /// blames each side differently).
    public var stage: Stage?
    /// An operator path refused under rsync's rule for symlinks (`SymlinkTrust`): the caller prints
    /// rsync's warning line before its error.
    public var refusal: OperatorPathRefusal?
    /// `-X`/`-A`: the extended attribute the call was about (rsync names it in its message).
    public var attributeName: [UInt8]?

    /// The step of a file copy a failed call belongs to.
    public enum Stage: Sendable {
        /// Opening the source to read it.
        case openSource
        /// Reading the source (an I/O error, or the end before its listed size).
        case readSource
        /// Creating the new (temp) file.
        case createTemporary
    }

    public init(call: String, path: [UInt8], errno: Int32, errnoText: String, stage: Stage? = nil) {
        self.call = call
        self.path = path
        self.errno = errno
        self.errnoText = errnoText
        self.stage = stage
    }

    /// The same failure, shown under another name (rsync says `mkstemp` for the temp file's open).
    public func describedAs(_ call: String) -> SystemCallError {
        var copy = self
        copy.call = call
        return copy
    }

    /// The same failure, marked as belonging to `stage` of a copy.
    public func at(_ stage: Stage) -> SystemCallError {
        var copy = self
        copy.stage = stage
        return copy
    }

    /// rsync's shape: `link_stat "/a/b" failed: No such file or directory (2)`.
    public var description: String {
        "\(call) \"\(OutputEscaper.escape(path))\" failed: \(errnoText) (\(errno))"
    }
}
