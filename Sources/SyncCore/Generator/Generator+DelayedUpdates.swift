/// `--delay-updates`: the files written so far wait in partial directories; here they are renamed into
/// place together, and the directories that received them get their times again.
extension Generator {
    func installDelayedUpdates() {
        drainWrites()
        guard !delayedUpdates.isEmpty else { return }
        let updates = delayedUpdates
        delayedUpdates.removeAll()
        for (entry, update) in updates {
            if observer.isInterrupted { wasInterrupted = true }
            // An interrupted run leaves the rest waiting, where the next run finds them as partial files.
            if wasInterrupted { break }
            do throws(WriteFailure) {
                if let line = try receiver.installDelayedUpdate(update, name: entry.name) { observer.info(line) }
            } catch {
                switch error {
                case .backupRefused(let destination, let cause):
                    backupWasRefused(destination: destination, cause: cause)
                case .destination(let failure) where failure.call == "rename":
                    let shown = OutputEscaper.escape(fs.absolute(update.destination.path), highBytes: options.highBytes)
                    fail("[receiver] rename failed for \"\(shown)\" (from \(OutputEscaper.escape(update.waitingName))): \(failure.errnoText) (\(failure.errno))")
                case .destination(let failure):
                    fail("[receiver] \(failure.description)")
                default:
                    fail("[receiver] rename failed for \(OutputEscaper.escape(entry.name))")
                }
                continue
            }
            received(entry)
        }
        let retouch = directoriesToRetouch
        directoriesToRetouch.removeAll()
        directoriesWithDelayedUpdates.removeAll()
        for directory in retouch { finishDirectory(directory.entry, isNew: directory.isNew) }
    }
}
