/// The reference directories of `--link-dest`, `--compare-dest` and `--copy-dest` (relative ones
/// resolved against the destination), and the lookups rsync makes in them (`try_dests_reg`,
/// `try_dests_non`). Pure lookups: what the generator then does with a match (link, copy, leave out)
/// is in `Generator+ReferenceDirectories.swift`.
struct ReferenceDirectories<FS: FileSystem> {
    let fs: FS
    let check: QuickCheck
    let kind: AlternateDestinationKind?
    /// `-L`, `--copy-unsafe-links`: a listed symlink is read through.
    let followsSourceLinks: Bool
    /// `-X`/`-A`: a reference copy matches only with the source's xattrs and ACLs too (rsync's
    /// `unchanged_attrs`).
    var security: SecurityAttributeRules?
    private(set) var roots: [[UInt8]]
    /// Each root's handle, opened under the operator-path rule (`openRoots`): entries below a root are
    /// looked up through it without following a symlink on the way, so a reference directory swapped
    /// for a link to elsewhere is not linked or read from.
    private var rootHandles: [[UInt8]: any DirectoryHandle] = [:]

    init(fs: FS, check: QuickCheck, options: SyncOptions, destinationRoot: [UInt8]) {
        self.fs = fs
        self.check = check
        kind = options.alternateDestinationKind
        followsSourceLinks = options.copyLinks || options.copyUnsafeLinks
        security = SecurityAttributeRules(options: options)
        // A dry run into a destination it does not make names a relative reference from the destination
        // by its spelling, as rsync then does (`dst/../ref` is `ref`).
        let destinationExists = (try? fs.stat(destinationRoot)) != nil
        roots = options.alternateDestinations.map { directory in
            if directory.first == PathBytes.slash { return directory }
            let joined = PathBytes.join(destinationRoot, directory)
            return destinationExists ? joined : PathBytes.collapsingDotDot(joined)
        }
    }

    /// None given.
    init(fs: FS, check: QuickCheck) {
        self.fs = fs
        self.check = check
        kind = nil
        followsSourceLinks = false
        roots = []
    }

    var isEmpty: Bool { roots.isEmpty }

    /// Opens the roots for the lookups, under the operator-path rule. One that another user's symlink
    /// leads to is left out (rsync finds no basis in it); `refused` hears of each. One that cannot be
    /// opened otherwise (missing: rsync warns of it, `missingRoots`) is kept, and looked up by path.
    mutating func openRoots(refused: (SystemCallError) -> Void) {
        var kept: [[UInt8]] = []
        for root in roots {
            do throws(SystemCallError) {
                rootHandles[root] = try fs.openOperatorDirectory(root, confined: true)
            } catch {
                if error.refusal != nil {
                    refused(error)
                    continue
                }
            }
            kept.append(root)
        }
        roots = kept
    }

    /// The entry `name` below `root`: its path (for messages and copies), where it is, and its lstat.
    /// Through the root's handle, its parent opened below it with no symlink followed.
    private func locate(_ name: [UInt8], in root: [UInt8]) -> (path: [UInt8], location: FileLocation, status: FileStatus)? {
        let path = PathBytes.join(root, name)
        // A root that could not be opened (missing, or swapped for a symlink while it was opened) is never
        // looked into by its path: that path may lead anywhere by now.
        guard let handle = rootHandles[root] else { return nil }
        let parent = PathBytes.parent(name)
        guard let directory = parent == PathBytes.dot ? handle : try? fs.openDirectoryBeneath(parent, in: handle)
        else { return nil }
        let location = FileLocation(PathBytes.lastComponent(name), in: directory)
        return (try? fs.lstat(location.name, in: directory)).map { (path, location, $0) }
    }

    /// The lstat of `name` below each root, in root order (nil where a root has none).
    func statuses(of name: [UInt8]) -> [FileStatus?] {
        roots.map { locate(name, in: $0)?.status }
    }

    /// The directory `name` (relative to the transfer root) in each reference directory that has it, in
    /// reference order, opened below the root's handle (`-yy` looks for fuzzy bases there).
    func directories(named name: [UInt8]) -> [(path: [UInt8], handle: any DirectoryHandle)] {
        roots.compactMap { root in
            guard let handle = rootHandles[root] else { return nil }
            if name == PathBytes.dot || name.isEmpty { return (root, handle) }
            return (try? fs.openDirectoryBeneath(name, in: handle)).map { (PathBytes.join(root, name), $0) }
        }
    }

    /// The roots that are not directories (rsync warns about each and goes on).
    var missingRoots: [[UInt8]] { roots.filter { (try? fs.stat($0))?.kind != .directory } }

    /// Regular files with the source's data, in reference order, each with the preserved attributes that
    /// differ; lazy, so callers stop at the first one they can use.
    func sameData(as entry: FileEntry)
        -> some Sequence<(path: [UInt8], location: FileLocation, status: FileStatus, attributes: ItemizeFlags)>
    {
        let (fs, check) = (fs, check)
        return roots.lazy.compactMap {
            root -> (path: [UInt8], location: FileLocation, status: FileStatus, attributes: ItemizeFlags)? in
            guard let (candidate, location, status) = locate(entry.name, in: root), status.kind == .regular else {
                return nil
            }
            let same = check.isUnchanged(source: entry.status, destination: status) {
                (entry.sourceChecksum(fs: fs, followingSymlink: followsSourceLinks),
                    try? fs.openSource(location, followingSymlink: false).checksum())
            }
            guard same else { return nil }
            return (candidate, location, status, attributeFlags(entry, location, status))
        }
    }

    /// The preserved attributes in which the copy at `location` differs from the source, the xattrs and
    /// ACLs of `-X`/`-A` included.
    private func attributeFlags(_ entry: FileEntry, _ location: FileLocation, _ status: FileStatus) -> ItemizeFlags {
        var flags = check.attributeFlags(source: entry, destination: status, localChange: false)
        guard let security, security.isActive, entry.kind != .symlink else { return flags }
        let stored = (try? fs.securityAttributes(location, kind: entry.kind, selection: security.selection(for: entry.kind)))
            ?? StoredSecurityAttributes()
        flags.formUnion(security.differences(source: entry.securityAttributes, destination: stored, kind: entry.kind))
        return flags
    }

    /// The first file with the source's data and every preserved attribute.
    func exactMatch(for entry: FileEntry) -> (path: [UInt8], status: FileStatus)? {
        sameData(as: entry).first { Self.matches($0.attributes) }.map { ($0.path, $0.status) }
    }

    /// Whether a reference file whose attributes differ in `flags` matches the source: as rsync's
    /// `unchanged_attrs`, the access time does not count (a link made to it gets the source's afterwards).
    static func matches(_ flags: ItemizeFlags) -> Bool {
        flags.subtracting(.reportAccessTime).isEmpty
    }

    /// The first entry of `kind` under the entry's name, if any, and where it is. For a directory, one
    /// whose attributes already match wins over the first that exists (rsync `try_dests_non`, match
    /// level 2 over 1).
    func candidate(for entry: FileEntry, kind: FileKind) -> (path: [UInt8], location: FileLocation, status: FileStatus)? {
        var first: (path: [UInt8], location: FileLocation, status: FileStatus)?
        for root in roots {
            guard let found = locate(entry.name, in: root), found.status.kind == kind else { continue }
            if kind != .directory { return found }
            if attributeFlags(entry, found.location, found.status).isEmpty {
                return found
            }
            if first == nil { first = found }
        }
        return first
    }

    /// The first symlink, device or special identical to the entry: same type, target or device number,
    /// and every preserved attribute.
    func identicalNonRegular(to entry: FileEntry) -> FileLocation? {
        for root in roots {
            guard let (_, location, status) = locate(entry.name, in: root), status.kind == entry.kind else { continue }
            if entry.kind == .symlink {
                guard (try? fs.readLink(location.name, in: location.directory)) == entry.symlinkTarget else { continue }
            } else if entry.kind.isDevice && status.rdev != entry.status.rdev {
                continue
            }
            if attributeFlags(entry, location, status).isEmpty { return location }
        }
        return nil
    }
}
