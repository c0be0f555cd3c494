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
}
