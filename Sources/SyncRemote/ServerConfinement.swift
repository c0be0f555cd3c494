import Glibc
import SyncCore
import SyncPlatform

/// `swsync --server` confined with Landlock, before it touches the tree, to what the transfer names:
/// a sender to its sources (read-only; with `--remove-source-files` also removing files), a receiver to its destination, `--temp-dir`, an absolute
/// `--partial-dir` and the `--backup-dir` (read-write) and its reference directories (read-only).
/// Where the kernel has no Landlock the run goes on, and `-v` says so; `--no-landlock` turns it off.
enum ServerConfinement {
    /// What the server still reads outside the tree: user and group names for `-o`/`-g`, and /proc,
    /// where libdispatch's thread-pool monitor reads its threads' state (denied, it traps).
    static let systemFiles: [[UInt8]] = ["/etc/passwd", "/etc/group", "/etc/nsswitch.conf", "/proc"].map {
        Array($0.utf8)
    }

    /// A sending server: its sources. Not with -L, -k or --copy-unsafe-links, which follow symlinks
    /// out of the tree on purpose.
    static func confineSender(sources: [[UInt8]], options: SyncOptions, observer: TransferObserver) {
        guard options.landlock else { return }
        if options.copyLinks || options.copyUnsafeLinks || options.copyDirLinks {
            if options.verbose > 2 {
                observer.info("landlock: not applied: -L, -k and --copy-unsafe-links follow symlinks out of the tree")
            }
            return
        }
        guard options.removeSourceFiles else {
            apply(reading: sources + systemFiles, writing: [], options: options, observer: observer)
            return
        }
        // --remove-source-files: the sources may also lose files; a file named alone is removed from
        // its directory, so that directory is where the right is given.
        let fs = PosixFileSystem()
        let removable = sources.map { (try? fs.stat($0))?.kind == .directory ? $0 : PathBytes.parent($0) }
        apply(reading: systemFiles, writing: [], removingFiles: removable, options: options, observer: observer)
    }

    /// A receiving server, once its destination root is known (and made).
    static func confineReceiver(destinationRoot: [UInt8], options: SyncOptions, observer: TransferObserver) {
        guard options.landlock else { return }
        let fs = PosixFileSystem()
        func resolved(_ path: [UInt8]) -> [UInt8] {
            path.first == PathBytes.slash ? path : PathBytes.join(destinationRoot, path)
        }
        var writing = [destinationRoot]
        if let tempDir = options.tempDir { writing.append(resolved(tempDir)) }
        if let partialDir = options.partialDir, partialDir.first == PathBytes.slash { writing.append(partialDir) }
        if let backupDir = options.backupDir {
            // Made on demand: the nearest directory that exists is where it will be made.
            var directory = resolved(backupDir)
            while (try? fs.stat(directory)) == nil && directory.count > 1 { directory = PathBytes.parent(directory) }
            writing.append(directory)
        }
        // Landlock lets a file be hard-linked only where it gains no rights, so --link-dest's references
        // get the destination's; --compare-dest's and --copy-dest's are only read.
        let references = options.alternateDestinations.map(resolved)
        let linksFromReferences = options.alternateDestinationKind == .link
        apply(reading: (linksFromReferences ? [] : references) + systemFiles,
            writing: writing + (linksFromReferences ? references : []), options: options, observer: observer)
    }

    private static func apply(reading: [[UInt8]], writing: [[UInt8]], removingFiles: [[UInt8]] = [],
        options: SyncOptions, observer: TransferObserver)
    {
        // The name-service modules are loaded now, while /usr/lib can still be read.
        _ = UserNames.userName(0)
        _ = UserNames.groupName(0)
        switch Landlock.restrict(reading: reading, writing: writing, removingFiles: removingFiles) {
        case .restricted(let abi):
            // swsync's own lines, so -v and -vv print what rsync's do: the confinement at -vvv, a kernel
            // without it at -vv.
            if options.verbose > 2 {
                observer.info("landlock: server confined to \(reading.count + writing.count + removingFiles.count) paths (ABI \(abi))")
            }
            reportProbe(observer)
        case .unavailable:
            if options.verbose > 1 { observer.info("landlock: not available on this kernel; the server is not confined") }
        case .failed(let code, let path):
            let named = path.map { " (\(OutputEscaper.escape($0)))" } ?? ""
            observer.error(.bare("swsync: landlock: could not confine the server\(named): errno \(code); going on unconfined"))
        }
    }

    /// A diagnostic for the tests (and for an administrator in doubt): `SWSYNC_LANDLOCK_PROBE=PATH`
    /// makes a confined server try to read PATH and say whether it could.
    private static func reportProbe(_ observer: TransferObserver) {
        guard let probe = getenv("SWSYNC_LANDLOCK_PROBE") else { return }
        let path = String(cString: probe)
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        if descriptor >= 0 { close(descriptor) }
        observer.info("landlock probe: \(path): \(descriptor >= 0 ? "readable" : "refused (errno \(errno))")")
    }
}
