import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

// Thin throwing wrappers over the POSIX calls the fixtures need. Paths are `String`s except where a test needs
// names that are not UTF-8; those go through the `[UInt8]` overloads.

/// A file-system call failed while building or inspecting a fixture.
func posixError(_ call: String, _ path: String, _ code: Int32 = errno) -> HarnessError {
    HarnessError("\(call)(\(path)): \(String(cString: strerror(code)))")
}

/// Runs `body` with a NUL-terminated copy of raw path bytes.
func withRawPath<R>(_ bytes: [UInt8], _ body: (UnsafePointer<CChar>) throws -> R) rethrows -> R {
    try (bytes + [0]).withUnsafeBufferPointer { buffer in
        try buffer.baseAddress!.withMemoryRebound(to: CChar.self, capacity: buffer.count) { try body($0) }
    }
}

func rawBytes(_ path: String) -> [UInt8] { Array(path.utf8) }

func makeDirectory(_ path: String, mode: mode_t = 0o755) throws {
    guard mkdir(path, mode) == 0 else { throw posixError("mkdir", path) }
    // mkdir honours the umask; fixtures want exact bits.
    try changeMode(path, mode)
}

/// `mkdir -p`.
func makeDirectories(_ path: String, mode: mode_t = 0o755) throws {
    var current = path.hasPrefix("/") ? "" : "."
    for component in path.split(separator: "/") {
        current += "/" + component
        var st = stat()
        if lstat(current, &st) == 0 {
            continue
        }
        try makeDirectory(current, mode: mode)
    }
}

func writeFile(_ path: String, _ bytes: [UInt8], mode: mode_t = 0o644) throws {
    try writeFile(rawBytes(path), bytes, mode: mode)
}

func writeFile(_ path: [UInt8], _ bytes: [UInt8], mode: mode_t = 0o644) throws {
    try withRawPath(path) { cPath in
        let fd = open(cPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        guard fd >= 0 else { throw posixError("open", String(cString: cPath)) }
        defer { close(fd) }
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes { buffer in
                Glibc.write(fd, buffer.baseAddress! + offset, buffer.count - offset)
            }
            guard written > 0 else { throw posixError("write", String(cString: cPath)) }
            offset += written
        }
        guard fchmod(fd, mode) == 0 else { throw posixError("fchmod", String(cString: cPath)) }
    }
}

func readAllBytes(_ path: String) throws -> [UInt8] {
    try readAllBytes(rawBytes(path))
}

func readAllBytes(_ path: [UInt8]) throws -> [UInt8] {
    try withRawPath(path) { cPath in
        let fd = open(cPath, O_RDONLY)
        guard fd >= 0 else { throw posixError("open", String(cString: cPath)) }
        defer { close(fd) }
        var result: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress!, $0.count) }
            if count < 0 && errno == EINTR { continue }
            guard count >= 0 else { throw posixError("read", String(cString: cPath)) }
            if count == 0 { break }
            result.append(contentsOf: chunk[0..<count])
        }
        return result
    }
}

func makeSymlink(_ path: String, to target: String) throws {
    guard symlink(target, path) == 0 else { throw posixError("symlink", path) }
}

func makeHardLink(_ path: String, to existing: String) throws {
    guard link(existing, path) == 0 else { throw posixError("link", path) }
}

func makeFIFO(_ path: String, mode: mode_t = 0o644) throws {
    guard mkfifo(path, mode) == 0 else { throw posixError("mkfifo", path) }
    try changeMode(path, mode)
}

func changeMode(_ path: String, _ mode: mode_t) throws {
    guard chmod(path, mode) == 0 else { throw posixError("chmod", path) }
}

/// `lchown`; only meaningful as root, so callers check `isRoot` first.
func changeOwner(_ path: String, uid: uid_t, gid: gid_t) throws {
    guard lchown(path, uid, gid) == 0 else { throw posixError("lchown", path) }
}

var isRoot: Bool { geteuid() == 0 }

/// Sets the modification (and access) time of `path` without following a final symlink.
func setModificationTime(_ path: String, seconds: Int, nanoseconds: Int = 0) throws {
    try setModificationTime(rawBytes(path), seconds: seconds, nanoseconds: nanoseconds)
}

func setModificationTime(_ path: [UInt8], seconds: Int, nanoseconds: Int = 0) throws {
    var times = [
        timespec(tv_sec: seconds, tv_nsec: nanoseconds),
        timespec(tv_sec: seconds, tv_nsec: nanoseconds),
    ]
    try withRawPath(path) { cPath in
        guard utimensat(AT_FDCWD, cPath, &times, AT_SYMLINK_NOFOLLOW) == 0 else {
            throw posixError("utimensat", String(cString: cPath))
        }
    }
}

func fileStatus(_ path: String) -> stat? {
    var st = stat()
    return lstat(path, &st) == 0 ? st : nil
}

func exists(_ path: String) -> Bool { fileStatus(path) != nil }

/// Names in a directory (without `.` and `..`), as raw bytes, sorted.
func directoryEntries(_ path: [UInt8]) throws -> [[UInt8]] {
    try withRawPath(path) { cPath in
        guard let dir = opendir(cPath) else { throw posixError("opendir", String(cString: cPath)) }
        defer { closedir(dir) }
        var names: [[UInt8]] = []
        while let entry = readdir(dir) {
            let name: [UInt8] = withUnsafePointer(to: &entry.pointee.d_name) { tuple in
                tuple.withMemoryRebound(to: CChar.self, capacity: 256) { cName in
                    cName.withMemoryRebound(to: UInt8.self, capacity: 256) { bytes in
                        Array(UnsafeBufferPointer(start: bytes, count: strlen(cName)))
                    }
                }
            }
            if name == [0x2e] || name == [0x2e, 0x2e] { continue }
            names.append(name)
        }
        return names.sorted { $0.lexicographicallyPrecedes($1) }
    }
}

func directoryEntries(_ path: String) throws -> [String] {
    try directoryEntries(rawBytes(path)).map { displayString($0) }
}

/// Shows bytes as text; bytes that are not valid UTF-8 become `\xNN`, so distinct byte strings stay distinct
/// (up to a literal `\x` in the input, which the fixtures do not use).
func displayString(_ bytes: [UInt8]) -> String {
    let decoded = String(decoding: bytes, as: UTF8.self)
    if Array(decoded.utf8) == bytes { return decoded }
    var result = ""
    var index = 0
    while index < bytes.count {
        // Take the longest valid UTF-8 prefix starting here (1...4 bytes).
        var taken = false
        for length in stride(from: min(4, bytes.count - index), through: 1, by: -1) {
            let slice = Array(bytes[index..<index + length])
            let text = String(decoding: slice, as: UTF8.self)
            if Array(text.utf8) == slice {
                result += text
                index += length
                taken = true
                break
            }
        }
        if !taken {
            result += String(format: "\\x%02X", bytes[index])
            index += 1
        }
    }
    return result
}

/// `rm -rf` that first makes every directory writable, so read-only fixtures (or a non-root run) still clean up.
func removeTree(_ path: String) {
    guard exists(path) else { return }
    _ = try? Subprocess.run("/bin/chmod", ["-R", "u+rwX", path], in: "/", outputPrefix: nil, timeout: 60)
    _ = try? Subprocess.run("/bin/rm", ["-rf", path], in: "/", outputPrefix: nil, timeout: 60)
}

/// `cp -a`, which keeps hard links, nanosecond times, symlink times, FIFOs and owners (as root).
func copyTree(_ source: String, to destination: String) throws {
    let result = try Subprocess.run("/bin/cp", ["-a", source, destination], in: "/", outputPrefix: nil, timeout: 120)
    guard result.termination == .exited(0) else {
        throw HarnessError("cp -a \(source) \(destination) failed: \(result.termination)")
    }
}
