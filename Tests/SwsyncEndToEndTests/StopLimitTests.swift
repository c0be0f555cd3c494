import Foundation
import SyncTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// `--stop-at` stops a run cleanly at the moment it names: rsync's "stopping at requested limit" and exit
/// 30, no temp file left, every file in the destination whole. rsync runs the same set-up at the same
/// time, so both meet the same minute.
@Suite(.tags(.large), .enabled(if: Tools.swsyncAvailable, "swsync binary not built"))
struct StopLimitTests {
    @Test func stopAtEndsTheRunWithExit30AndNoHalfFile() throws {
        let scratch = try TemporaryDirectory("stop-at")
        // The next minute at least 8 seconds away; at 500 KiB/s the data takes longer than that.
        var moment = time(nil) + 68
        moment -= moment % 60
        var fields = tm()
        localtime_r(&moment, &fields)
        let stopAt = String(format: "%02d:%02d", fields.tm_hour, fields.tm_min)
        try writeFile(scratch.path + "/rsh.sh", Array("#!/bin/sh\nshift\nexec sh -c \"$*\"\n".utf8), mode: 0o755)

        var runs: [(label: String, root: String, run: Subprocess)] = []
        var labels = ["swsync", "swsync-push"]
        if Tools.rsync != nil { labels.append("rsync") }
        for label in labels {
            let root = scratch.path + "/" + label
            try makeDirectories(root + "/src")
            for index in 0..<3 { try writeFile(root + "/src/f\(index)", Fixture.content("f\(index)", size: 16_000_000)) }
            var arguments = ["-a", "--bwlimit=500", "--stop-at=\(stopAt)", "src/"]
            var executable = Tools.swsync
            switch label {
            case "rsync": executable = Tools.rsync!
            case "swsync-push":
                arguments += ["-e", scratch.path + "/rsh.sh", "--rsync-path=\(RemoteHost.absoluteSwsync)"]
                arguments.append("host:" + root + "/dst/")
            default: break
            }
            if label != "swsync-push" { arguments.append("dst/") }
            runs.append((label, root, try Subprocess(executable: executable, arguments: arguments, directory: root,
                outputPrefix: root + "/out")))
        }
        for (label, root, run) in runs {
            let output = run.wait(timeout: 150)
            #expect(output.termination == .exited(30), "\(label): \(output.stderrText)")
            let lines = output.stderrText.split(separator: "\n")
            #expect(lines.first == "stopping at requested limit", "\(label): \(output.stderrText)")
            #expect(lines.contains { $0.contains("timeout in data send/receive (code 30)") }, "\(label)")
            // rsync's receiver may still be removing its temp file after the client's exit.
            var names: [String] = []
            for _ in 0..<100 {
                names = (try? directoryEntries(root + "/dst")) ?? []
                if !names.contains(where: { $0.hasPrefix(".") }) { break }
                usleep(50_000)
            }
            #expect(!names.contains { $0.hasPrefix(".") }, "\(label) left \(names)")
            #expect(names.count < 3, "\(label) finished before the limit: \(names)")
            for name in names {
                #expect(try readAllBytes(root + "/dst/" + name) == readAllBytes(root + "/src/" + name), "\(label): \(name)")
            }
        }
    }
}
