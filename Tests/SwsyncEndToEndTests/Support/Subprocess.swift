import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// How a child process ended.
enum Termination: Equatable, Sendable, CustomStringConvertible {
    case exited(Int32)
    case signaled(Int32)
    /// Killed by the harness after its time limit.
    case timedOut(seconds: Double)

    var exitCode: Int32? {
        if case .exited(let code) = self { return code }
        return nil
    }

    var description: String {
        switch self {
        case .exited(let code): return "exit \(code)"
        case .signaled(let signal): return "killed by signal \(signal)"
        case .timedOut(let seconds): return "timed out after \(seconds)s (killed by the harness)"
        }
    }
}

/// What a finished child printed and how it ended.
struct ProcessOutput: Sendable {
    var termination: Termination
    var stdout: [UInt8]
    var stderr: [UInt8]

    var stdoutText: String { String(decoding: stdout, as: UTF8.self) }
    var stderrText: String { String(decoding: stderr, as: UTF8.self) }
}

/// A running child started with `posix_spawn`; stdout and stderr go to files so that nothing can block on a pipe.
///
/// Foundation's `Process` would do, but a raw pid makes `SIGTERM` tests and time limits straightforward.
final class Subprocess {
    let pid: pid_t
    private let stdoutPath: String
    private let stderrPath: String
    private var finished: Termination?

    /// The environment children get: ours without `RSYNC_*` variables, in a fixed UTF-8 locale.
    static let childEnvironment: [String] = {
        var env = ProcessInfo.processInfo.environment.filter { key, _ in
            !key.hasPrefix("RSYNC_") && !key.hasPrefix("LC_") && key != "LANG" && key != "LANGUAGE"
        }
        env["LC_ALL"] = "C.UTF-8"
        return env.map { "\($0.key)=\($0.value)" }.sorted()
    }()

    /// Starts `executable` with `arguments` (argv[1...]) in `directory`.
    ///
    /// - Parameter outputPrefix: path prefix for the `.stdout` / `.stderr` capture files.
    init(
        executable: String,
        arguments: [String],
        directory: String,
        outputPrefix: String?,
        environment: [String] = Subprocess.childEnvironment
    ) throws {
        stdoutPath = outputPrefix.map { $0 + ".stdout" } ?? "/dev/null"
        stderrPath = outputPrefix.map { $0 + ".stderr" } ?? "/dev/null"

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, stdoutPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_addopen(&actions, 2, stderrPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard Subprocess.addChdir(&actions, directory) == 0 else {
            throw HarnessError("posix_spawn_file_actions_addchdir_np(\(directory)) failed")
        }

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        // Children start with default signal dispositions and an empty mask, whatever the test runner did.
        var defaults = sigset_t()
        sigfillset(&defaults)
        var empty = sigset_t()
        sigemptyset(&empty)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setsigmask(&attributes, &empty)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))

        let argv = [executable] + arguments
        var cArgv: [UnsafeMutablePointer<CChar>?] = argv.map { strdup($0) } + [nil]
        var cEnv: [UnsafeMutablePointer<CChar>?] = environment.map { strdup($0) } + [nil]
        defer {
            for pointer in cArgv { free(pointer) }
            for pointer in cEnv { free(pointer) }
        }
        var child: pid_t = 0
        let rc = posix_spawn(&child, executable, &actions, &attributes, &cArgv, &cEnv)
        guard rc == 0 else {
            throw HarnessError("posix_spawn(\(executable)) failed: \(String(cString: strerror(rc)))")
        }
        pid = child
    }

    /// Sends `signal` to the child if it has not been reaped yet.
    func send(_ signal: Int32) {
        if finished == nil { kill(pid, signal) }
    }

    /// Non-blocking check; returns the termination once the child has exited.
    func poll() -> Termination? {
        if let finished { return finished }
        var status: Int32 = 0
        let rc = waitpid(pid, &status, WNOHANG)
        if rc == pid {
            finished = Subprocess.decode(status)
        }
        return finished
    }

    /// Waits for the child, killing it with SIGKILL after `timeout` seconds.
    func wait(timeout: Double = Subprocess.defaultTimeout) -> ProcessOutput {
        let start = Date()
        var nap: useconds_t = 500
        var termination: Termination
        while true {
            if let done = poll() {
                termination = done
                break
            }
            let elapsed = Date().timeIntervalSince(start)
            if elapsed > timeout {
                kill(pid, SIGKILL)
                var status: Int32 = 0
                _ = waitpid(pid, &status, 0)
                termination = .timedOut(seconds: timeout)
                finished = termination
                break
            }
            usleep(nap)
            nap = min(nap * 2, 20_000)
        }
        return ProcessOutput(
            termination: termination,
            stdout: stdoutPath == "/dev/null" ? [] : (try? readAllBytes(stdoutPath)) ?? [],
            stderr: stderrPath == "/dev/null" ? [] : (try? readAllBytes(stderrPath)) ?? []
        )
    }

    /// Generous: a debug build copying a few MiB should take well under a second.
    static let defaultTimeout: Double = 60

    /// Runs a command to completion.
    static func run(
        _ executable: String,
        _ arguments: [String],
        in directory: String,
        outputPrefix: String?,
        timeout: Double = defaultTimeout
    ) throws -> ProcessOutput {
        try Subprocess(executable: executable, arguments: arguments, directory: directory, outputPrefix: outputPrefix)
            .wait(timeout: timeout)
    }

    private static func decode(_ status: Int32) -> Termination {
        // WIFEXITED / WEXITSTATUS / WTERMSIG are macros Swift cannot import.
        let signal = status & 0x7f
        if signal == 0 { return .exited((status >> 8) & 0xff) }
        return .signaled(signal)
    }

    /// `posix_spawn_file_actions_addchdir_np` (glibc 2.29+) is not imported into Swift, so look it up at run time.
    private static func addChdir(_ actions: UnsafeMutablePointer<posix_spawn_file_actions_t>, _ dir: String) -> Int32 {
        typealias AddChdir = @convention(c) (
            UnsafeMutablePointer<posix_spawn_file_actions_t>, UnsafePointer<CChar>
        ) -> Int32
        guard let symbol = addChdirSymbol else { return -1 }
        let function = unsafeBitCast(symbol, to: AddChdir.self)
        return dir.withCString { function(actions, $0) }
    }

    private nonisolated(unsafe) static let addChdirSymbol: UnsafeMutableRawPointer? = dlsym(
        UnsafeMutableRawPointer(bitPattern: 0),  // RTLD_DEFAULT
        "posix_spawn_file_actions_addchdir_np"
    )
}

/// A failure of the test harness itself (not of the program under test).
struct HarnessError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
