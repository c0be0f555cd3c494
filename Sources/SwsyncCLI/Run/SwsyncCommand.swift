import Glibc
import SyncCharset
import SyncCore
import SyncPlatform
import SyncRemote

/// The whole program behind `main`: parse rsync's command line, run the transfer, print what rsync
/// prints, and return rsync's exit status.
public enum SwsyncCommand {
    public static let version = "0.1.0"

    public static func run(_ arguments: [String]) -> Int32 {
        let command: ParsedCommandLine
        do {
            command = try CommandLineParser.parse(arguments)
        } catch {
            return fail(error)
        }
        if let kind = command.outputHelp {
            writeStdout(OutputFlags.help(kind))
            return 0
        }
        if command.showHelp {
            writeStdout(Usage.help)
            return 0
        }
        if command.showVersion {
            writeStdout(command.versionLevel > 1 ? Capabilities.json(version: version) : Usage.versionText(version))
            return 0
        }
        if let deadline = command.stopAt { Signals.stop(at: deadline) }
        let positional = command.positional
        var options = command.options
        if let option = command.daemonModeOptions.first {
            return fail(SyncError(.unsupported, "\(option): rsync daemon mode (--daemon) is not supported yet"))
        }
        if command.server { return serve(command) }
        if options.verbose > 0 && !options.quiet {
            for option in command.ignoredOptions {
                writeStderr("swsync: \(option) is accepted and ignored (swsync speaks its own protocol)\n")
            }
        }
        if options.mungeLinks, let status = try? PosixFileSystem().stat(Array("/rsyncd-munged".utf8)),
            status.kind == .directory
        {
            writeStderr("Symlink munging is unsafe when a /rsyncd-munged directory exists.\n")
            return fail(SyncError(.unsupported, ""), quietMessage: true)
        }
        if positional.isEmpty {
            writeStderr(Usage.shortUsage)
            return fail(SyncError(.syntax, "no source given"), quietMessage: true)
        }
        if let refusal = BatchTransfer.refusal(command) { return refusal }
        // rsync: --files-from takes one source directory and a destination, checked before the list is opened.
        if options.filesFrom != nil && positional.count != 2 {
            writeStderr(Usage.shortUsage)
            return fail(SyncError(.syntax, "--files-from takes one source and a destination"), quietMessage: true)
        }
        if let refusal = refuseDaemonUse(command) { return refusal }
        let isRemote = positional.count > 1 && positional.contains(where: RemotePath.isRemote)
        if let refusal = refuseCharsets(options, localRun: !isRemote && positional.count > 1 && !options.listOnly) {
            return refusal
        }
        let listsRemote = (positional.count == 1 || options.listOnly) && positional.contains(where: RemotePath.isRemote)
        if listsRemote {
            guard positional.count == 1 else {
                return fail(SyncError(.unsupported, "--list-only of a remote path takes that path alone"))
            }
            Signals.install()
            return ListOnly.runRemote(command: command, options: options, source: positional[0])
        }
        // The last operand is the destination, unless there is only one (then the source is listed).
        let listsOnly = positional.count == 1 || options.listOnly
        let destination: [UInt8]? = positional.count > 1 ? Array(positional.last!.utf8) : nil
        var sources = (positional.count == 1 ? positional : Array(positional.dropLast())).map { Array($0.utf8) }
        do throws(SyncError) {
            if let list = options.filesFrom.map(FilesFromLocation.init) {
                if !isRemote, let refusal = list.refusal(transferHost: nil) {
                    writeStderr(refusal + "\n")
                    return fail(SyncError(.syntax, ""), quietMessage: true)
                }
                // A remote list is read by the peer (the client's rules need no names from it).
                if case .local(let path) = list {
                    sources = try FilterSetup.expandFilesFrom(path, source: sources[0], options: options)
                }
            }
            options.filterList = try FilterSetup.makeFilterList(options: options, sources: sources)
        } catch {
            return fail(error)
        }
        if !isRemote && command.remoteOptions.contains(where: { $0.hasPrefix("--copy-as") }) {
            // rsync's forked receiver would take it alone; one process has one identity for both halves.
            return fail(SyncError(.unsupported,
                "-M--copy-as in a local copy (the receiving half alone) is not supported; --copy-as sets both halves"))
        }
        // A local run takes the --copy-as identity now, with its option files read; a remote one once connected.
        if !isRemote, let failure = becomeCopyAsUser(command) { return failure }
        let oldMask = umask(0)
        umask(oldMask)
        options.umask = UInt32(oldMask)
        options.startTime = FileTime(seconds: Int64(time(nil)))
        let receiver = isRemote ? (fakeSuper: options.fakeSuper, superUser: options.superUser) : Self.localReceiverSuper(command)
        options.receiverFakeSuper = receiver.fakeSuper
        adoptIdentity(&options, fakeSuper: receiver.fakeSuper, superUser: receiver.superUser)
        options.highBytes = Locale.highBytes(options)
        options.reportsFileChecksums = [options.effectiveOutFormat, options.logFile == nil ? nil : options.logFileFormat]
            .contains { $0.map { OutFormat($0, highBytes: .keptWhenValidUTF8, humanLevel: 1).containsEscape("C") } ?? false }
        resolveOwnerMaps(&options)

        for line in NegotiationReport.lines(options) { writeStdout(line + "\n") }
        if let status = BatchTransfer.run(command, options: options, arguments: arguments, sources: sources,
            isRemote: isRemote) {
            return status
        }
        if isRemote {
            if options.wholeFile == nil { options.wholeFile = false }
            // This side's files: a push reads its sources, a pull writes its destination.
            let pushes = RemotePath.isRemote(positional.last!)
            resolveJobs(&options, command, side: pushes ? sources.first ?? [] : Array(positional.last!.utf8))
            Signals.install()
            return Transfer.runRemote(command: command, options: options,
                sources: positional.dropLast().map { $0 }, destination: positional.last!)
        }
        if listsOnly || destination == nil {
            options.listOnly = true
            resolveJobs(&options, command, side: sources.first ?? [])
            return ListOnly.run(sources: sources, options: options)
        }
        resolveJobs(&options, command, side: destination!)
        Signals.install()
        return Transfer.run(sources: sources, destination: destination!, options: options)
    }

    /// `--jobs` not given: the default for the storage under `side` (the destination a run writes, or the
    /// sources a sending side reads) and this machine's cores. Each end of a remote run takes its own.
    static func resolveJobs(_ options: inout SyncOptions, _ command: ParsedCommandLine, side: [UInt8]) {
        guard !command.jobsGiven else { return }
        options.jobs = StorageProbe.defaultJobs(for: side)
    }

    /// The super-user setting of a local run's receiving half: the command line's, then its `-M` words, the
    /// last of `--super`, `--no-super` and `--fake-super` counting, as in rsync's forked receiver.
    static func localReceiverSuper(_ command: ParsedCommandLine) -> (fakeSuper: Bool, superUser: Bool?) {
        var setting = (fakeSuper: command.options.fakeSuper, superUser: command.options.superUser)
        for word in command.remoteOptions {
            switch word {
            case "--fake-super": setting = (true, nil)
            case "--super": setting = (false, true)
            case "--no-super": setting = (false, false)
            default: continue
            }
        }
        return setting
    }

    /// Takes `--copy-as`'s identity (nothing without the option); rsync's message and exit 1 when it cannot.
    /// Callers derive what depends on the identity (super-user rights, member groups) afterwards.
    static func becomeCopyAsUser(_ command: ParsedCommandLine) -> Int32? {
        guard let spec = command.copyAs else { return nil }
        do throws(CopyAsIdentity.Failure) {
            try CopyAsIdentity.become(spec)
            return nil
        } catch {
            return fail(SyncError(.syntax, error.message, isPrefixed: error.isSystemError))
        }
    }

    /// The refusal of an rsync daemon address (`host::module`, `rsync://`) or a daemon connection option
    /// (`--port`, ...), and rsync's own refusals of a mix of operands; nil when none applies. All of these come
    /// before anything is read, made or connected.
    static func refuseDaemonUse(_ command: ParsedCommandLine) -> Int32? {
        let remote: Operands.Remote
        do throws(Operands.Refusal) {
            remote = try Operands.remote(command.positional)
        } catch {
            writeStderr(error.lines.map { $0 + "\n" }.joined())
            return fail(SyncError(.syntax, ""), quietMessage: true)
        }
        if remote == .daemon {
            return fail(SyncError(.unsupported,
                "rsync daemon connections (host::module, rsync://) are not supported yet"))
        }
        if command.daemonClientOptions.contains("--password-file") {
            writeStderr("The --password-file option may only be used when accessing an rsync daemon.\n")
            return fail(SyncError(.syntax, ""), quietMessage: true)
        }
        if let option = command.daemonClientOptions.first {
            return fail(SyncError(.unsupported,
                "\(option): rsync daemon connections (host::module, rsync://) are not supported yet"))
        }
        return nil
    }

    /// `--iconv`: rsync's refusal of a charset iconv does not know, before anything starts (exit 4). A local
    /// run's receiving half (REMOTE) is asked first, as rsync's forked server is; when it alone fails, the
    /// sender finds its peer gone (exit 12), as rsync's does.
    static func refuseCharsets(_ options: SyncOptions, localRun: Bool) -> Int32? {
        var failed: ExitStatus?
        if localRun, let remote = options.peerCharset {
            do throws(NameCharset.OpenError) { _ = try NameCharset(remote) } catch {
                writeStderr(error.message + "\n")
                failed = .streamIO
            }
        }
        if let local = options.charset {
            do throws(NameCharset.OpenError) { _ = try NameCharset(local) } catch {
                writeStderr(error.message + "\n")
                return end(.unsupported)
            }
        }
        guard let failed else { return nil }
        let closed = "connection unexpectedly closed (0 bytes received so far) [sender]"
        return end(failed, error: SyncError(failed, closed))
    }

    /// `swsync --server [--sender] OPTIONS . PATH...`: the peer's half of a remote run, on stdin/stdout.
    static func serve(_ command: ParsedCommandLine) -> Int32 {
        var options = command.options
        if command.batchWrite?.onlyBatch == true {
            // --only-write-batch on a push: the client records what it sends for the requests made here.
            options.dryRun = true
            options.writesBatchOnly = true
        }
        // --iconv: a charset iconv does not know ends the server before its hello (the client then finds
        // the connection closed, exit 12, as rsync's does).
        var names: NameCharset?
        if let charset = options.charset {
            do throws(NameCharset.OpenError) { names = try NameCharset(charset) } catch {
                writeStderr(error.message + "\n")
                return end(.unsupported)
            }
        }
        var paths = command.positional.map { Array($0.utf8) }
        if paths.first == PathBytes.dot { paths.removeFirst() }
        guard !paths.isEmpty else { return fail(SyncError(.syntax, "--server: no path given")) }
        // --files-from on a server's command line: the client named the list on this host. rsync reads it
        // while parsing its options (before --copy-as takes effect), so a missing list ends the server before
        // the hello, and the client with 12. A sender lists what it names; a receiver sends it to the client
        // after the setup.
        var fileList: [UInt8]?
        if let list = options.filesFrom {
            do throws(SyncError) {
                guard list != "-" else { throw SyncError(.syntax, "Invalid --files-from remote filename") }
                let content = try FilterSetup.readFilesFrom(list, options: options)
                if command.serverSends {
                    paths = FilterSetup.sources(listed: FileListNames.entries(content, fromZero: options.fromZero),
                        under: paths[0], options: options)
                } else {
                    fileList = content
                }
            } catch {
                return fail(error)
            }
        }
        if let failure = becomeCopyAsUser(command) { return failure }
        do { options.filterList = try FilterSetup.makeFilterList(options: options, sources: paths) } catch {
            return fail(error)
        }
        let oldMask = umask(0)
        umask(oldMask)
        options.umask = UInt32(oldMask)
        options.startTime = FileTime(seconds: Int64(time(nil)))
        adoptIdentity(&options, fakeSuper: options.fakeSuper, superUser: options.superUser)
        options.highBytes = .keptWhenValidUTF8
        resolveOwnerMaps(&options)
        options.progress = false
        options.progressTotal = false
        if options.wholeFile == nil { options.wholeFile = false }
        resolveJobs(&options, command, side: paths.last ?? [])
        Signals.install()
        signal(SIGPIPE, SIG_IGN)
        // The client prints the server's timeout; the server only ends.
        return RemoteRun.serve(sends: command.serverSends, paths: paths, options: options, names: names,
            fileList: fileList,
            isInterrupted: { Signals.interrupted }, onTimeout: { _ in exit(ExitStatus.timeout.rawValue) })
    }

    /// Prints `swsync: MESSAGE` and rsync's closing "error: ... (code N)" line; returns the status.
    static func fail(_ error: SyncError, quietMessage: Bool = false) -> Int32 {
        end(error.status, error: quietMessage ? nil : error)
    }

    /// The one way a run's end reaches stderr: the error's line when it has something to say, then,
    /// for any status but 0, rsync's closing line. Returns the status, for `exit`.
    static func end(_ status: ExitStatus, error: SyncError? = nil) -> Int32 {
        if status == .signal && Signals.stoppedAtLimit {
            writeStderr("stopping at requested limit\n")
            return end(.timeout)
        }
        if let error, !error.message.isEmpty {
            writeStderr((error.isPrefixed ? "swsync: " : "") + error.message + "\n")
        }
        if status != .success { writeStderr(closingLine(status)) }
        return status.rawValue
    }

    /// A client's `--timeout`: the message and the closing line, then the end of the process (a read
    /// blocked on a silent peer cannot be woken).
    static let endOnTimeout: RemoteRun.TimeoutHandler = { error in exit(end(.timeout, error: error)) }

    /// rsync's last line on a failed run: "rsync error: ... (code 23)", "warning" for vanished files (24).
    private static func closingLine(_ status: ExitStatus) -> String {
        let word = status == .vanished ? "warning" : "error"
        return "swsync \(word): \(status.summary) (code \(status.rawValue)) [swsync=\(version)]\n"
    }

    static func writeStdout(_ text: String) { writeAll(1, text) }
    static func writeStderr(_ text: String) { writeAll(2, text) }

    private static func writeAll(_ descriptor: Int32, _ text: String) {
        var bytes = Array(text.utf8)
        bytes.withUnsafeMutableBytes { raw in
            var offset = 0
            while offset < raw.count {
                let written = write(descriptor, raw.baseAddress! + offset, raw.count - offset)
                if written <= 0 {
                    if errno == EINTR { continue }
                    return
                }
                offset += written
            }
        }
    }
}

/// A remote-shell operand (`host:path`, `user@host:path`): rsync's rule, a colon before any slash
/// (`HostSpec`). Daemon addresses are refused before this is asked; `:path` stays local here.
enum RemotePath {
    static func isRemote(_ argument: String) -> Bool {
        if case .shell(let host) = HostSpec(argument) { return !host.isEmpty }
        return false
    }
}

extension SwsyncCommand {
    /// `--usermap`/`--groupmap`/`--chown`: their targets named as this machine names them, and the names
    /// of owners for their name rules (rsync resolves them on the receiving side; a sender ignores them).
    static func resolveOwnerMaps(_ options: inout SyncOptions) {
        // With --numeric-ids no names travel: every owner is nameless to a name rule (rsync's).
        let named = !options.numericIDs
        if var map = options.userMap {
            map.resolve(option: "usermap", lookup: UserNames.userID) { writeStderr($0 + "\n") }
            map.nameOf = { named ? UserNames.userName($0) : nil }
            options.userMap = map
        }
        if var map = options.groupMap {
            map.resolve(option: "groupmap", lookup: UserNames.groupID) { writeStderr($0 + "\n") }
            map.nameOf = { named ? UserNames.groupName($0) : nil }
            options.groupMap = map
        }
    }

    /// This process's effective group and supplementary groups.
    /// What depends on this process's identity (after `--copy-as`): the receiving end's super-user rights (the
    /// setting given, else root's), the groups it may give files, the uid it reads local sources with.
    static func adoptIdentity(_ options: inout SyncOptions, fakeSuper: Bool, superUser: Bool?) {
        options.isSuperUser = fakeSuper || (superUser ?? (geteuid() == 0))
        options.memberGroups = memberGroups()
        options.readerUID = geteuid()
    }

    static func memberGroups() -> Set<UInt32> {
        var groups = [gid_t](repeating: 0, count: 256)
        let count = getgroups(Int32(groups.count), &groups)
        return Set(groups.prefix(max(0, Int(count))).map { UInt32($0) } + [UInt32(getegid())])
    }
}
