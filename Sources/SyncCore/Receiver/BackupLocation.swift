/// rsync's refusal of a `--backup-dir` that is the destination directory itself while the suffix is
/// empty (rsync's default with `--backup-dir`): each backup would be the file it is about to replace,
/// and the old version would be lost. The command line refuses the spellings (`.`, `./`); this catches
/// every other name that leads to the destination (an absolute path, `..`, a symlink), on the disk,
/// where the destination is, so a push's server refuses it as a local run does.
public enum BackupLocation {
    public static let sameAsDestination = "--suffix cannot be empty when --backup-dir is the same as the dest dir"

    /// True when backups would be written into the destination under their own names.
    public static func overwritesOriginals(_ options: SyncOptions) -> Bool {
        options.backupDir != nil && options.effectiveSuffix.isEmpty
    }

    /// A relative name made of `.` and empty components only: the destination, whatever the disk holds.
    public static func spellsDestination(_ backupDir: [UInt8]) -> Bool {
        backupDir.first != PathBytes.slash
            && backupDir.split(separator: PathBytes.slash).allSatisfy { $0.elementsEqual(PathBytes.dot) }
    }

    /// Whether `backupDir` (a relative one starts at the destination directory) is the directory the run
    /// writes `destination` into: the destination when it is a directory, its parent when it is a file.
    /// A destination that does not exist yet holds nothing to back up.
    static func isDestination<FS: FileSystem>(_ backupDir: [UInt8], destination: [UInt8], fs: FS) -> Bool {
        guard let target = try? fs.stat(destination) else { return false }
        let root = target.kind == .directory ? destination : PathBytes.parent(destination)
        guard let rootStatus = try? fs.stat(root), let resolved = resolve(backupDir, from: root, fs: fs),
            let backupStatus = try? fs.stat(resolved)
        else { return false }
        return backupStatus.device == rootStatus.device && backupStatus.inode == rootStatus.inode
    }

    /// The directory backups would go to once the receiver has made its missing parts: the part that
    /// exists resolved through its symlinks, the rest (made as plain directories) taken by name.
    private static func resolve<FS: FileSystem>(_ backupDir: [UInt8], from root: [UInt8], fs: FS) -> [UInt8]? {
        guard var current = try? fs.resolvedPath(backupDir.first == PathBytes.slash ? [PathBytes.slash] : root) else {
            return nil
        }
        for component in backupDir.split(separator: PathBytes.slash) {
            if component.elementsEqual(PathBytes.dot) { continue }
            if component.elementsEqual([PathBytes.dot[0], PathBytes.dot[0]]) {
                current = PathBytes.parent(current)
                continue
            }
            let next = PathBytes.join(current, Array(component))
            current = (try? fs.resolvedPath(next)) ?? next
        }
        return current
    }
}
