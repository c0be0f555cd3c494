import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// A fresh directory removed when the value goes away.
///
/// Lives under `/dev/shm` when it exists (tmpfs keeps the suite fast), else under `NSTemporaryDirectory()`.
/// Set `SWSYNC_KEEP_TMP=1` to keep the directories for a post-mortem; their paths are in failure messages.
final class TemporaryDirectory {
    let path: String

    init(_ label: String, onScratchFileSystem: Bool = true) throws {
        let base = onScratchFileSystem ? TemporaryDirectory.scratchBase : TemporaryDirectory.diskBase
        let safeLabel = String(label.map { $0.isLetter || $0.isNumber || $0 == "-" ? $0 : "_" }.prefix(40))
        var template = Array("\(base)/swsync-e2e-\(safeLabel).XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else { throw posixError("mkdtemp", base) }
        path = String(cString: made)
    }

    deinit {
        if ProcessInfo.processInfo.environment["SWSYNC_KEEP_TMP"] == nil {
            removeTree(path)
        }
    }

    /// Fast scratch space (tmpfs when available).
    static let scratchBase: String = {
        var st = stat()
        if stat("/dev/shm", &st) == 0, access("/dev/shm", W_OK) == 0 { return "/dev/shm" }
        return diskBase
    }()

    /// Ordinary temporary directory; usually another file system than `/dev/shm`, which makes
    /// `--temp-dir` cross a device boundary.
    static let diskBase: String = {
        var base = NSTemporaryDirectory()
        while base.count > 1 && base.hasSuffix("/") { base.removeLast() }
        return base
    }()
}
