import SyncCore
import Synchronization

/// A `TransferObserver` that keeps everything it is told, for tests to assert on: itemized changes,
/// deletions, messages and progress. Thread-safe; `interrupt()` makes the run stop as after SIGINT.
public final class RecordingObserver: TransferObserver, Sendable {
    /// What was reported, in order.
    public enum Event: Sendable, Equatable {
        case item(String)
        case deleted(String)
        case info(String)
        case error(String)
    }

    private struct Record {
        var items: [ItemizedChange] = []
        var events: [Event] = []
        var started: [[UInt8]] = []
        var interrupted = false
    }

    private let record = Mutex(Record())

    public init() {}

    /// Every itemized change, as `%i %n%L` renders it: `>f+++++++++ a`, `cL+++++++++ l -> a`,
    /// `hf+++++++++ b => a`, `cd+++++++++ ./`. Unchanged entries are included (rsync shows them at `-ii`).
    public var lines: [String] { record.withLock { $0.items.map(Self.line) } }

    /// The lines rsync's `-i` shows: items with a significant flag, and hard links (`=>`).
    public var changes: [String] {
        record.withLock { record in
            record.items.filter { !$0.flags.intersection(.significant).isEmpty || $0.hardLinkLeader != nil }
                .map(Self.line)
        }
    }

    public var items: [ItemizedChange] { record.withLock { $0.items } }

    /// Deleted names as rsync's `deleting NAME` lines show them (directories with a slash).
    public var deletions: [String] {
        record.withLock { record in
            record.events.compactMap { event in
                if case .deleted(let name) = event { return name }
                return nil
            }
        }
    }

    public var errors: [String] {
        record.withLock { record in
            record.events.compactMap { event in
                if case .error(let text) = event { return text }
                return nil
            }
        }
    }

    public var infos: [String] {
        record.withLock { record in
            record.events.compactMap { event in
                if case .info(let text) = event { return text }
                return nil
            }
        }
    }

    public var events: [Event] { record.withLock { $0.events } }

    /// Names whose data transfer started (`transferStarted`), in order.
    public var transfersStarted: [String] {
        record.withLock { $0.started.map { String(decoding: $0, as: UTF8.self) } }
    }

    /// From now on the run sees SIGINT.
    public func interrupt() { record.withLock { $0.interrupted = true } }

    static func line(_ item: ItemizedChange) -> String {
        var text = item.itemizeString + " " + String(decoding: item.displayName, as: UTF8.self)
        if let target = item.symlinkTarget { text += " -> " + String(decoding: target, as: UTF8.self) }
        if let leader = item.hardLinkLeader { text += " => " + String(decoding: leader, as: UTF8.self) }
        return text
    }

    // MARK: TransferObserver

    public func report(_ item: ItemizedChange) {
        record.withLock { record in
            record.items.append(item)
            record.events.append(.item(Self.line(item)))
        }
    }

    public func reportDeletion(name: [UInt8], kind: FileKind) {
        let shown = String(decoding: name, as: UTF8.self) + (kind == .directory ? "/" : "")
        record.withLock { $0.events.append(.deleted(shown)) }
    }

    public func info(_ text: String) { record.withLock { $0.events.append(.info(text)) } }

    public func error(_ text: String, role: Role?) { record.withLock { $0.events.append(.error(text)) } }

    public func transferStarted(name: [UInt8], size: Int64) { record.withLock { $0.started.append(name) } }

    public func transferProgress(bytes: Int64) {}

    public func transferFinished(bytes: Int64) {}

    public var isInterrupted: Bool { record.withLock { $0.interrupted } }

    public var interruptCheck: @Sendable () -> Bool { { [self] in self.isInterrupted } }
}
