/// `--fake-super`: a file system that keeps what a super-user would set in extended attributes instead, as
/// rsync does, so a backup made without root keeps every owner, mode, device and symlink, and a restore
/// through it gives them back.
///
/// - An entry's type and full mode, device numbers, owner and group are its `user.rsync.%stat` record
///   (`FakeSuperRecord`), which `lstat`/`stat` report in place of the real ones; the record is removed
///   when the real entry says the same.
/// - A device or special file is an empty plain file, a symlink a plain file holding its target.
/// - The real mode keeps only the permission bits, always with the owner's read and write (and search,
///   for a directory), so the copying user can still read, write and replace what it made.
/// - `-X` names outside `user.` are stored below `user.rsync.` (`trusted.x` as `user.rsync.trusted.x`) and
///   listed by their own names again; `-A` ACLs are the `user.rsync.%aacl`/`%dacl` records.
///
/// Everything else goes to `base` unchanged; a run without `--fake-super` never sees this type.
public struct FakeSuperFileSystem<Base: FileSystem>: FileSystem {
    public let base: Base
    public let side: Side

    /// Which end of a run looks through it; they differ only in what they make of real entries.
    public enum Side: Sendable {
        /// Lists and reads sources: a real symlink is what it is, and every attribute name counts.
        case sender
        /// Compares with and writes the destination, as rsync's receiver: a real symlink reads as one with an
        /// empty target (so it is replaced by a stand-in), and only `user.` names are its own.
        case receiver
        /// Not a fake super-user at all: the other half of a local run is (`-M--fake-super`), this one passes
        /// every call to the base unchanged.
        case plain
    }

    public init(base: Base, side: Side) {
        self.base = base
        self.side = side
    }

    // MARK: What a super-user would have

    /// The record of the entry at `location` (real status `real`), when it has one.
    private func record(_ location: FileLocation, real: FileStatus) -> FakeSuperRecord? {
        // As rsync: only what this user could make holds a record (a real device is what it is).
        guard side != .plain, real.kind == .regular || real.kind == .directory,
            let stored = try? base.securityAttributes(location, kind: real.kind, selection: .extendedAttributes),
            let value = stored.extendedAttributes?.first(where: { $0.name == FakeSuperRecord.statName })?.value
        else { return nil }
        return FakeSuperRecord(decoding: value)
    }

    private func presented(_ real: FileStatus, _ location: FileLocation) -> FileStatus {
        guard let record = record(location, real: real) else { return real }
        var status = real
        status.mode = record.mode
        status.rdev = record.rdev
        status.uid = record.uid
        status.gid = record.gid
        return status
    }

    /// Changes what the entry at `location` records, then makes the real entry and its record agree: the
    /// real permission bits as the record's with the owner's access added, and no record when the real
    /// entry says it all.
    private func update(_ location: FileLocation, _ change: (inout FakeSuperRecord) -> Void) throws(SystemCallError) {
        let real = try base.lstat(location.name, in: location.directory)
        let current = record(location, real: real)
        var wanted = current
            ?? FakeSuperRecord(mode: real.mode, rdev: real.kind.isDevice ? real.rdev : 0, uid: real.uid, gid: real.gid)
        change(&wanted)
        let ownerAccess: UInt32 = real.kind == .directory ? 0o700 : 0o600
        let realMode = (real.mode & 0o170000) | (wanted.mode & 0o777) | ownerAccess
        if real.mode != realMode { try base.setPermissions(location, realMode & 0o7777) }
        let needsNone = realMode == wanted.mode && wanted.rdev == 0 && wanted.uid == real.uid && wanted.gid == real.gid
        let write: AttributeWrite
        if needsNone {
            guard current != nil else { return }
            write = .removeExtendedAttribute(FakeSuperRecord.statName)
        } else {
            guard current != wanted else { return }
            write = .setExtendedAttribute(ExtendedAttribute(name: FakeSuperRecord.statName, value: wanted.encoded))
        }
        if let failure = try base.writeSecurityAttributes(location, kind: real.kind, [write]).first { throw failure }
    }

    /// An entry this run found up to date gets the real mode and record a fake super-user keeps (a set-id
    /// bit moves into the record, the owner's access is added), as rsync's `set_stat_xattr` on every visit.
    public func settleAttributes(_ location: FileLocation) throws(SystemCallError) {
        guard side == .receiver else { return }
        try update(location) { _ in }
    }

    /// A plain file standing for a device, special file or symlink, with `content` (a symlink's target).
    private func makeStandIn(_ location: FileLocation, content: [UInt8], record: (inout FakeSuperRecord) -> Void)
        throws(SystemCallError)
    {
        let file = try base.createFile(location, permissions: 0o600)
        if !content.isEmpty {
            try withBytes(of: content) { (bytes) throws(SystemCallError) in try file.write(bytes, at: 0) }
        }
        try update(location, record)
    }

    // MARK: Status and links

    public func lstat(_ path: [UInt8]) throws(SystemCallError) -> FileStatus {
        presented(try base.lstat(path), FileLocation(path: path))
    }
    public func stat(_ path: [UInt8]) throws(SystemCallError) -> FileStatus {
        presented(try base.stat(path), FileLocation(path: path))
    }
    public func lstat(_ name: [UInt8], in directory: any DirectoryHandle) throws(SystemCallError) -> FileStatus {
        presented(try base.lstat(name, in: directory), FileLocation(name, in: directory))
    }
    public func stat(_ name: [UInt8], in directory: any DirectoryHandle) throws(SystemCallError) -> FileStatus {
        // A symlink followed is a real one (a stand-in is a plain file), so the record is its target's.
        let real = try base.stat(name, in: directory)
        let isLink = (try? base.lstat(name, in: directory))?.kind == .symlink
        return isLink ? real : presented(real, FileLocation(name, in: directory))
    }
    public func readLink(_ path: [UInt8]) throws(SystemCallError) -> [UInt8] {
        try readLink(FileLocation(path: path))
    }
    public func readLink(_ name: [UInt8], in directory: any DirectoryHandle) throws(SystemCallError) -> [UInt8] {
        try readLink(FileLocation(name, in: directory))
    }

    /// A real symlink's target, or what a stand-in holds.
    private func readLink(_ location: FileLocation) throws(SystemCallError) -> [UInt8] {
        guard side != .plain else { return try base.readLink(location.name, in: location.directory) }
        let kind = try base.lstat(location.name, in: location.directory).kind
        if kind == .symlink && side == .receiver { return [] }
        guard kind == .regular else { return try base.readLink(location.name, in: location.directory) }
        let file = try base.openForReading(location)
        let size = Int(try file.size())
        guard size <= 4096 else {
            throw SystemCallError(call: "readlink", path: location.path, errno: SystemErrno.nameTooLong, errnoText: "File name too long")
        }
        var target = [UInt8](repeating: 0, count: size)
        let count = target.withUnsafeMutableBytes { buffer in
            Result { () throws(SystemCallError) -> Int in try file.readFully(into: buffer, at: 0) }
        }
        return Array(target[..<(try count.get())])
    }

    public func makeSymlink(_ location: FileLocation, target: [UInt8]) throws(SystemCallError) {
        guard side != .plain else { return try base.makeSymlink(location, target: target) }
        try makeStandIn(location, content: target) { $0.mode = 0o120777 }
    }
    public func makeSymlink(_ path: [UInt8], target: [UInt8]) throws(SystemCallError) {
        try makeSymlink(FileLocation(path: path), target: target)
    }
    public func makeNode(_ location: FileLocation, mode: UInt32, rdev: UInt64) throws(SystemCallError) {
        guard side != .plain else { return try base.makeNode(location, mode: mode, rdev: rdev) }
        let isDevice = FileKind(mode: mode).isDevice
        try makeStandIn(location, content: []) {
            $0.mode = mode
            $0.rdev = isDevice ? rdev : 0
        }
    }
    public func makeNode(_ path: [UInt8], mode: UInt32, rdev: UInt64) throws(SystemCallError) {
        try makeNode(FileLocation(path: path), mode: mode, rdev: rdev)
    }

    // MARK: Mode and owner

    public func setPermissions(_ location: FileLocation, _ permissions: UInt32) throws(SystemCallError) {
        guard side != .plain else { return try base.setPermissions(location, permissions) }
        try update(location) { $0.mode = ($0.mode & 0o170000) | (permissions & 0o7777) }
    }
    public func setPermissions(_ path: [UInt8], _ permissions: UInt32) throws(SystemCallError) {
        try setPermissions(FileLocation(path: path), permissions)
    }
    public func setOwner(_ location: FileLocation, uid: UInt32?, gid: UInt32?) throws(SystemCallError) {
        guard side != .plain else { return try base.setOwner(location, uid: uid, gid: gid) }
        try update(location) { record in
            if let uid { record.uid = uid }
            if let gid { record.gid = gid }
        }
    }
    public func setOwner(_ path: [UInt8], uid: UInt32?, gid: UInt32?) throws(SystemCallError) {
        try setOwner(FileLocation(path: path), uid: uid, gid: gid)
    }

    // What this user makes stays usable by it: the owner's access is added at creation, as rsync adds it.
    private func ownerAccess(_ bits: UInt32) -> UInt32 { side == .plain ? 0 : bits }

    public func makeDirectory(_ location: FileLocation, permissions: UInt32) throws(SystemCallError) {
        try base.makeDirectory(location, permissions: permissions | ownerAccess(0o700))
    }
    public func makeDirectory(_ path: [UInt8], permissions: UInt32) throws(SystemCallError) {
        try base.makeDirectory(path, permissions: permissions | ownerAccess(0o700))
    }
    public func createFile(_ location: FileLocation, permissions: UInt32) throws(SystemCallError) -> any OpenFile {
        try base.createFile(location, permissions: permissions | ownerAccess(0o600))
    }
    public func createFile(_ path: [UInt8], permissions: UInt32) throws(SystemCallError) -> any OpenFile {
        try base.createFile(path, permissions: permissions | ownerAccess(0o600))
    }
    public func copyFile(
        from source: [UInt8], toNew temporary: FileLocation, permissions: UInt32, length: Int64?,
        progress: (Int64) -> Bool
    ) throws(SystemCallError) -> Int64 {
        try base.copyFile(from: source, toNew: temporary, permissions: permissions | ownerAccess(0o600), length: length,
            progress: progress)
    }
    public func copyFile(
        from source: any OpenFile, toNew temporary: FileLocation, permissions: UInt32, length: Int64?,
        progress: (Int64) -> Bool
    ) throws(SystemCallError) -> Int64 {
        try base.copyFile(from: source, toNew: temporary, permissions: permissions | ownerAccess(0o600), length: length,
            progress: progress)
    }
    public func copyFile(
        from source: [UInt8], toNew temporaryPath: [UInt8], permissions: UInt32, length: Int64?,
        progress: (Int64) -> Bool
    ) throws(SystemCallError) -> Int64 {
        try base.copyFile(from: source, toNew: temporaryPath, permissions: permissions | ownerAccess(0o600), length: length,
            progress: progress)
    }

    // MARK: -X and -A

    public func securityAttributes(_ location: FileLocation, kind: FileKind, selection: SecurityAttributeSelection)
        throws(SystemCallError) -> StoredSecurityAttributes
    {
        guard side != .plain else { return try base.securityAttributes(location, kind: kind, selection: selection) }
        let real = try base.lstat(location.name, in: location.directory)
        guard real.kind != .symlink, !selection.isEmpty else { return StoredSecurityAttributes() }
        let stored = try base.securityAttributes(location, kind: real.kind, selection: .extendedAttributes)
        let all = stored.extendedAttributes ?? []
        var result = StoredSecurityAttributes()
        if selection.contains(.extendedAttributes) {
            let own = side == .sender ? all : all.filter { $0.name.starts(with: FakeSuperRecord.userPrefix) }
            result.extendedAttributes = own.compactMap { attribute in
                FakeSuperRecord.listedName(attribute.name).map { ExtendedAttribute(name: $0, value: attribute.value) }
            }
        }
        // The mode a super-user would have, from the record among what was just read.
        let recorded = real.kind == .regular || real.kind == .directory
            ? all.first { $0.name == FakeSuperRecord.statName }.flatMap { FakeSuperRecord(decoding: $0.value) } : nil
        let mode = recorded?.mode ?? real.mode
        func acl(_ name: [UInt8]) -> AccessControlList? {
            all.first { $0.name == name }.flatMap { FakeSuperACLFormat.decode($0.value, mode: mode) }
        }
        if selection.contains(.accessACL) { result.accessACL = .some(acl(FakeSuperRecord.accessACLName)) }
        if selection.contains(.defaultACL) { result.defaultACL = .some(acl(FakeSuperRecord.defaultACLName)) }
        return result
    }

    public func writeSecurityAttributes(_ location: FileLocation, kind: FileKind, _ writes: [AttributeWrite])
        throws(SystemCallError) -> [SystemCallError]
    {
        guard side != .plain else { return try base.writeSecurityAttributes(location, kind: kind, writes) }
        let real = try base.lstat(location.name, in: location.directory)
        // Removing an ACL record that was never made is no write at all (there was no ACL).
        var existing: Set<[UInt8]> = []
        if writes.contains(where: { if case .setACL(_, nil) = $0 { true } else { false } }) {
            let stored = try base.securityAttributes(location, kind: real.kind, selection: .extendedAttributes)
            existing = Set((stored.extendedAttributes ?? []).map(\.name))
        }
        let stored: [AttributeWrite] = writes.compactMap { write in
            switch write {
            case .setExtendedAttribute(let attribute):
                .setExtendedAttribute(ExtendedAttribute(name: FakeSuperRecord.storedName(attribute.name),
                    value: attribute.value))
            case .removeExtendedAttribute(let name):
                .removeExtendedAttribute(FakeSuperRecord.storedName(name))
            case .setACL(let which, let list):
                recordWrite(which, list, exists: existing)
            }
        }
        return try base.writeSecurityAttributes(location, kind: real.kind, stored)
    }

    private func recordWrite(_ which: AccessControlListKind, _ list: AccessControlList?, exists: Set<[UInt8]>)
        -> AttributeWrite?
    {
        let name = which == .access ? FakeSuperRecord.accessACLName : FakeSuperRecord.defaultACLName
        guard let list else { return exists.contains(name) ? .removeExtendedAttribute(name) : nil }
        return .setExtendedAttribute(ExtendedAttribute(name: name, value: FakeSuperACLFormat.encode(list, kind: which)))
    }

    // MARK: Everything else, as the base does it

    public func listDirectory(_ path: [UInt8]) throws(SystemCallError) -> [[UInt8]] { try base.listDirectory(path) }
    public func openDirectory(_ path: [UInt8]) throws(SystemCallError) -> any DirectoryHandle {
        try base.openDirectory(path)
    }
    public func listDirectory(_ directory: any DirectoryHandle) throws(SystemCallError) -> [[UInt8]] {
        try base.listDirectory(directory)
    }
    public func openDirectory(_ location: FileLocation, followingSymlink: Bool) throws(SystemCallError)
        -> any DirectoryHandle
    {
        try base.openDirectory(location, followingSymlink: followingSymlink)
    }
    public func makeHardLink(_ location: FileLocation, to existing: FileLocation) throws(SystemCallError) {
        try base.makeHardLink(location, to: existing)
    }
    public func rename(_ from: FileLocation, to: FileLocation) throws(SystemCallError) { try base.rename(from, to: to) }
    public func removeFile(_ location: FileLocation) throws(SystemCallError) { try base.removeFile(location) }
    public func removeDirectory(_ location: FileLocation) throws(SystemCallError) { try base.removeDirectory(location) }
    public func setModificationTime(_ location: FileLocation, _ time: FileTime) throws(SystemCallError) {
        try base.setModificationTime(location, time)
    }
    public func setTimes(_ location: FileLocation, modification: FileTime?, accessSeconds: Int64)
        throws(SystemCallError)
    {
        try base.setTimes(location, modification: modification, accessSeconds: accessSeconds)
    }
    public func copyFileInPlace(
        from source: [UInt8], to destination: FileLocation, length: Int64?, progress: (Int64) -> Bool
    ) throws(SystemCallError) -> Int64 {
        try base.copyFileInPlace(from: source, to: destination, length: length, progress: progress)
    }
    public func copyFileInPlace(
        from source: any OpenFile, to destination: FileLocation, length: Int64?, progress: (Int64) -> Bool
    ) throws(SystemCallError) -> Int64 {
        try base.copyFileInPlace(from: source, to: destination, length: length, progress: progress)
    }
    public func copyFileInPlace(
        from source: [UInt8], to destination: [UInt8], length: Int64?, progress: (Int64) -> Bool
    ) throws(SystemCallError) -> Int64 {
        try base.copyFileInPlace(from: source, to: destination, length: length, progress: progress)
    }
    public func openForUpdate(_ location: FileLocation) throws(SystemCallError) -> any OpenFile {
        try base.openForUpdate(location)
    }
    public func openForReading(_ location: FileLocation) throws(SystemCallError) -> any OpenFile {
        try base.openForReading(location)
    }
    public func isInUseByWriter(_ location: FileLocation) -> Bool { base.isInUseByWriter(location) }
    public func openSource(_ location: FileLocation, followingSymlink: Bool) throws(SystemCallError) -> any OpenFile {
        try base.openSource(location, followingSymlink: followingSymlink)
    }
    public func openBeneath(_ relativePath: [UInt8], in root: any DirectoryHandle) throws(SystemCallError)
        -> any OpenFile
    {
        try base.openBeneath(relativePath, in: root)
    }
    public func openDirectoryBeneath(_ relativePath: [UInt8], in root: any DirectoryHandle) throws(SystemCallError)
        -> any DirectoryHandle
    {
        try base.openDirectoryBeneath(relativePath, in: root)
    }
    public func openDirectoryBeneathFollowingLinks(_ relativePath: [UInt8], in root: any DirectoryHandle)
        throws(SystemCallError) -> any DirectoryHandle
    {
        try base.openDirectoryBeneathFollowingLinks(relativePath, in: root)
    }
    public func openOperatorDirectory(_ path: [UInt8], confined: Bool) throws(SystemCallError) -> any DirectoryHandle {
        try base.openOperatorDirectory(path, confined: confined)
    }
    public func readOperatorFile(_ path: [UInt8]) throws(SystemCallError) -> [UInt8] { try base.readOperatorFile(path) }
    public func readFile(_ path: [UInt8]) throws(SystemCallError) -> [UInt8] { try base.readFile(path) }
    public func makeHardLink(_ path: [UInt8], to existing: [UInt8]) throws(SystemCallError) {
        try base.makeHardLink(path, to: existing)
    }
    public func rename(_ from: [UInt8], to: [UInt8]) throws(SystemCallError) { try base.rename(from, to: to) }
    public func removeFile(_ path: [UInt8]) throws(SystemCallError) { try base.removeFile(path) }
    public func removeDirectory(_ path: [UInt8]) throws(SystemCallError) { try base.removeDirectory(path) }
    public func setModificationTime(_ path: [UInt8], _ time: FileTime) throws(SystemCallError) {
        try base.setModificationTime(path, time)
    }
    public func openForReading(_ path: [UInt8]) throws(SystemCallError) -> any OpenFile {
        try base.openForReading(path)
    }
    public func openForUpdate(_ path: [UInt8]) throws(SystemCallError) -> any OpenFile { try base.openForUpdate(path) }
    public func isInUseByWriter(_ path: [UInt8]) -> Bool { base.isInUseByWriter(path) }
    public func checksum(_ path: [UInt8]) throws(SystemCallError) -> FileChecksum { try base.checksum(path) }
    public func resolvedPath(_ path: [UInt8]) throws(SystemCallError) -> [UInt8] { try base.resolvedPath(path) }
    public func currentDirectory() -> [UInt8] { base.currentDirectory() }
}
