/// The operator's directories under rsync's rule for symlinks (`SymlinkTrust`): checked before the
/// run writes anything, so a symlink another user planted on the way is refused with rsync's message
/// instead of leading the run elsewhere.
extension Generator {
    /// The destination root: refused (change_dir, exit 3) when a symlink on its path is another user's.
    /// A destination that does not exist yet is checked by its parent, where it would be made.
    func checkDestinationTrust(_ destination: [UInt8]) throws(SyncError) {
        let refusal: SystemCallError
        do {
            _ = try fs.openOperatorDirectory(destination, confined: false)
            return
        } catch {
            // A file, say, is resolved as before; a missing destination is checked where it would be made.
            guard error.refusal != nil || error.errno == SystemErrno.noSuchEntry else { return }
            refusal = error
        }
        if refusal.refusal == nil {
            do { _ = try fs.openOperatorDirectory(PathBytes.parent(destination), confined: false) } catch {
                if error.refusal != nil { throw refusedDestination(destination, error, existing: false) }
            }
            return
        }
        throw refusedDestination(destination, refusal, existing: (try? fs.stat(destination)) != nil)
    }

    /// rsync's words: "change_dir#1" for a destination that exists, "change_dir#2" (without its
    /// slashes) for one it had yet to make.
    private func refusedDestination(_ path: [UInt8], _ error: SystemCallError, existing: Bool) -> SyncError {
        warnOfRefusal(error)
        let (call, shown) = existing ? ("change_dir#1", path) : ("change_dir#2", PathBytes.trimmingTrailingSlashes(path))
        return SyncError(.fileSelection,
            "[Receiver] \(error.describing(call: call, path: fs.absolute(shown)))", role: .receiver)
    }

    /// rsync's warning line for a refused symlink, before the error it leads to.
    func warnOfRefusal(_ error: SystemCallError) {
        if error.refusal == .untrustedSymlink { observer.error(.bare(OperatorPathRefusal.untrustedSymlinkWarning)) }
    }

    /// `--temp-dir`, opened once. One that another user's symlink leads to is refused: each temp file
    /// then fails as rsync's mkstemp does (exit 23). One that cannot be opened for another reason
    /// (search permission only, say) is used by its path.
    func openTemporaryDirectory(_ path: [UInt8]) {
        do {
            receiver.temporaryDirectory = try fs.openOperatorDirectory(path, confined: true)
        } catch {
            if error.refusal != nil {
                warnOfRefusal(error)
                receiver.temporaryDirectoryRefusal = error
            }
            receiver.temporaryDirectory = PathDirectoryHandle(path: path)
        }
    }

    /// A backup refused under the operator-path rule ends the run, as rsync's `keep_backup` failure
    /// does (exit 11); the warning and the error are printed once.
    func backupWasRefused(destination: [UInt8], cause: SystemCallError) {
        guard fatalError == nil else { return }
        warnOfRefusal(cause)
        // rsync reports the failed step first, then the backup.
        observer.error("[receiver] unlink \"\(OutputEscaper.escape(fs.absolute(cause.path)))\": \(cause.errnoText) (\(cause.errno))",
            role: .receiver)
        fatalError = SyncError.backupRefused(destination: fs.absolute(destination), cause: cause,
            target: fs.absolute(cause.path))
    }
}

extension SyncError {
    /// rsync's "keep_backup failed" for a backup its `--backup-dir` rule refused.
    static func backupRefused(destination: [UInt8], cause: SystemCallError, target: [UInt8]) -> SyncError {
        SyncError(.fileIO, "[receiver] keep_backup failed: \"\(OutputEscaper.escape(destination))\" -> "
            + "\"\(OutputEscaper.escape(target))\": \(cause.errnoText) (\(cause.errno))", role: .receiver, cause: cause)
    }
}
