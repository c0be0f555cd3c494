import Foundation
import SyncTestSupport
import Testing

import Glibc

/// `-X`/`-A` into a file system without extended attributes (ramfs, mounted for the test): each failed write
/// is reported in rsync's words and the run ends with 23, as rsync's does. The temp names differ, so lines
/// are compared with them masked, and without regard to order (swsync writes files on other threads).
@Suite(.tags(.large), .enabled(if: Tools.swsyncAvailable && Tools.rsyncAvailable, "swsync or rsync missing"),
    .enabled(if: geteuid() == 0, "needs root to mount ramfs"),
    .enabled(if: SecurityFixture.available, "attr/acl tools missing"))
struct UnsupportedSecurityAttributeTests {
    static func masked(_ text: String, root: String) -> [String] {
        text.split(separator: "\n").map { line in
            var line = String(line).replacingOccurrences(of: root, with: "ROOT")
            // ".f.XXXXXX" temp names
            if let range = line.range(of: #"\.f\.[A-Za-z0-9]{6}"#, options: .regularExpression) {
                line.replaceSubrange(range, with: ".f.TEMP")
            }
            return line.replacingOccurrences(of: "swsync", with: "rsync")
                .replacingOccurrences(of: #" at main\.c\(\d+\) \[sender=[^\]]*\]| \[rsync=[^\]]*\]"#, with: "",
                    options: .regularExpression)
        }.sorted()
    }

    @Test(arguments: [["-aiX"], ["-aiA"], ["-aiAX"]])
    func failedWritesAreExit23(_ options: [String]) throws {
        let scratch = try TemporaryDirectory("xattrs-unsupported")
        let source = scratch.path + "/src", mountPoint = scratch.path + "/ram"
        try makeDirectories(source + "/d")
        try makeDirectory(mountPoint)
        try writeFile(source + "/f", Array("data\n".utf8))
        try SecurityFixture.setfattr(source + "/f", "user.a", "1")
        try SecurityFixture.setfattr(source + "/d", "user.b", "2")
        try SecurityFixture.run("/usr/bin/setfacl", ["-m", "u:nobody:r", source + "/f"])
        guard (try? SecurityFixture.run("/bin/mount", ["-t", "ramfs", "none", mountPoint])) != nil else {
            try Test.cancel("ramfs cannot be mounted here")
        }
        defer { _ = try? SecurityFixture.run("/bin/umount", [mountPoint]) }
        var results: [(output: ProcessOutput, lines: [String])] = []
        for (label, tool) in [("rsync", Tools.rsync!), ("swsync", RemoteHost.absoluteSwsync)] {
            let output = try Subprocess(executable: tool, arguments: options + ["src/", "ram/\(label)/"],
                directory: scratch.path, outputPrefix: scratch.path + "/\(label)").wait()
            results.append((output, Self.masked(output.stderrText, root: mountPoint + "/\(label)")))
        }
        #expect(results[0].output.termination == .exited(23), Comment(rawValue: results[0].output.stderrText))
        #expect(results[1].output.termination == results[0].output.termination)
        #expect(results[1].lines == results[0].lines)
        #expect(results[1].output.stdoutText == results[0].output.stdoutText.replacingOccurrences(of: "ram/rsync", with: "ram/swsync"))
    }
}
