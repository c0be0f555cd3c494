import Foundation

import Glibc

/// rsync and swsync run side by side as `nobody` (root reads and writes everything), each in its own copy
/// of a prepared directory.
enum Unprivileged {
    static let asNobody = ["/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]

    struct Result {
        var label: String
        var output: ProcessOutput
        var tree: TreeSnapshot
    }

    /// Makes `root/src` and `root/dst` (each with everything in it) nobody's, and `root` reachable by
    /// nobody: the usual start of a run as nobody.
    static func handOver(_ root: String) throws {
        _ = try Subprocess.run("/bin/chown", ["-R", "65534:65534", root + "/src", root + "/dst"], in: root, outputPrefix: nil)
        try changeMode(root, 0o755)
    }

    /// For each tool: `scratch/<label>` made, `prepare`d, the tool run there as nobody with `arguments`,
    /// `afterRun` called, then `dst/` snapshotted (as root). rsync's result first.
    /// `swsyncOptions` go to swsync alone, before `arguments` (its own options, say).
    static func runBoth(in scratch: String, _ arguments: [String], swsyncOptions: [String] = [],
        prepare: (String) throws -> Void, afterRun: (String) throws -> Void = { _ in }) throws -> (rsync: Result, swsync: Result)
    {
        try changeMode(scratch, 0o755)
        var results: [Result] = []
        for (label, command) in [("rsync", [Tools.rsync!]), ("swsync", [RemoteHost.absoluteSwsync] + swsyncOptions)] {
            let root = scratch + "/" + label
            try makeDirectory(root)
            try prepare(root)
            let output = try Subprocess(executable: asNobody[0], arguments: Array(asNobody.dropFirst()) + command + arguments,
                directory: root, outputPrefix: root + "/out").wait()
            try afterRun(root)
            results.append(Result(label: label, output: output, tree: try TreeSnapshot(root + "/dst")))
        }
        return (results[0], results[1])
    }
}
