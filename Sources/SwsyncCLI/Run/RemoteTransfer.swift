import Glibc
import SyncCore
import SyncRemote
import SyncSSH

/// A transfer with a remote end: starts `swsync --server ...` on the peer through libssh or the `-e`
/// command, runs this side's roles, and prints what rsync's client prints.
enum RemoteTransfer {
    /// `[USER@]HOST:PATH`, split.
    struct RemoteSpec {
        var user: String?
        var host: String
        var path: String

        init?(_ argument: String) {
            guard RemotePath.isRemote(argument), let colon = argument.firstIndex(of: ":") else { return nil }
            var hostPart = String(argument[..<colon])
            path = String(argument[argument.index(after: colon)...])
            if let at = hostPart.lastIndex(of: "@") {
                user = String(hostPart[..<at])
                hostPart = String(hostPart[hostPart.index(after: at)...])
            }
            host = hostPart
            if path.isEmpty { path = "." }
        }
    }

    /// Options the peer must not get: the transport, the client's own output, and files only the
    /// client can read (their contents go along instead).
    static let clientOnly: Set<String> = [
        "rsh", "rsync-path", "log-file", "log-file-format", "progress", "stats", "human-readable", "8-bit-output",
        "list-only", "info", "out-format", "files-from", "contimeout", "partial-progress",
        "stop-after", "time-limit", "stop-at", "remote-option", "munge-links", "ipv4", "ipv6", "blocking-io",
        // Applies to the end it is given to (rsync forwards neither; `-M` sends them on purpose).
        "drop-D", "insecure-links", "confine-root", "fake-super", "copy-as",
        // The client records or replays a batch; the peer runs as usual.
        "write-batch", "only-write-batch", "read-batch",
    ]

    /// The filter options: they travel in the run's setup, in order, with the files they read, never on the
    /// peer's command line (a rules file may hold anything, quotes and NULs included).
    static let filterOptions: Set<String> = ["exclude", "include", "exclude-from", "include-from", "filter", "F",
        "cvs-exclude"]

    /// What the peer gets after the hello: the filter rules and the files they read (read here, once), and
    /// for a pull with `--files-from` its source arguments. Nothing of it goes on a command line.
    static func setup(options: SyncOptions, localSources: [[UInt8]], remoteSources: [[UInt8]]?)
        throws(SyncError) -> RemoteRun.Setup
    {
        var setup = try RunFilters.setup(options: options, sources: localSources) { (path) throws(SyncError) in
            try FilterSetup.readRulesFile(path, trust: options.symlinkTrust)
        }
        setup.sources = remoteSources
        if let problem = setup.problem() { throw SyncError(.unsupported, "the peer cannot be given this run: \(problem)") }
        return setup
    }

    static func run(command: ParsedCommandLine, options: SyncOptions, sources: [String], destination: String,
        observer: ConsoleObserver, recorder: BatchRecorder? = nil) -> (RemoteRun.Outcome, pushes: Bool)?
    {
        var options = options
        let remoteSources = sources.compactMap(RemoteSpec.init)
        let remoteDestination = RemoteSpec(destination)
        if remoteDestination != nil && !remoteSources.isEmpty {
            _ = SwsyncCommand.fail(SyncError(.syntax, "The source and destination cannot both be remote."))
            return nil
        }
        if !remoteSources.isEmpty && remoteSources.count != sources.count {
            _ = SwsyncCommand.fail(SyncError(.syntax, "The source and destination cannot both be local when some sources are remote."))
            return nil
        }
        let pushes = remoteDestination != nil
        let spec = remoteDestination ?? remoteSources[0]
        if remoteSources.contains(where: { $0.host != spec.host || $0.user != spec.user }) {
            _ = SwsyncCommand.fail(SyncError(.syntax, "all remote sources must be on the same host"))
            return nil
        }
        var remotePaths = pushes ? [spec.path] : remoteSources.map(\.path)
        if command.oldArgs && !pushes {
            remotePaths = remotePaths.flatMap { $0.split(separator: " ").map(String.init) }
        }
        let fileList = options.filesFrom.map(FilesFromLocation.init)
        if let refusal = fileList?.refusal(transferHost: (spec.user.map { $0 + "@" } ?? "") + spec.host) {
            SwsyncCommand.writeStderr(refusal + "\n")
            _ = SwsyncCommand.fail(SyncError(.syntax, ""), quietMessage: true)
            return nil
        }
        let localList: String? = if case .local(let path) = fileList { path } else { nil }
        let remoteCommand: [String]
        let runSetup: RemoteRun.Setup
        do {
            // A pull's local --files-from list is read here; its names go to the peer in the setup, as its
            // source arguments (under -R), not on its command line. A remote list is the peer's to read.
            let listed = try (pushes ? nil : localList).map { (list) throws(SyncError) in
                try FilterSetup.expandFilesFrom(list, source: Array(spec.path.utf8), options: options, forwarded: true)
            }
            runSetup = try setup(options: options, localSources: (pushes ? sources : [destination]).map { Array($0.utf8) },
                remoteSources: listed)
            remoteCommand = serverCommand(command: command, options: options, sends: !pushes, paths: remotePaths)
        } catch {
            _ = SwsyncCommand.fail(error)
            return nil
        }
        let transport: any RemoteTransport
        do throws(TransportError) {
            transport = try connect(spec, options: options, remoteCommand: remoteCommand) { observer.info($0) }
        } catch {
            let status = ExitStatus(rawValue: error.exitCode) ?? .unexplained
            return (RemoteRun.Outcome(status: status, error: SyncError(status, error.message), stats: TransferStats()),
                pushes)
        }
        Transfer.announceFileList(options: options, receiving: !pushes, observer: observer)
        // --copy-as: the connection is made with this user's identity and keys, the copy with the one named.
        if command.copyAs != nil {
            if SwsyncCommand.becomeCopyAsUser(command) != nil { return nil }
            SwsyncCommand.adoptIdentity(&options, fakeSuper: options.fakeSuper, superUser: options.superUser)
        }
        var client = RemoteRun.Client(setup: runSetup, observer: observer,
            progressCounts: { observer.progressCounts = $0 }, isInterrupted: { Signals.interrupted },
            onTimeout: SwsyncCommand.endOnTimeout)
        client.recorder = recorder
        client.peerReadsFileList = fileList?.isRemote ?? false
        if pushes {
            var sourcePaths = sources.map { Array($0.utf8) }
            if fileList?.isRemote == true {
                // The peer sends the list after the hello; its names are cleaned as a local list's.
                let base = sourcePaths[0]
                client.sourcesFromPeerList = { content in
                    FilterSetup.sources(listed: FileListNames.forwardedEntries(content, fromZero: options.fromZero),
                        under: base, options: options)
                }
            } else if let list = localList {
                do { sourcePaths = try FilterSetup.expandFilesFrom(list, source: sourcePaths[0], options: options) } catch {
                    _ = SwsyncCommand.fail(error)
                    return nil
                }
            }
            return (RemoteRun.push(transport: transport, sources: sourcePaths, options: options, client: client), true)
        }
        return (RemoteRun.pull(transport: transport, destination: Array(destination.utf8), options: options,
            client: client), false)
    }

    /// The peer's command line: `swsync --server [--sender] OPTIONS . PATH...`, each word quoted for its
    /// shell (a leading `~` stays outside the quotes so the shell expands it).
    static func serverCommand(command: ParsedCommandLine, options: SyncOptions, sends: Bool, paths: [String],
        listsOnly: Bool = false) -> [String]
    {
        var words = [options.rsyncPath ?? "swsync", "--server"]
        if sends { words.append("--sender") }
        // A listing without -r shows a directory's contents, one level (rsync's implied --dirs).
        if listsOnly && !options.recursive { words.append("--dirs") }
        for (name, word) in command.optionWords {
            switch name {
            case _ where filterOptions.contains(name):
                continue
            case "partial-progress":
                words.append("--partial")
            case "only-write-batch" where !sends:
                // A receiving peer asks for the data (the client records it) and writes nothing, as rsync's.
                words.append("--only-write-batch=X")
            case "super":
                continue  // below: only the receiving end's counts
            case "iconv":
                continue  // below: the peer is told its part alone
            case "files-from":
                // A list on the peer's host is the peer's to read (`HOST:` dropped; rsync passes it so).
                if case .remote(_, let path) = FilesFromLocation(options.filesFrom ?? "") {
                    words.append("--files-from=" + path)
                }
                // Otherwise the client expands the list into its sources; the peer needs the flags it implied.
                if options.relative { words.append("--relative") }
                if options.dirs { words.append("--dirs") }
                if !options.recursive { words.append("--no-recursive") }
            default:
                if !clientOnly.contains(name) { words.append(word) }
            }
        }
        // rsync passes --super to a receiving peer only; --no-super stays with the client, like the sender's.
        if options.superUser == true && !sends { words.append("--super") }
        // --iconv=LOCAL,REMOTE: the peer converts with REMOTE (rsync's server_options).
        if let peer = options.peerCharset { words.append("--iconv=" + peer) }
        // --info=mount: the peer's lister and generator print the -x lines (rsync's server_options passes it).
        if let mount = options.infoMount { words.append("--info=mount\(mount)") }
        // -M: passed on as given (rsync's remote options, also what the client does not forward).
        words += command.remoteOptions
        // The server reports each itemized change only when this client shows or logs it.
        if options.effectiveOutFormat != nil || options.logFile != nil { words.append("--server-items") }
        if options.reportsFileChecksums && !sends { words.append("--server-items-after-writes") }
        // rsync's default for a remote run is the delta algorithm; both ends must agree.
        if options.wholeFile == nil { words.append("--no-whole-file") }
        words.append(".")
        words += paths
        return [words[0]] + words.dropFirst().map(shellQuoted)
    }

    static func shellQuoted(_ word: String) -> String {
        let safe = word.allSatisfy { $0.isLetter || $0.isNumber || "-_=./,:@%+".contains($0) }
        if safe && !word.isEmpty { return word }
        // `~` and `~/` stay bare so the remote shell expands them; the rest is quoted.
        if word == "~" { return word }
        if word.hasPrefix("~/") { return "~/" + (word.count > 2 ? shellQuoted(String(word.dropFirst(2))) : "") }
        return "'" + word.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }

    /// rsync's `print_child_argv`: each word, in double quotes when it holds more than letters, digits and
    /// `,.-_=+@/`, then the count.
    static func openingLine(_ argv: [String]) -> String {
        let plain = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789,.-_=+@/")
        let words = argv.map { word in word.allSatisfy(plain.contains) ? word + " " : "\"" + word + "\" " }
        return "opening connection using: " + words.joined() + " (\(argv.count) args)"
    }

    /// `announce` hears rsync's `-vv` "opening connection using: ..." line for a remote-shell command.
    static func connect(_ spec: RemoteSpec, options: SyncOptions, remoteCommand: [String],
        announce: (String) -> Void = { _ in }) throws(TransportError) -> any RemoteTransport
    {
        var environment: [String: String] = [:]
        for name in ["RSYNC_RSH", "SWSYNC_SSH_CONFIG", "SWSYNC_SSH_DIR", "SWSYNC_SSH_KNOWN_HOSTS"] {
            if let value = getenv(name) { environment[name] = String(cString: value) }
        }
        // Without -e or RSYNC_RSH the built-in libssh client connects; with them, the command does.
        if let shell = options.remoteShell ?? environment[RemoteShellCommand.environmentVariable], !shell.isEmpty {
            let argv = try RemoteShellCommand.arguments(command: shell, user: spec.user, host: spec.host,
                remoteCommand: remoteCommand, addressFamily: options.addressFamily)
            if options.verbose > 1 || options.debugCommand > 0 { announce(Self.openingLine(argv)) }
            return try RemoteShellTransport(arguments: argv)
        }
        var ssh = SSHOptions(host: spec.host, user: spec.user)
        if let family = options.addressFamily { ssh.addressFamily = family == "-6" ? .ipv6 : .ipv4 }
        ssh.applyEnvironment(environment)
        ssh.connectTimeout = options.contimeout
        return try SSHTransport(options: ssh, remoteCommand: remoteCommand)
    }
}

extension String {
    func replacingOccurrences(of target: String, with replacement: String) -> String {
        var result = ""
        var rest = self[...]
        while let range = rest.firstRange(of: target) {
            result += rest[..<range.lowerBound]
            result += replacement
            rest = rest[range.upperBound...]
        }
        return result + rest
    }
}
