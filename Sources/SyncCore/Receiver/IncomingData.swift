import Dispatch
import Synchronization

/// File data from a sender in another process, in the order the generator asked for it: the
/// connection's reader thread pushes each piece of a file's delta stream and its end; the receiver's
/// single writer takes them in the same order. A bounded queue, so a slow disk slows the reader (and
/// through the socket, the sender) instead of filling memory.
public final class IncomingData: Sendable {
    public enum Outcome: Sendable, Equatable {
        case complete
        /// The sender could not open the file any more (it reported "file has vanished").
        case vanished
        /// The sender could not read it (it reported why).
        case failed
    }

    public enum Event: Sendable {
        case piece(fileIndex: Int, bytes: [UInt8])
        case end(fileIndex: Int, outcome: Outcome)
    }

    private struct State {
        var events = FirstInFirstOut<Event>()
        var failure: SyncError?
        /// The writer sleeps on `available`, the reader on `space`; each is woken only when asleep, so a
        /// busy pair exchanges events without a system call each.
        var consumerWaiting = false
        var producerWaiting = false
        /// Data bytes waiting, bounded as well as the events (a piece may be up to a frame).
        var bytes = 0
        var count: Int { events.count }
    }

    private let state = Mutex(State())
    private let available = DispatchSemaphore(value: 0)
    private let space = DispatchSemaphore(value: 0)
    private let capacity: Int

    public init(capacity: Int = 64) {
        self.capacity = capacity
    }

    /// At most this many data bytes wait for the writer.
    static var byteCapacity: Int { 16 << 20 }

    /// Called by the reader thread; blocks while `capacity` events wait.
    public func push(_ event: Event) { push(contentsOf: [event]) }

    /// Hands over several events at once (all that one read of the socket brought).
    public func push(contentsOf batch: [Event]) {
        guard !batch.isEmpty else { return }
        let (wake, full) = state.withLock { state in
            // After a failure nobody reads the rest: drop it rather than keep it.
            guard state.failure == nil else { return (false, false) }
            state.events.append(contentsOf: batch)
            for case .piece(_, let bytes) in batch { state.bytes += bytes.count }
            let wake = state.consumerWaiting
            state.consumerWaiting = false
            let full = state.count >= capacity || state.bytes >= Self.byteCapacity
            if full { state.producerWaiting = true }
            return (wake, full)
        }
        if wake { available.signal() }
        if full { space.wait() }
    }

    /// The connection broke or the peer misbehaved: every waiting and later `next()` gets `error`.
    public func fail(_ error: SyncError) {
        let (wakeConsumer, wakeProducer) = state.withLock { state in
            if state.failure == nil { state.failure = error }
            defer {
                state.consumerWaiting = false
                state.producerWaiting = false
            }
            return (state.consumerWaiting, state.producerWaiting)
        }
        if wakeConsumer { available.signal() }
        if wakeProducer { space.signal() }
    }

    public var failure: SyncError? { state.withLock { $0.failure } }

    /// The next event, or the failure once nothing is left to take.
    func next() -> Result<Event, SyncError> {
        while true {
            let (taken, wakeProducer): (Result<Event, SyncError>?, Bool) = state.withLock { state in
                if let event = state.events.popFirst() {
                    if case .piece(_, let bytes) = event { state.bytes -= bytes.count }
                    let wake = state.producerWaiting && state.count <= capacity / 2
                        && state.bytes <= Self.byteCapacity / 2
                    if wake { state.producerWaiting = false }
                    return (.success(event), wake)
                }
                if let failure = state.failure { return (.failure(failure), false) }
                state.consumerWaiting = true
                return (nil, false)
            }
            if wakeProducer { space.signal() }
            if let taken { return taken }
            available.wait()
        }
    }
}

/// What a write of a remote run needs beyond the local job: which file to take from `incoming`, and
/// the signature of the basis that was sent with the request (nil: the file comes whole).
public struct RemoteFileData: Sendable {
    public var fileIndex: Int
    public var signature: Signature?
    public var incoming: IncomingData
    /// The size the file list gave: small files are rebuilt without a thread of their own.
    public var expectedSize: Int64

    public init(fileIndex: Int, signature: Signature?, incoming: IncomingData, expectedSize: Int64) {
        self.fileIndex = fileIndex
        self.signature = signature
        self.incoming = incoming
        self.expectedSize = expectedSize
    }
}
