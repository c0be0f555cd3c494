import Glibc
import SyncCharset
import SyncCore
import SyncPlatform
import SyncProtocol
import SyncSSH

/// A remote run from start to end, for either end of the connection.
///
/// The generator's side ends the run: after its last write it sends its stats (to a client that
/// prints them) and `goodbye(status)`; the sender answers with its own `goodbye` and both close.
public enum RemoteRun {
    /// What a client gives its server after the hello (filter rules, their files, `--files-from` sources).
    public typealias Setup = RunSetup

    /// How a client's run ended.
    public struct Outcome {
        public var status: ExitStatus
        /// The error that ended the run early (a broken link, the peer's abort, a bad stream).
        public var error: SyncError?
        /// The generator's counts (the peer's, for a push), with the bytes this client sent and received.
        public var stats: TransferStats
        /// `--max-delete` deletions skipped, for the closing warning.
        public var deletionsSkipped = 0

        public init(status: ExitStatus, error: SyncError?, stats: TransferStats, deletionsSkipped: Int = 0) {
            self.status = status
            self.error = error
            self.stats = stats
            self.deletionsSkipped = deletionsSkipped
        }
    }

    /// What progress lines need from the generator (a pull) or the peer (a push).
    public typealias ProgressCounts = () -> (remaining: Int, total: Int, listComplete: Bool, totalSize: Int64)

    /// What a client's run needs besides its paths: the setup for the server (sent after the hello: the
    /// filter rules, the files they read, a pull's `--files-from` sources), where the output goes, and
    /// the program's hooks.
    public struct Client {
        public var setup: RunSetup
        public var observer: TransferObserver
        public var progressCounts: (@escaping ProgressCounts) -> Void
        public var isInterrupted: @Sendable () -> Bool
        public var onTimeout: TimeoutHandler
        /// `--write-batch`: records what the sender sends (on a push, what this client sends).
        public var recorder: BatchRecorder?
        /// `--files-from=host:FILE`: the server reads the list (a pull's server sends what it names).
        public var peerReadsFileList = false
        /// A push's `--files-from=host:FILE`: this client's source arguments, made from the list the server
        /// sends (its bytes as read there; every name is cleaned as a local list's).
        public var sourcesFromPeerList: (([UInt8]) -> [[UInt8]])?

        public init(setup: RunSetup = RunSetup(), observer: TransferObserver,
            progressCounts: @escaping (@escaping ProgressCounts) -> Void = { _ in },
            isInterrupted: @escaping @Sendable () -> Bool, onTimeout: @escaping TimeoutHandler)
        {
            self.setup = setup
            self.observer = observer
            self.progressCounts = progressCounts
            self.isInterrupted = isInterrupted
            self.onTimeout = onTimeout
        }
    }

    /// The client of a push: this process sends `sources`; the peer receives.
    public static func push(transport: any RemoteTransport, sources: [[UInt8]], options: SyncOptions,
        client: Client) -> Outcome
    {
        let (connection, locked): (Connection, LockedObserver)
        switch startClient(transport, options: options, client: client, role: "sender") {
        case .started(let startedConnection, let startedObserver): (connection, locked) = (startedConnection, startedObserver)
        case .failed(let outcome): return outcome
        }
        var sources = sources
        if let makeSources = client.sourcesFromPeerList {
            do { sources = makeSources(try connection.receiveFileList()) } catch {
                connection.fail(error)
                let status = close(connection, own: error.status, peer: nil, isInterrupted: client.isInterrupted)
                return Outcome(status: status.status, error: status.error, stats: wireCounted(TransferStats(), connection))
            }
        }
        let events = SessionEvents(observer: locked, connection: connection)
        events.isSenderClient = true
        events.incomingNames = options.charset.flatMap { try? NameCharset($0).fromWire }
        if let recorder = client.recorder { connection.outgoingTap = { recorder.record($0) } }
        let status = send(sources, over: connection, options: options, observer: locked, events: events,
            showsProgress: options.progress && !options.quiet, progressCounts: client.progressCounts,
            isInterrupted: client.isInterrupted)
        return Outcome(status: status.status, error: status.error,
            stats: wireCounted(events.peerStats ?? TransferStats(), connection))
    }

    /// A push's or a pull's connection after the hello, with the observer its threads share; or, when the
    /// start failed, that failure as the run's outcome.
    /// `role` names this side in rsync's messages from the start (a peer gone before its hello).
    private static func startClient(_ transport: any RemoteTransport, options: SyncOptions, client: Client,
        role: String) -> ClientStart
    {
        do throws(SyncError) {
            let connection = try connect(transport, options: options, setup: client.setup,
                peerReadsFileList: client.peerReadsFileList, role: role, onTimeout: client.onTimeout)
            return .started(connection, lockedObserver(client.observer, connection))
        } catch {
            return .failed(failedStart(error, transport: transport))
        }
    }

    /// How a client's start went: its connection and shared observer, or the outcome to return.
    private enum ClientStart {
        case started(Connection, LockedObserver)
        case failed(Outcome)
    }

    /// The client's observer, safe from the run's threads; file data written counts as our progress.
    static func lockedObserver(_ observer: TransferObserver, _ connection: Connection) -> LockedObserver {
        LockedObserver(observer, alsoInterruptedWhen: { connection.failure != nil },
            onProgress: { connection.noteProgress() })
    }

    /// The handshake failed: the remote shell's own status says more when it failed too (127: no swsync
    /// on the peer; 255: ssh could not connect), as rsync reports it.
    private static func failedStart(_ error: SyncError, transport: any RemoteTransport) -> Outcome {
        transport.closeWrite()
        let status = shellFailure(transport.waitForExit()) ?? error.status
        return Outcome(status: status, error: error, stats: TransferStats())
    }

    /// The remote shell's status when it is one rsync reports as the run's own: 126 and 127 (the
    /// command could not run on the peer), 255 (ssh failed).
    private static func shellFailure(_ shellStatus: Int32) -> ExitStatus? {
        [126, 127, 255].contains(shellStatus) ? ExitStatus(rawValue: shellStatus) : nil
    }

    /// `stats` with the bytes this side sent and received on the connection.
    private static func wireCounted(_ stats: TransferStats, _ connection: Connection) -> TransferStats {
        var stats = stats
        stats.bytesSent = connection.bytesSent.load(ordering: .relaxed)
        stats.bytesReceived = connection.bytesReceived.load(ordering: .relaxed)
        return stats
    }

    /// The client of a pull: the peer sends; this process generates and receives into `destination`.
    public static func pull(transport: any RemoteTransport, destination: [UInt8], options: SyncOptions,
        client: Client) -> Outcome
    {
        let (connection, locked): (Connection, LockedObserver)
        switch startClient(transport, options: options, client: client, role: "receiver") {
        case .started(let startedConnection, let startedObserver): (connection, locked) = (startedConnection, startedObserver)
        case .failed(let outcome): return outcome
        }
        let received = receive(connection, destination: destination, options: options, observer: locked,
            progressCounts: client.progressCounts, isInterrupted: client.isInterrupted, recorder: client.recorder,
            listSide: .receiving)
        return Outcome(status: received.status, error: received.error, stats: wireCounted(received.stats, connection),
            deletionsSkipped: received.deletionsSkipped)
    }

    /// `--list-only` of remote sources (`swsync host:path`): the peer sends its file list, which `show`
    /// gets entry by entry in rsync's listing order (a directory's files, then each subdirectory
    /// followed by its contents); no file data is asked for.
    public static func list(transport: any RemoteTransport, options: SyncOptions, client: Client,
        show printLine: @escaping (FileEntry) -> Void) -> Outcome
    {
        let isInterrupted = client.isInterrupted
        let (connection, locked): (Connection, LockedObserver)
        switch startClient(transport, options: options, client: client, role: "receiver") {
        case .started(let startedConnection, let startedObserver): (connection, locked) = (startedConnection, startedObserver)
        case .failed(let outcome): return outcome
        }
        let events = SessionEvents(observer: locked, connection: connection)
        let role = ReceivingRole(connection: connection, options: options)
        role.observer = locked
        connection.start(handle: { (message) throws(SyncError) in
            if try role.handle(message) { return }
            try events.handle(message)
        }, endOfRead: role.endOfRead)
        // `--stats` counts the listed entries, as rsync's sender counts its list; the root listing is
        // timed as it arrives.
        var stats = TransferStats()
        func show(_ entry: FileEntry) {
            stats.countListed(entry)
            printLine(entry)
        }
        let rootWait = FileListBuildTime()
        if let root = try? rootWait.measure(isRoot: true, { () throws(SyncError) in try role.receiveRoot() }) {
            if let dot = root.dotEntry { show(dot) }
            // A directory's files, then each subdirectory followed by its contents.
            func showFiles(_ listing: SourceListing) {
                for entry in listing.entries where !entry.isDirectory { show(entry) }
            }
            showFiles(root.listing)
            var walk = PreOrderWalk(root: root.listing, recursive: options.recursive)
            while walk.next(passing: { if $0.isSent(impliedDirs: options.impliedDirs) { show($0) } }) != nil {
                let child = role.next()
                // The connection failed: its failure decides the status.
                if child.fatalError != nil { break }
                showFiles(child)
                walk.enter(child)
            }
        }
        if connection.failure == nil && !isInterrupted() {
            connection.send(.goodbye(status: .success))
            events.waitForGoodbye(interrupted: isInterrupted)
        }
        let own: ExitStatus = role.ioError ? .partial : .success
        let status = close(connection, own: own, peer: events.peerStatus, isInterrupted: isInterrupted)
        stats.fileListGenerationSeconds = rootWait.seconds(options)
        return Outcome(status: status.status, error: status.error, stats: wireCounted(stats, connection))
    }

    /// `swsync --server`: the peer's half, over our stdin and stdout. Returns the exit status.
    /// The filter rules (and with `--files-from`, the sources) come in the client's setup, after the hello.
    /// `fileList`: a receiving server's `--files-from` list (the client named it `host:FILE`), sent to the
    /// client once the setup is in.
    public static func serve(sends: Bool, paths: [[UInt8]], options: SyncOptions, names: NameCharset? = nil,
        fileList: [UInt8]? = nil,
        isInterrupted: @escaping @Sendable () -> Bool, onTimeout: @escaping TimeoutHandler) -> Int32
    {
        let transport = StandardStreams()
        let connection: Connection
        var options = options
        var paths = paths
        do {
            connection = try connect(transport, options: options, setup: nil, onTimeout: onTimeout)
        } catch {
            return error.status.rawValue
        }
        if connection.exchangesSetup {
            do throws(SyncError) {
                let setup = try connection.receiveSetup()
                if let sources = setup.sources, sends { paths = sources }
                try RunFilters.apply(setup, to: &options, sources: paths)
                if let fileList, !sends {
                    guard connection.offersPeerFileList else {
                        throw SyncError(.protocolIncompatibility, "the client cannot take a --files-from list from the server")
                    }
                    guard fileList.count <= PeerFileList.maxLength else {
                        throw SyncError(.unsupported,
                            "the --files-from list is over \(PeerFileList.maxLength >> 20) MiB, more than the client takes")
                    }
                    try connection.sendFileList(fileList)
                }
            } catch {
                // The client reads this abort before anything else; it ends the run with its status.
                connection.send(.abort(status: error.status, message: error.message, isPrefixed: error.isPrefixed))
                connection.start { (_) throws(SyncError) in }
                connection.finishSending(within: 5)
                return error.status.rawValue
            }
        }
        let observer = ForwardingObserver(connection: connection, sendsItems: options.serverSendsItems,
            outgoingNames: names?.toWire, interrupted: isInterrupted)
        if sends {
            ServerConfinement.confineSender(sources: paths, options: options, observer: observer)
            let events = SessionEvents(observer: observer, connection: connection)
            events.isServer = true
            return send(paths, over: connection, options: options, observer: observer, events: events,
                showsProgress: false, progressCounts: { _ in }, isInterrupted: isInterrupted).status.rawValue
        }
        guard let destination = paths.first else {
            connection.send(.abort(status: .syntax, message: "no destination given to the server"))
            connection.finishSending()
            return ExitStatus.syntax.rawValue
        }
        return receive(connection, destination: destination, options: options, observer: observer,
            progressCounts: { _ in }, isInterrupted: isInterrupted).status.rawValue
    }

    /// The sender's side, for a push's client and a pull's server: the file list, the answers, and the
    /// goodbye after the generator's.
    static func send(_ sources: [[UInt8]], over connection: Connection, options: SyncOptions,
        observer: TransferObserver, events: SessionEvents, showsProgress: Bool,
        progressCounts: (@escaping ProgressCounts) -> Void,
        isInterrupted: @escaping @Sendable () -> Bool) -> (status: ExitStatus, error: SyncError?)
    {
        let fs = PosixFileSystem(trust: options.symlinkTrust)
        return options.fakeSuper
            ? send(sources, over: connection, options: options, observer: observer, events: events,
                showsProgress: showsProgress, progressCounts: progressCounts, isInterrupted: isInterrupted,
                fs: FakeSuperFileSystem(base: fs, side: .sender))
            : send(sources, over: connection, options: options, observer: observer, events: events,
                showsProgress: showsProgress, progressCounts: progressCounts, isInterrupted: isInterrupted, fs: fs)
    }

    private static func send<FS: FileSystem>(_ sources: [[UInt8]], over connection: Connection, options: SyncOptions,
        observer: TransferObserver, events: SessionEvents, showsProgress: Bool,
        progressCounts: (@escaping ProgressCounts) -> Void,
        isInterrupted: @escaping @Sendable () -> Bool, fs: FS) -> (status: ExitStatus, error: SyncError?)
    {
        let sender = SenderRole(fs: fs, options: options, connection: connection, observer: observer)
        sender.showsProgress = showsProgress
        sender.announcesWholeFileList = events.isSenderClient && FileListProgress.isShown(options)
        if events.isSenderClient { events.itemSink = { sender.report($0) } }
        progressCounts { sender.progressCounts }
        connection.roleName = "sender"
        connection.start { (message) throws(SyncError) in
            if try sender.handle(message) { return }
            try events.handle(message)
        }
        sender.startAnswering()
        do {
            try sender.sendFileList(tree: SourceTree(arguments: sources, relative: options.relative))
        } catch {
            connection.send(.abort(status: error.status, message: error.message, isPrefixed: error.isPrefixed))
            connection.fail(error)
        }
        events.waitForGoodbye(interrupted: isInterrupted)
        // Interrupted: stop sending now (the queue may hold seconds of data under --bwlimit).
        if isInterrupted() { connection.fail(SyncError(.signal, "interrupted")) }
        sender.finishAnswering()
        if connection.failure == nil && !isInterrupted() { connection.send(.goodbye(status: sender.exitStatus)) }
        return close(connection, own: sender.exitStatus, peer: events.peerStatus, isInterrupted: isInterrupted)
    }

    /// The generator's and receiver's side, for a pull's client and a push's server.
    static func receive(_ connection: Connection, destination: [UInt8], options: SyncOptions,
        observer: TransferObserver, progressCounts: (@escaping ProgressCounts) -> Void,
        isInterrupted: @escaping @Sendable () -> Bool, recorder: BatchRecorder? = nil, showsHighBit: Bool = true,
        listSide: FileListProgress.Side? = nil) -> Received
    {
        let fs = PosixFileSystem(trust: options.symlinkTrust, dataWrites: DataWrites(options))
        return options.fakeSuper
            ? receive(connection, destination: destination, options: options, observer: observer,
                progressCounts: progressCounts, isInterrupted: isInterrupted, fs: FakeSuperFileSystem(base: fs, side: .receiver),
                recorder: recorder, showsHighBit: showsHighBit, listSide: listSide)
            : receive(connection, destination: destination, options: options, observer: observer,
                progressCounts: progressCounts, isInterrupted: isInterrupted, fs: fs, recorder: recorder,
                showsHighBit: showsHighBit, listSide: listSide)
    }

    /// What the receiving side's run ends with.
    struct Received {
        var status: ExitStatus
        var error: SyncError?
        var stats: TransferStats
        var deletionsSkipped: Int
    }

    private static func receive<FS: FileSystem>(_ connection: Connection, destination: [UInt8], options: SyncOptions,
        observer: TransferObserver, progressCounts: (@escaping ProgressCounts) -> Void,
        isInterrupted: @escaping @Sendable () -> Bool, fs: FS, recorder: BatchRecorder?, showsHighBit: Bool,
        listSide: FileListProgress.Side?) -> Received
    {
        let events = SessionEvents(observer: observer, connection: connection)
        events.isServer = observer is ForwardingObserver
        let role = ReceivingRole(connection: connection, options: options)
        role.observer = observer
        // A server's conversion errors are escaped as rsync's server prints them; a local run's receiving
        // half says so through `showsHighBit`.
        if !showsHighBit || events.isServer { role.showsHighBit = .escaped }
        connection.roleName = "receiver"
        connection.start(handle: { (message) throws(SyncError) in
            recorder?.record(message)
            if try role.handle(message) { return }
            try events.handle(message)
        }, endOfRead: role.endOfRead)
        let generator = Generator(fs: fs, options: options, observer: observer)
        if !events.isServer { generator.announcesWholeFileList = listSide }
        if events.isServer {
            generator.beforeTransfer = { root in
                ServerConfinement.confineReceiver(destinationRoot: root, options: options, observer: observer)
            }
        }
        progressCounts { [unowned generator] in generator.progressCounts }
        var runError: SyncError?
        do { try generator.run(link: role, destination: destination) } catch { runError = error }
        if let runError, connection.failure == nil {
            connection.send(.abort(status: runError.status, message: runError.message, isPrefixed: runError.isPrefixed))
            connection.fail(runError)
        }
        if connection.failure == nil && !isInterrupted() {
            connection.send(.stats(WireStats(generator.stats)))
            connection.send(.goodbye(status: generator.exitStatus))
            events.waitForGoodbye(interrupted: isInterrupted)
        }
        let status = close(connection, own: generator.exitStatus, peer: events.peerStatus, isInterrupted: isInterrupted)
        return Received(status: status.status, error: status.error, stats: generator.stats,
            deletionsSkipped: generator.deletionsSkipped)
    }

    /// What the program does when `--timeout` runs out: a read blocked on a silent peer cannot be woken,
    /// so the caller (the CLI) ends the process with the error; the library never does.
    public typealias TimeoutHandler = @Sendable (SyncError) -> Void

    /// The connection after the hello; a client (`setup` not nil) sends its setup at once.
    static func connect(_ transport: any RemoteTransport, options: SyncOptions, setup: RunSetup?,
        peerReadsFileList: Bool = false, role: String? = nil, onTimeout: @escaping TimeoutHandler)
        throws(SyncError) -> Connection
    {
        let compression = options.compress
            ? (options.compressChoice.flatMap { CompressionChoice(name: $0) } ?? .zstd) : nil
        let connection = try Connection(transport: transport, compression: compression,
            compressionLevel: options.compressLevel,
            bandwidthLimit: options.bandwidthLimit.flatMap(TokenBucket.rsyncRate), timeout: options.timeout ?? 0,
            onTimeout: onTimeout)
        if let role { connection.roleName = role }
        var required: Capabilities = []
        if let compression { required.insert(Capabilities(compression: compression)) }
        if setup.map({ $0 != RunSetup() }) ?? false { required.insert(.runSetup) }
        if peerReadsFileList { required.formUnion([.runSetup, .peerFileList]) }
        try connection.handshake(required: required)
        if let setup, connection.exchangesSetup { try connection.sendSetup(setup) }
        return connection
    }

    /// Flushes, closes our direction, waits for the peer's end, and settles the run's status.
    static func close(_ connection: Connection, own: ExitStatus, peer: ExitStatus?,
        isInterrupted: () -> Bool) -> (status: ExitStatus, error: SyncError?)
    {
        defer { connection.markClosed() }
        if isInterrupted() {
            // The peer learns from the end of our stream; what it still sends is dropped unread.
            connection.fail(SyncError(.signal, "interrupted"))
            connection.transport.closeWrite()
            _ = connection.transport.waitForExit()
            return (.signal, nil)
        }
        if let failure = connection.failure {
            // What is queued (an abort telling the peer why) still goes out, briefly.
            connection.finishSending(within: 5)
            // A peer that went away after the hello (killed, or its link lost) is rsync's "connection
            // unexpectedly closed", 12, whatever the shell's status says: ssh reports a killed command
            // as 255, which rsync passes on only when ssh happened to exit before rsync looked.
            _ = connection.transport.waitForExit()
            return (failure.status, failure)
        }
        connection.expectEnd()
        connection.finishSending()
        connection.waitForReader()
        if let failure = connection.failure { return (failure.status, failure) }
        _ = connection.transport.waitForExit()
        return (.combined(own, peer ?? .success), nil)
    }
}

/// The server's end of the connection: its own stdin and stdout, which the remote shell joined to the
/// client's.
final class StandardStreams: RemoteTransport, @unchecked Sendable {
    func write(_ bytes: UnsafeRawBufferPointer) throws(TransportError) {
        try DescriptorIO.writeAll(bytes, what: "write to stdout") { Glibc.write(1, $0, $1) }
    }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws(TransportError) -> Int {
        try DescriptorIO.readSome(what: "read from stdin") { Glibc.read(0, buffer.baseAddress!, buffer.count) }
    }

    func closeWrite() { Glibc.close(1) }
    func waitForExit() -> Int32 { 0 }
}
