import Glibc

/// `--copy-as=USER[:GROUP]`: the process takes another user's identity for the copy itself, after what needs its
/// own (the remote shell's connection, the option files) is done, as rsync's `become_copy_as_user`. Without a
/// GROUP it takes the user's login group and supplementary groups. Every later file operation runs with the
/// new identity, so a root run cannot read or write what USER could not.
public enum CopyAsIdentity {
    public enum Failure: Error, Equatable {
        /// USER is neither a known name nor a number.
        case invalidUser(String)
        /// GROUP is neither a known name nor a number.
        case invalidGroup(String)
        /// The user has no password entry to take a login group from.
        case noLoginGroup(errno: Int32)
        /// A credential call the kernel refused (`setgid`, `setgroups`, `initgroups`, `setuid`).
        case refused(call: String, errno: Int32)

        /// rsync's line for the failure (all end the run with exit 1).
        public var message: String {
            switch self {
            case .invalidUser(let name): "Invalid copy-as user: \(name)"
            case .invalidGroup(let name): "Invalid copy-as group: \(name)"
            case .noLoginGroup(let code): "getpwuid failed: \(String(cString: strerror(code))) (\(code))"
            case .refused(let call, let code): "\(call) failed: \(String(cString: strerror(code))) (\(code))"
            }
        }

        /// Whether rsync prefixes the line with its program name (its `rsyserr` lines; not the invalid names).
        public var isSystemError: Bool {
            switch self {
            case .invalidUser, .invalidGroup: false
            case .noLoginGroup, .refused: true
            }
        }
    }

    /// Takes the identity `spec` names (`USER` or `USER:GROUP`, names or numbers).
    public static func become(_ spec: String) throws(Failure) {
        let parts = spec.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
        let userText = String(parts[0])
        guard let uid = id(userText, lookup: UserNames.userID) else { throw .invalidUser(userText) }
        let gid: gid_t
        let groupText = parts.count > 1 ? String(parts[1]) : nil
        if let groupText {
            guard let found = id(groupText, lookup: UserNames.groupID) else { throw .invalidGroup(groupText) }
            gid = found
        } else {
            errno = 0
            guard let found = UserNames.primaryGroup(uid) else { throw .noLoginGroup(errno: errno == 0 ? ENOENT : errno) }
            gid = found
        }
        guard setgid(gid) == 0 else { throw .refused(call: "setgid", errno: errno) }
        var groups = [gid]
        guard setgroups(1, &groups) == 0 else { throw .refused(call: "setgroups", errno: errno) }
        if groupText == nil {
            guard initgroups(userText, gid) == 0 else { throw .refused(call: "initgroups", errno: errno) }
        }
        guard setuid(uid) == 0, seteuid(uid) == 0 else { throw .refused(call: "setuid", errno: errno) }
    }

    /// A number, else a name, as rsync reads them.
    private static func id(_ text: String, lookup: ([UInt8]) -> UInt32?) -> UInt32? {
        guard !text.isEmpty else { return nil }
        if text.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) { return UInt32(text) }
        return lookup(Array(text.utf8))
    }
}
