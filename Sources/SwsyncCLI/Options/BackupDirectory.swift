import Glibc
import SyncCore

/// rsync's refusal of a `--backup-dir` that is the destination directory itself when the suffix is empty
/// (rsync's default with `--backup-dir`): every backup would be the file it is about to replace, so the old
/// version would be lost. rsync catches the spellings `.`, `./`, `./.` and an empty name; swsync also catches
/// any other name that leads to the destination (an absolute path, `..`, a symlink), checked on the disk.
enum BackupDirectory {
    static let sameAsDestination = "--suffix cannot be empty when --backup-dir is the same as the dest dir"

    /// Whether the options back files up into the destination itself under their own names.
    static func needsCheck(_ options: SyncOptions) -> Bool {
        options.backupDir != nil && options.effectiveSuffix.isEmpty
    }

    /// A relative name made of `.` and empty components only: the destination, whatever the disk holds.
    static func spellsDestination(_ backupDir: [UInt8]) -> Bool {
        backupDir.first != PathBytes.slash
            && backupDir.split(separator: PathBytes.slash).allSatisfy { $0.elementsEqual(PathBytes.dot) }
    }

    /// Whether `backupDir` (relative names start at the destination directory) is the directory the run
    /// writes `destination` into: the destination when it is a directory, its parent when it is an existing
    /// file. A destination that does not exist yet holds nothing to back up.
    static func isDestination(_ backupDir: [UInt8], destination: [UInt8]) -> Bool {
        guard let target = status(destination) else { return false }
        let root = (target.st_mode & S_IFMT) == S_IFDIR ? destination : PathBytes.parent(destination)
        guard let rootStatus = status(root), let resolved = resolve(backupDir, from: root),
            let backupStatus = status(resolved)
        else { return false }
        return backupStatus.st_dev == rootStatus.st_dev && backupStatus.st_ino == rootStatus.st_ino
    }

    /// The directory backups would go to once the receiver has made its missing parts: the part that exists
    /// resolved through its symlinks, the rest (which will be made as plain directories) taken by name.
    static func resolve(_ backupDir: [UInt8], from root: [UInt8]) -> [UInt8]? {
        guard var current = realPath(backupDir.first == PathBytes.slash ? [PathBytes.slash] : root) else {
            return nil
        }
        for component in backupDir.split(separator: PathBytes.slash) {
            if component.elementsEqual(PathBytes.dot) { continue }
            if component.elementsEqual([PathBytes.dot[0], PathBytes.dot[0]]) {
                current = PathBytes.parent(current)
                continue
            }
            let next = PathBytes.join(current, Array(component))
            current = realPath(next) ?? next
        }
        return current
    }

    private static func realPath(_ path: [UInt8]) -> [UInt8]? {
        guard let resolved = (path + [0]).withUnsafeBufferPointer({ buffer in
            buffer.withMemoryRebound(to: CChar.self) { realpath($0.baseAddress!, nil) }
        }) else { return nil }
        defer { free(resolved) }
        return Array(UnsafeRawBufferPointer(start: resolved, count: strlen(resolved)))
    }

    private static func status(_ path: [UInt8]) -> stat? {
        var result = stat()
        let code = (path + [0]).withUnsafeBufferPointer { buffer in
            buffer.withMemoryRebound(to: CChar.self) { stat($0.baseAddress!, &result) }
        }
        return code == 0 ? result : nil
    }
}
