import SyncCore
import SyncPlatform
import SyncRemote
import SyncSSH

/// `--list-only` (and a single source with no destination): prints the file list as rsync does,
/// `ls -l` style, a directory's entries before the contents of its subdirectories.
enum ListOnly {
    static func run(sources: [[UInt8]], options: SyncOptions) -> Int32 {
        var options = options
        if !options.recursive { options.dirs = true }
        let highBytes = Locale.highBytes(options)
        let observer = ConsoleObserver(options: options, logFile: nil, highBytes: highBytes,
            interruptFlag: { Signals.interrupted })
        let start = Clock.now()
        let fs = PosixFileSystem()
        var builder = FileListBuilder(fs: fs, options: options)
        let tree = SourceTree(arguments: sources, relative: options.relative)
        // `--stats` and `-v`'s summary count what is listed, as rsync's sender counts its list.
        var stats = TransferStats()
        var pruned: Set<[UInt8]> = []
        func show(_ entry: FileEntry) {
            stats.countListed(entry)
            if entry.isDirectory && pruned.contains(entry.name) { return }
            observer.info(line(entry, options: options, highBytes: highBytes))
        }
        let rootListing = builder.list(tree.root, relativeName: [])
        if options.pruneEmptyDirs && options.recursive {
            // -m: the directories with no file below them are not listed, as rsync prunes its whole list.
            var scanner = FileListBuilder.rescanner(of: tree, fs: fs, options: options)
            pruned = EmptyDirectoryPruning.find(root: rootListing, recursive: true, isProtected: { _ in false }) {
                scanner.list($0.source, relativeName: $0.entry.name)
            }
        }
        let dotEntry = tree.dotSource.flatMap { builder.rootEntry(sourcePath: $0, observer: observer) }
        if FileListProgress.isShown(options) {
            let count = FileListBuilder.countWholeList(root: rootListing, hasDotEntry: dotEntry != nil, of: tree,
                fs: fs, options: options)
            observer.info(FileListProgress.text(count: count, side: .building))
        } else if let fileListLine = Transfer.fileListLine(options, receiving: false) {
            observer.info(fileListLine)
        }
        if let line = RunNotices.deltaTransmission(options) { observer.info(line) }
        if let dotEntry { show(dotEntry) }
        var fatalError: SyncError?
        // The same order as a transfer: a directory's files, then each subdirectory followed by its contents.
        // Shows a listing's files; false (its subtree is not walked) once a listing failed.
        func enter(_ listing: SourceListing) -> Bool {
            listing.deliverMessages(to: observer)
            if let failure = listing.fatalError { fatalError = failure }
            guard fatalError == nil else { return false }
            for entry in listing.entries where !entry.isDirectory { show(entry) }
            return true
        }
        if enter(rootListing) {
            var walk = PreOrderWalk(root: rootListing, recursive: options.recursive)
            while let subdirectory = walk.next(passing: { entry in
                if entry.isSent(impliedDirs: options.impliedDirs) { show(entry) }
            }) {
                let listing = builder.list(subdirectory.source, relativeName: subdirectory.entry.name)
                if enter(listing) { walk.enter(listing) }
            }
        }
        observer.flush()
        if let fatalError { return SwsyncCommand.fail(fatalError) }
        stats.fileListGenerationSeconds = builder.buildTime.seconds(options)
        Transfer.estimateWireBytes(&stats)
        let status = ExitStatus.combined(builder.ioError ? .partial : .success, builder.vanished ? .vanished : .success)
        return Transfer.finish(status, stats: stats, elapsed: Clock.now() - start, deletionsSkipped: 0,
            options: options, observer: observer, logFile: nil).rawValue
    }

    /// `swsync host:path`: the peer's file list, printed the same way.
    static func runRemote(command: ParsedCommandLine, options: SyncOptions, source: String) -> Int32 {
        var options = options
        options.listOnly = true
        if !options.recursive { options.dirs = true }
        // A remote run's default, as for transfers (rsync's -vv says "delta-transmission enabled").
        if options.wholeFile == nil { options.wholeFile = false }
        let highBytes = Locale.highBytes(options)
        let observer = ConsoleObserver(options: options, logFile: nil, highBytes: highBytes,
            interruptFlag: { Signals.interrupted })
        guard let spec = RemoteTransfer.RemoteSpec(source) else { return ExitStatus.syntax.rawValue }
        let remoteCommand = RemoteTransfer.serverCommand(command: command, options: options, sends: true,
            paths: [spec.path], listsOnly: true)
        let setup: RemoteRun.Setup
        do { setup = try RemoteTransfer.setup(options: options, localSources: [], remoteSources: nil) } catch {
            return SwsyncCommand.fail(error)
        }
        let transport: any RemoteTransport
        do throws(TransportError) {
            transport = try RemoteTransfer.connect(spec, options: options, remoteCommand: remoteCommand)
        } catch {
            return SwsyncCommand.fail(SyncError(ExitStatus(rawValue: error.exitCode) ?? .unexplained, error.message))
        }
        let client = RemoteRun.Client(setup: setup, observer: observer, isInterrupted: { Signals.interrupted },
            onTimeout: SwsyncCommand.endOnTimeout)
        let start = Clock.now()
        if let line = Transfer.fileListLine(options, receiving: true) { observer.info(line) }
        if let line = RunNotices.deltaTransmission(options) { observer.info(line) }
        let outcome = RemoteRun.list(transport: transport, options: options, client: client) { entry in
            observer.info(line(entry, options: options, highBytes: highBytes))
        }
        observer.flush()
        if let error = outcome.error { return SwsyncCommand.end(outcome.status, error: error) }
        return Transfer.finish(outcome.status, stats: outcome.stats, elapsed: Clock.now() - start,
            deletionsSkipped: 0, options: options, observer: observer, logFile: nil).rawValue
    }

    /// "drwxr-xr-x          4,096 2026/11/23 05:20:00 name", with `-U` the access time after the modification
    /// time (blank for a directory), and rsync's "*missing" line for a `--delete-missing-args` name.
    static func line(_ entry: FileEntry, options: SyncOptions, highBytes: OutputEscaper.HighBytes) -> String {
        let name = OutputEscaper.escape(entry.name, highBytes: highBytes)
        let timeWidth = 20  // " YYYY/MM/DD hh:mm:ss"
        if entry.isMissingArgument {
            let label = "*missing"
            let width = 10 + 1 + 14 + timeWidth + (options.atimes > 0 ? timeWidth : 0)
            return label + String(repeating: " ", count: max(0, width - label.count)) + " " + name
        }
        let permissions = PermissionString.render(entry.status.mode, kind: entry.kind)
        var size = NumberFormat.integer(entry.kind == .symlink ? entry.countedSize : entry.status.size,
            level: options.humanReadable)
        if size.count < 14 { size = String(repeating: " ", count: 14 - size.count) + size }
        var text = permissions + " " + size + " " + Clock.format(epochSeconds: entry.status.mtime.seconds)
        if options.atimes > 0 {
            text += entry.kind == .directory
                ? String(repeating: " ", count: timeWidth) : " " + Clock.format(epochSeconds: entry.status.atime)
        }
        text += " " + name
        if entry.kind == .symlink && options.links, let target = entry.symlinkTarget {
            text += " -> " + OutputEscaper.escape(target, highBytes: highBytes)
        }
        return text
    }
}
