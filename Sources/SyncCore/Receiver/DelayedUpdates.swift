/// `--delay-updates`: every updated file waits, finished, in its directory's partial directory until the
/// whole transfer is written, and then all are renamed into place together, so the destination changes
/// over as short a time as possible (rsync's `handle_delayed_updates`).
public struct DelayedUpdate: Sendable {
    /// The finished file, in the partial directory.
    public var waiting: FileLocation
    /// Where it goes.
    public var destination: FileLocation
    /// A file was there (so `-b` backs it up first).
    public var hasExisting: Bool
    /// The waiting file's name relative to the transfer root, for messages (`sub/.~tmp~/name`).
    public var waitingName: [UInt8]
}

extension Receiver {
    /// `--delay-updates`: a finished temp file, with its attributes, goes into the partial directory
    /// (`.~tmp~` unless `--partial-dir` names another) under the file's name; `installDelayedUpdate`
    /// renames it over the destination once every file is written.
    func installDelayed(_ temporary: FileLocation, job: WriteJob) throws(WriteFailure)
        -> (warnings: [String], update: DelayedUpdate)
    {
        let warnings = finishAttributes(temporary, permissions: job.permissions, owner: (job.uid, job.gid), mtime: job.mtime, atime: job.atime)
        guard let partialDirectory = PartialDirectory(options),
            case .opened(let handle) = partialDirectory.make(in: PathBytes.parent(job.destination), fs: fs)
        else {
            try? fs.removeFile(temporary)
            throw .partialDirectoryUnusable(name: job.name)
        }
        let waiting = FileLocation(PathBytes.lastComponent(job.name), in: handle)
        do { try fs.rename(temporary, to: waiting) } catch {
            try? fs.removeFile(temporary)
            throw .destination(error)
        }
        return (warnings, DelayedUpdate(waiting: waiting, destination: job.location, hasExisting: job.existing != nil,
            waitingName: PathBytes.join(PathBytes.parent(job.name) == PathBytes.dot ? [] : PathBytes.parent(job.name),
                PathBytes.join(partialDirectory.option, PathBytes.lastComponent(job.name)))))
    }

    /// Renames a delayed file over its destination, after the backup (`-b`) of what is there; removes
    /// the partial directory when it is left empty.
    /// Returns `--info=backup`'s line.
    public func installDelayedUpdate(_ update: DelayedUpdate, name: [UInt8]) throws(WriteFailure) -> String? {
        var backupLine: String?
        if update.hasExisting && options.backup {
            backupLine = try makeBackup(update.destination, path: update.destination.path, name: name)
        }
        do { try fs.rename(update.waiting, to: update.destination) } catch { throw .destination(error) }
        if let partialDirectory = PartialDirectory(options) {
            partialDirectory.removeIfEmpty(in: PathBytes.parent(update.destination.path), fs: fs)
        }
        return backupLine
    }

}
