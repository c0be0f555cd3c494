/// Keeps a `FilterList`'s per-directory stack in step with a depth-first walk: before a directory is
/// looked at, the directories that are not its ancestors are left and the directory itself is entered,
/// so its dir-merge files (`.rsync-filter`) are read and inherited as rsync's `push_local_filters` does.
struct DirectoryRuleTracker {
    /// False when no dir-merge rule exists; then entering and leaving are skipped.
    let isActive: Bool
    /// Where the transfer root's files are read (paths the rules name relative to the root).
    private(set) var rootSource: [UInt8]?
    private var entered: [[UInt8]] = []

    init(isActive: Bool) {
        self.isActive = isActive
    }

    /// Enters `relativeName` (relative to the transfer root, "" for the root), whose files live in
    /// `source`, reading them through `fs`. A missing file is no rule; another read failure is the
    /// returned error, named for `role` (the sender reads the source, the deleter the destination).
    mutating func enter<FS: FileSystem>(_ relativeName: [UInt8], source: [UInt8]?, filters: inout FilterList,
        fs: FS, role: Role) -> SyncError?
    {
        guard isActive else { return nil }
        if relativeName.isEmpty { rootSource = source }
        func read(_ path: [UInt8]) throws(SyncError) -> [UInt8]? {
            // Read as an operator path: a `.rsync-filter` that another user's symlink leads to is no rule
            // (rsync skips it), rather than rules read from wherever it points.
            do throws(SystemCallError) { return try fs.readOperatorFile(path) } catch {
                if error.errno == SystemErrno.noSuchEntry || error.errno == SystemErrno.notDirectory
                    || error.refusal != nil
                {
                    return nil
                }
                throw SyncError(.fileIO, "[\(role.rawValue)] \(error.description)", role: role)
            }
        }
        while let top = entered.last, !Self.isAncestor(top, of: relativeName) {
            filters.leaveDirectory()
            entered.removeLast()
        }
        let prefix = PathBytes.joinedPrefixLength(relativeName)
        let rootSource = self.rootSource
        do {
            try filters.enterDirectory(relativeName) { path throws(SyncError) -> [UInt8]? in
                // Files of this directory come from its source; others (a merge file named from the
                // root) from the root's source.
                if let source, !relativeName.isEmpty, path.count > prefix, path.starts(with: relativeName),
                    path[relativeName.count] == PathBytes.slash
                {
                    return try read(PathBytes.join(source, Array(path[prefix...])))
                }
                guard let base = relativeName.isEmpty ? source : rootSource else { return nil }
                return try read(PathBytes.join(base, path))
            }
        } catch {
            return error
        }
        entered.append(relativeName)
        return nil
    }

    static func isAncestor(_ directory: [UInt8], of path: [UInt8]) -> Bool {
        if directory.isEmpty { return true }
        return path.count > directory.count && path.starts(with: directory) && path[directory.count] == PathBytes.slash
    }
}
