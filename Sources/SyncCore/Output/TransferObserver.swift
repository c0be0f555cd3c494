/// Where the roles send what the user sees: itemized changes, deletions, messages and progress.
///
/// The CLI implements it (stdout, stderr, `--log-file`); a remote peer would forward these as messages.
public protocol TransferObserver: AnyObject {
    /// A destination entry was created, updated or checked (the caller decides what to print).
    func report(_ item: ItemizedChange)
    /// A destination entry was deleted (or would be, in a dry run).
    func reportDeletion(name: [UInt8], kind: FileKind)
    /// An informational line for stdout ("skipping non-regular file ...").
    func info(_ text: String)
    /// An error or warning line for stderr, printed after the program name.
    func error(_ text: String, role: Role?)
    /// An error or warning line for stderr, printed as the diagnostic says.
    func error(_ diagnostic: Diagnostic)
    /// A regular file's data is about to be sent.
    func transferStarted(name: [UInt8], size: Int64)
    /// Bytes copied so far of the current file.
    func transferProgress(bytes: Int64)
    /// The current file is done.
    func transferFinished(bytes: Int64)
    /// True once SIGINT/SIGTERM/SIGHUP arrived: roles stop at the next safe point.
    var isInterrupted: Bool { get }
    /// The same check, callable from copy workers on other threads.
    var interruptCheck: @Sendable () -> Bool { get }
}

extension TransferObserver {
    /// Observers that print every line the same way (tests, recorders) need only `error(_:role:)`.
    public func error(_ diagnostic: Diagnostic) { error(diagnostic.text, role: diagnostic.role) }
}
