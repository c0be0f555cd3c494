import Glibc

/// User and group names and ids of this machine (getpwuid_r and friends), for rsync's mapping of owners by
/// name between machines. Each lookup asks the system once per process run; callers cache.
public enum UserNames {
    public static func userName(_ uid: UInt32) -> [UInt8]? {
        withBuffer { buffer in
            var entry = passwd()
            var result: UnsafeMutablePointer<passwd>?
            guard getpwuid_r(uid, &entry, buffer.baseAddress!, buffer.count, &result) == 0, result != nil,
                let name = entry.pw_name
            else { return nil }
            return bytes(name)
        }
    }

    public static func groupName(_ gid: UInt32) -> [UInt8]? {
        withBuffer { buffer in
            var entry = group()
            var result: UnsafeMutablePointer<group>?
            guard getgrgid_r(gid, &entry, buffer.baseAddress!, buffer.count, &result) == 0, result != nil,
                let name = entry.gr_name
            else { return nil }
            return bytes(name)
        }
    }

    /// The login group of `uid` (`pw_gid`), or nil when the system has no such user.
    public static func primaryGroup(_ uid: UInt32) -> UInt32? {
        withBuffer { buffer in
            var entry = passwd()
            var result: UnsafeMutablePointer<passwd>?
            guard getpwuid_r(uid, &entry, buffer.baseAddress!, buffer.count, &result) == 0, result != nil else {
                return nil
            }
            return entry.pw_gid
        }
    }

    public static func userID(_ name: [UInt8]) -> UInt32? {
        withBuffer { buffer in
            var entry = passwd()
            var result: UnsafeMutablePointer<passwd>?
            let found = (name + [0]).withUnsafeBufferPointer { raw in
                raw.withMemoryRebound(to: CChar.self) { text in
                    getpwnam_r(text.baseAddress!, &entry, buffer.baseAddress!, buffer.count, &result)
                }
            }
            return found == 0 && result != nil ? entry.pw_uid : nil
        }
    }

    public static func groupID(_ name: [UInt8]) -> UInt32? {
        withBuffer { buffer in
            var entry = group()
            var result: UnsafeMutablePointer<group>?
            let found = (name + [0]).withUnsafeBufferPointer { raw in
                raw.withMemoryRebound(to: CChar.self) { text in
                    getgrnam_r(text.baseAddress!, &entry, buffer.baseAddress!, buffer.count, &result)
                }
            }
            return found == 0 && result != nil ? entry.gr_gid : nil
        }
    }

    private static func withBuffer<T>(_ body: (UnsafeMutableBufferPointer<CChar>) -> T?) -> T? {
        let buffer = UnsafeMutableBufferPointer<CChar>.allocate(capacity: 16 * 1024)
        defer { buffer.deallocate() }
        return body(buffer)
    }

    private static func bytes(_ text: UnsafeMutablePointer<CChar>) -> [UInt8] {
        Array(UnsafeRawBufferPointer(start: text, count: strlen(text)))
    }
}
