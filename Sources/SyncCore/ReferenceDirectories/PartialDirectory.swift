/// `--partial-dir`: where the partial file of an interrupted transfer is kept, and found again as the
/// basis of the next one. A relative directory is made inside each destination directory (rsync's
/// `partial_dir_fname`), an absolute one is shared by all. It is reached under the operator-path rule
/// (a `.~tmp~ -> /etc` planted in a destination directory by another user is refused) and its files
/// through the handle that walk returns.
struct PartialDirectory {
    let option: [UInt8]

    init?(_ options: SyncOptions) {
        guard let partialDir = options.partialDir else { return nil }
        option = partialDir
    }

    /// The partial directory for files in the destination directory `directory`.
    func directory(in directory: [UInt8]) -> [UInt8] {
        option.first == PathBytes.slash ? option : PathBytes.join(directory, option)
    }

    /// The partial file of the destination file `name` (a base name) in `directory`.
    func file(named name: [UInt8], in directory: [UInt8]) -> [UInt8] {
        PathBytes.join(self.directory(in: directory), PathBytes.lastComponent(name))
    }

    /// What opening the partial directory for `directory` found.
    enum Lookup {
        case opened(any DirectoryHandle)
        /// Reached through a symlink another user owns: neither read as a basis nor written into.
        case refused(SystemCallError)
        /// Missing, or not a directory.
        case absent
    }

    func open<FS: FileSystem>(in directory: [UInt8], fs: FS) -> Lookup {
        do throws(SystemCallError) {
            return .opened(try fs.openOperatorDirectory(self.directory(in: directory), confined: true))
        } catch {
            return error.refusal == nil ? .absent : .refused(error)
        }
    }

    /// The partial directory for `directory`, made (mode 0700) when missing: its parent opened under
    /// the rule, the directory made through that handle, then opened the same way as `open`.
    func make<FS: FileSystem>(in directory: [UInt8], fs: FS) -> Lookup {
        if case .opened(let handle) = open(in: directory, fs: fs) { return .opened(handle) }
        let path = self.directory(in: directory)
        do throws(SystemCallError) {
            let parent = try fs.openOperatorDirectory(PathBytes.parent(path), confined: true)
            try? fs.makeDirectory(FileLocation(PathBytes.lastComponent(path), in: parent), permissions: 0o700)
        } catch {
            if error.refusal != nil { return .refused(error) }
        }
        return open(in: directory, fs: fs)
    }

    /// Removes the partial directory for `directory` if it is empty (rmdir through its parent's
    /// handle, so a swapped component removes nothing elsewhere). An absolute one is shared by every
    /// directory and kept, as rsync's `handle_partial_dir` keeps it.
    func removeIfEmpty<FS: FileSystem>(in directory: [UInt8], fs: FS) {
        guard option.first != PathBytes.slash else { return }
        let path = self.directory(in: directory)
        guard let parent = try? fs.openOperatorDirectory(PathBytes.parent(path), confined: true) else { return }
        try? fs.removeDirectory(FileLocation(PathBytes.lastComponent(path), in: parent))
    }
}
