/// rsync's exit values (rsync `errcode.h`, man page EXIT VALUES). Scripts act on these numbers.
public enum ExitStatus: Int32, Sendable {
    case success = 0
    case syntax = 1
    case protocolIncompatibility = 2
    case fileSelection = 3
    case unsupported = 4
    case startClient = 5
    case logFileAppend = 6
    case socketIO = 10
    case fileIO = 11
    case streamIO = 12
    case messageIO = 13
    case ipc = 14
    case crashed = 15
    case terminated = 16
    case signal1 = 19
    case signal = 20
    case waitChild = 21
    case malloc = 22
    case partial = 23
    case vanished = 24
    case maxDelete = 25
    case timeout = 30
    case connectTimeout = 35
    case remoteShellFailed = 124
    case remoteShellKilled = 125
    case remoteCommandNotRunnable = 126
    case remoteCommandNotFound = 127
    /// What ssh exits with when the connection or authentication fails; rsync passes it on.
    case unexplained = 255

    /// The text rsync prints after "rsync error:" (rsync `log.c`, `rerr_names`).
    public var summary: String {
        switch self {
        case .success: return "success"
        case .syntax: return "syntax or usage error"
        case .protocolIncompatibility: return "protocol incompatibility"
        case .fileSelection: return "errors selecting input/output files, dirs"
        case .unsupported: return "requested action not supported"
        case .startClient: return "error starting client-server protocol"
        case .logFileAppend: return "daemon unable to append to log-file"
        case .socketIO: return "error in socket IO"
        case .fileIO: return "error in file IO"
        case .streamIO: return "error in rsync protocol data stream"
        case .messageIO: return "errors with program diagnostics"
        case .ipc: return "error in IPC code"
        case .crashed: return "sibling process crashed"
        case .terminated: return "sibling process terminated abnormally"
        case .signal1: return "received SIGUSR1"
        case .signal: return "received SIGINT, SIGTERM, or SIGHUP"
        case .waitChild: return "waitpid() failed"
        case .malloc: return "error allocating core memory buffers"
        case .partial: return "some files/attrs were not transferred (see previous errors)"
        case .vanished: return "some files vanished before they could be transferred"
        case .maxDelete: return "the --max-delete limit stopped deletions"
        case .timeout: return "timeout in data send/receive"
        case .connectTimeout: return "timeout waiting for daemon connection"
        case .remoteShellFailed: return "remote shell failed"
        case .remoteShellKilled: return "remote shell killed"
        case .remoteCommandNotRunnable: return "remote command could not be run"
        case .remoteCommandNotFound: return "remote command not found"
        case .unexplained: return "unexplained error"
        }
    }
}

extension ExitStatus {
    /// rsync's precedence between what went wrong in the parts of one run, and between the two sides
    /// of a remote run: anything that stopped the run (a signal, a file I/O or stream error, a
    /// timeout) outranks a partial transfer (23), which outranks vanished files (24), which outrank the
    /// `--max-delete` limit (25), which is the exit code only when nothing else went wrong. Between two
    /// statuses of the same rank the first wins. The one place local runs, pushes, pulls and servers
    /// settle their status.
    public static func combined(_ statuses: ExitStatus...) -> ExitStatus {
        statuses.reduce(.success) { worst, next in next.rank > worst.rank ? next : worst }
    }

    private var rank: Int {
        switch self {
        case .success: return 0
        case .maxDelete: return 1
        case .vanished: return 2
        case .partial: return 3
        default: return 4
        }
    }
}
