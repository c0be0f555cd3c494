/// The `errno` values SyncCore decides on, by name (Linux numbering: SyncCore does not import Glibc).
public enum SystemErrno {
    /// ENOENT
    public static let noSuchEntry: Int32 = 2
    /// EINTR: also what an interrupted or stopped copy reports.
    public static let interrupted: Int32 = 4
    /// EIO
    public static let inputOutput: Int32 = 5
    /// EEXIST
    public static let exists: Int32 = 17
    /// EXDEV
    public static let crossDevice: Int32 = 18
    /// ENOTDIR
    public static let notDirectory: Int32 = 20
    /// EISDIR
    public static let isDirectory: Int32 = 21
    /// ENOSPC
    public static let noSpace: Int32 = 28
    /// ENOTEMPTY
    public static let notEmpty: Int32 = 39
    /// ELOOP: a symlink where `O_NOFOLLOW` asked for none.
    public static let symlinkLoop: Int32 = 40
    /// ENODATA: rsync's "read errors mapping" when a file is shorter than listed.
    public static let noData: Int32 = 61
    /// EBADMSG: a rebuilt file failed its whole-file check.
    public static let badMessage: Int32 = 74
    /// EDQUOT
    public static let quotaExceeded: Int32 = 122
}

extension SystemCallError {
    /// The disk (or the user's quota) is full: rsync stops the whole run (exit 11) at the first one.
    public var isOutOfSpace: Bool {
        errno == SystemErrno.noSpace || errno == SystemErrno.quotaExceeded
    }
}
