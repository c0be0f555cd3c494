/// Whether a local source may be one this process cannot open, from its listed status alone.
///
/// rsync's sender opens a file before the receiver prints its itemized line, so a file it cannot open gets an
/// error and no line. swsync's writers open sources later, on other threads; the generator opens first only
/// the files this predicts may fail, so the common case (root, or the owner with read permission, or anyone
/// with the other-read bit) costs no system call. A wrong "readable" (an ACL that denies) only costs the line.
enum SourceReadability {
    static func mayRefuse(_ status: FileStatus, reader: UInt32) -> Bool {
        if reader == 0 { return false }
        if status.uid == reader { return status.mode & 0o400 == 0 }
        return status.mode & 0o004 == 0
    }
}
