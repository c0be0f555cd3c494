/// The sender's file-list builder: lists one transfer directory at a time, in rsync's order, so memory
/// holds one directory's entries rather than the whole tree.
public struct FileListBuilder<FS: FileSystem> {
    let fs: FS
    let options: SyncOptions
    let observer: TransferObserver

    /// Set when a source could not be read; deletions are then skipped (rsync's `io_error`).
    public private(set) var ioError = false
    /// Set when a source vanished between listing and reading (exit 24).
    public private(set) var vanished = false

    public init(fs: FS, options: SyncOptions, observer: TransferObserver) {
        self.fs = fs
        self.options = options
        self.observer = observer
    }

    /// One listed directory: its entries (sorted) and, for each subdirectory, what to list inside it.
    public struct Listing {
        public var entries: [FileEntry]
        public var subdirectories: [[UInt8]: SourceDirectory]
    }

    /// Lists `directory`, whose entries are named under `relativeName` ("" for the transfer root).
    public mutating func list(_ directory: SourceDirectory, relativeName: [UInt8]) -> Listing {
        var entries: [FileEntry] = []
        var subdirectories: [[UInt8]: SourceDirectory] = [:]
        var seen = Set<[UInt8]>()

        for (name, child) in directory.named where !seen.contains(name) {
            let relative = PathBytes.join(relativeName, name)
            guard let entry = makeEntry(name: relative, sourcePath: child.sourcePath, fromListing: false) else {
                continue
            }
            seen.insert(name)
            if entry.isDirectory {
                if let subtree = child.subtree {
                    if !child.isImplied && subtree.listings.isEmpty { subtree.listings.append(child.sourcePath) }
                    subtree.device = entry.status.device
                    subdirectories[name] = subtree
                } else {
                    subdirectories[name] = SourceDirectory(listings: [child.sourcePath], device: entry.status.device)
                }
            }
            entries.append(entry)
        }

        for source in directory.listings {
            let names: [[UInt8]]
            do {
                names = try fs.listDirectory(source)
            } catch {
                let call = relativeName.isEmpty ? "change_dir" : "opendir"
                var path = fs.absolute(source)
                while path.count > 1 && path.last == PathBytes.slash { path.removeLast() }
                if path.count > 2 && path.suffix(2).elementsEqual([PathBytes.slash, UInt8(ascii: ".")]) {
                    path.removeLast(2)
                }
                observer.error("[sender] \(error.describing(call: call, path: path))", role: .sender)
                ioError = true
                continue
            }
            for name in names where !seen.contains(name) {
                seen.insert(name)
                let sourcePath = PathBytes.join(source, name)
                let relative = PathBytes.join(relativeName, name)
                guard let entry = makeEntry(name: relative, sourcePath: sourcePath, fromListing: true) else {
                    continue
                }
                if entry.isDirectory {
                    if options.oneFileSystem > 0, let parentDevice = directory.device,
                        entry.status.device != parentDevice
                    {
                        if options.oneFileSystem > 1 { continue }
                        subdirectories[name] = SourceDirectory(listings: [], device: entry.status.device)
                    } else {
                        subdirectories[name] = SourceDirectory(listings: [sourcePath], device: entry.status.device)
                    }
                }
                entries.append(entry)
            }
        }
        FileListOrder.sort(&entries)
        return Listing(entries: entries, subdirectories: subdirectories)
    }

    /// The entry for the transfer root itself ("."), when a source named a directory's contents.
    public mutating func rootEntry(sourcePath: [UInt8]) -> FileEntry? {
        makeEntry(name: PathBytes.dot, sourcePath: sourcePath, fromListing: false)
    }

    /// lstat (or stat, for `-L` and unsafe links under `--copy-unsafe-links`) one source path.
    private mutating func makeEntry(name: [UInt8], sourcePath: [UInt8], fromListing: Bool) -> FileEntry? {
        var status: FileStatus
        do {
            status = try fs.lstat(sourcePath)
        } catch {
            if error.errno == 2 && fromListing {
                observer.error("file has vanished: \"\(absolute(sourcePath))\"", role: .sender)
                vanished = true
            } else {
                observer.error("[sender] \(error.describing(call: "link_stat", path: fs.absolute(sourcePath)))", role: .sender)
                ioError = true
            }
            return nil
        }
        var target: [UInt8]?
        if status.kind == .symlink {
            do {
                target = try fs.readLink(sourcePath)
            } catch {
                observer.error("[sender] \(error.describing(call: "readlink", path: fs.absolute(sourcePath)))", role: .sender)
                ioError = true
                return nil
            }
            let unsafe = PathBytes.isUnsafeSymlink(target: target!, linkName: name)
            if options.copyLinks || (options.copyUnsafeLinks && unsafe) {
                do {
                    status = try fs.stat(sourcePath)
                    target = nil
                } catch {
                    observer.error("symlink has no referent: \"\(absolute(sourcePath))\"", role: .sender)
                    ioError = true
                    return nil
                }
            } else if options.copyDirLinks, let resolved = try? fs.stat(sourcePath), resolved.kind == .directory {
                status = resolved
                target = nil
            } else if options.safeLinks && options.links && unsafe {
                if options.verbose > 0 {
                    observer.info("ignoring unsafe symlink \"\(OutputEscaper.escape(name))\" -> \"\(OutputEscaper.escape(target!))\"")
                }
                return nil
            }
        }
        if options.chmod.count > 0 && status.kind != .symlink {
            let changed = ChmodRule.apply(options.chmod, to: status.permissions, isDirectory: status.kind == .directory)
            status.mode = (status.mode & ~0o7777) | changed
        }
        return FileEntry(name: name, sourcePath: sourcePath, status: status, symlinkTarget: target)
    }

    private func absolute(_ path: [UInt8]) -> String {
        OutputEscaper.escape(fs.absolute(path))
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
