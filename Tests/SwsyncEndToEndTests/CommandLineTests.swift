import Foundation
import SyncTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// End-to-end checks of the binary that have no rsync counterpart to diff against.
@Suite(.tags(.large))
struct CommandLineTests {
    private func run(_ arguments: [String], label: String) throws -> ProcessOutput {
        let directory = try TemporaryDirectory(label)
        return try Subprocess.run(Tools.swsync, arguments, in: directory.path, outputPrefix: directory.path + "/out")
    }

    @Test func versionNamesTheTool() throws {
        try #require(Tools.swsyncAvailable, Comment(rawValue: Tools.missingBinaryMessage))
        let output = try run(["--version"], label: "version")
        #expect(output.termination == .exited(0), "stderr: \(output.stderrText)")
        #expect(output.stdoutText.lowercased().contains("version"))
        if !Tools.binaryUnderTestIsRsync {
            #expect(output.stdoutText.contains("swsync"), "--version output: \(output.stdoutText)")
        }
    }

    /// `-VV` is rsync 3.5's JSON capability report, with every capability key rsync has and values
    /// scripts can test (`"ACLs": true`), so rsync's own suite skips what this build lacks.
    @Test func doubleVersionIsAJSONCapabilityReport() throws {
        try #require(Tools.swsyncAvailable, Comment(rawValue: Tools.missingBinaryMessage))
        let output = try run(["-VV"], label: "version-json")
        #expect(output.termination == .exited(0), "stderr: \(output.stderrText)")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(output.stdout)) as? [String: Any])
        let capabilities = try #require(report["capabilities"] as? [String: Any])
        for key in ["symlinks", "hardlinks", "atimes", "ACLs", "xattrs", "crtimes", "prealloc", "stop_at", "inplace", "append"] {
            #expect(capabilities[key] is Bool, "\(key)")
        }
        #expect(capabilities["crtimes"] as? Bool == false)
        #expect(capabilities["ACLs"] as? Bool == true && capabilities["xattrs"] as? Bool == true)
        #expect((report["checksum_list"] as? [String])?.contains("xxh128") == true)
        #expect((report["compress_list"] as? [String])?.contains("zstd") == true)
        #expect(try run(["-V"], label: "version-once").stdoutText.hasPrefix("swsync  version"))
    }

    @Test func helpListsTheMainOptions() throws {
        try #require(Tools.swsyncAvailable, Comment(rawValue: Tools.missingBinaryMessage))
        let output = try run(["--help"], label: "help")
        #expect(output.termination == .exited(0), "stderr: \(output.stderrText)")
        for option in ["--delete", "--link-dest", "--archive", "--itemize-changes", "--dry-run"] {
            #expect(output.stdoutText.contains(option), "--help does not mention \(option)")
        }
    }

    /// `-h` alone means --help, as in rsync.
    @Test func shortHelpAlone() throws {
        try #require(Tools.swsyncAvailable, Comment(rawValue: Tools.missingBinaryMessage))
        let output = try run(["-h"], label: "short-help")
        #expect(output.termination == .exited(0), "stderr: \(output.stderrText)")
        #expect(output.stdoutText.contains("--link-dest"))
    }

    /// A 300 MiB source file in `src/` and an empty `dst/`; the file is sparse except for a few
    /// random blocks: cheap to make, still 300 MiB to read and write.
    private func hugeSource(_ label: String) throws -> (directory: TemporaryDirectory, destination: String, size: Int) {
        let directory = try TemporaryDirectory(label)
        let source = directory.path + "/src"
        try makeDirectory(source)
        try makeDirectory(directory.path + "/dst")
        let size = 300 * 1024 * 1024
        let fd = open(source + "/huge.bin", O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        try #require(fd >= 0)
        defer { close(fd) }
        #expect(ftruncate(fd, off_t(size)) == 0)
        var random = SeededRandom(seed: label)
        for block in stride(from: 0, to: size, by: 16 * 1024 * 1024) {
            let bytes = random.bytes(4096)
            _ = bytes.withUnsafeBytes { pwrite(fd, $0.baseAddress!, $0.count, off_t(block)) }
        }
        return (directory, directory.path + "/dst", size)
    }

    /// Temp files (`.NAME.XXXXXX`) still in `destination` after up to 5 s: rsync's receiver is a child
    /// process that removes its temp file after the parent has exited, so cleanup gets a moment.
    private func leftoverTempFiles(in destination: String) throws -> [String] {
        var leftovers = try directoryEntries(destination).filter { $0.hasPrefix(".") }
        let start = Date()
        while !leftovers.isEmpty && Date().timeIntervalSince(start) < 5 {
            usleep(20_000)
            leftovers = try directoryEntries(destination).filter { $0.hasPrefix(".") }
        }
        return leftovers
    }

    /// SIGTERM in the middle of a big copy: exit status 20 (rsync's RERR_SIGNAL) and the temporary file
    /// (`.NAME.XXXXXX`) removed. If the copy wins the race and completes, the file must be complete instead.
    @Test func sigtermMidTransferCleansUp() throws {
        try #require(Tools.swsyncAvailable, Comment(rawValue: Tools.missingBinaryMessage))
        let (directory, destination, size) = try hugeSource("sigterm")

        let child = try Subprocess(
            executable: Tools.swsync, arguments: ["-a", "src/", "dst/"], directory: directory.path,
            outputPrefix: directory.path + "/out")
        // Wait until the temporary file shows up (or the run ends), then interrupt.
        let start = Date()
        var sawTemporaryFile = false
        while child.poll() == nil && Date().timeIntervalSince(start) < 30 {
            if let names = try? directoryEntries(destination), names.contains(where: { $0.hasPrefix(".") }) {
                sawTemporaryFile = true
                break
            }
            usleep(1_000)
        }
        if !sawTemporaryFile && child.poll() == nil { usleep(200_000) }
        child.send(SIGTERM)
        let output = child.wait(timeout: 30)

        let leftovers = try leftoverTempFiles(in: destination)
        #expect(leftovers.isEmpty, "temporary files left in the destination: \(leftovers)")
        let copied = fileStatus(destination + "/huge.bin")
        let completed = copied.map { Int($0.st_size) == size } ?? false
        if output.termination == .exited(0) {
            #expect(completed, "exit 0 after SIGTERM but huge.bin is incomplete")
        } else {
            #expect(
                output.termination == .exited(20),
                "expected exit 20 after SIGTERM, got \(output.termination); stderr: \(output.stderrText)")
        }
    }

    /// The same with `--partial`: the data copied so far is kept as the destination file (rsync keeps the
    /// partial file), no temp file is left, and the run ends with 20.
    @Test func sigtermWithPartialKeepsTheData() throws {
        try #require(Tools.swsyncAvailable, Comment(rawValue: Tools.missingBinaryMessage))
        let (directory, destination, size) = try hugeSource("sigterm-partial")
        // --bwlimit keeps the copy slow (20 MiB/s), so the signal lands mid-file.
        let child = try Subprocess(
            executable: Tools.swsync, arguments: ["-a", "--partial", "--bwlimit=20m", "src/", "dst/"],
            directory: directory.path, outputPrefix: directory.path + "/out")
        usleep(1_500_000)
        child.send(SIGTERM)
        let output = child.wait(timeout: 30)
        let leftovers = try leftoverTempFiles(in: destination)
        #expect(leftovers.isEmpty, "temporary files left in the destination: \(leftovers)")
        #expect(output.termination == .exited(20), "stderr: \(output.stderrText)")
        let kept = fileStatus(destination + "/huge.bin").map { Int($0.st_size) } ?? 0
        #expect(kept > 0 && kept < size, "partial file has \(kept) bytes")
    }
}
