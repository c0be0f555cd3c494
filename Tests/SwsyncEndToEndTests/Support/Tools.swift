import Foundation

/// Where the two programs under comparison live.
///
/// - `SWSYNC_BIN`: the binary under test; defaults to `<package root>/.build/debug/swsync`.
///   `SWSYNC_BIN=/usr/bin/rsync` turns every differential test into rsync-vs-rsync, which must pass:
///   that is how the harness itself is validated.
/// - `SWSYNC_ORACLE`: the reference rsync; defaults to the first `rsync` on `PATH` (normally `/usr/bin/rsync`).
enum Tools {
    /// The package root, three levels above this file (`Tests/SwsyncEndToEndTests/Support/Tools.swift`).
    static let packageRoot: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<4 { url.deleteLastPathComponent() }
        return url.path
    }()

    static let swsync: String = {
        if let explicit = ProcessInfo.processInfo.environment["SWSYNC_BIN"], !explicit.isEmpty {
            return explicit
        }
        return packageRoot + "/.build/debug/swsync"
    }()

    static let rsync: String? = {
        if let explicit = ProcessInfo.processInfo.environment["SWSYNC_ORACLE"], !explicit.isEmpty {
            return isExecutable(explicit) ? explicit : nil
        }
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        for dir in path.split(separator: ":") where isExecutable("\(dir)/rsync") {
            return "\(dir)/rsync"
        }
        return isExecutable("/usr/bin/rsync") ? "/usr/bin/rsync" : nil
    }()

    static var rsyncAvailable: Bool { rsync != nil }
    static var swsyncAvailable: Bool { isExecutable(swsync) }

    /// True when `SWSYNC_BIN` points at rsync itself (harness self-check mode): swsync-specific
    /// expectations such as the `--version` text are skipped then.
    static var binaryUnderTestIsRsync: Bool {
        (swsync as NSString).lastPathComponent == "rsync"
    }

    /// A readable reason to put in a failure when the binary is missing.
    static var missingBinaryMessage: String {
        "swsync binary not found at \(swsync); run `swift build` or set SWSYNC_BIN"
    }

    static func isExecutable(_ path: String) -> Bool {
        access(path, X_OK) == 0
    }
}
