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
        var events: [Event] = []
        var head = 0
        var failure: SyncError?
    }

    private let state = Mutex(State())
    private let available = DispatchSemaphore(value: 0)
    private let slots: DispatchSemaphore

    public init(capacity: Int = 64) {
        slots = DispatchSemaphore(value: capacity)
    }

    /// Called by the reader thread; blocks while `capacity` events wait.
    public func push(_ event: Event) {
        slots.wait()
        state.withLock { $0.events.append(event) }
        available.signal()
    }

    /// The connection broke or the peer misbehaved: every waiting and later `next()` gets `error`.
    public func fail(_ error: SyncError) {
        let first = state.withLock { state in
            defer { if state.failure == nil { state.failure = error } }
            return state.failure == nil
        }
        if first { available.signal() }
    }

    public var failure: SyncError? { state.withLock { $0.failure } }

    /// The next event, or the failure once nothing is left to take.
    func next() -> Result<Event, SyncError> {
        while true {
            if let failure = state.withLock({ $0.head == $0.events.count ? $0.failure : nil }) {
                return .failure(failure)
            }
            available.wait()
            let event: Event? = state.withLock { state in
                guard state.head < state.events.count else { return nil }
                let event = state.events[state.head]
                state.head += 1
                if state.head > 64 && state.head * 2 > state.events.count {
                    state.events.removeFirst(state.head)
                    state.head = 0
                }
                return event
            }
            if let event {
                slots.signal()
                return .success(event)
            }
        }
    }
}

/// What a write of a remote run needs beyond the local job: which file to take from `incoming`, and
/// the signature of the basis that was sent with the request (nil: the file comes whole).
public struct RemoteFileData: Sendable {
    public var fileIndex: Int
    public var signature: Signature?
    public var incoming: IncomingData

    public init(fileIndex: Int, signature: Signature?, incoming: IncomingData) {
        self.fileIndex = fileIndex
        self.signature = signature
        self.incoming = incoming
    }
}
