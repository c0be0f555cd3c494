import Dispatch
import Synchronization
import SyncCharset
import SyncCore
import SyncProtocol

/// The messages every remote role takes the same way: the peer's log lines and output events, its
/// stats, its goodbye and its abort.
final class SessionEvents: @unchecked Sendable {
    // @unchecked: `observer` is a `LockedObserver` (or forwards to the connection), safe from any thread.
    let observer: TransferObserver
    let connection: Connection
    private let peer = Mutex<(stats: TransferStats?, status: ExitStatus?)>((nil, nil))
    private let goodbye = DispatchSemaphore(value: 0)
    /// The client of a push: the items the peer reports are files this side sent.
    var isSenderClient = false
    /// This side is `swsync --server`: its observer forwards to the client, so the client's own
    /// messages must not go through it (they would be echoed back).
    var isServer = false
    /// The client of a push: items go through the sender, which shows them as it sends their files.
    var itemSink: ((ItemizedChange) -> Void)?
    /// `--iconv` on a client: the peer's UTF-8 names in its itemize and deletion lines to this side's charset.
    var incomingNames: CharsetConverter?

    init(observer: TransferObserver, connection: Connection) {
        self.observer = observer
        self.connection = connection
        connection.onFailure { [goodbye] _ in goodbye.signal() }
    }

    func handle(_ message: Message) throws(SyncError) {
        switch message {
        case .log(let log):
            // A server shows nothing: what its client would say is for the client's own screen.
            if !isServer { log.deliver(to: observer) }
        case .itemize(let record):
            var item = record.item
            if let incomingNames { item = item.recoded(incomingNames) }
            item.isSentFromHere = isSenderClient
            if let itemSink { itemSink(item) } else { observer.report(item) }
        case .deleted(let name, let kind):
            observer.reportDeletion(name: incomingNames?.displayed(name) ?? name, kind: kind)
        case .stats(let stats): peer.withLock { $0.stats = stats.stats }
        case .goodbye(let status):
            peer.withLock { $0.status = status }
            connection.expectEnd()
            goodbye.signal()
        case .abort(let status, let text, let isPrefixed): throw SyncError(status, text, isPrefixed: isPrefixed)
        case .done, .keepalive, .progress: break
        default: throw SyncError(.streamIO, "protocol stream: unexpected \(message.type) message from the peer")
        }
    }

    var peerStats: TransferStats? { peer.withLock { $0.stats } }
    var peerStatus: ExitStatus? { peer.withLock { $0.status } }

    /// Waits for the peer's goodbye, the connection's failure, or (client) our own interruption.
    func waitForGoodbye(interrupted: () -> Bool) {
        while goodbye.wait(timeout: .now() + .milliseconds(100)) == .timedOut {
            if connection.failure != nil || interrupted() { return }
        }
    }
}

/// Serializes a console observer for the threads of a remote run: the generator's, the reader's (the
/// peer's messages) and the sender's answering thread.
public final class LockedObserver: TransferObserver, @unchecked Sendable {
    private let base: TransferObserver
    private let lock = Mutex(())
    private let extraInterrupt: @Sendable () -> Bool
    private let onProgress: @Sendable () -> Void

    /// - Parameter onProgress: called as file data is written, so the peer's `--timeout` hears of it.
    public init(_ base: TransferObserver, alsoInterruptedWhen extra: @escaping @Sendable () -> Bool,
        onProgress: @escaping @Sendable () -> Void = {})
    {
        self.base = base
        self.extraInterrupt = extra
        self.onProgress = onProgress
    }

    public func report(_ item: ItemizedChange) { lock.withLock { _ in base.report(item) } }
    public func reportDeletion(name: [UInt8], kind: FileKind) {
        lock.withLock { _ in base.reportDeletion(name: name, kind: kind) }
    }
    public func info(_ text: String) { lock.withLock { _ in base.info(text) } }
    public func error(_ text: String, role: Role?) { lock.withLock { _ in base.error(text, role: role) } }
    public func error(_ diagnostic: Diagnostic) { lock.withLock { _ in base.error(diagnostic) } }
    public func transferStarted(name: [UInt8], size: Int64) {
        lock.withLock { _ in base.transferStarted(name: name, size: size) }
    }
    public func transferProgress(bytes: Int64) {
        onProgress()
        lock.withLock { _ in base.transferProgress(bytes: bytes) }
    }
    public func transferFinished(bytes: Int64) { lock.withLock { _ in base.transferFinished(bytes: bytes) } }
    public var isInterrupted: Bool { base.isInterrupted || extraInterrupt() }
    public var interruptCheck: @Sendable () -> Bool {
        let check = base.interruptCheck
        let extra = extraInterrupt
        return { check() || extra() }
    }
}

/// The server's observer: everything the generator, receiver or sender has to say goes to the client,
/// which shows it as rsync's client shows its server's output.
final class ForwardingObserver: TransferObserver, @unchecked Sendable {
    let connection: Connection
    let interrupted: @Sendable () -> Bool
    /// The client shows or logs itemized changes (`--server-items`); otherwise they stay here.
    let sendsItems: Bool
    /// `--iconv`: this side's names to the wire's UTF-8 in the lines sent to the client.
    let outgoingNames: CharsetConverter?

    init(connection: Connection, sendsItems: Bool, outgoingNames: CharsetConverter? = nil,
        interrupted: @escaping @Sendable () -> Bool)
    {
        self.connection = connection
        self.sendsItems = sendsItems
        self.outgoingNames = outgoingNames
        self.interrupted = interrupted
    }

    func report(_ item: ItemizedChange) {
        guard sendsItems else { return }
        connection.send(.itemize(ItemizeRecord(outgoingNames.map { item.recoded($0) } ?? item)))
    }
    func reportDeletion(name: [UInt8], kind: FileKind) {
        connection.send(.deleted(name: outgoingNames?.displayed(name) ?? name, kind: kind))
    }
    func info(_ text: String) { connection.send(.log(LogMessage(.info, text))) }
    func error(_ text: String, role: Role?) { error(Diagnostic(text, role: role)) }
    func error(_ diagnostic: Diagnostic) {
        connection.send(.log(LogMessage(.error, diagnostic.text, role: diagnostic.role, isPrefixed: diagnostic.isPrefixed)))
    }
    func transferStarted(name: [UInt8], size: Int64) {}
    func transferProgress(bytes: Int64) { connection.noteProgress() }
    func transferFinished(bytes: Int64) {}
    var isInterrupted: Bool { connection.failure != nil || interrupted() }
    var interruptCheck: @Sendable () -> Bool {
        let connection = self.connection
        let interrupted = self.interrupted
        return { connection.failure != nil || interrupted() }
    }
}
