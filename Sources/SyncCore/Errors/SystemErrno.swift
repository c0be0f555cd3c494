/// The `errno` values SyncCore decides on, by name (Linux numbering: SyncCore does not import Glibc).
public enum SystemErrno {
    /// Names and entries: ENOENT, EEXIST, EXDEV, ENOTDIR, EISDIR, ENOTEMPTY, ENAMETOOLONG, and ELOOP (a symlink where
    /// `O_NOFOLLOW` asked for none, or one that leads out of the destination).
    public static let noSuchEntry: Int32 = 2, exists: Int32 = 17, crossDevice: Int32 = 18, notDirectory: Int32 = 20,
        isDirectory: Int32 = 21, notEmpty: Int32 = 39, symlinkLoop: Int32 = 40, nameTooLong: Int32 = 36

    /// Reads and writes: EINTR (also what an interrupted or stopped copy reports), EIO, ENODATA (rsync's
    /// "read errors mapping" for a file shorter than listed), EBADMSG (a rebuilt file failed its check).
    public static let interrupted: Int32 = 4, inputOutput: Int32 = 5, noData: Int32 = 61, badMessage: Int32 = 74

    /// A full disk, or a full quota: ENOSPC, EDQUOT.
    public static let noSpace: Int32 = 28, quotaExceeded: Int32 = 122

    /// A file system without extended attributes (or without that namespace): EOPNOTSUPP.
    public static let notSupported: Int32 = 95
}

extension SystemCallError {
    /// The disk (or the user's quota) is full: rsync stops the whole run (exit 11) at the first one.
    public var isOutOfSpace: Bool {
        errno == SystemErrno.noSpace || errno == SystemErrno.quotaExceeded
    }
}
