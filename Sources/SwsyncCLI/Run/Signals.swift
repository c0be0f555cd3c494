import Glibc
import Synchronization

/// SIGINT, SIGTERM and SIGHUP set this flag; the roles poll it at safe points (between files and between
/// chunks of a copy) so temp files are removed (or kept with `--partial`) before exit 20.
let interruptReceived = Atomic<Bool>(false)
/// Set with `interruptReceived` when `--stop-at`/`--stop-after`'s moment came (SIGALRM): the run stops as
/// after a signal, and ends with rsync's "stopping at requested limit" and exit 30.
let stopLimitReached = Atomic<Bool>(false)

enum Signals {
    static func install() {
        for signalNumber in [SIGINT, SIGTERM, SIGHUP] {
            signal(signalNumber) { _ in interruptReceived.store(true, ordering: .relaxed) }
        }
        signal(SIGPIPE, SIG_IGN)
    }

    static var interrupted: Bool { interruptReceived.load(ordering: .relaxed) }
    static var stoppedAtLimit: Bool { stopLimitReached.load(ordering: .relaxed) }

    /// Stops the run at `deadline` (seconds since the epoch), through the same safe points as a signal.
    static func stop(at deadline: Int) {
        signal(SIGALRM) { _ in
            stopLimitReached.store(true, ordering: .relaxed)
            interruptReceived.store(true, ordering: .relaxed)
        }
        let seconds = max(1, deadline - Int(time(nil)))
        alarm(UInt32(clamping: seconds))
    }
}
