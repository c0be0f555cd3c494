/// `--partial-dir`: where the partial file of an interrupted transfer is kept, and found again as the
/// basis of the next one. A relative directory is made inside each destination directory (rsync's
/// `partial_dir_fname`), an absolute one is shared by all.
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

    /// False when the partial directory for `directory` is reached through a symlink another user owns
    /// (the operator-path rule): a `.~tmp~ -> /etc` planted in a destination directory is neither read
    /// as a basis nor written into. A directory that does not exist yet is usable (it is made).
    func isTrusted<FS: FileSystem>(in directory: [UInt8], fs: FS) -> Bool { refusal(in: directory, fs: fs) == nil }

    /// Why the partial directory for `directory` is refused, if it is.
    func refusal<FS: FileSystem>(in directory: [UInt8], fs: FS) -> SystemCallError? {
        do throws(SystemCallError) {
            _ = try fs.openOperatorDirectory(self.directory(in: directory), confined: true)
            return nil
        } catch {
            return error.refusal == nil ? nil : error
        }
    }
}
