import Dispatch
import Glibc
import Synchronization
import SyncCore
import SyncProtocol
import SyncSSH

/// The framed connection to the peer over a byte transport: the hello, then messages both ways.
///
/// One reader thread decodes frames and hands each message to the role's handler; one writer thread
/// sends what the roles queue, so a burst of small messages goes out in few writes and no role waits
/// on the socket. The queue is bounded: a role that produces faster than the link carries waits.
public final class Connection: @unchecked Sendable {
    // @unchecked: `session`, `decoder` and `decompressor` are set before the threads start and then used
    // by the reader thread only; everything shared is behind a Mutex or atomic.
    let transport: any RemoteTransport
    private(set) var session: Session?
    private var decoder = MessageDecoder()
    private var decompressor: FrameDecompressor?
    private let compressor: FrameCompressor?
    private var encoder: MessageEncoder?
    private let limiter: BandwidthLimiter?
    private let timeout: Int
    private let onTimeout: (@Sendable (SyncError) -> Void)?

    /// Messages waiting for the writer thread, which encodes (and compresses) them in order.
    private struct Outgoing {
        var messages: [(message: Message, compress: Bool)] = []
        var bytes = 0
        var closing = false
    }
    private let outgoing = Mutex(Outgoing())
    private let outgoingReady = DispatchSemaphore(value: 0)
    private let outgoingDrained = DispatchSemaphore(value: 0)
    private let writerDone = DispatchSemaphore(value: 0)
    private let readerDone = DispatchSemaphore(value: 0)
    private static let outgoingLimit = 8 << 20
    /// Below this many queued bytes the writer waits `coalesceMicroseconds` for more before writing.
    private static let coalesceBelow = 16 * 1024
    private static let coalesceMicroseconds: UInt32 = 300

    private let failureBox = Mutex<SyncError?>(nil)
    private let failureHandlers = Mutex<[@Sendable (SyncError) -> Void]>([])
    private let expectsEnd = Atomic<Bool>(false)
    public let bytesSent = Atomic<Int64>(0)
    public let bytesReceived = Atomic<Int64>(0)
    /// When the peer last moved the run forward (nanoseconds of uptime): a whole message other than a
    /// keepalive, or a `progress` counter larger than before. Raw bytes that complete no frame, and
    /// keepalives, do not count, so a stream stuck inside a frame that never completes still times out.
    private let lastProgress = Atomic<UInt64>(0)
    /// The largest `progress` counter the peer sent.
    private var peerCounter: UInt64 = 0
    /// Our own progress: messages our reader handled and steps the roles took (`noteProgress`), sent to
    /// the peer in `progress` messages when we have nothing else to say.
    private let localCounter = Atomic<UInt64>(0)
    private var counterSent: UInt64 = 0
    private let lastSent = Atomic<Int64>(0)
    private let started = Atomic<Bool>(false)
    /// A read or write on the transport failed: nothing more can be sent.
    private let transportBroken = Atomic<Bool>(false)
    /// The reader is handling what it read (not waiting for the peer).
    private let readerBusy = Atomic<Bool>(false)
    /// The run is over: the timeout watchdog stops.
    private let closed = Atomic<Bool>(false)

    /// `--write-batch` on a push: sees each message as it is queued (set before the threads start).
    public var outgoingTap: (@Sendable (Message) -> Void)?

    /// Ends the timeout watchdog once the run is over.
    public func markClosed() { closed.store(true, ordering: .relaxed) }

    /// - Parameters:
    ///   - compression: `-z`: file data and file lists go compressed with this choice.
    ///   - timeout: `--timeout` seconds (0: none): the run ends with exit 30 when the peer makes no
    ///     progress for that long (see `lastProgress`); when we have been quiet for half of it we send
    ///     `progress` (our counter moved) or `keepalive`.
    ///   - onTimeout: called from the watchdog when `timeout` ran out; a blocked read cannot be woken, so
    ///     the process ends there (rsync exits with 30 the same way).
    public init(transport: any RemoteTransport, compression: CompressionChoice?, compressionLevel: Int?,
        bandwidthLimit: Int64?, timeout: Int, onTimeout: (@Sendable (SyncError) -> Void)? = nil) throws(SyncError)
    {
        self.transport = transport
        self.onTimeout = onTimeout
        compressor = try compression.map { (choice) throws(SyncError) in try FrameCompressor(choice, level: compressionLevel) }
        limiter = bandwidthLimit.map { BandwidthLimiter(bytesPerSecond: $0) }
        self.timeout = timeout
        if let compression {
            decompressor = try FrameDecompressor(compression, maxPayload: ProtocolLimits.standard.maxFramePayload)
        }
    }

    /// The run's first error: a broken link, a protocol violation, the peer's abort, or a timeout.
    public var failure: SyncError? { failureBox.withLock { $0 } }

    /// Records `error` as the run's failure (the first one wins) and tells every listener.
    public func fail(_ error: SyncError) {
        let first = failureBox.withLock { box in
            defer { if box == nil { box = error } }
            return box == nil
        }
        guard first else { return }
        for handler in failureHandlers.withLock({ $0 }) { handler(error) }
    }

    public func onFailure(_ handler: @escaping @Sendable (SyncError) -> Void) {
        failureHandlers.withLock { $0.append(handler) }
    }

    // MARK: Hello

    /// Writes our hello and reads the peer's, on the calling thread, before the threads start.
    public func handshake(required: Capabilities) throws(SyncError) {
        madeProgress()
        if timeout > 0 {
            DispatchQueue(label: "swsync.connection.timeout").async { [self] in watchTimeout() }
        }
        let local = Hello(maxOutstandingRequests: Hello.windowRange.upperBound)
        try writeNow(local.encode())
        var hello = HelloDecoder()
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = try readSome(into: &buffer)
            if count == 0 {
                // Nothing at all (the peer ended while reading its options, or never ran): rsync's words.
                if bytesReceived.load(ordering: .relaxed) == 0 { throw unexpectedEnd() }
                do { try hello.finishInput() } catch { throw error.syncError }
            }
            hello.feed(buffer[..<count])
            let remote: Hello?
            do { remote = try hello.next() } catch { throw error.syncError }
            guard let remote else { continue }
            madeProgress()
            let session: Session
            do { session = try Session(local: local, remote: remote, required: required) } catch { throw error.syncError }
            self.session = session
            encoder = MessageEncoder(session: session)
            decoder = MessageDecoder(session: session, compression: compressor != nil)
            decoder.feed(hello.remainder)
            return
        }
    }

    // MARK: Setup

    /// Both sides speak `setup`: the client sends its `RunSetup` after the hello, the server reads it.
    public var exchangesSetup: Bool { session?.capabilities.contains(.runSetup) ?? false }
    /// Both sides take a `--files-from` list read on the server (`fileList` messages on a push).
    public var offersPeerFileList: Bool { session?.capabilities.contains(.peerFileList) ?? false }
    /// Both sides speak `release` messages (the receiving side sends them, the sender drops what they free).
    public var releasesFiles: Bool { session?.capabilities.contains(.fileRelease) ?? false }

    /// The client's `setup` messages, written at once (before the threads start; the server reads them
    /// before it writes anything but its hello).
    public func sendSetup(_ setup: RunSetup) throws(SyncError) {
        guard let session else { return }
        try writeBeforeStart(setup.messages(maxPayload: session.sendFramePayload))
    }

    /// The server's side: reads the client's `setup` messages up to their end, on the calling thread,
    /// before the threads start. Anything else first is a protocol error (the client's abort ends the run).
    public func receiveSetup() throws(SyncError) -> RunSetup {
        var assembler = RunSetupAssembler()
        return try receiveBeforeStart(expecting: "the client's setup") { (message) throws(SyncError) in
            guard case .setup(let part) = message else { return nil }
            do throws(ProtocolError) { return .some(try assembler.accept(part)) } catch { throw error.syncError }
        }
    }

    /// A push's server: the `--files-from` list it read (`--files-from=host:FILE`), written at once after
    /// the setup, before the threads start (the client reads it before it lists anything).
    public func sendFileList(_ content: [UInt8]) throws(SyncError) {
        guard let session else { return }
        try writeBeforeStart(PeerFileList.messages(content, maxPayload: session.sendFramePayload))
    }

    /// Writes `messages` at once, on the calling thread (the writer is not running yet), a megabyte at a time.
    private func writeBeforeStart(_ messages: [Message]) throws(SyncError) {
        guard let encoder else { return }
        var batch: [UInt8] = []
        for message in messages {
            encoder.encode(message, into: &batch)
            if batch.count >= 1 << 20 {
                try writeNow(batch)
                batch.removeAll(keepingCapacity: true)
            }
        }
        if !batch.isEmpty { try writeNow(batch) }
    }

    /// A push's client: the server's `--files-from` list, read on the calling thread before the threads
    /// start. Anything else first is a protocol error; the server's abort ends the run with its status.
    public func receiveFileList() throws(SyncError) -> [UInt8] {
        var assembler = PeerFileListAssembler()
        return try receiveBeforeStart(expecting: "the server's --files-from list") { (message) throws(SyncError) in
            guard case .fileList(let part) = message else { return nil }
            do throws(ProtocolError) { return .some(try assembler.accept(part)) } catch { throw error.syncError }
        }
    }

    /// Reads messages on the calling thread until `take` returns a value: nil from it means the message is
    /// not the one expected (a protocol error), `.some(nil)` that more is to come. Keepalives and progress
    /// pass; the peer's abort ends the run with its status.
    private func receiveBeforeStart<T>(expecting what: String,
        take: (Message) throws(SyncError) -> T??) throws(SyncError) -> T
    {
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            while let message = try nextMessage() {
                madeProgress()
                switch message {
                case .keepalive, .progress: continue
                case .abort(let status, let text, let isPrefixed): throw SyncError(status, text, isPrefixed: isPrefixed)
                default:
                    guard let taken = try take(message) else {
                        throw ProtocolError(.outOfSequence, "\(message.type) message before \(what)").syncError
                    }
                    if let value = taken { return value }
                }
            }
            let count = try readSome(into: &buffer)
            if count == 0 { throw unexpectedEnd() }
            decoder.feed(buffer[..<count])
        }
    }

    // MARK: Progress

    /// A step of this side's work (a file read, a listing walked): the peer's `--timeout` sees it in our
    /// next `progress` message.
    public func noteProgress() { localCounter.add(1, ordering: .relaxed) }

    private func madeProgress() { lastProgress.store(Self.nanoseconds(), ordering: .relaxed) }

    /// What the writer sends after half the timeout of silence: our counter if it moved, else a keepalive.
    private func idleMessage() -> Message {
        let counter = localCounter.load(ordering: .relaxed)
        guard session?.capabilities.contains(.progress) ?? false, counter > counterSent else { return .keepalive }
        counterSent = counter
        return .progress(counter: counter)
    }

    // MARK: Threads

    /// Starts the reader (handing each message to `handle`, which throws to end the run) and the writer.
    /// `endOfRead` runs after the messages of each read are handled, before the reader blocks again.
    public func start(handle: @escaping (Message) throws(SyncError) -> Void, endOfRead: @escaping () -> Void = {}) {
        madeProgress()
        lastSent.store(Self.seconds(), ordering: .relaxed)
        started.store(true, ordering: .relaxed)
        let reader = UncheckedBox((handle, endOfRead))
        DispatchQueue(label: "swsync.connection.reader").async { [self] in
            readLoop(reader.value.0, endOfRead: reader.value.1)
            readerDone.signal()
        }
        DispatchQueue(label: "swsync.connection.writer").async { [self] in
            writeLoop()
            writerDone.signal()
        }
    }

    /// Queues `message`; blocks while more than 8 MiB wait to be written. `compress`: `-z` applies
    /// (file data of a name on the skip-compress list goes plain). The writer thread encodes and
    /// compresses, so the caller's thread (reading and hashing files) and the writer's overlap.
    public func send(_ message: Message, compress: Bool = true) {
        outgoingTap?(message)
        let size: Int
        switch message {
        case .delta(_, let bytes), .signature(_, let bytes): size = bytes.count + 16
        case .fileListChunk(let chunk): size = chunk.entries.reduce(32) { $0 + $1.name.count + 48 }
        case .log(let log): size = log.text.utf8.count + 16
        case .itemize(let record): size = record.name.count + 64
        default: size = 64
        }
        while true {
            // The writer takes everything queued each time it wakes, so only the first message after it
            // emptied the queue needs to wake it: fewer thread switches, and bursts go out as one write.
            let queued = outgoing.withLock { queue -> (done: Bool, wake: Bool) in
                guard queue.bytes < Self.outgoingLimit || queue.messages.isEmpty else { return (false, false) }
                let wasEmpty = queue.messages.isEmpty
                queue.messages.append((message, compress))
                queue.bytes += size
                return (true, wasEmpty)
            }
            if queued.done {
                if queued.wake { outgoingReady.signal() }
                return
            }
            if failure != nil { return }
            _ = outgoingDrained.wait(timeout: .now() + .milliseconds(20))
        }
    }

    /// Sends what is queued, then closes our direction. The peer reads end of file after it.
    public func finishSending() {
        finishSending(within: nil)
    }

    /// Sends what is queued (waiting at most `seconds`, when given: a peer that stopped reading must
    /// not hold us), then closes our direction.
    public func finishSending(within seconds: Int?) {
        outgoing.withLock { $0.closing = true }
        outgoingReady.signal()
        if started.load(ordering: .relaxed) {
            if let seconds { _ = writerDone.wait(timeout: .now() + .seconds(seconds)) } else { writerDone.wait() }
        }
        transport.closeWrite()
    }

    /// From now on end of file from the peer is the normal end, not a broken connection.
    public func expectEnd() { expectsEnd.store(true, ordering: .relaxed) }

    /// Waits until the reader has seen end of file (or failed).
    public func waitForReader() { readerDone.wait() }

    private func writeLoop() {
        var keepaliveDue = timeout > 0 ? max(1, timeout / 2) : 0
        while true {
            if keepaliveDue > 0 {
                if outgoingReady.wait(timeout: .now() + .seconds(1)) == .timedOut {
                    if Self.seconds() - lastSent.load(ordering: .relaxed) >= keepaliveDue {
                        send(idleMessage())
                    }
                    continue
                }
            } else {
                outgoingReady.wait()
            }
            // A lone small message (a request, an itemize line) usually has company a moment later:
            // wait a fraction of a millisecond so a burst goes out in one write, not one write each.
            if outgoing.withLock({ !$0.closing && $0.bytes < Self.coalesceBelow }) { usleep(Self.coalesceMicroseconds) }
            let (messages, closing) = outgoing.withLock { queue in
                defer {
                    queue.messages.removeAll(keepingCapacity: true)
                    queue.bytes = 0
                }
                return (queue.messages, queue.closing)
            }
            outgoingDrained.signal()
            var batch: [UInt8] = []
            for (message, compress) in messages {
                if batch.count >= 1 << 20 {
                    if !writeOut(batch) { return }
                    batch.removeAll(keepingCapacity: true)
                }
                guard let encoder else { continue }
                if let compressor, compress {
                    do throws(SyncError) { try encoder.encode(message, into: &batch, compressor: compressor) } catch {
                        fail(error)
                        return
                    }
                } else {
                    encoder.encode(message, into: &batch)
                }
            }
            if !batch.isEmpty && !writeOut(batch) { return }
            let empty = outgoing.withLock { $0.messages.isEmpty }
            if closing && empty { return }
            keepaliveDue = timeout > 0 ? max(1, timeout / 2) : 0
        }
    }

    private func writeOut(_ bytes: [UInt8]) -> Bool {
        // A protocol error or an abort still lets queued messages (the abort itself) out; only a
        // transport that failed stops the writer.
        if transportBroken.load(ordering: .relaxed) { return false }
        do {
            if let limiter {
                var offset = 0
                while offset < bytes.count {
                    let end = min(bytes.count, offset + limiter.pieceLength)
                    limiter.send(end - offset)
                    try writeNow(Array(bytes[offset..<end]))
                    offset = end
                }
            } else {
                try writeNow(bytes)
            }
            return true
        } catch {
            fail(error)
            return false
        }
    }

    private func writeNow(_ bytes: [UInt8]) throws(SyncError) {
        do { try transport.write(bytes) } catch {
            transportBroken.store(true, ordering: .relaxed)
            throw SyncError(ExitStatus(rawValue: error.exitCode) ?? .streamIO, error.message)
        }
        bytesSent.add(Int64(bytes.count), ordering: .relaxed)
        lastSent.store(Self.seconds(), ordering: .relaxed)
    }

    private func readSome(into buffer: inout [UInt8]) throws(SyncError) -> Int {
        let result: Result<Int, TransportError> = buffer.withUnsafeMutableBytes { raw in
            Result { () throws(TransportError) in try transport.read(into: raw) }
        }
        switch result {
        case .success(let count):
            bytesReceived.add(Int64(count), ordering: .relaxed)
            return count
        case .failure(let error):
            transportBroken.store(true, ordering: .relaxed)
            throw SyncError(ExitStatus(rawValue: error.exitCode) ?? .streamIO, error.message)
        }
    }

    private func readLoop(_ handle: (Message) throws(SyncError) -> Void, endOfRead: () -> Void) {
        var buffer = [UInt8](repeating: 0, count: 256 * 1024)
        do throws(SyncError) {
            while true {
                // Time spent handing data on (a slow disk behind a full queue) is not the peer's silence.
                readerBusy.store(true, ordering: .relaxed)
                var handled = false
                while let message = try nextMessage() {
                    switch message {
                    case .keepalive:
                        continue
                    case .progress(let counter):
                        if counter > peerCounter {
                            peerCounter = counter
                            madeProgress()
                        }
                    default:
                        try handle(message)
                        handled = true
                        localCounter.add(1, ordering: .relaxed)
                    }
                }
                endOfRead()
                if handled { madeProgress() }
                readerBusy.store(false, ordering: .relaxed)
                let count = try readSome(into: &buffer)
                if count == 0 {
                    // Before the goodbye, an end of stream is the peer gone, even inside a frame (rsync's
                    // words); after it, a frame cut short is a broken stream.
                    if !expectsEnd.load(ordering: .relaxed) { throw unexpectedEnd() }
                    do { try decoder.finishInput() } catch { throw error.syncError }
                    return
                }
                decoder.feed(buffer[..<count])
            }
        } catch {
            fail(error)
        }
    }

    /// rsync's message for a peer that went away mid-run.
    private func unexpectedEnd() -> SyncError {
        SyncError(.streamIO, "connection unexpectedly closed (\(bytesReceived.load(ordering: .relaxed)) bytes received so far) [\(roleName)]")
    }

    private func nextMessage() throws(SyncError) -> Message? {
        do { return try decoder.next(decompressor: decompressor) } catch { throw error.syncError }
    }

    private func watchTimeout() {
        // Through the end of the run too: a peer that never closes must not hold us.
        while failure == nil && !closed.load(ordering: .relaxed) {
            sleep(seconds: 1)
            if readerBusy.load(ordering: .relaxed) { continue }
            let last = lastProgress.load(ordering: .relaxed)
            let now = Self.nanoseconds()
            if now > last && now - last > UInt64(timeout) * 1_000_000_000 {
                let error = SyncError(.timeout, "[\(roleName)] io timeout after \(timeout) seconds -- exiting")
                fail(error)
                onTimeout?(error)
                return
            }
        }
    }

    /// For messages: which side this process plays.
    public var roleName = "receiver"

    static func seconds() -> Int64 { Int64(DispatchTime.now().uptimeNanoseconds / 1_000_000_000) }
    static func nanoseconds() -> UInt64 { DispatchTime.now().uptimeNanoseconds }

    private func sleep(seconds: Int) {
        _ = DispatchSemaphore(value: 0).wait(timeout: .now() + .seconds(seconds))
    }
}
