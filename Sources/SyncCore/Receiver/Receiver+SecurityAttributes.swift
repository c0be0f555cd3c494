/// `-X` and `-A` on the destination: an entry gets exactly its source's extended attributes (within the
/// namespaces this receiver manages) and ACLs.
extension Receiver {
    /// What the destination entry at `location` holds of what the run copies; nil for a file system
    /// without them (rsync treats EOPNOTSUPP on a read as "none") or a read that failed, with its message.
    func destinationSecurityAttributes(_ location: FileLocation, kind: FileKind)
        -> (stored: StoredSecurityAttributes, failure: String?)
    {
        let selection = securityRules.selection(for: kind)
        guard !selection.isEmpty else { return (StoredSecurityAttributes(), nil) }
        do {
            return (try fs.securityAttributes(location, kind: kind, selection: selection), nil)
        } catch {
            if error.errno == SystemErrno.notSupported { return (StoredSecurityAttributes(), nil) }
            return (StoredSecurityAttributes(), "[receiver] \(error.describing(call: "get_xattr_names: llistxattr"))")
        }
    }

    /// Gives the entry at `location` its source's `attributes`; `mode` is the permissions it ends with.
    /// Returns the failures as rsync words them (its receiver's, whichever side of ours made the call).
    public func applySecurityAttributes(_ location: FileLocation, kind: FileKind, source attributes: SecurityAttributes?,
        mode: UInt32) -> [String]
    {
        guard securityRules.isActive, kind != .symlink else { return [] }
        let (current, failure) = destinationSecurityAttributes(location, kind: kind)
        if let failure { return [failure] }
        let writes = securityRules.writes(source: attributes, destination: current, kind: kind, mode: mode)
        guard !writes.isEmpty else { return [] }
        do {
            return try fs.writeSecurityAttributes(location, kind: kind, writes).map(describe)
        } catch {
            return ["[receiver] \(error.description)"]  // the entry itself could not be opened
        }
    }

    /// A failed write as rsync's receiver words it: the xattr with the full path, the ACL with the name
    /// below the destination.
    private func describe(_ error: SystemCallError) -> String {
        let name = error.attributeName ?? []
        guard name.starts(with: Self.aclAttributePrefix) else {
            let shown = OutputEscaper.escape(fs.absolute(error.path))
            return "[receiver] rsync_xal_set: \(error.call)(\"\(shown)\",\"\(OutputEscaper.escape(name))\") failed: \(error.errnoText) (\(error.errno))"
        }
        var root = destinationRoot
        while root.count > 1 && root.last == PathBytes.slash { root.removeLast() }
        var relative = error.path[...]
        if !root.isEmpty, relative.starts(with: root + [PathBytes.slash]) { relative = relative.dropFirst(root.count + 1) }
        let type = name.elementsEqual(Self.aclAttributePrefix + Array("default".utf8)) ? "ACL_TYPE_DEFAULT" : "ACL_TYPE_ACCESS"
        return "[receiver] set_acl: xacl_set(\(OutputEscaper.escape(Array(relative))), \(type)): \(error.errnoText) (\(error.errno))"
    }

    static var aclAttributePrefix: [UInt8] { Array("system.posix_acl_".utf8) }
}
