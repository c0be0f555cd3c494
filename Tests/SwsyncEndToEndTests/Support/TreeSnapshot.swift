import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Everything the tests compare about a directory tree, taken with `lstat` (links are never followed).
///
/// Per entry: type, permission bits (`mode & 07777`), owner, size and content of regular files, target of
/// symlinks, and mtime with nanoseconds. Across entries: hard-link groups (paths sharing an inode). The snapshot
/// also keeps each path's inode so two snapshots of the same tree can tell which files were replaced
/// (`keptInodes`).
///
/// Times within `recentWindow` of now are recorded as `.recent`: every fixture time is years old, so a recent
/// time can only be one a tool set to "now" (it did not preserve the time); two such times compare equal even
/// though the two runs happened a second apart. Directory sizes are not recorded: they depend on the file system.
struct TreeSnapshot: Sendable {
    enum Kind: String, Sendable {
        case file, directory, symlink, fifo, socket, characterDevice, blockDevice, unknown
    }

    enum Stamp: Equatable, Sendable, CustomStringConvertible {
        case exact(seconds: Int, nanoseconds: Int)
        case recent

        var description: String {
            switch self {
            case .recent: return "recent(now)"
            case .exact(let seconds, let nanoseconds):
                let date = Date(timeIntervalSince1970: TimeInterval(seconds))
                return "\(TreeSnapshot.dateFormatter.string(from: date)).\(String(format: "%09d", nanoseconds))"
            }
        }
    }

    /// Content of a regular file: the bytes when small, otherwise a 128-bit digest.
    struct Digest: Equatable, Sendable, CustomStringConvertible {
        var smallBytes: [UInt8]?
        var hash: (UInt64, UInt64)

        static func == (lhs: Digest, rhs: Digest) -> Bool {
            lhs.smallBytes == rhs.smallBytes && lhs.hash == rhs.hash
        }

        var description: String {
            if let smallBytes {
                return smallBytes.count <= 16
                    ? "bytes " + smallBytes.map { String(format: "%02x", $0) }.joined()
                    : "bytes " + smallBytes.prefix(16).map { String(format: "%02x", $0) }.joined() + "…"
            }
            return String(format: "hash %016llx%016llx", hash.0, hash.1)
        }
    }

    struct Entry: Equatable, Sendable {
        var kind: Kind
        var permissions: UInt32
        var uid: UInt32
        var gid: UInt32
        /// Regular files and symlinks only.
        var size: Int64?
        var digest: Digest?
        var linkTarget: String?
        var mtime: Stamp

        /// Field-by-field differences, `nil` when equal.
        func differences(from other: Entry, labels: (String, String)) -> [String] {
            var result: [String] = []
            func note<T: Equatable>(_ name: String, _ a: T, _ b: T, _ show: (T) -> String) {
                if a != b { result.append("\(name) \(labels.0)=\(show(a)) \(labels.1)=\(show(b))") }
            }
            note("type", kind, other.kind) { $0.rawValue }
            note("mode", permissions, other.permissions) { String($0, radix: 8) }
            note("uid", uid, other.uid) { "\($0)" }
            note("gid", gid, other.gid) { "\($0)" }
            note("size", size, other.size) { $0.map { "\($0)" } ?? "-" }
            if size == other.size { note("content", digest, other.digest) { $0?.description ?? "-" } }
            note("symlink target", linkTarget, other.linkTarget) { $0.map { "\"\($0)\"" } ?? "-" }
            note("mtime", mtime, other.mtime) { $0.description }
            return result
        }

        var summary: String {
            switch kind {
            case .file: return "file \(size ?? 0) bytes mode \(String(permissions, radix: 8)) mtime \(mtime)"
            case .symlink: return "symlink -> \(linkTarget ?? "?")"
            default: return "\(kind.rawValue) mode \(String(permissions, radix: 8))"
            }
        }
    }

    struct FileID: Hashable, Sendable {
        var device: UInt64
        var inode: UInt64
    }

    let root: String
    /// Keyed by path relative to `root`; the root itself is ".".
    private(set) var entries: [String: Entry] = [:]
    private(set) var fileIDs: [String: FileID] = [:]
    /// Every extended attribute (hex value by name) of every entry that has any, keyed by path as `getfattr`
    /// prints it relative to the root. POSIX ACLs are the `system.posix_acl_*` attributes, so this compares
    /// them too, entry by entry and id by id.
    private(set) var extendedAttributes: [String: [String: String]] = [:]

    /// Inclusive distance from now, in seconds, within which a time counts as "set by the tool just now".
    static let recentWindow = 2 * 86_400

    static func isRecent(seconds: Int) -> Bool {
        abs(seconds - time(nil)) <= recentWindow
    }

    init(_ root: String, excluding excluded: Set<String> = []) throws {
        self.root = root
        try visit(rawBytes(root), relative: nil, excluded: excluded)
        extendedAttributes = try TreeSnapshot.extendedAttributes(below: root)
        extendedAttributes = extendedAttributes.filter { path, _ in
            !excluded.contains { path == $0 || path.hasPrefix($0 + "/") }
        }
    }

    /// `getfattr -R` over the tree, symlinks not followed; hex values. No getfattr: nothing recorded.
    static func extendedAttributes(below root: String) throws -> [String: [String: String]] {
        guard access("/usr/bin/getfattr", X_OK) == 0 else { return [:] }
        let capture = NSTemporaryDirectory() + "/swsync-getfattr-" + UUID().uuidString
        defer {
            unlink(capture + ".stdout")
            unlink(capture + ".stderr")
        }
        let result = try Subprocess.run("/usr/bin/getfattr", ["-R", "-P", "-h", "-d", "-m", "-", "-e", "hex", "."],
            in: root, outputPrefix: capture, timeout: 120)
        var byPath: [String: [String: String]] = [:]
        var current: String?
        for line in result.stdoutText.split(separator: "\n") {
            if line.hasPrefix("# file: ") {
                var path = String(line.dropFirst("# file: ".count))
                if path.hasPrefix("./") { path.removeFirst(2) }
                current = path
            } else if let current, let equals = line.firstIndex(of: "=") {
                byPath[current, default: [:]][String(line[..<equals])] = String(line[line.index(after: equals)...])
            }
        }
        return byPath
    }

    var paths: [String] { entries.keys.sorted() }

    subscript(path: String) -> Entry? { entries[path] }

    /// Groups of two or more non-directory paths that share an inode, each sorted, sorted by first path.
    var hardLinkGroups: [[String]] {
        var byID: [FileID: [String]] = [:]
        for (path, id) in fileIDs where entries[path]?.kind != .directory {
            byID[id, default: []].append(path)
        }
        return byID.values.filter { $0.count > 1 }.map { $0.sorted() }.sorted { $0[0] < $1[0] }
    }

    /// Paths whose inode is the same in `self` (before) and `after`: the entries a run left in place.
    func keptInodes(after: TreeSnapshot) -> Set<String> {
        Set(after.fileIDs.compactMap { path, id in fileIDs[path] == id ? path : nil })
    }

    private mutating func visit(_ path: [UInt8], relative: String?, excluded: Set<String>) throws {
        var st = stat()
        let rc = withRawPath(path) { lstat($0, &st) }
        guard rc == 0 else { throw posixError("lstat", displayString(path)) }
        let key = relative ?? "."
        if excluded.contains(key) { return }

        let kind: Kind
        switch st.st_mode & S_IFMT {
        case S_IFREG: kind = .file
        case S_IFDIR: kind = .directory
        case S_IFLNK: kind = .symlink
        case S_IFIFO: kind = .fifo
        case S_IFSOCK: kind = .socket
        case S_IFCHR: kind = .characterDevice
        case S_IFBLK: kind = .blockDevice
        default: kind = .unknown
        }
        var entry = Entry(
            kind: kind,
            permissions: UInt32(st.st_mode & 0o7777),
            uid: st.st_uid,
            gid: st.st_gid,
            size: nil,
            digest: nil,
            linkTarget: nil,
            mtime: TreeSnapshot.isRecent(seconds: st.st_mtim.tv_sec)
                ? .recent : .exact(seconds: st.st_mtim.tv_sec, nanoseconds: st.st_mtim.tv_nsec)
        )
        switch kind {
        case .file:
            entry.size = Int64(st.st_size)
            entry.digest = try TreeSnapshot.digest(of: path)
        case .symlink:
            entry.size = Int64(st.st_size)
            entry.linkTarget = try TreeSnapshot.readLink(path)
        default:
            break
        }
        entries[key] = entry
        fileIDs[key] = FileID(device: UInt64(st.st_dev), inode: UInt64(st.st_ino))

        if kind == .directory {
            for name in try directoryEntries(path) {
                let child = (relative.map { $0 + "/" } ?? "") + displayString(name)
                try visit(path + [0x2f] + name, relative: child, excluded: excluded)
            }
        }
    }

    static func readLink(_ path: [UInt8]) throws -> String {
        var buffer = [UInt8](repeating: 0, count: Int(PATH_MAX) + 1)
        let count = withRawPath(path) { cPath in
            buffer.withUnsafeMutableBytes { raw in
                readlink(cPath, raw.baseAddress!.assumingMemoryBound(to: CChar.self), raw.count)
            }
        }
        guard count >= 0 else { throw posixError("readlink", displayString(path)) }
        return displayString(Array(buffer[0..<count]))
    }

    /// Two 64-bit multiply-xorshift lanes over 8-byte words; plenty to tell fixture files apart.
    private static func digest(of path: [UInt8]) throws -> Digest {
        try withRawPath(path) { cPath in
            let fd = open(cPath, O_RDONLY | O_NONBLOCK)
            guard fd >= 0 else { throw posixError("open", displayString(path)) }
            defer { close(fd) }
            var laneA: UInt64 = 0x243f_6a88_85a3_08d3
            var laneB: UInt64 = 0x1319_8a2e_0370_7344
            var total: UInt64 = 0
            var small: [UInt8] = []
            var buffer = [UInt8](repeating: 0, count: 1 << 18)
            while true {
                let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress!, $0.count) }
                if count < 0 && errno == EINTR { continue }
                guard count >= 0 else { throw posixError("read", displayString(path)) }
                if count == 0 { break }
                if total < 64 { small.append(contentsOf: buffer[0..<min(count, 64)]) }
                total += UInt64(count)
                buffer.withUnsafeBytes { raw in
                    var offset = 0
                    while offset + 8 <= count {
                        let word = raw.loadUnaligned(fromByteOffset: offset, as: UInt64.self)
                        laneA = (laneA ^ word) &* 0x9e37_79b9_7f4a_7c15
                        laneA ^= laneA >> 29
                        laneB = (laneB &+ word) &* 0xc2b2_ae3d_27d4_eb4f
                        laneB ^= laneB >> 31
                        offset += 8
                    }
                    while offset < count {
                        let byte = UInt64(raw[offset])
                        laneA = (laneA ^ byte) &* 0x100_0000_01b3
                        laneB = (laneB &+ byte &+ 1) &* 0xff51_afd7_ed55_8ccd
                        offset += 1
                    }
                }
            }
            laneA ^= total
            return Digest(smallBytes: total <= 64 ? Array(small.prefix(Int(total))) : nil, hash: (laneA, laneB))
        }
    }

    static let dateFormatter: DateFormatter = {
        let formatter = DateFormatter()
        formatter.dateFormat = "yyyy-MM-dd HH:mm:ss"
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.locale = Locale(identifier: "en_US_POSIX")
        return formatter
    }()
}

/// Readable differences between two snapshots of "the same" tree made by two tools.
enum TreeComparison {
    /// Every difference, one line each: entries present on one side only, field differences, hard-link groups.
    static func differences(
        _ a: TreeSnapshot,
        _ b: TreeSnapshot,
        labels: (String, String),
        ignoringMtimeOf ignoredMtimes: Set<String> = []
    ) -> [String] {
        var result: [String] = []
        let all = Set(a.paths).union(b.paths).sorted()
        for path in all {
            switch (a[path], b[path]) {
            case (let left?, nil):
                result.append("\(path): only in \(labels.0) (\(left.summary))")
            case (nil, let right?):
                result.append("\(path): only in \(labels.1) (\(right.summary))")
            case (var left?, let right?):
                if ignoredMtimes.contains(path) { left.mtime = right.mtime }
                let fields = left.differences(from: right, labels: labels)
                if !fields.isEmpty { result.append("\(path): " + fields.joined(separator: "; ")) }
            case (nil, nil):
                break
            }
        }
        for path in Set(a.extendedAttributes.keys).union(b.extendedAttributes.keys).sorted() {
            let left = a.extendedAttributes[path] ?? [:], right = b.extendedAttributes[path] ?? [:]
            for name in Set(left.keys).union(right.keys).sorted() where left[name] != right[name] {
                func short(_ value: String?) -> String { value.map { $0.count > 40 ? $0.prefix(40) + "…" : $0 } ?? "-" }
                result.append("\(path): xattr \(name) \(labels.0)=\(short(left[name])) \(labels.1)=\(short(right[name]))")
            }
        }
        let groupsA = Set(a.hardLinkGroups)
        let groupsB = Set(b.hardLinkGroups)
        for group in groupsA.subtracting(groupsB).sorted(by: { $0[0] < $1[0] }) {
            result.append("hard links only in \(labels.0): {\(group.joined(separator: ", "))}")
        }
        for group in groupsB.subtracting(groupsA).sorted(by: { $0[0] < $1[0] }) {
            result.append("hard links only in \(labels.1): {\(group.joined(separator: ", "))}")
        }
        return result
    }

    /// Differences in which entries a run left in place (same inode before and after).
    static func keptInodeDifferences(
        keptA: Set<String>, keptB: Set<String>, labels: (String, String)
    ) -> [String] {
        keptA.subtracting(keptB).sorted().map { "\($0): \(labels.0) kept the inode, \(labels.1) replaced it" }
            + keptB.subtracting(keptA).sorted().map { "\($0): \(labels.1) kept the inode, \(labels.0) replaced it" }
    }

    /// The first `limit` lines, plus a count of the rest.
    static func report(_ lines: [String], limit: Int = 20) -> String {
        var shown = lines.prefix(limit).map { "  " + $0 }
        if lines.count > limit { shown.append("  … and \(lines.count - limit) more") }
        return shown.joined(separator: "\n")
    }
}
