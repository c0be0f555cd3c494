import Glibc
import SyncCore
import SyncPlatform
import SyncRemote

/// rsync's batch mode: `--write-batch=FILE` (the run, recorded into FILE, and FILE.sh to replay it),
/// `--only-write-batch=FILE` (recorded only; the destination is left alone) and `--read-batch=FILE`
/// (`-` is standard input: the recorded run applied to the destination given). The batch format is
/// swsync's own (`Docs/protocol.md`, "Batch files").
enum BatchTransfer {
    /// rsync's refusals of batch options that cannot go together; nil when none applies.
    static func refusal(_ command: ParsedCommandLine) -> Int32? {
        guard command.batchWrite != nil || command.batchRead != nil else { return nil }
        if command.batchWrite != nil && command.batchRead != nil {
            return SwsyncCommand.fail(.syntax("--write-batch and --read-batch can not be used together"))
        }
        if command.batchRead != nil {
            if command.options.filesFrom != nil {
                return SwsyncCommand.fail(.syntax("--read-batch cannot be used with --files-from"))
            }
            if command.options.removeSourceFiles {
                return SwsyncCommand.fail(.syntax("--read-batch cannot be used with --remove-source-files"))
            }
            if let destination = command.positional.last, RemotePath.isRemote(destination) {
                SwsyncCommand.writeStderr("remote destination is not allowed with --read-batch\n")
                return SwsyncCommand.fail(SyncError(.syntax, ""), quietMessage: true)
            }
        }
        return nil
    }

    /// The run when a batch option was given (nil otherwise). With `-n`, as in rsync, no batch is written.
    static func run(_ command: ParsedCommandLine, options: SyncOptions, arguments: [String], sources: [[UInt8]],
        isRemote: Bool) -> Int32?
    {
        if let name = command.batchRead { return read(name, command: command, options: options) }
        guard let write = command.batchWrite, !options.dryRun, let destination = command.positional.last,
            command.positional.count > 1
        else { return nil }
        var options = options
        if write.onlyBatch {
            options.dryRun = true
            options.writesBatchOnly = true
        }
        // rsync: a run that writes a batch uses the delta algorithm unless -W is given, even locally.
        if options.wholeFile == nil { options.wholeFile = false }
        let fs = PosixFileSystem(trust: options.symlinkTrust)
        let script: Int32
        let batch: Int32
        do {
            script = try openForWriting(write.name + ".sh", mode: 0o700, fs: fs, status: .fileSelection)
            batch = try openForWriting(write.name, mode: 0o600, fs: fs, status: .fileIO)
        } catch {
            return SwsyncCommand.fail(error)
        }
        // The rules of -C stay with the -C the script keeps, as in rsync's script.
        let cvs = options.filters.contains { $0.kind == .cvsExclude }
        let rules = options.filterList?.rules.filter { $0.origin == .main && !(cvs && $0.flags.contains(.cvsIgnore)) } ?? []
        // rsync refuses rather than write a here-document a pattern could end early (exit 1).
        if rules.contains(where: { $0.pattern.contains(UInt8(ascii: "\n")) }) {
            close(script)
            close(batch)
            return SwsyncCommand.fail(.syntax("cannot write a filter rule containing a newline to the batch replay script"))
        }
        let text = replayScript(arguments: arguments, positional: command.positional, destination: destination,
            rules: rules.map { $0.rulePrefix + String(decoding: $0.displayPattern, as: UTF8.self) },
            nullTerminated: options.fromZero)
        let written = text.utf8.withContiguousStorageIfAvailable { raw in
            Glibc.write(script, raw.baseAddress, raw.count) == raw.count
        }
        if close(script) != 0 || written != true {
            return SwsyncCommand.fail(SyncError(.fileIO, "Batch file \(write.name).sh write error"))
        }
        let recorder = BatchRecorder(descriptor: batch, name: write.name, header: BatchRecorder.header(for: options))
        Signals.install()
        if isRemote {
            return Transfer.runRemote(command: command, options: options, sources: command.positional.dropLast().map { $0 },
                destination: destination, recorder: recorder)
        }
        return Transfer.runInPair(sources: sources, destination: Array(destination.utf8), options: options,
            recorder: recorder)
    }

    /// `--read-batch=NAME DEST`: the batch's flags replace the command line's (rsync's
    /// `check_batch_flags`), then the recorded run is applied to DEST. Only the last operand counts.
    private static func read(_ name: String, command: ParsedCommandLine, options: SyncOptions) -> Int32 {
        guard let destination = command.positional.last else { return SwsyncCommand.fail(.syntax("no destination given")) }
        let input: BatchInput
        do { input = try BatchInput.open(name, trust: options.symlinkTrust) } catch { return SwsyncCommand.fail(error) }
        var options = options
        let lines = input.apply(to: &options, explicitRecursive: command.recursiveGiven == true)
        if options.showsMiscNotices {
            for line in lines { SwsyncCommand.writeStdout(line + "\n") }
        }
        let (observer, logFile) = Transfer.makeObserver(options: options, receiving: true)
        Signals.install()
        let start = Clock.now()
        let outcome = RemoteRun.readBatch(input, destination: Array(destination.utf8), options: options,
            observer: observer, progressCounts: { observer.progressCounts = $0 }, isInterrupted: { Signals.interrupted })
        observer.flush()
        if let error = outcome.error { return SwsyncCommand.end(outcome.status, error: error) }
        // rsync's --stats and summary of a replay are the recorded run's, seen from the receiving side.
        var stats = input.recordedStats ?? outcome.stats
        if input.recordedStats == nil { Transfer.estimateWireBytes(&stats) }
        (stats.bytesSent, stats.bytesReceived) = (stats.bytesReceived, stats.bytesSent)
        return Transfer.finish(outcome.status, stats: stats, elapsed: Clock.now() - start,
            deletionsSkipped: outcome.deletionsSkipped, options: options, observer: observer, logFile: logFile).rawValue
    }

    /// Opens (creating or truncating) a file the operator named, as rsync's `open_batch_files` does:
    /// through a symlink only when root or this user owns it.
    private static func openForWriting(_ name: String, mode: mode_t, fs: PosixFileSystem, status: ExitStatus)
        throws(SyncError) -> Int32
    {
        do throws(SystemCallError) {
            let descriptor = try fs.openOperatorFileForAppending(Array(name.utf8))
            _ = ftruncate(descriptor, 0)
            _ = fchmod(descriptor, mode)
            return descriptor
        } catch {
            throw SyncError(status, "Batch file \"\(name)\" open error: \(error.errnoText) (\(error.errno))")
        }
    }

    /// FILE.sh: the command line with `--write-batch`/`--only-write-batch` turned into `--read-batch`, the
    /// operands and the filter options left out, then `${1:-DEST}`, each word quoted for the shell as rsync
    /// 3.5 quotes it; the filter rules follow in a here-document read by `--filter=._-`, as rsync writes them.
    static func replayScript(arguments: [String], positional: [String], destination: String, rules: [String] = [],
        nullTerminated: Bool = false) -> String
    {
        var elided = Set<Int>()
        var next = positional.count - 1
        for index in arguments.indices.reversed() where next >= 0 && arguments[index] == positional[next] {
            elided.insert(index)
            next -= 1
        }
        var script = quoted(CommandLine.arguments.first.map { String($0.split(separator: "/").last ?? "swsync") } ?? "swsync")
        if !rules.isEmpty { script += " --filter=" + quoted("._-") }
        var index = 0
        while index < arguments.count {
            defer { index += 1 }
            guard !elided.contains(index) else { continue }
            let word = arguments[index]
            // rsync's heuristics: these long options (and a separate -f) with their values stay out.
            if ["--files-from", "--filter", "--include", "--exclude"].contains(where: { word.hasPrefix($0) }) {
                if !word.contains("=") { index += 1 }
                continue
            }
            if word == "-f" {
                index += 1
                continue
            }
            var written = word
            for prefix in ["--write-batch", "--only-write-batch"] where word == prefix || word.hasPrefix(prefix + "=") {
                written = word == prefix ? "--read-batch" : "--read-batch" + word.dropFirst(prefix.count)
            }
            script += " " + quoted(written)
        }
        let target = RemoteTransfer.RemoteSpec(destination)?.path ?? destination
        script += " ${1:-" + quoted(target) + "}"
        if !rules.isEmpty {
            script += " <<'#E#'\n" + rules.map { $0 + (nullTerminated ? "\0" : "\n") }.joined()
            if nullTerminated { script += ";\n" }
            script += "#E#"
        }
        return script + "\n"
    }

    /// rsync's `write_arg`: an option's `--name=` unquoted, everything else in single quotes.
    static func quoted(_ word: String) -> String {
        var prefix = ""
        var rest = Substring(word)
        if word.hasPrefix("-"), let equals = word.firstIndex(of: "="),
            word[..<equals].allSatisfy({ $0 == "-" || $0 == "_" || $0.isASCII && ($0.isLetter || $0.isNumber) })
        {
            prefix = String(word[...equals])
            rest = word[word.index(after: equals)...]
        }
        return prefix + "'" + rest.split(separator: "'", omittingEmptySubsequences: false).joined(separator: "'\\''") + "'"
    }
}
