import Dispatch
import Synchronization

/// Runs receiver writes on a few threads (`--jobs`), so several files are copied at once while the
/// generator goes on checking the next ones. At most `capacity` jobs are queued or running; `submit`
/// blocks beyond that. `threads` 1 runs one job at a time, in submission order (a remote run's data
/// arrives in request order).
///
/// Each thread is a serial dispatch queue taking jobs from one shared queue: libdispatch runs a
/// concurrent queue's blocks on at most one thread per core, and a writer blocked on the disk would hold
/// a core's share of the writes back.
final class CopyWorkers<Job: Sendable, Output: Sendable>: Sendable {
    private let state: State
    private let slots: DispatchSemaphore
    private let threads: Int

    init(capacity: Int, threads: Int, work: @escaping @Sendable (Job) -> Output) {
        state = State(work: work)
        slots = DispatchSemaphore(value: max(capacity, 1))
        self.threads = max(threads, 1)
        for index in 0..<self.threads {
            let state = self.state, slots = self.slots
            DispatchQueue(label: "swsync.receiver.copy.\(index)").async { state.serve(slots: slots) }
        }
    }

    /// The threads stop once the queue is empty (every job submitted has run: `drain` waited for them,
    /// or they finish on their own).
    deinit {
        state.stop(threads: threads)
    }

    func submit(_ job: Job) {
        slots.wait()
        state.add(job)
    }

    /// Outputs of the jobs finished so far.
    func takeFinished() -> [Output] {
        state.finished.withLock { outputs in
            defer { outputs.removeAll(keepingCapacity: true) }
            return outputs
        }
    }

    /// Waits for every submitted job, then returns the outputs not yet taken.
    func drain() -> [Output] {
        state.running.wait()
        return takeFinished()
    }

    /// What the threads share; it outlives `CopyWorkers` until the last thread has stopped.
    private final class State: Sendable {
        let finished = Mutex<[Output]>([])
        let running = DispatchGroup()
        private let queue = Mutex(FirstInFirstOut<Job>())
        private let available = DispatchSemaphore(value: 0)
        private let work: @Sendable (Job) -> Output

        init(work: @escaping @Sendable (Job) -> Output) { self.work = work }

        func add(_ job: Job) {
            running.enter()
            queue.withLock { $0.append(job) }
            available.signal()
        }

        /// One wake-up per thread beyond the jobs: a thread that wakes to an empty queue stops.
        func stop(threads: Int) {
            for _ in 0..<threads { available.signal() }
        }

        /// One thread's loop: the next job in submission order, until stopped with nothing left.
        func serve(slots: DispatchSemaphore) {
            while true {
                available.wait()
                guard let job = queue.withLock({ $0.popFirst() }) else {
                    // Only a stop wakes a thread with nothing queued (each job signals once).
                    return
                }
                let output = work(job)
                finished.withLock { $0.append(output) }
                slots.signal()
                running.leave()
            }
        }
    }
}

/// A flag set once by any thread and read by all (a full disk that stops the queued writes).
final class StopFlag: Sendable {
    private let value = Atomic<Bool>(false)

    var isSet: Bool { value.load(ordering: .acquiring) }

    func set() { value.store(true, ordering: .releasing) }
}
