/// `--remove-source-files`: the sender removes a non-directory once the receiver has it in place (rsync's
/// `successful_send`), and only if it is still what was listed: the same size and modification time, so
/// a file written to while it was sent stays. The entry is examined and unlinked through its directory's
/// handle (or below its source root), never through a path that could have been redirected meanwhile.
public enum SourceRemoval {
    /// What became of one source entry.
    public enum Outcome {
        case removed
        /// It changed since it was listed (rsync: "Skipping sender remove for changed file").
        case changed
        /// The source and the destination are one file (a local run into itself).
        case isDestination
        /// Someone else removed it first.
        case alreadyRemoved
        case failed(SystemCallError)
    }

    /// Removes the entry named `name` in `directory` if it still matches `listed`. `follows`: `-L`, the
    /// listing followed the symlink, so the target is compared and the link removed, as rsync does.
    /// `destination`: the (device, inode) of the destination entry in a local run.
    public static func remove<FS: FileSystem>(_ name: [UInt8], in directory: any DirectoryHandle, listed: FileStatus,
        follows: Bool, destination: (device: UInt64, inode: UInt64)?, fs: FS) -> Outcome
    {
        let current: FileStatus
        do throws(SystemCallError) {
            current = follows ? try fs.stat(name, in: directory) : try fs.lstat(name, in: directory)
        } catch {
            return error.errno == SystemErrno.noSuchEntry ? .alreadyRemoved : .failed(error)
        }
        if let destination, destination.device == current.device && destination.inode == current.inode {
            return .isDestination
        }
        guard current.size == listed.size, current.mtime == listed.mtime else {
            return .changed
        }
        do throws(SystemCallError) {
            try fs.removeFile(FileLocation(name, in: directory))
        } catch {
            return error.errno == SystemErrno.noSuchEntry ? .alreadyRemoved : .failed(error)
        }
        return .removed
    }

    /// Reports `outcome` for the entry `name` (its path in the transfer) as rsync's sender does; true
    /// when it counts as an error of the run (exit 23).
    @discardableResult
    public static func report(_ outcome: Outcome, name: [UInt8], infoLevel: Int, highBytes: OutputEscaper.HighBytes,
        observer: TransferObserver) -> Bool
    {
        let shown = OutputEscaper.escape(name, highBytes: highBytes)
        switch outcome {
        case .removed:
            if infoLevel > 0 { observer.info("sender removed \(shown)") }
            return false
        case .alreadyRemoved:
            observer.info("sender file already removed: \(shown)")
            return false
        case .changed:
            observer.error(.bare("ERROR: Skipping sender remove for changed file: \(shown)"))
            return true
        case .isDestination:
            observer.error(.bare("ERROR: Skipping sender remove of destination file: \(shown)"))
            return true
        case .failed(let error):
            observer.error("[sender] sender failed to remove \(shown): \(error.errnoText) (\(error.errno))", role: nil)
            return true
        }
    }
}
