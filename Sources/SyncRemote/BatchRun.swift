import Dispatch
import Glibc
import Synchronization
import SyncCharset
import SyncCore
import SyncPlatform
import SyncProtocol
import SyncSSH

// Batch mode (rsync's `--write-batch`, `--only-write-batch`, `--read-batch`): a local run that writes a
// batch runs its sender and receiving side in this process, joined by a socket pair as rsync joins
// them by a pipe, and records the sender's stream (`BatchRecorder`); a push or a pull records its
// connection. `--read-batch` replays a batch through `BatchReplayLink`, a sender whose file list and data
// come from the file: the generator, receiver and checks are those of a pull.

extension RemoteRun {
    /// A local run with `--write-batch` or `--only-write-batch` (`recorder` keeping what the sender sends),
    /// or with `--iconv` (the sender's names in LOCAL, the receiving half's in REMOTE, as in rsync's forked
    /// server): the sender on a thread of its own, the generator and receiver on this one.
    public static func runLocallyInPair(sources: [[UInt8]], destination: [UInt8], options: SyncOptions,
        observer: TransferObserver, recorder: BatchRecorder?, progressCounts: (@escaping ProgressCounts) -> Void,
        isInterrupted: @escaping @Sendable () -> Bool) -> Outcome
    {
        var options = options
        options.compress = false  // nothing crosses a wire; the batch holds its data plain
        options.timeout = nil  // both ends are this process; a local run has no peer to wait for
        var receiverOptions = options
        receiverOptions.charset = options.peerCharset
        // The receiving half's lines name its entries in REMOTE; the console shows them in LOCAL.
        var display: CharsetConverter?
        if let local = options.charset, let remote = options.peerCharset,
            let localSet = try? NameCharset(local), let remoteSet = try? NameCharset(remote)
        {
            display = try? CharsetConverter(from: remoteSet.charset, to: localSet.charset)
        }
        let ends: (SocketPairTransport, SocketPairTransport)
        do { ends = try SocketPairTransport.pair() } catch {
            return Outcome(status: error.status, error: error, stats: TransferStats())
        }
        let locked = LockedObserver(observer, alsoInterruptedWhen: { false })
        let receiving: TransferObserver = display.map { RecodingObserver(locked, converter: $0) } ?? locked
        let senderDone = DispatchSemaphore(value: 0)
        let senderOptions = options
        let senderEnd = ends.0
        DispatchQueue(label: "swsync.batch.sender").async {
            if let connection = try? connect(senderEnd, options: senderOptions, setup: nil, onTimeout: { _ in }) {
                let events = SessionEvents(observer: locked, connection: connection)
                _ = send(sources, over: connection, options: senderOptions, observer: locked, events: events,
                    showsProgress: false, progressCounts: { _ in }, isInterrupted: isInterrupted)
            } else {
                senderEnd.closeWrite()
            }
            senderDone.signal()
        }
        let connection: Connection
        do {
            connection = try connect(ends.1, options: options, setup: nil, onTimeout: { _ in })
        } catch {
            ends.1.closeWrite()
            senderDone.wait()
            return Outcome(status: error.status, error: error, stats: TransferStats())
        }
        let received = receive(connection, destination: destination, options: receiverOptions, observer: receiving,
            progressCounts: progressCounts, isInterrupted: isInterrupted, recorder: recorder,
            showsHighBit: options.charset == nil, listSide: .building)
        ends.1.closeWrite()
        senderDone.wait()
        return Outcome(status: received.status, error: received.error, stats: received.stats,
            deletionsSkipped: received.deletionsSkipped)
    }

    /// `--read-batch`: replays `input` into `destination`. `options` must already carry the batch's
    /// flags (`BatchInput.apply`).
    public static func readBatch(_ input: BatchInput, destination: [UInt8], options: SyncOptions,
        observer: TransferObserver, progressCounts: (@escaping ProgressCounts) -> Void,
        isInterrupted: @escaping @Sendable () -> Bool) -> Outcome
    {
        var options = options
        // Each file's basis is offered as in the original run, so a recorded delta applies to it.
        options.wholeFile = false
        options.readsBatch = true
        let locked = LockedObserver(observer, alsoInterruptedWhen: { false })
        let link = BatchReplayLink(input, options: options, observer: locked, isInterrupted: isInterrupted)
        let generator = Generator(fs: PosixFileSystem(trust: options.symlinkTrust, dataWrites: DataWrites(options)),
            options: options, observer: locked)
        generator.announcesWholeFileList = .receiving
        progressCounts { [unowned generator] in generator.progressCounts }
        link.startReading()
        var runError: SyncError?
        do { try generator.run(link: link, destination: destination) } catch { runError = error }
        link.finishReplay()
        // Interrupted: the temp file is gone (or kept with --partial); the signal's status alone, as a pull's.
        if isInterrupted() { return Outcome(status: .signal, error: nil, stats: generator.stats) }
        if let runError { return Outcome(status: runError.status, error: runError, stats: generator.stats) }
        if let failure = link.failure { return Outcome(status: failure.status, error: failure, stats: generator.stats) }
        let status = ExitStatus.combined(generator.exitStatus, link.lackedData ? .partial : .success)
        return Outcome(status: status, error: nil, stats: generator.stats,
            deletionsSkipped: generator.deletionsSkipped)
    }
}

/// An open batch file (or standard input) with its header read.
public final class BatchInput: @unchecked Sendable {
    // @unchecked: read by the replay's reader thread alone once the run starts.
    let descriptor: Int32
    /// The name for messages: the absolute path, rsync's `full_fname`.
    let displayName: String
    public let header: BatchHeader
    /// Bytes read after the header.
    var leftover: [UInt8]
    /// The recorded run's counts, once the replay has read them (rsync's `--stats` of a replay shows them).
    public internal(set) var recordedStats: TransferStats?

    private init(descriptor: Int32, displayName: String, header: BatchHeader, leftover: [UInt8]) {
        self.descriptor = descriptor
        self.displayName = displayName
        self.header = header
        self.leftover = leftover
    }

    deinit { if descriptor != 0 { close(descriptor) } }

    /// Opens `name` (`-`: standard input) and reads its header. An unopenable file, or one that is not a
    /// regular file, is rsync's "Batch file ... open error" (exit 11); a file that is not a batch, or ends
    /// inside its header, a protocol error (exit 12).
    public static func open(_ name: String, trust: SymlinkTrust) throws(SyncError) -> BatchInput {
        let shown = "\"\(absolute(name))\""
        let descriptor: Int32
        if name == "-" {
            descriptor = 0
        } else {
            // Through a symlink only when root or this user owns it (rsync's open_no_attacker_symlinks).
            do throws(SystemCallError) {
                descriptor = try PosixFileSystem(trust: trust).openOperatorFileForReading(Array(name.utf8))
            } catch {
                let text = "[Receiver] Batch file \(shown) open error: \(error.errnoText) (\(error.errno))"
                guard error.refusal == .untrustedSymlink else { throw SyncError(.fileIO, text) }
                // rsync's warning first, on a line of its own without the program's name.
                throw SyncError(.fileIO, OperatorPathRefusal.untrustedSymlinkWarning + "\nswsync: " + text,
                    isPrefixed: false)
            }
            var status = stat()
            if fstat(descriptor, &status) == 0 && status.st_mode & S_IFMT != S_IFREG {
                close(descriptor)
                throw SyncError(.fileIO, "[Receiver] Batch file \(shown) is not a regular file")
            }
        }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        do throws(ProtocolError) {
            while true {
                if let (header, length) = try BatchHeader.decode(bytes) {
                    return BatchInput(descriptor: descriptor, displayName: shown, header: header,
                        leftover: Array(bytes[length...]))
                }
                let count = buffer.withUnsafeMutableBytes { readSome(descriptor, into: $0) }
                if count < 0 {
                    let code = errno
                    throw ProtocolError(.truncated, "read error: \(String(cString: strerror(code))) (\(code))")
                }
                if count == 0 { throw ProtocolError(.truncated, "truncated batch header") }
                bytes += buffer[0..<count]
            }
        } catch {
            if descriptor != 0 { close(descriptor) }
            throw corrupt(shown, error)
        }
    }

    static func corrupt(_ shown: String, _ error: ProtocolError) -> SyncError {
        SyncError(.streamIO, "[Receiver] batch file \(shown) is unusable: \(error.message)")
    }

    static func readSome(_ descriptor: Int32, into buffer: UnsafeMutableRawBufferPointer) -> Int {
        while true {
            let count = read(descriptor, buffer.baseAddress!, buffer.count)
            if count >= 0 || errno != EINTR { return count }
        }
    }

    private static func absolute(_ name: String) -> String {
        guard !name.hasPrefix("/"), name != "-" else { return name }
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        guard getcwd(&buffer, buffer.count) != nil else { return name }
        let directory = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return (directory == "/" ? "" : directory) + "/" + name
    }

    /// Sets the options that decide how the stream reads to the batch's, as rsync's `check_batch_flags`
    /// does; returns rsync's "Setting/Clearing the ... option to match the batchfile." lines (shown with
    /// `-v`).
    /// `explicitRecursive`: `-r` itself was given, which rsync counts as another value than `-a`'s, so
    /// the `--recurse` line is printed even then.
    public func apply(to options: inout SyncOptions, explicitRecursive: Bool = false) -> [String] {
        var lines: [String] = []
        let flags = header.flags
        // rsync's xfer_dirs as the command line had it (-r sets it too), before -r is set from the batch.
        let givenDirs = options.dirs || options.recursive
        let explicitDirs = options.dirs && !options.recursive
        func set(_ flag: BatchFlags, _ current: Bool, _ change: (Bool) -> Void) {
            let wanted = flags.contains(flag)
            guard wanted != current else { return }
            // swsync's own flags (--specials, -U) change silently: rsync has no line for them.
            if let name = BatchFlags.names.first(where: { $0.0 == flag })?.1, flag.rawValue < 1 << 16 {
                lines.append("\(wanted ? "Setting" : "Clearing") the \(name) option to match the batchfile.")
            }
            change(wanted)
        }
        if explicitRecursive && flags.contains(.recursive) {
            lines.append("Setting the --recurse (-r) option to match the batchfile.")
        } else {
            set(.recursive, options.recursive) { options.recursive = $0 }
        }
        set(.owner, options.owner) { options.owner = $0 }
        set(.group, options.group) { options.group = $0 }
        set(.links, options.links) { options.links = $0 }
        set(.devices, options.devices) { options.devices = $0 }
        set(.hardLinks, options.hardLinks) { options.hardLinks = $0 }
        set(.checksum, options.checksum) { options.checksum = $0 }
        if explicitDirs {
            // rsync's -d is xfer_dirs 2, which never equals the batch's bit: it always gets a line.
            lines.append("\(flags.contains(.dirs) ? "Setting" : "Clearing") the --dirs (-d) option to match the batchfile.")
            options.dirs = flags.contains(.dirs)
        } else {
            set(.dirs, givenDirs) { options.dirs = $0 }
        }
        set(.acls, options.acls) { options.acls = $0 }
        set(.xattrs, options.xattrs > 0) { options.xattrs = $0 ? max(1, options.xattrs) : 0 }
        set(.inplace, options.inplace && options.append == 0) { options.inplace = $0 }
        set(.append, options.append == 1) { wanted in
            options.append = wanted ? 1 : 0
            if wanted { options.inplace = true }
        }
        set(.appendVerify, options.append > 1) { wanted in
            options.append = wanted ? 2 : 0
            if wanted { options.inplace = true }
        }
        set(.specials, options.specials) { options.specials = $0 }
        set(.atimes, options.atimes > 0) { options.atimes = $0 ? max(1, options.atimes) : 0 }
        if flags.contains(.wholeList) { options.allowsIncrementalRecursion = false }
        options.checksumChoice = header.checksum.name
        if options.recursive { options.dirs = false }
        return lines
    }
}

/// The sender of a `--read-batch` run. The recorded file list goes through a `ReceivingRole` (the checks
/// and decoding of a pull's, over a connection that is never started: it only carries a failure); the
/// recorded data is matched to the generator's requests on a reader thread:
/// - a request for the file recorded next gets its data, re-encoded against the basis the generator
///   offered (a recorded copy of blocks of another basis cannot apply, so the rebuild then fails its
///   whole-file check: rsync's "failed verification", and the destination file is left alone);
/// - a recorded file the generator passed by (it is up to date) is dropped with rsync's
///   "(Skipping batched update for ...)";
/// - a request the batch has no data for gets rsync's "(No batched update for ...)" (exit 23).
final class BatchReplayLink: SenderLink, ListingSource, @unchecked Sendable {
    // @unchecked: `state` is shared by the generator's thread and the reader's, under `condition`.
    private let input: BatchInput
    private let options: SyncOptions
    private let observer: TransferObserver
    private let connection: Connection
    private let role: ReceivingRole
    private let incoming = IncomingData(capacity: 256)
    private let condition = Condition()

    private struct Request {
        var index: Int
        var geometry: BlockGeometry
        var checksum: ChecksumChoice
    }

    private struct State {
        var requests: [Request] = []
        var taken = 0
        /// Every file below this index has been dealt with by the generator.
        var decidedBelow = 0
        /// The end of the listing the generator took last.
        var listingEnd = 0
        var names: [Int: [UInt8]] = [:]
        var delivered: Set<Int> = []
        /// The record the reader waits on (its file index), or nil while it reads or delivers.
        var waitingAt: Int?
        var ended = false
        var lackedData = false
    }
    private var state = State()

    private let isInterrupted: @Sendable () -> Bool

    init(_ input: BatchInput, options: SyncOptions, observer: TransferObserver,
        isInterrupted: @escaping @Sendable () -> Bool)
    {
        self.isInterrupted = isInterrupted
        self.input = input
        self.options = options
        self.observer = observer
        // A connection with nothing behind it: it never starts; its failure reaches the role's waits.
        connection = try! Connection(transport: NullTransport(), compression: nil, compressionLevel: nil,
            bandwidthLimit: nil, timeout: 0)
        role = ReceivingRole(connection: connection, options: options)
        connection.onFailure { [incoming, condition] error in
            incoming.fail(error)
            // Under the lock: a thread that saw no failure yet is then already waiting, and wakes.
            condition.locked { condition.broadcast() }
        }
    }

    var failure: SyncError? { connection.failure }
    var lackedData: Bool { condition.locked { state.lackedData } }

    // MARK: SenderLink

    func receiveRoot() throws(SyncError) -> (listing: SourceListing, dotEntry: FileEntry?, sourceArguments: Int) {
        let root = try role.receiveRoot()
        condition.locked {
            note(root.listing)
            if let dot = root.dotEntry { state.listingEnd = max(state.listingEnd, dot.fileIndex + 1) }
        }
        return root
    }

    var listings: any ListingSource { self }
    var delivery: SenderDelivery { .peer(incoming) }
    var treeForDeletionPass: SourceTree? { nil }
    var ioError: Bool { role.ioError }

    func received(_ entry: FileEntry, destination: (device: UInt64, inode: UInt64)?) -> Bool { false }

    func request(fileIndex: Int, signature: Signature?) {
        let checksum = signature?.checksum ?? input.header.checksum
        let geometry = signature?.geometry ?? Signature.empty(checksum: checksum).geometry
        condition.locked {
            state.requests.append(Request(index: fileIndex, geometry: geometry, checksum: checksum))
            let position = state.requests.count
            condition.broadcast()
            // Until the reader has taken it, so that its "Skipping" lines come before this file's line.
            while state.taken < position && connection.failure == nil { condition.wait() }
        }
    }

    // MARK: ListingSource

    func next() -> SourceListing {
        condition.locked {
            state.decidedBelow = max(state.decidedBelow, state.listingEnd)
            condition.broadcast()
            while !readerCaughtUp && connection.failure == nil { condition.wait() }
        }
        let listing = role.next()
        condition.locked { note(listing) }
        return listing
    }

    var listedSoFar: (entries: Int, size: Int64, complete: Bool) { role.listedSoFar }
    func finish() {}

    /// The reader has dropped every record the generator passed by.
    private var readerCaughtUp: Bool {
        state.ended || (state.waitingAt.map { $0 >= state.decidedBelow } ?? false)
    }

    private func note(_ listing: SourceListing) {
        for entry in listing.entries {
            if entry.kind == .regular { state.names[entry.fileIndex] = entry.name }
            state.listingEnd = max(state.listingEnd, entry.fileIndex + 1)
        }
    }

    /// After the generator's last request: the rest of the batch is dropped; waits for the reader.
    func finishReplay() {
        // A reader blocked on a full queue or a silent pipe is woken by the failure.
        if isInterrupted() { connection.fail(SyncError(.signal, "interrupted")) }
        condition.locked {
            state.decidedBelow = Int.max
            condition.broadcast()
            while !state.ended && connection.failure == nil { condition.wait() }
        }
    }

    // MARK: The reader

    func startReading() {
        DispatchQueue(label: "swsync.batch.reader").async { [self] in
            do throws(SyncError) {
                try readAll()
            } catch {
                connection.fail(error)
            }
            condition.locked {
                state.ended = true
                condition.broadcast()
            }
        }
    }

    private var decoder = BatchDecoder()
    private var buffer = [UInt8](repeating: 0, count: 256 * 1024)

    private func nextMessage() throws(SyncError) -> Message? {
        do throws(ProtocolError) {
            while true {
                if let message = try decoder.next() { return message }
                // A pipe may go quiet: a signal must still end the run.
                var ready = pollfd(fd: input.descriptor, events: Int16(POLLIN), revents: 0)
                while poll(&ready, 1, 200) == 0 {
                    if isInterrupted() { throw ProtocolError(.truncated, "interrupted") }
                }
                if isInterrupted() { throw ProtocolError(.truncated, "interrupted") }
                let count = buffer.withUnsafeMutableBytes { BatchInput.readSome(input.descriptor, into: $0) }
                if count < 0 {
                    let code = errno
                    throw ProtocolError(.truncated, "read error: \(String(cString: strerror(code))) (\(code))")
                }
                if count == 0 {
                    try decoder.finishInput()
                    return nil
                }
                decoder.feed(buffer[0..<count])
            }
        } catch {
            throw BatchInput.corrupt(input.displayName, error)
        }
    }

    private func readAll() throws(SyncError) {
        decoder.feed(input.leftover)
        input.leftover = []
        var record: Record?
        reading: while let message = try nextMessage() {
            switch message {
            case .delta(let index, let bytes):
                if record == nil { record = try begin(index) }
                guard record!.index == index else { throw corrupt("data of file \(index) inside file \(record!.index)'s") }
                try record!.take(bytes)
            case .fileEnd(let index, let outcome):
                if record == nil { record = try begin(index) }
                guard record!.index == index else { throw corrupt("end of file \(index) inside file \(record!.index)'s") }
                try record!.end(outcome)
                record = nil
            case .stats(let wire):
                guard record == nil else { throw corrupt("counts inside file \(record!.index)'s data") }
                input.recordedStats = wire.stats
            case .done:
                guard record == nil else { throw corrupt("end of the batch inside file \(record!.index)'s data") }
                // Else the generator would wait for listings that never come.
                guard role.listedSoFar.complete else { throw corrupt("end of the batch before the end of its file list") }
                break reading
            default:
                guard record == nil else { throw corrupt("file list inside file \(record!.index)'s data") }
                guard try role.handle(message) else { throw corrupt("unexpected \(message.type)") }
            }
        }
        // Requests after the end of the data: none of them is in the batch.
        while true {
            let request: Request? = condition.locked {
                while state.taken >= state.requests.count && state.decidedBelow != Int.max
                    && connection.failure == nil
                {
                    state.waitingAt = Int.max
                    condition.broadcast()
                    condition.wait()
                }
                state.waitingAt = nil
                guard state.taken < state.requests.count, connection.failure == nil else { return nil }
                defer {
                    state.taken += 1
                    condition.broadcast()
                }
                return state.requests[state.taken]
            }
            guard let request else { return }
            lacks(request)
        }
    }

    private func corrupt(_ what: String) -> SyncError {
        BatchInput.corrupt(input.displayName, ProtocolError(.outOfSequence, what))
    }

    /// What becomes of the record of file `index`: waits until the generator has asked for it, or for
    /// a later file, or passed its directory by.
    private func begin(_ index: Int) throws(SyncError) -> Record {
        while true {
            enum Decision { case deliver(Request), skip([UInt8]?), lack(Request), wait }
            let decision: Decision = condition.locked {
                if state.taken < state.requests.count {
                    let request = state.requests[state.taken]
                    if request.index <= index {
                        state.taken += 1
                        state.waitingAt = nil
                        condition.broadcast()
                        if request.index == index {
                            state.delivered.insert(index)
                            return .deliver(request)
                        }
                        return .lack(request)
                    }
                    return .skip(state.names[index])
                }
                if index < state.decidedBelow { return .skip(state.names[index]) }
                if connection.failure != nil { return .skip(nil) }
                state.waitingAt = index
                condition.broadcast()
                condition.wait()
                return .wait
            }
            switch decision {
            case .wait: continue
            case .lack(let request): lacks(request)
            case .deliver(let request):
                return Record(index: index, request: request, incoming: incoming)
            case .skip(let name):
                guard let name else {
                    if connection.failure != nil { return Record(index: index, request: nil, incoming: incoming) }
                    throw corrupt("data for file \(index), which is not a regular file of the list")
                }
                // A dry run asks for nothing: rsync says nothing of what it drops then.
                if !options.dryRun {
                    observer.info("(Skipping batched update for \"\(OutputEscaper.escape(name, highBytes: options.highBytes))\")")
                }
                condition.locked {
                    state.waitingAt = nil
                    condition.broadcast()
                }
                return Record(index: index, request: nil, incoming: incoming)
            }
        }
    }

    /// A request the batch has no data for: asked for again after a failed check (the file fails again),
    /// or never recorded (rsync's "No batched update", exit 23).
    private func lacks(_ request: Request) {
        let again = condition.locked { state.delivered.contains(request.index) }
        if again {
            var out: [UInt8] = []
            DeltaCodec.encodeHeader(checksum: request.checksum, geometry: request.geometry, into: &out)
            DeltaCodec.encodeEnd(Record.unverifiable(request.checksum), into: &out)
            incoming.push(.piece(fileIndex: request.index, bytes: out))
            incoming.push(.end(fileIndex: request.index, outcome: .complete))
            return
        }
        let name = condition.locked { state.names[request.index] } ?? Array("file \(request.index)".utf8)
        observer.error(.bare("(No batched update for \"\(OutputEscaper.escape(name, highBytes: options.highBytes))\")"))
        condition.locked { state.lackedData = true }
        incoming.push(.end(fileIndex: request.index, outcome: .failed))
    }

    /// One recorded file's data on its way to the writer (or dropped), checked by a `DeltaDecoder` and
    /// re-encoded for the basis the generator offered.
    private struct Record {
        let index: Int
        let request: Request?
        let incoming: IncomingData
        let decoder = DeltaDecoder(expecting: nil, checksum: nil)
        var out: [UInt8] = []
        /// The recorded delta copies blocks of a basis other than the one offered: nothing more is passed on.
        var failing = false
        var compatible = false
        var trailer: DeltaTrailer?

        init(index: Int, request: Request?, incoming: IncomingData) {
            self.index = index
            self.request = request
            self.incoming = incoming
        }

        static func unverifiable(_ checksum: ChecksumChoice) -> DeltaTrailer {
            // Size 0 with an all-zero digest: no rebuild of a file that has data matches it.
            DeltaTrailer(fileSize: 0, digest: StrongDigest(low: 0, high: 0, length: checksum.digestLength))
        }

        mutating func take(_ bytes: [UInt8]) throws(SyncError) {
            do throws(DeltaError) {
                let fed: Result<Void, DeltaError> = bytes.withUnsafeBytes { raw in
                    Result { () throws(DeltaError) in try decoder.feed(raw) }
                }
                try fed.get()
                while let event = try decoder.next() {
                    if case .end(let end) = event { trailer = end }
                    guard let request else { continue }
                    switch event {
                    case .header(let checksum, let geometry):
                        compatible = checksum == request.checksum && geometry == request.geometry
                        DeltaCodec.encodeHeader(checksum: request.checksum, geometry: request.geometry, into: &out)
                    case .instruction(let instruction):
                        if case .copy = instruction, !compatible { failing = true }
                        if !failing { DeltaCodec.encode(instruction, into: &out) }
                    case .end(let end):
                        let digestFits = end.digest.length == request.checksum.digestLength
                        DeltaCodec.encodeEnd(digestFits ? end : Self.unverifiable(request.checksum), into: &out)
                    }
                    if out.count >= 256 * 1024 { flush() }
                }
            } catch {
                throw SyncError(.streamIO, "[Receiver] batch data of file \(index): \(error.syncError.message)")
            }
        }

        mutating func end(_ outcome: FileOutcome) throws(SyncError) {
            if outcome == .complete && trailer == nil {
                throw SyncError(.streamIO, "[Receiver] batch data of file \(index) ends without its end record")
            }
            guard request != nil else { return }
            flush()
            let result: IncomingData.Outcome = switch outcome {
            case .complete: .complete
            case .vanished: .vanished
            case .failed: .failed
            }
            incoming.push(.end(fileIndex: index, outcome: result))
        }

        private mutating func flush() {
            guard !out.isEmpty else { return }
            incoming.push(.piece(fileIndex: index, bytes: out))
            out = []
        }
    }
}

/// A mutex and its condition variable, for the replay's two threads.
final class Condition: @unchecked Sendable {
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let cond = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)

    init() {
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(cond, nil)
    }

    deinit {
        pthread_cond_destroy(cond)
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
        cond.deallocate()
    }

    func locked<T>(_ body: () throws -> T) rethrows -> T {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body()
    }

    /// Call with the lock held.
    func wait() { pthread_cond_wait(cond, mutex) }
    func broadcast() { pthread_cond_broadcast(cond) }
}

/// The transport of a connection that never starts.
final class NullTransport: RemoteTransport, @unchecked Sendable {
    func write(_ bytes: UnsafeRawBufferPointer) throws(TransportError) {}
    func read(into buffer: UnsafeMutableRawBufferPointer) throws(TransportError) -> Int { 0 }
    func closeWrite() {}
    func waitForExit() -> Int32 { 0 }
}

/// One end of a socket pair: the link between the two halves of a local `--write-batch` run.
final class SocketPairTransport: RemoteTransport, @unchecked Sendable {
    private let descriptor: Int32
    private let writeClosed = Atomic<Bool>(false)

    private init(_ descriptor: Int32) { self.descriptor = descriptor }

    deinit { close(descriptor) }

    static func pair() throws(SyncError) -> (SocketPairTransport, SocketPairTransport) {
        var descriptors: [Int32] = [-1, -1]
        guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &descriptors) == 0 else {
            throw SyncError(.ipc, "socketpair failed: \(String(cString: strerror(errno)))")
        }
        return (SocketPairTransport(descriptors[0]), SocketPairTransport(descriptors[1]))
    }

    func write(_ bytes: UnsafeRawBufferPointer) throws(TransportError) {
        try DescriptorIO.writeAll(bytes, what: "write") { send(descriptor, $0, $1, Int32(MSG_NOSIGNAL)) }
    }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws(TransportError) -> Int {
        try DescriptorIO.readSome(what: "read") { recv(descriptor, buffer.baseAddress!, buffer.count, 0) }
    }

    func closeWrite() {
        if !writeClosed.exchange(true, ordering: .relaxed) { shutdown(descriptor, Int32(SHUT_WR)) }
    }

    func waitForExit() -> Int32 { 0 }
}
