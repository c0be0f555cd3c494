import Glibc
import SyncCore

/// Prints what the roles report the way rsync does: `-v`/`-i`/`--out-format` lines on stdout,
/// errors on stderr, `--progress` lines, and the `--log-file`.
final class ConsoleObserver: TransferObserver {
    let options: SyncOptions
    let stdout = BufferedOutput(descriptor: 1)
    let stderr = BufferedOutput(descriptor: 2)
    let format: OutFormat?
    let logFile: LogFile?
    let highBytes: OutputEscaper.HighBytes
    let interruptFlag: @Sendable () -> Bool
    /// Filled in by the runner: remaining and total entries for progress's "to-chk".
    var progressCounts: () -> (remaining: Int, total: Int, listComplete: Bool, totalSize: Int64) = { (0, 0, true, 0) }

    private(set) var errorCount = 0
    /// Item lines wait behind notes as rsync's do (`HeldItemLines`), except under `--progress`.
    private var held = HeldItemLines()
    private let holdsItems: Bool
    /// --delete-after and --delete-delay delete once the generator's pass is over: its lines are out by then.
    private let deletesAfterItems: Bool
    private var transferCount = 0
    private var currentSize: Int64 = 0
    private var currentStart = 0.0
    private var lastProgressUpdate = 0.0
    private var totalBytesDone: Int64 = 0
    private let runStart = Clock.now()

    init(options: SyncOptions, logFile: LogFile?, highBytes: OutputEscaper.HighBytes, interruptFlag: @escaping @Sendable () -> Bool) {
        self.options = options
        self.logFile = logFile
        self.highBytes = highBytes
        self.interruptFlag = interruptFlag
        holdsItems = !options.progress && !options.progressTotal
        deletesAfterItems = options.effectiveDeleteTiming == .after || options.effectiveDeleteTiming == .delay
        if let text = options.effectiveOutFormat, !options.quiet {
            var shown = OutFormat(text, highBytes: highBytes, humanLevel: options.humanReadable)
            let checksum = options.transferChecksum
            shown.checksumWidth = 2 * checksum.digestLength
            format = shown
        } else {
            format = nil
        }
    }

    var isInterrupted: Bool { interruptFlag() }
    var interruptCheck: @Sendable () -> Bool { interruptFlag }

    /// Whether an item is shown (rsync `log.c`, `maybe_log_item` and the receiver's name output).
    private func shouldShow(_ item: ItemizedChange, format: OutFormat) -> Bool {
        let significant = !item.flags.intersection(.significant).isEmpty
        if format.hasItemize {
            // -ii, or -i with -vv, shows unchanged items too.
            return significant || options.itemize > 1 || options.verbose > 1 || item.hardLinkLeader != nil
        }
        // rsync `maybe_log_item`: transfers, new entries, hard links made, local changes, and changed directories.
        if item.flags.contains(.transfer) || item.flags.contains(.isNew) || item.hardLinkLeader != nil { return true }
        if item.flags.contains(.localChange) && significant { return true }
        return item.kind == .directory && significant
    }

    func report(_ item: ItemizedChange) {
        if let logFile, !options.dryRun, !item.flags.intersection(.significant).isEmpty {
            logFile.item(item)
        }
        let line = format.flatMap { shouldShow(item, format: $0) ? $0.render(item, operation: "send") : nil }
        guard holdsItems else {
            if let line { stdout.writeLine(line) }
            if options.progress { stdout.flush() }
            return
        }
        // The clock is read only when a line is or will be held (a no-op run reports every entry).
        let now = line != nil || !held.isEmpty ? Clock.now() : 0
        if held.isDue(before: item.name, now: now) { releaseHeldItems() }
        held.add(line, now: now)
    }

    /// Prints the item lines held so far (`HeldItemLines`); the run's closing lines come after them.
    func releaseHeldItems() {
        for line in held.release() { stdout.writeLine(line) }
    }

    func reportDeletion(name: [UInt8], kind: FileKind) {
        var item = ItemizedChange(name: name, kind: kind, flags: [])
        item.name = name
        if let logFile, !options.dryRun { logFile.deletion(item) }
        guard !options.quiet else { return }
        if holdsItems && (deletesAfterItems || held.isDue(before: name, now: Clock.now())) { releaseHeldItems() }
        if let format, format.hasItemize {
            stdout.writeLine(format.render(item, operation: "del.", deleted: true))
        } else if options.showsDeletions || format != nil {
            stdout.writeLine("deleting " + OutputEscaper.escape(item.displayName, highBytes: highBytes))
        }
    }

    func info(_ text: String) {
        guard !options.quiet else { return }
        if !held.isEmpty && held.hasWaitedTooLong(now: Clock.now()) { releaseHeldItems() }
        stdout.writeLine(text)
    }

    func error(_ text: String, role: Role?) { error(Diagnostic(text, role: role)) }

    func error(_ diagnostic: Diagnostic) {
        errorCount += 1
        stdout.flush()
        let line = diagnostic.isPrefixed ? "swsync: " + diagnostic.text : diagnostic.text
        stderr.writeLine(line)
        stderr.flush()
        logFile?.line(line)
    }

    // MARK: Progress (rsync progress.c)

    func transferStarted(name: [UInt8], size: Int64) {
        currentSize = size
        currentStart = Clock.now()
        lastProgressUpdate = currentStart
    }

    func transferProgress(bytes: Int64) {
        guard options.progress || options.progressTotal, !options.quiet else { return }
        let now = Clock.now()
        guard now - lastProgressUpdate >= 0.5 else { return }
        lastProgressUpdate = now
        if options.progress {
            stdout.write("\r" + progressLine(bytes: bytes, total: currentSize, elapsed: now - currentStart, done: false))
        } else {
            stdout.write("\r" + totalProgressLine(extra: bytes))
        }
        stdout.flush()
    }

    func transferFinished(bytes: Int64) {
        if !held.isEmpty && held.hasWaitedTooLong(now: Clock.now()) { releaseHeldItems() }
        guard bytes >= 0 else { return }
        transferCount += 1
        totalBytesDone += bytes
        guard !options.quiet else { return }
        if options.progress {
            let elapsed = Clock.now() - currentStart
            var line = progressLine(bytes: bytes, total: currentSize, elapsed: elapsed, done: true)
            let counts = progressCounts()
            line += " (xfr#\(transferCount), \(counts.listComplete ? "to-chk" : "ir-chk")=\(counts.remaining)/\(counts.total))"
            stdout.write("\r" + line + "\n")
            stdout.flush()
        } else if options.progressTotal {
            stdout.write("\r" + totalProgressLine(extra: 0))
            stdout.flush()
        }
    }

    /// Ends the `--info=progress2` line.
    func finishTotalProgress() {
        guard options.progressTotal, !options.quiet else { return }
        stdout.write("\r" + totalProgressLine(extra: 0) + "\n")
        stdout.flush()
    }

    private func progressLine(bytes: Int64, total: Int64, elapsed: Double, done: Bool) -> String {
        let percent = total > 0 ? Int(bytes * 100 / total) : 100
        let rate = elapsed > 0 ? Double(bytes) / elapsed : 0
        let remaining = done || rate <= 0 ? elapsed : Double(total - bytes) / rate
        return pad(NumberFormat.integer(bytes, level: options.humanReadable), 15) + " "
            + pad("\(percent)%", 4) + " " + rateText(rate) + " " + clockText(remaining)
    }

    private func totalProgressLine(extra: Int64) -> String {
        let bytes = totalBytesDone + extra
        let elapsed = Clock.now() - runStart
        let counts = progressCounts()
        let rate = elapsed > 0 ? Double(bytes) / elapsed : 0
        let percent = bytes >= counts.totalSize ? 100 : Int(bytes * 100 / counts.totalSize)
        return pad(NumberFormat.integer(bytes, level: options.humanReadable), 15) + " " + pad("\(percent)%", 4)
            + " " + rateText(rate) + " " + clockText(elapsed)
            + " (xfr#\(transferCount), \(counts.listComplete ? "to-chk" : "ir-chk")=\(counts.remaining)/\(counts.total))"
    }

    private func rateText(_ bytesPerSecond: Double) -> String {
        var rate = bytesPerSecond / 1024
        var unit = "kB/s"
        if rate > 1024 {
            rate /= 1024
            unit = "MB/s"
        }
        if rate > 1024 {
            rate /= 1024
            unit = "GB/s"
        }
        return pad(NumberFormat.fixed(rate, places: 2), 7) + unit
    }

    private func clockText(_ seconds: Double) -> String {
        let total = Int(max(0, seconds.isFinite ? seconds : 0))
        let hours = total / 3600
        let minutes = (total / 60) % 60
        let secs = total % 60
        return pad(String(hours), 4) + ":" + (minutes < 10 ? "0" : "") + String(minutes) + ":"
            + (secs < 10 ? "0" : "") + String(secs)
    }

    private func pad(_ text: String, _ width: Int) -> String {
        text.count >= width ? text : String(repeating: " ", count: width - text.count) + text
    }

    func flush() {
        releaseHeldItems()
        stdout.flush()
        stderr.flush()
    }
}

/// `--log-file`: timestamped lines "YYYY/MM/DD hh:mm:ss [pid] text", items in `--log-file-format`.
final class LogFile {
    private let output: BufferedOutput
    private let format: OutFormat
    private let prefixPid: String

    /// Appends to the open `descriptor` (`Transfer.openLogFile`).
    init(descriptor: Int32, format: String?) {
        output = BufferedOutput(descriptor: descriptor)
        self.format = OutFormat(format ?? "%i %n%L", highBytes: .keptWhenValidUTF8, humanLevel: 1)
        prefixPid = "[\(getpid())] "
    }

    func line(_ text: String) {
        output.writeLine(Clock.format(epochSeconds: Clock.wallSeconds()) + " " + prefixPid + text)
    }

    func item(_ item: ItemizedChange) {
        line(format.render(item, operation: "recv"))
    }

    func deletion(_ item: ItemizedChange) {
        line(format.hasItemize ? format.render(item, operation: "del.", deleted: true)
            : "deleting " + OutputEscaper.escape(item.displayName, highBytes: .keptWhenValidUTF8))
    }

    func flush() { output.flush() }

    deinit { output.flush() }
}
