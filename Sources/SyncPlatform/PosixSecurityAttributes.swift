import CSyncShims
import Glibc
import SyncCore

/// `-X`/`-A` on Linux: extended attributes through the `f*xattr` calls on a descriptor of the entry
/// itself, and POSIX ACLs as the kernel's own `system.posix_acl_access`/`system.posix_acl_default`
/// attributes (`PosixACLFormat`), so one code path reads and writes both without libacl.
///
/// The entry is opened from its directory's handle by its final component with O_NOFOLLOW: a regular
/// file or directory O_RDONLY|O_NONBLOCK (no data is read), anything else, or one this user may not
/// open, O_PATH, whose attributes are then reached through `/proc/self/fd/N` (an O_PATH descriptor has
/// no `f*xattr`; the magic link names the very inode opened, so no path is resolved again).
extension PosixFileSystem {
    public func securityAttributes(_ location: FileLocation, kind: FileKind, selection: SecurityAttributeSelection)
        throws(SystemCallError) -> StoredSecurityAttributes
    {
        var stored = StoredSecurityAttributes()
        guard kind != .symlink, !selection.isEmpty else { return stored }
        let entry = try AttributeTarget(location, kind: kind)
        defer { entry.close() }
        // One listing says which values exist: an entry without any costs open, flistxattr and close.
        let names = try entry.names()
        if selection.contains(.extendedAttributes) {
            stored.extendedAttributes = try names.map { name throws(SystemCallError) in
                ExtendedAttribute(name: name, value: try entry.value(name) ?? [])
            }
        }
        func acl(_ name: [UInt8]) throws(SystemCallError) -> AccessControlList? {
            guard names.contains(name) else { return nil }
            return try entry.value(name).flatMap(PosixACLFormat.decode)
        }
        if selection.contains(.accessACL) { stored.accessACL = .some(try acl(PosixACLFormat.accessName)) }
        if selection.contains(.defaultACL) { stored.defaultACL = .some(try acl(PosixACLFormat.defaultName)) }
        return stored
    }

    public func writeSecurityAttributes(_ location: FileLocation, kind: FileKind, _ writes: [AttributeWrite])
        throws(SystemCallError) -> [SystemCallError]
    {
        guard kind != .symlink, !writes.isEmpty else { return [] }
        let entry = try AttributeTarget(location, kind: kind)
        defer { entry.close() }
        var failures: [SystemCallError] = []
        for write in writes {
            do throws(SystemCallError) { try make(write, on: entry) } catch { failures.append(error) }
        }
        return failures
    }

    private func make(_ write: AttributeWrite, on entry: AttributeTarget) throws(SystemCallError) {
            switch write {
            case .setExtendedAttribute(let attribute):
                try entry.set(attribute.name, attribute.value)
            case .removeExtendedAttribute(let name):
                try entry.remove(name, missingIsFine: false)
            case .setACL(let which, let list):
                let name = which == .access ? PosixACLFormat.accessName : PosixACLFormat.defaultName
                if let list { try entry.set(name, PosixACLFormat.encode(list)) } else {
                    try entry.remove(name, missingIsFine: true)
                }
            }
    }
}

/// One entry opened for its attributes.
private struct AttributeTarget {
    let descriptor: Int32
    /// An O_PATH descriptor: the calls go through `/proc/self/fd/N`.
    let isPathOnly: Bool
    let path: [UInt8]

    init(_ location: FileLocation, kind: FileKind) throws(SystemCallError) {
        path = location.path
        if kind == .regular || kind == .directory {
            let flags = O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY
            do {
                descriptor = try atCall("open", location) { directory, name in openat(directory, name, flags) }
                isPathOnly = false
                return
            } catch {
                guard error.errno == EACCES || error.errno == EPERM else { throw error }
            }
        }
        descriptor = try atCall("open", location) { directory, name in
            openat(directory, name, csync_o_path() | O_NOFOLLOW | O_CLOEXEC)
        }
        isPathOnly = true
    }

    func close() { _ = Glibc.close(descriptor) }

    private var procPath: [UInt8] { Array("/proc/self/fd/\(descriptor)".utf8) }

    /// Every name (the kernel lists only those this user may see).
    func names() throws(SystemCallError) -> [[UInt8]] {
        let list = try sized("llistxattr") { buffer, size in
            isPathOnly
                ? withProcPath { listxattr($0, buffer, size) }
                : flistxattr(descriptor, buffer, size)
        }
        return (list ?? []).split(separator: 0).map { Array($0) }
    }

    /// The value of `name`; nil when the entry has none (ENODATA).
    func value(_ name: [UInt8]) throws(SystemCallError) -> [UInt8]? {
        try withName(name) { cName throws(SystemCallError) in
            try sized("lgetxattr") { buffer, size in
                isPathOnly
                    ? withProcPath { getxattr($0, cName, buffer, size) }
                    : fgetxattr(descriptor, cName, buffer, size)
            }
        }
    }

    func set(_ name: [UInt8], _ value: [UInt8]) throws(SystemCallError) {
        let result = withName(name) { cName in
            value.withUnsafeBytes { bytes in
                isPathOnly
                    ? withProcPath { setxattr($0, cName, bytes.baseAddress, bytes.count, 0) }
                    : fsetxattr(descriptor, cName, bytes.baseAddress, bytes.count, 0)
            }
        }
        if result != 0 { throw failure(isPathOnly ? "lsetxattr" : "fsetxattr", name, errno) }
    }

    func remove(_ name: [UInt8], missingIsFine: Bool) throws(SystemCallError) {
        let result = withName(name) { cName in
            isPathOnly ? withProcPath { removexattr($0, cName) } : fremovexattr(descriptor, cName)
        }
        if result != 0 && !(missingIsFine && errno == ENODATA) {
            throw failure(isPathOnly ? "lremovexattr" : "fremovexattr", name, errno)
        }
    }

    /// A call that fills a buffer: asked for the size first, and again if the value grew meanwhile.
    private func sized(_ call: String, _ body: (UnsafeMutablePointer<CChar>?, Int) -> Int)
        throws(SystemCallError) -> [UInt8]?
    {
        while true {
            let size = body(nil, 0)
            if size < 0 {
                if errno == ENODATA { return nil }
                if errno == EINTR { continue }
                throw systemError(call, path, errno)
            }
            if size == 0 { return [] }
            var bytes = [UInt8](repeating: 0, count: size)
            let got = bytes.withUnsafeMutableBytes { raw in body(raw.baseAddress!.assumingMemoryBound(to: CChar.self), size) }
            if got >= 0 { return Array(bytes[0..<got]) }
            if errno == ERANGE || errno == EINTR { continue }
            if errno == ENODATA { return nil }
            throw systemError(call, path, errno)
        }
    }

    private func withProcPath<R>(_ body: (UnsafePointer<CChar>) -> R) -> R {
        procPath.withUnsafeBufferPointer { raw in
            (Array(raw) + [0]).withUnsafeBufferPointer { terminated in
                terminated.withMemoryRebound(to: CChar.self) { body($0.baseAddress!) }
            }
        }
    }

    private func withName<R, E: Error>(_ name: [UInt8], _ body: (UnsafePointer<CChar>) throws(E) -> R) throws(E) -> R {
        let terminated = name + [0]
        let result: Result<R, E> = terminated.withUnsafeBufferPointer { raw in
            raw.withMemoryRebound(to: CChar.self) { pointer in Result { () throws(E) -> R in try body(pointer.baseAddress!) } }
        }
        return try result.get()
    }

    /// rsync's words for a failed attribute write: the call, the file and the attribute name.
    private func failure(_ call: String, _ name: [UInt8], _ code: Int32) -> SystemCallError {
        var error = systemError(call, path, code)
        error.attributeName = name
        return error
    }
}

/// The kernel's binary form of a POSIX ACL, the value of `system.posix_acl_access` and
/// `system.posix_acl_default` (`posix_acl_xattr.h`): a little-endian u32 version 2, then per entry
/// u16 tag · u16 permissions · u32 id (undefined, 0xFFFFFFFF, for the unnamed entries).
enum PosixACLFormat {
    static let accessName = Array("system.posix_acl_access".utf8)
    static let defaultName = Array("system.posix_acl_default".utf8)
    static let version: UInt32 = 2
    static let undefinedID: UInt32 = 0xFFFF_FFFF

    static func decode(_ bytes: [UInt8]) -> AccessControlList? {
        guard bytes.count >= 4, (bytes.count - 4) % 8 == 0, littleEndian32(bytes, 0) == version else { return nil }
        var entries: [AccessControlList.Entry] = []
        var offset = 4
        while offset < bytes.count {
            let tag = UInt16(bytes[offset]) | UInt16(bytes[offset + 1]) << 8
            let permissions = UInt8(bytes[offset + 2] & 7)
            let id = littleEndian32(bytes, offset + 4)
            guard let kind = AccessControlList.Tag(rawValue: tag) else { return nil }
            entries.append(AccessControlList.Entry(kind, permissions, id: id))
            offset += 8
        }
        return AccessControlList(entries)
    }

    static func encode(_ list: AccessControlList) -> [UInt8] {
        var bytes = littleEndian(version)
        for entry in list.entries {
            bytes += [UInt8(entry.tag.rawValue & 0xFF), UInt8(entry.tag.rawValue >> 8), entry.permissions, 0]
            bytes += littleEndian(entry.isNamed ? entry.id : undefinedID)
        }
        return bytes
    }

    private static func littleEndian32(_ bytes: [UInt8], _ offset: Int) -> UInt32 {
        (0..<4).reduce(UInt32(0)) { $0 | UInt32(bytes[offset + $1]) << (8 * UInt32($1)) }
    }

    private static func littleEndian(_ value: UInt32) -> [UInt8] { (0..<4).map { UInt8((value >> (8 * $0)) & 0xFF) } }
}
