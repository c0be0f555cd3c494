import CSyncShims
import Glibc
import SyncCore

/// Linux's Landlock (5.13+): a process gives up, for good, every file-system access outside the
/// paths it names. `swsync --server` does so before it touches the tree (`ServerConfinement`), so
/// even a bug in its own path handling cannot reach beyond the transfer's directories.
public enum Landlock {
    public enum Outcome: Sendable, Equatable {
        /// In force, with the kernel's ABI version.
        case restricted(abi: Int32)
        /// The kernel has no Landlock (or it is disabled): the run goes on unconfined.
        case unavailable
        /// The kernel refused: `errno`, and the path whose rule it refused, if it was one.
        case failed(errno: Int32, path: [UInt8]?)
    }

    /// Restricts this process to `reading` (read-only) and `writing` (read-write) paths.
    public static func restrict(reading: [[UInt8]], writing: [[UInt8]], removingFiles: [[UInt8]] = []) -> Outcome {
        guard csync_landlock_abi() >= 1 else { return .unavailable }
        let paths = reading + writing + removingFiles
        var copies = paths.map { path in strdup(String(decoding: path, as: UTF8.self)) }
        defer { copies.forEach { free($0) } }
        let writable = paths.indices.map { Int32($0 < reading.count ? 0 : $0 < reading.count + writing.count ? 1 : 2) }
        var failedIndex: Int32 = -1
        let result = copies.withUnsafeMutableBufferPointer { pointers in
            pointers.withMemoryRebound(to: UnsafePointer<CChar>?.self) { rebound in
                csync_landlock_restrict(rebound.baseAddress, writable, Int32(paths.count), &failedIndex)
            }
        }
        if result >= 1 { return .restricted(abi: result) }
        let code = errno
        if code == ENOSYS || code == EOPNOTSUPP { return .unavailable }
        return .failed(errno: code, path: failedIndex >= 0 ? paths[Int(failedIndex)] : nil)
    }
}
