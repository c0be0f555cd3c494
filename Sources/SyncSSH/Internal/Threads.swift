import Glibc

/// A pthread mutex with one condition variable. The transports' shared state sits behind one of these; the
/// waiting sides (a reader waiting for bytes, `waitForExit`) sleep on the condition.
final class ConditionLock: @unchecked Sendable {
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    private let condition: UnsafeMutablePointer<pthread_cond_t>

    init() {
        mutex = .allocate(capacity: 1)
        mutex.initialize(to: pthread_mutex_t())
        pthread_mutex_init(mutex, nil)
        condition = .allocate(capacity: 1)
        condition.initialize(to: pthread_cond_t())
        pthread_cond_init(condition, nil)
    }

    deinit {
        pthread_cond_destroy(condition)
        pthread_mutex_destroy(mutex)
        condition.deallocate()
        mutex.deallocate()
    }

    func withLock<R, E: Error>(_ body: () throws(E) -> R) throws(E) -> R {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body()
    }

    /// Sleeps until signalled; call only inside `withLock`.
    func wait() { pthread_cond_wait(condition, mutex) }

    /// Wakes every waiter; call inside `withLock`.
    func broadcast() { pthread_cond_broadcast(condition) }
}

/// Starts a detached-by-default pthread running `body`, so that blocking libssh and `read(2)` calls stay off the
/// Swift concurrency pool (as swift-subprocess runs its own pthread for I/O on Linux).
@discardableResult
func startThread(join: Bool = false, _ body: @escaping @Sendable () -> Void) -> pthread_t? {
    final class Box {
        let body: @Sendable () -> Void
        init(_ body: @escaping @Sendable () -> Void) { self.body = body }
    }
    let context = Unmanaged.passRetained(Box(body)).toOpaque()
    var thread = pthread_t()
    let rc = pthread_create(
        &thread, nil,
        { context in
            let box = Unmanaged<Box>.fromOpaque(context!).takeRetainedValue()
            box.body()
            return nil
        }, context)
    if rc != 0 {
        // No thread: run inline rather than lose the work (only under resource exhaustion).
        Unmanaged<Box>.fromOpaque(context).takeRetainedValue().body()
        return nil
    }
    if !join {
        pthread_detach(thread)
        return nil
    }
    return thread
}

/// A FIFO of bytes that grows at the tail and is consumed from the head, compacting as it goes.
struct ByteQueue {
    private var storage: [UInt8] = []
    private var head = 0

    var count: Int { storage.count - head }
    var isEmpty: Bool { count == 0 }

    mutating func append(_ bytes: UnsafeRawBufferPointer) {
        storage.append(contentsOf: bytes)
    }

    /// Copies up to `buffer.count` bytes out without removing them.
    func peek(into buffer: UnsafeMutableRawBufferPointer) -> Int {
        let n = min(buffer.count, count)
        if n > 0 {
            storage.withUnsafeBytes { source in
                buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: source[head..<(head + n)]))
            }
        }
        return n
    }

    mutating func drop(_ n: Int) {
        head += n
        if head == storage.count {
            storage.removeAll(keepingCapacity: true)
            head = 0
        } else if head >= 64 * 1024 && head * 2 >= storage.count {
            storage.removeFirst(head)
            head = 0
        }
    }

    mutating func take(into buffer: UnsafeMutableRawBufferPointer) -> Int {
        let n = peek(into: buffer)
        drop(n)
        return n
    }

    mutating func removeAll() {
        storage.removeAll()
        head = 0
    }
}

/// Cuts a byte stream into lines for a ``StderrLineHandler``.
struct LineSplitter {
    private var pending: [UInt8] = []

    mutating func feed(_ bytes: UnsafeRawBufferPointer, _ emit: ([UInt8]) -> Void) {
        var start = 0
        for (offset, byte) in bytes.enumerated() where byte == UInt8(ascii: "\n") {
            pending.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[start..<offset]))
            emit(pending)
            pending.removeAll(keepingCapacity: true)
            start = offset + 1
        }
        if start < bytes.count {
            pending.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[start...]))
        }
    }

    mutating func finish(_ emit: ([UInt8]) -> Void) {
        if !pending.isEmpty {
            emit(pending)
            pending.removeAll()
        }
    }
}

/// Writes raw stderr bytes to our own fd 2 (for ``StderrDestination/inherit`` on the libssh transport).
func writeToStandardError(_ bytes: UnsafeRawBufferPointer) {
    var offset = 0
    while offset < bytes.count {
        let n = Glibc.write(2, bytes.baseAddress! + offset, bytes.count - offset)
        if n < 0 {
            if errno == EINTR { continue }
            return
        }
        offset += n
    }
}

/// The text of `errno` value `code`.
func errnoText(_ code: Int32) -> String {
    String(cString: strerror(code))
}
