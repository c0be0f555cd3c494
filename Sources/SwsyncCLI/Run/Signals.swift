import Glibc
import Synchronization

/// SIGINT, SIGTERM and SIGHUP set this flag; the roles poll it at safe points (between files and between
/// chunks of a copy) so temp files are removed (or kept with `--partial`) before exit 20.
let interruptReceived = Atomic<Bool>(false)

enum Signals {
    static func install() {
        for signalNumber in [SIGINT, SIGTERM, SIGHUP] {
            signal(signalNumber) { _ in interruptReceived.store(true, ordering: .relaxed) }
        }
        signal(SIGPIPE, SIG_IGN)
    }

    static var interrupted: Bool { interruptReceived.load(ordering: .relaxed) }
}
