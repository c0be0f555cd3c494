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
    /// Returns the failures as rsync words them.
    public func applySecurityAttributes(_ location: FileLocation, kind: FileKind, source attributes: SecurityAttributes?,
        mode: UInt32, role: Role = .receiver) -> [String]
    {
        guard securityRules.isActive, kind != .symlink else { return [] }
        let (current, failure) = destinationSecurityAttributes(location, kind: kind)
        if let failure { return [failure] }
        let writes = securityRules.writes(source: attributes, destination: current, kind: kind, mode: mode)
        guard !writes.isEmpty else { return [] }
        do {
            try fs.writeSecurityAttributes(location, kind: kind, writes)
            return []
        } catch {
            let shown = OutputEscaper.escape(fs.absolute(location.path))
            if let name = error.attributeName, !name.starts(with: Self.aclAttributePrefix) {
                return ["[\(role.rawValue)] rsync_xal_set: \(error.call)(\"\(shown)\",\"\(OutputEscaper.escape(name))\") failed: \(error.errnoText) (\(error.errno))"]
            }
            return ["[\(role.rawValue)] set_acl: sys_acl_set_file(\(shown)): \(error.errnoText) (\(error.errno))"]
        }
    }

    static var aclAttributePrefix: [UInt8] { Array("system.posix_acl_".utf8) }

    var securityRules: SecurityAttributeRules { SecurityAttributeRules(options: options) }
}
