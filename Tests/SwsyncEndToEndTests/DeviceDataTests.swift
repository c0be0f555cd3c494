import Foundation
import SyncTestSupport
import Testing

/// `--copy-devices` and `--write-devices` against rsync, on loop devices over image files (root only): a
/// device's contents go as a regular file, and a regular file's data goes into a device in the destination.
/// One device per test, reset to the same bytes before each tool.
@Suite(.tags(.large, .differential), .serialized,
    .enabled(if: Tools.rsyncAvailable && isRoot && LoopDevice.available, "needs rsync, root and loop devices"))
struct DeviceDataTests {
    static let tools: [(name: String, path: String)] = [("rsync", Tools.rsync ?? ""), ("swsync", Tools.swsync)]

    private func run(_ tool: String, _ arguments: [String], in directory: String) throws -> ProcessOutput {
        try Subprocess(executable: tool, arguments: arguments, directory: directory, outputPrefix: directory + "/out")
            .wait()
    }

    /// Runs `tool` twice; the stdout lines of both passes, each marked with its pass.
    private func twoPasses(_ tool: (name: String, path: String), _ arguments: [String], in root: String, pause: UInt32)
        throws -> [String]
    {
        var output: [String] = []
        for pass in ["first", "second"] {
            let result = try run(tool.path, arguments, in: root)
            #expect(result.termination == .exited(0), "\(tool.name) \(pass): \(result.stderrText)")
            output += result.stdoutText.split(separator: "\n").map { "\(pass): \($0)" }
            sleep(pause)
        }
        return output
    }

    /// The device goes as a regular file of its size and bytes, dated now (so a second run sends it again).
    @Test(arguments: [["-ai"], ["-ai", "--no-whole-file"], ["-ri"]])
    func copyDevicesSendsTheContents(_ options: [String]) throws {
        let scratch = try TemporaryDirectory("copy-devices")
        var lines: [String: [String]] = [:]
        let image = Fixture.content("image", size: 512 * 1024)
        let device = try LoopDevice(image: scratch.path + "/disk.img", contents: image)
        defer { device.detach() }
        for tool in Self.tools {
            let root = scratch.path + "/" + tool.name
            try makeDirectories(root + "/src")
            try writeFile(root + "/src/plain", Fixture.content("plain", size: 100))
            try setModificationTime(root + "/src/plain", seconds: 1_600_000_000)
            guard mknod(root + "/src/disk", S_IFBLK | 0o640, device.number) == 0 else { throw HarnessError("mknod") }
            // "now" moves on between the passes, so the second finds the device's time changed.
            lines[tool.name] = try twoPasses(tool, options + ["--copy-devices", "src/", "dst/"], in: root, pause: 1)
            #expect(try readAllBytes(root + "/dst/disk") == image, "\(tool.name): the device's bytes")
            var status = stat()
            #expect(lstat(root + "/dst/disk", &status) == 0 && status.st_mode & S_IFMT == S_IFREG, "\(tool.name)")
            #expect(status.st_mode & 0o7777 == 0o640, "\(tool.name): the device's permissions")
        }
        #expect(lines["rsync"] == lines["swsync"])
    }

    /// A regular file's data is written into the destination's device, in place; the device stays a device,
    /// longer than the file, so every run finds the sizes different (rsync's `s`).
    @Test(arguments: [["-ai"], ["-ai", "--no-whole-file"], ["-ri", "--checksum"]])
    func writeDevicesWritesIntoTheDevice(_ options: [String]) throws {
        let scratch = try TemporaryDirectory("write-devices")
        var lines: [String: [String]] = [:]
        let data = Fixture.content("data", size: 300_000)
        let device = try LoopDevice(image: scratch.path + "/disk.img", contents: [UInt8](repeating: 7, count: 1 << 20))
        defer { device.detach() }
        for tool in Self.tools {
            let root = scratch.path + "/" + tool.name
            try writeFile(device.path, [UInt8](repeating: 7, count: 1 << 20), mode: 0o660)  // loop devices are 0660
            try makeDirectories(root + "/src")
            try makeDirectories(root + "/dst")
            try writeFile(root + "/src/disk", data)
            guard mknod(root + "/dst/disk", S_IFBLK | 0o600, device.number) == 0 else { throw HarnessError("mknod") }
            lines[tool.name] = try twoPasses(tool, options + ["--write-devices", "src/", "dst/"], in: root, pause: 0)
            let written = try readAllBytes(device.path)
            #expect(Array(written.prefix(data.count)) == data, "\(tool.name): the file's data in the device")
            #expect(written.count == 1 << 20 && written.last == 7, "\(tool.name): the rest of the device as it was")
            var status = stat()
            #expect(lstat(root + "/dst/disk", &status) == 0 && status.st_mode & S_IFMT == S_IFBLK, "\(tool.name)")
        }
        #expect(lines["rsync"] == lines["swsync"])
    }

    /// `--write-devices` implies `--inplace`, so it refuses what `--inplace` refuses, with rsync's words.
    @Test func writeDevicesRefusesDelayedUpdates() throws {
        let scratch = try TemporaryDirectory("write-devices-refused")
        try makeDirectories(scratch.path + "/src")
        var results: [String] = []
        for tool in Self.tools {
            let result = try run(tool.path, ["-a", "--write-devices", "--delay-updates", "src/", "dst/"], in: scratch.path)
            #expect(result.termination == .exited(1), "\(tool.name)")
            results.append(result.stderrText.split(separator: "\n").first.map(String.init) ?? "")
        }
        #expect(results[0].replacingOccurrences(of: "rsync:", with: "") == results[1].replacingOccurrences(of: "swsync:", with: ""))
    }
}

/// A loop device over an image file, made with `losetup` for one test.
struct LoopDevice {
    let path: String
    let number: dev_t

    static var available: Bool {
        access("/usr/sbin/losetup", X_OK) == 0 && access("/dev/loop-control", R_OK | W_OK) == 0
    }

    init(image: String, contents: [UInt8]) throws {
        try writeFile(image, contents)
        let result = try Subprocess.run("/usr/sbin/losetup", ["-f", "--show", image], in: "/", outputPrefix: image)
        guard result.termination == .exited(0) else { throw HarnessError("losetup: \(result.stderrText)") }
        path = result.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines)
        var status = stat()
        guard stat(path, &status) == 0 else { throw HarnessError("stat \(path)") }
        number = status.st_rdev
    }

    /// Detaches the device; a moment after it was used the kernel (or udev's probe) may still hold it, so
    /// a refusal is tried again.
    func detach() {
        for _ in 0..<20 {
            let result = try? Subprocess.run("/usr/sbin/losetup", ["-d", path], in: "/", outputPrefix: nil)
            if result?.termination == .exited(0) { return }
            usleep(100_000)
        }
    }
}
