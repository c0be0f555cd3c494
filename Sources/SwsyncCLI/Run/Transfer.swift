import Glibc
import SyncCore
import SyncPlatform
import SyncRemote

/// A local transfer: wires the file-list builder, generator and receiver over the real file system,
/// then prints the summary and `--stats` as rsync does.
enum Transfer {
    static func run(sources: [[UInt8]], destination: [UInt8], options: SyncOptions) -> Int32 {
        // --iconv: the receiving half has names of its own charset, as rsync's forked server: the sender and
        // the receiving side run over a socket pair in this process, names converted on the way.
        if options.charset != nil { return runInPair(sources: sources, destination: destination, options: options) }
        let fs = PosixFileSystem(trust: options.symlinkTrust, dataWrites: DataWrites(options))
        guard options.fakeSuper || options.receiverFakeSuper else {
            return run(sources: sources, destination: destination, options: options, fs: fs, sourceFileSystem: nil)
        }
        return run(sources: sources, destination: destination, options: options,
            fs: FakeSuperFileSystem(base: fs, side: options.receiverFakeSuper ? .receiver : .plain),
            sourceFileSystem: FakeSuperFileSystem(base: fs, side: options.fakeSuper ? .sender : .plain))
    }

    private static func run<FS: FileSystem>(sources: [[UInt8]], destination: [UInt8], options: SyncOptions, fs: FS,
        sourceFileSystem: FS?) -> Int32
    {
        let (observer, logFile) = makeObserver(options: options, receiving: false)
        let start = Clock.now()
        let generator = Generator(fs: fs, sourceFileSystem: sourceFileSystem, options: options, observer: observer)
        generator.announcesWholeFileList = .building
        observer.progressCounts = { [unowned generator] in generator.progressCounts }
        let tree = SourceTree(arguments: sources, relative: options.relative)
        do {
            try generator.run(tree: tree, destination: destination)
        } catch {
            observer.flush()
            return SwsyncCommand.fail(error)
        }
        observer.finishTotalProgress()
        let elapsed = Clock.now() - start
        var stats = generator.stats
        estimateWireBytes(&stats)
        let status = finish(generator.exitStatus, stats: stats, elapsed: elapsed,
            deletionsSkipped: generator.deletionsSkipped, options: options, observer: observer, logFile: logFile)
        return status.rawValue
    }

    /// A local run whose sender and receiving side meet over a socket pair (`RemoteRun.runLocallyInPair`).
    static func runInPair(sources: [[UInt8]], destination: [UInt8], options: SyncOptions,
        recorder: BatchRecorder? = nil) -> Int32
    {
        let (observer, logFile) = makeObserver(options: options, receiving: false)
        let start = Clock.now()
        let outcome = RemoteRun.runLocallyInPair(sources: sources, destination: destination, options: options,
            observer: observer, recorder: recorder, progressCounts: { observer.progressCounts = $0 },
            isInterrupted: { Signals.interrupted })
        observer.flush()
        var stats = outcome.stats
        estimateWireBytes(&stats)
        if let failure = recorder?.finish(stats: stats) { return SwsyncCommand.end(.fileIO, error: failure) }
        if let error = outcome.error { return SwsyncCommand.end(outcome.status, error: error) }
        return finish(outcome.status, stats: stats, elapsed: Clock.now() - start,
            deletionsSkipped: outcome.deletionsSkipped, options: options, observer: observer, logFile: logFile).rawValue
    }

    /// A run with a remote end (`host:path` as the destination or the sources).
    static func runRemote(command: ParsedCommandLine, options: SyncOptions, sources: [String], destination: String,
        recorder: BatchRecorder? = nil) -> Int32
    {
        let pushes = RemoteTransfer.RemoteSpec(destination) != nil
        let (observer, logFile) = makeObserver(options: options, receiving: !pushes, announcesFileList: false)
        let start = Clock.now()
        guard let (outcome, _) = RemoteTransfer.run(command: command, options: options, sources: sources,
            destination: destination, observer: observer, recorder: recorder)
        else { return ExitStatus.syntax.rawValue }
        observer.flush()
        if let failure = recorder?.finish(stats: outcome.stats) { return SwsyncCommand.end(.fileIO, error: failure) }
        if let error = outcome.error { return SwsyncCommand.end(outcome.status, error: error) }
        return finish(outcome.status, stats: outcome.stats, elapsed: Clock.now() - start,
            deletionsSkipped: outcome.deletionsSkipped, options: options, observer: observer, logFile: logFile)
            .rawValue
    }

    /// The console observer (and `--log-file`) of a run, with rsync's file-list line first (the receiving
    /// side's words when this end receives); nil when the log file cannot be opened. The whole list's
    /// progress lines (`FileListProgress`) come later, from the generator or a push's sender, once counted.
    /// A remote run announces the list itself, once its connection is open (`announceFileList`).
    static func makeObserver(options: SyncOptions, receiving: Bool, announcesFileList: Bool = true)
        -> (ConsoleObserver, LogFile?)
    {
        let logFile = options.logFile.flatMap { openLogFile($0, options: options) }
        let observer = ConsoleObserver(options: options, logFile: logFile,
            highBytes: Locale.highBytes(options), interruptFlag: { Signals.interrupted })
        if announcesFileList { announceFileList(options: options, receiving: receiving, observer: observer) }
        return (observer, logFile)
    }

    static func announceFileList(options: SyncOptions, receiving: Bool, observer: ConsoleObserver) {
        if !FileListProgress.isShown(options), let line = fileListLine(options, receiving: receiving) {
            observer.info(line)
        }
    }

    /// rsync's `--info=flist` line: an incremental list's, else (with `-r`, `-d` or `--list-only`) the whole
    /// list's "... done" (level 2 counts it instead: `FileListProgress`).
    static func fileListLine(_ options: SyncOptions, receiving: Bool) -> String? {
        guard options.fileListLevel > 0 else { return nil }
        if options.listsIncrementally { return receiving ? "receiving incremental file list" : "sending incremental file list" }
        guard options.recursive || options.dirs || options.listOnly else { return nil }
        return (receiving ? "receiving file list" : "building file list") + " ... done"
    }

    /// `--log-file`, opened as an operator path. One that cannot be opened is reported and ignored, and
    /// the run goes on, as in rsync.
    static func openLogFile(_ path: String, options: SyncOptions) -> LogFile? {
        do throws(SystemCallError) {
            let descriptor = try PosixFileSystem(trust: options.symlinkTrust).openOperatorFileForAppending(Array(path.utf8))
            let file = LogFile(descriptor: descriptor, format: options.logFileFormat)
            file.line("building file list")
            return file
        } catch {
            if error.refusal == .untrustedSymlink { printUntrustedSymlinkWarning() }
            let message = BufferedOutput(descriptor: 2)
            message.writeLine("swsync: [client] failed to open log-file \(path): \(error.errnoText) (\(error.errno))")
            message.flush()
            if !options.quiet {
                let notice = BufferedOutput(descriptor: 1)
                notice.writeLine("Ignoring \"log file\" setting.")
                notice.flush()
            }
            return nil
        }
    }

    /// The end of a run: the `--max-delete` warning, `--stats`, the summary, the log line and the closing
    /// error line. Returns the status the run ends with (a time limit's stop is 30, not a signal's 20).
    static func finish(_ status: ExitStatus, stats: TransferStats, elapsed: Double, deletionsSkipped: Int,
        options: SyncOptions, observer: ConsoleObserver, logFile: LogFile?) -> ExitStatus
    {
        observer.releaseHeldItems()
        if deletionsSkipped > 0 {
            observer.error(.bare("Deletions stopped due to --max-delete limit (\(deletionsSkipped) skipped)"))
        }
        // A run stopped by a signal (or its time limit) ends with its error line alone, as rsync's does.
        if !options.quiet && status != .signal {
            if options.verbose > 1 || options.debugDeltasum > 0 {
                // rsync's sender totals (`--debug=deltasum`, on with -vv); a whole-file run matches no blocks.
                observer.info("total: matches=\(stats.matchedBlocks)  hash_hits=\(stats.hashHits)  false_alarms=\(stats.falseAlarms) data=\(stats.literalData)")
            }
            if options.statsLevel > 1 { printStats(stats, options: options, observer: observer) }
            if options.statsLevel > 0 {
                printSummary(stats, elapsed: elapsed, options: options, observer: observer)
            }
        }
        logFile?.line(
            "sent \(stats.bytesSent) bytes  received \(stats.bytesReceived) bytes  total size \(stats.totalFileSize)")
        observer.flush()
        let ended = ExitStatus(rawValue: SwsyncCommand.end(status)) ?? status
        logFile?.flush()
        return ended
    }

    /// Bytes that would cross between sender and receiver: the file list (names and attributes) and the
    /// literal file data one way, per-file acknowledgements the other. A local run has no wire, so these
    /// are estimated from the counts (shaped like rsync's local figures), not measured.
    static func estimateWireBytes(_ stats: inout TransferStats) {
        let entries = Int64(stats.files.total)
        stats.fileListSize = 0
        stats.bytesSent = entries * 40 + stats.literalData + 20
        stats.bytesReceived = entries * 13
    }

    static func printStats(_ stats: TransferStats, options: SyncOptions, observer: ConsoleObserver) {
        let level = options.humanReadable
        func bytes(_ value: Int64) -> String { NumberFormat.integer(value, level: level) + " bytes" }
        let lines = [
            "",
            "Number of files: \(stats.files.render(level: level))",
            "Number of created files: \(stats.created.render(level: level))",
            "Number of deleted files: \(stats.deleted.render(level: level))",
            "Number of regular files transferred: \(NumberFormat.integer(Int64(stats.regularFilesTransferred), level: level))",
            "Total file size: \(bytes(stats.totalFileSize))",
            "Total transferred file size: \(bytes(stats.transferredFileSize))",
            "Literal data: \(bytes(stats.literalData))",
            "Matched data: \(bytes(stats.matchedData))",
            "File list size: \(NumberFormat.integer(stats.fileListSize, level: level))",
            "File list generation time: \(NumberFormat.fixedGrouped(stats.fileListGenerationSeconds, places: 3)) seconds",
            "File list transfer time: 0.000 seconds",
            "Total bytes sent: \(NumberFormat.integer(stats.bytesSent, level: level))",
            "Total bytes received: \(NumberFormat.integer(stats.bytesReceived, level: level))",
        ]
        for line in lines { observer.info(line) }
    }

    static func printSummary(_ stats: TransferStats, elapsed: Double, options: SyncOptions, observer: ConsoleObserver) {
        let level = options.humanReadable
        let wire = stats.bytesSent + stats.bytesReceived
        // rsync's rate: the bytes over the whole seconds between its start and end, plus half a second.
        let rate = Double(wire) / (0.5 + Clock.wholeSecondsTurned(in: elapsed))
        let speedup = wire > 0 ? Double(stats.totalFileSize) / Double(wire) : 0
        let rateText = level >= 2
            ? NumberFormat.integer(Int64(rate), level: level) + " bytes/sec"
            : NumberFormat.fixedGrouped(rate, places: 2) + " bytes/sec"
        observer.info("")
        observer.info(
            "sent \(NumberFormat.integer(stats.bytesSent, level: level)) bytes  received \(NumberFormat.integer(stats.bytesReceived, level: level)) bytes  \(rateText)")
        observer.info(
            "total size is \(NumberFormat.integer(stats.totalFileSize, level: level))  speedup is \(NumberFormat.fixedGrouped(speedup, places: 2))\(options.writesBatchOnly ? " (BATCH ONLY)" : options.dryRun ? " (DRY RUN)" : "")")
    }
}

/// Whether names may be printed with their UTF-8 bytes (as rsync does in a UTF-8 locale).
enum Locale {
    static var isUTF8: Bool {
        for name in ["LC_ALL", "LC_CTYPE", "LANG"] {
            if let value = getenv(name), value.pointee != 0 {
                let text = String(cString: value).lowercased()
                return text.contains("utf-8") || text.contains("utf8")
            }
        }
        return false
    }

    /// How this process prints high-bit bytes: raw with `-8`, else as the locale's charset allows.
    static func highBytes(_ options: SyncOptions) -> OutputEscaper.HighBytes {
        OutputEscaper.HighBytes(eightBitOutput: options.eightBitOutput, utf8Locale: isUTF8)
    }
}
