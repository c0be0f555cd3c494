import Dispatch
import Synchronization

/// Runs receiver writes on a few threads, so several files are copied at once while the generator
/// goes on checking the next ones. At most `capacity` jobs are in flight; `submit` blocks beyond that.
/// `serial`: one job at a time, in submission order (a remote run's data arrives in request order).
final class CopyWorkers<Job: Sendable, Output: Sendable>: Sendable {
    private let queue: DispatchQueue
    private let group = DispatchGroup()
    private let slots: DispatchSemaphore
    private let finished = Mutex<[Output]>([])
    private let work: @Sendable (Job) -> Output

    init(capacity: Int, serial: Bool = false, work: @escaping @Sendable (Job) -> Output) {
        queue = DispatchQueue(label: "swsync.receiver.copy", attributes: serial ? [] : .concurrent)
        self.slots = DispatchSemaphore(value: capacity)
        self.work = work
    }

    func submit(_ job: Job) {
        slots.wait()
        group.enter()
        queue.async { [self] in
            let output = work(job)
            finished.withLock { $0.append(output) }
            slots.signal()
            group.leave()
        }
    }

    /// Outputs of the jobs finished so far.
    func takeFinished() -> [Output] {
        finished.withLock { outputs in
            defer { outputs.removeAll(keepingCapacity: true) }
            return outputs
        }
    }

    /// Waits for every submitted job, then returns the outputs not yet taken.
    func drain() -> [Output] {
        group.wait()
        return takeFinished()
    }
}

/// A flag set once by any thread and read by all (a full disk that stops the queued writes).
final class StopFlag: Sendable {
    private let value = Atomic<Bool>(false)

    var isSet: Bool { value.load(ordering: .acquiring) }

    func set() { value.store(true, ordering: .releasing) }
}
