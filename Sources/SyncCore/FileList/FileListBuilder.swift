/// The sender's file-list builder: lists one transfer directory at a time, in rsync's order, so memory
/// holds one directory's entries rather than the whole tree.
///
/// It prints nothing itself: what the sender has to say about a directory travels with its listing
/// (`Listing.messages`), so a listing made ahead on another thread is reported in the generator's order.
public struct FileListBuilder<FS: FileSystem> {
    let fs: FS
    let options: SyncOptions

    /// Set when a source could not be read; deletions are then skipped (rsync's `io_error`).
    public private(set) var ioError = false
    /// Set when a source vanished between listing and reading (exit 24).
    public private(set) var vanished = false
    /// Messages of the listing being built.
    private var messages: [SenderMessage] = []
    /// The sender's filter rules (`--exclude` and friends) with their per-directory state.
    private var filters: FilterList?
    private var directoryRules: DirectoryRuleTracker
    /// `-X`/`-A`: what is read of each entry besides its status.
    private let securityRules: SecurityAttributeRules
    /// The time spent listing, shared by this builder's copies (`--stats`).
    public let buildTime = FileListBuildTime()
    /// `--jobs`: a large directory's entries are looked up on several threads.
    private let lookups: ParallelLookups<FS>?

    public init(fs: FS, options: SyncOptions) {
        self.fs = fs
        self.options = options
        self.securityRules = SecurityAttributeRules(options: options)
        self.filters = options.filterList
        self.directoryRules = DirectoryRuleTracker(isActive: options.filterList?.hasPerDirectoryRules ?? false)
        self.lookups = ParallelLookups(fs: fs, threads: options.jobs)
    }

    public typealias Listing = SourceListing

    /// Lists `directory`, whose entries are named under `relativeName` ("" for the transfer root).
    public mutating func list(_ directory: SourceDirectory, relativeName: [UInt8]) -> Listing {
        buildTime.measure(isRoot: relativeName.isEmpty) { buildListing(directory, relativeName: relativeName) }
    }

    private mutating func buildListing(_ directory: SourceDirectory, relativeName: [UInt8]) -> Listing {
        var entries: [FileEntry] = []
        var subdirectories: [[UInt8]: SourceDirectory] = [:]
        // Only a merge of several sources into one directory can name an entry twice.
        let mayRepeat = directory.listings.count + (directory.named.isEmpty ? 0 : 1) > 1
        var seen = Set<[UInt8]>()
        let ioErrorBefore = ioError
        let vanishedBefore = vanished
        messages.removeAll()
        if filters != nil, let failure = enterRulesDirectory(directory, relativeName: relativeName) {
            return Listing(entries: [], subdirectories: [:], messages: messages, fatalError: failure)
        }

        let shard = options.shard
        for (name, child) in directory.named where !seen.contains(name) {
            if let shard, shard.leavesOut(name, in: relativeName) { continue }
            let relative = PathBytes.join(relativeName, name)
            guard var entry = makeEntry(name: relative, sourcePath: child.sourcePath, fromListing: false,
                impliedDirectory: child.isImplied)
            else {
                continue
            }
            if entry.isDirectory && child.isImplied {
                entry.isImpliedDirectory = true
            } else if isFilteredOut(&entry) {
                continue
            }
            if entry.isDirectory && child.listsContents { entry.listsContents = true }
            seen.insert(name)
            if entry.isDirectory {
                if let subtree = child.subtree {
                    // Its own contents are listed with -r (or when named "dir/" under -R). An implied
                    // directory inside a listed parent is listed too under -r, so naming a path below it
                    // (`--files-from`: "p/x" then ".") loses none of what the listing would send.
                    let listsContents = options.recursive || child.listsContents
                    let listedByParent = child.isImplied && options.recursive && !directory.listings.isEmpty
                    if subtree.listings.isEmpty && listsContents && (!child.isImplied || listedByParent) {
                        subtree.listings.append(ListedPath(child.sourcePath))
                    }
                    // Paths named below it are reached even without -r ("b" then "b/c/f").
                    if !subtree.named.isEmpty { entry.leadsToNamedPaths = true }
                    subtree.device = entry.status.device
                    subdirectories[name] = subtree
                } else {
                    subdirectories[name] = SourceDirectory(listings: [ListedPath(child.sourcePath)],
                        device: entry.status.device)
                }
            }
            entries.append(entry)
        }

        for listed in directory.listings {
            let source = listed.path
            // `-x`: the device entries are compared with; a source named on the command line is its own.
            var device = directory.device
            let handle: any DirectoryHandle
            let root: SourceRoot
            let names: [[UInt8]]
            do {
                if let parent = listed.parent {
                    handle = try fs.openDirectory(parent.location, followingSymlink: listed.followsSymlink)
                    root = listed.followsSymlink ? SourceRoot(directory: handle, path: source) : parent.root
                } else {
                    handle = try fs.openDirectory(source)
                    root = SourceRoot(directory: handle, path: source)
                }
                names = try fs.listDirectory(handle)
                if options.oneFileSystem > 0 && device == nil { device = try fs.stat(PathBytes.dot, in: handle).device }
            } catch {
                if listed.parent != nil && error.isGoneFromListedPlace {
                    // Removed, or swapped for a symlink, since its parent was listed.
                    reportError("file has vanished: \"\(absolute(source))\"", isPrefixed: false)
                    vanished = true
                    continue
                }
                let call = relativeName.isEmpty ? "change_dir" : "opendir"
                var path = PathBytes.trimmingTrailingSlashes(fs.absolute(source))
                if path.count > 2 && path.suffix(2).elementsEqual([PathBytes.slash, UInt8(ascii: ".")]) {
                    path.removeLast(2)
                }
                reportError("[sender] \(error.describing(call: call, path: path))")
                ioError = true
                continue
            }
            // --shard: other shards' top-level names are neither looked up nor listed.
            let kept = shard?.keeping(names, in: relativeName) ?? names
            let statuses = lookups?.lstat(kept, in: handle)
            for (position, name) in kept.enumerated() {
                var isRepeat = false
                if mayRepeat {
                    isRepeat = seen.contains(name)
                    // A repeated name goes once; only a directory under it (to merge) needs a look.
                    if isRepeat && subdirectories[name]?.listings.isEmpty != false { continue }
                    seen.insert(name)
                }
                let sourcePath = PathBytes.join(source, name)
                let relative = PathBytes.join(relativeName, name)
                guard var entry = makeEntry(name: relative, sourcePath: sourcePath, fromListing: true,
                    location: (handle, name), root: root, status: statuses?[position] ?? nil)
                else {
                    continue
                }
                if filters != nil && isFilteredOut(&entry) { continue }
                if isRepeat {
                    // As rsync, a directory several sources hold gets all their contents, the first
                    // source's entry (and attributes) winning for a name they share.
                    if entry.isDirectory, let merged = subdirectories[name] {
                        merged.listings.append(ListedPath(path: sourcePath, in: FileLocation(name, in: handle),
                            root: root, followsSymlink: entry.isFollowedSymlink))
                    }
                    continue
                }
                if entry.isDirectory {
                    if options.oneFileSystem > 0, let device, entry.status.device != device {
                        if options.oneFileSystem > 1 {
                            if options.showsMountPoints {
                                reportInfo("[sender] skipping mount-point dir \(OutputEscaper.escape(relative, highBytes: options.highBytes))")
                            }
                            continue
                        }
                        subdirectories[name] = SourceDirectory(listings: [], device: entry.status.device)
                    } else {
                        let subdirectory = ListedPath(path: sourcePath, in: FileLocation(name, in: handle), root: root,
                            followsSymlink: entry.isFollowedSymlink)
                        subdirectories[name] = SourceDirectory(listings: [subdirectory], device: entry.status.device)
                    }
                }
                entries.append(entry)
            }
        }
        FileListOrder.sort(&entries, sharedPrefix: PathBytes.joinedPrefixLength(relativeName))
        return Listing(entries: entries, subdirectories: subdirectories, messages: messages,
            hadIOError: ioError && !ioErrorBefore, hadVanished: vanished && !vanishedBefore,
            isContentDirectory: !directory.listings.isEmpty)
    }

    /// Applies the sender's rules to `entry`. True when it is not sent. In full-path mode an excluded
    /// directory is still entered (marked `isPassedThrough`), so included paths below it are found.
    private mutating func isFilteredOut(_ entry: inout FileEntry) -> Bool {
        guard let filters else { return false }
        let match = filters.check(entry.name, isDirectory: entry.isDirectory, side: .sender)
        guard let match else { return false }
        if options.debugFilter > 0 {
            reportInfo(match.debugLine(path: entry.name, isDirectory: entry.isDirectory, side: .sender))
        }
        guard !match.isIncluded else { return false }
        if options.matchFullPath && entry.isDirectory {
            entry.isPassedThrough = true
            return false
        }
        return true
    }

    /// Brings the per-directory rules (`.rsync-filter` and other dir-merge files) to `relativeName`,
    /// reading its files from the directory's source. Returns the error that stops the run, if any.
    private mutating func enterRulesDirectory(_ directory: SourceDirectory, relativeName: [UInt8]) -> SyncError? {
        directoryRules.enter(relativeName, source: directory.listings.first?.path, filters: &filters!, fs: fs, role: .sender)
    }

    /// The entry for the transfer root itself ("."), when a source named a directory's contents.
    /// Its messages are delivered to `observer` at once.
    public mutating func rootEntry(sourcePath: [UInt8], observer: TransferObserver) -> FileEntry? {
        messages.removeAll()
        let entry = makeEntry(name: PathBytes.dot, sourcePath: sourcePath, fromListing: false)
        SenderMessage.deliver(messages, to: observer)
        return entry
    }

    private mutating func reportError(_ text: String, role: Role? = .sender, isPrefixed: Bool = true) {
        messages.append(SenderMessage(text: text, isError: true, role: role, isPrefixed: isPrefixed))
    }

    private mutating func reportInfo(_ text: String) {
        messages.append(SenderMessage(text: text, isError: false, role: nil))
    }

    /// lstat (or stat, for `-L` and unsafe links under `--copy-unsafe-links`) one source path; an entry
    /// of a listed directory is looked up through that directory's handle (`location`), below `root`.
    private mutating func makeEntry(name: [UInt8], sourcePath: [UInt8], fromListing: Bool,
        location: (directory: any DirectoryHandle, name: [UInt8])? = nil, root: SourceRoot? = nil,
        impliedDirectory: Bool = false, status looked: Result<FileStatus, SystemCallError>? = nil) -> FileEntry?
    {
        let fs = self.fs
        func lstat() throws(SystemCallError) -> FileStatus {
            guard let location else { return try fs.lstat(sourcePath) }
            return try fs.lstat(location.name, in: location.directory)
        }
        func stat() throws(SystemCallError) -> FileStatus {
            guard let location else { return try fs.stat(sourcePath) }
            return try fs.stat(location.name, in: location.directory)
        }
        func readLink() throws(SystemCallError) -> [UInt8] {
            guard let location else { return try fs.readLink(sourcePath) }
            return try fs.readLink(location.name, in: location.directory)
        }
        /// The entry as a location: in its listed directory, or by its path.
        func place() -> FileLocation {
            location.map { FileLocation($0.name, in: $0.directory) } ?? FileLocation(path: sourcePath)
        }
        var status: FileStatus
        do {
            if let looked { status = try looked.get() } else { status = try lstat() }
        } catch {
            // --ignore-missing-args: a named source that is not there is no error; with
            // --delete-missing-args it goes as a "missing" entry, for the receiver to delete.
            if error.errno == SystemErrno.noSuchEntry && !fromListing && (options.ignoreMissingArgs || options.deleteMissingArgs) {
                guard options.deleteMissingArgs else { return nil }
                var missing = FileEntry(name: name, sourcePath: sourcePath, status: FileStatus(mode: 0, size: 0,
                    mtime: FileTime(seconds: 0), uid: 0, gid: 0, device: 0, inode: 0, linkCount: 1, rdev: 0))
                missing.isMissingArgument = true
                return missing
            }
            if error.errno == SystemErrno.noSuchEntry && fromListing {
                reportError("file has vanished: \"\(absolute(sourcePath))\"", isPrefixed: false)
                vanished = true
            } else {
                reportError("[sender] \(error.describing(call: "link_stat", path: fs.absolute(sourcePath)))")
                ioError = true
            }
            return nil
        }
        // rsync 3.5: a -R implied directory goes as a real directory even where the sender's path has a
        // symlink, when the link leads to a directory that stays below the transfer's anchor.
        if impliedDirectory, status.kind == .symlink, let followed = impliedDirectoryThroughLink(name, sourcePath) {
            status = followed
        }
        var target: [UInt8]?
        let isSymlink = status.kind == .symlink
        if isSymlink {
            do {
                target = try readLink()
            } catch {
                reportError("[sender] \(error.describing(call: "readlink", path: fs.absolute(sourcePath)))")
                ioError = true
                return nil
            }
            // --munge-links: a target munged by an earlier receiver goes out as it was.
            let prefix = SyncOptions.mungedLinkPrefix
            if options.mungeLinks, target!.count > prefix.count, target!.starts(with: prefix) {
                target = Array(target!.dropFirst(prefix.count))
            }
            let unsafe = PathBytes.isUnsafeSymlink(target: target!, linkName: name)
            if options.copyLinks || (options.copyUnsafeLinks && unsafe) {
                // rsync announces the copy before it looks for the referent.
                if !options.copyLinks && options.showsSymlinkSafety {
                    reportInfo("copying unsafe symlink \"\(OutputEscaper.escape(name, highBytes: options.highBytes))\" -> \"\(OutputEscaper.escape(target!, highBytes: options.highBytes))\"")
                }
                do {
                    status = try stat()
                    target = nil
                } catch {
                    // rsync checks the rules before complaining about a dangling link.
                    if let filters, filters.isExcluded(name, isDirectory: false, side: .sender) { return nil }
                    reportError("symlink has no referent: \"\(absolute(sourcePath))\"", isPrefixed: false)
                    ioError = true
                    return nil
                }
            } else if options.copyDirLinks, let resolved = try? stat(), resolved.kind == .directory {
                status = resolved
                target = nil
            }
            // --safe-links: an unsafe link is still listed (so --delete keeps what the destination has of
            // it); the generator ignores it, as rsync's does.
        }
        if options.copyDevices && status.kind.isDevice {
            // rsync: a device's contents go as a regular file, as long as the device is (its own size is 0).
            if status.size == 0, let length = try? fs.openSource(place(), followingSymlink: false).size() {
                status.size = length
            }
            status.mode = 0o100000 | (status.mode & 0o777)
            status.mtime = options.startTime
        }
        if options.chmod.count > 0 && status.kind != .symlink {
            let changed = ChmodRule.apply(options.chmod, to: status.permissions, isDirectory: status.kind == .directory)
            status.mode = (status.mode & ~0o7777) | changed
        }
        var entry = FileEntry(name: name, sourcePath: sourcePath, status: status, symlinkTarget: target)
        entry.isFollowedSymlink = isSymlink && status.kind != .symlink
        if status.kind == .regular {
            entry.sourceDirectory = location?.directory
            if !entry.isFollowedSymlink { entry.sourceRoot = root }
        }
        if securityRules.isActive && !entry.isFollowedSymlink {
            entry.securityAttributes = listSecurityAttributes(place(), kind: status.kind)
        }
        return entry
    }

    /// The directory an implied `-R` path element that is a symlink leads to, when it is one and below the
    /// anchor the path is named from (the source path without its transfer name: `src/./a/link` from `src`).
    private func impliedDirectoryThroughLink(_ name: [UInt8], _ sourcePath: [UInt8]) -> FileStatus? {
        guard sourcePath.count >= name.count, sourcePath.suffix(name.count).elementsEqual(name) else { return nil }
        let anchor = PathBytes.trimmingTrailingSlashes(Array(sourcePath.dropLast(name.count)))
        guard let root = try? fs.openDirectory(anchor.isEmpty ? PathBytes.dot : anchor),
            (try? fs.openDirectoryBeneathFollowingLinks(name, in: root)) != nil,
            let followed = try? fs.stat(sourcePath), followed.kind == .directory
        else { return nil }
        return followed
    }

    /// `-X`/`-A`: what the sender lists of an entry's extended attributes and ACLs. A file system
    /// without them has none (as rsync, no message); another failure is a sender I/O error.
    private mutating func listSecurityAttributes(_ location: FileLocation, kind: FileKind) -> SecurityAttributes? {
        let selection = securityRules.selection(for: kind)
        guard !selection.isEmpty else { return nil }
        do {
            return securityRules.listed(try fs.securityAttributes(location, kind: kind, selection: selection))
        } catch {
            if error.errno == SystemErrno.notSupported { return nil }
            reportError("[sender] \(error.describing(call: "get_xattr_names: llistxattr", path: fs.absolute(location.path)))")
            ioError = true
            return nil
        }
    }

    private func absolute(_ path: [UInt8]) -> String {
        OutputEscaper.escape(fs.absolute(path), highBytes: options.highBytes)
    }
}

extension SystemCallError {
    /// The message with another call name, for calls the file system layer names differently.
    public func describing(call: String, path: [UInt8]? = nil) -> String {
        var copy = self
        copy.call = call
        if let path { copy.path = path }
        return copy.description
    }
}

/// A line the sender has for the user: an error for stderr, or information for stdout.
public struct SenderMessage: Sendable {
    public var text: String
    public var isError: Bool
    public var role: Role?
    /// An error printed after the program name (see `Diagnostic`).
    public var isPrefixed = true

    public static func deliver(_ messages: [SenderMessage], to observer: TransferObserver) {
        for message in messages {
            if message.isError {
                observer.error(Diagnostic(message.text, role: message.role, isPrefixed: message.isPrefixed))
            } else {
                observer.info(message.text)
            }
        }
    }
}
