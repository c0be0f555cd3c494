import SyncCharset
import SyncCore
import SyncProtocol

// `--iconv` and what the user sees: rsync's server converts the names in its output lines to UTF-8 for
// the wire and the client converts them to its own charset (`send_msg`, `rwrite` in `log.c`). These
// helpers do the same for itemized changes, deletions and progress names.

extension CharsetConverter {
    /// `name` converted for display; what cannot be converted is shown as it is (its bytes are then
    /// escaped as any others that do not print).
    func displayed(_ name: [UInt8]) -> [UInt8] {
        (try? convert(name, limit: ProtocolLimits.standard.maxPathLength)) ?? name
    }
}

extension ItemizedChange {
    /// This change with its names (path, symlink target, hard-link leader) converted for display.
    func recoded(_ converter: CharsetConverter) -> ItemizedChange {
        var item = self
        item.name = converter.displayed(name)
        item.symlinkTarget = symlinkTarget.map(converter.displayed)
        item.hardLinkLeader = hardLinkLeader.map(converter.displayed)
        return item
    }
}

/// Passes everything to `base`, with the names of reported changes, deletions and transfers converted:
/// a local run's receiving half (names in REMOTE) seen by the client's console (LOCAL).
final class RecodingObserver: TransferObserver, @unchecked Sendable {
    // @unchecked: `base` is a LockedObserver; the converter serializes itself.
    private let base: TransferObserver
    private let converter: CharsetConverter

    init(_ base: TransferObserver, converter: CharsetConverter) {
        self.base = base
        self.converter = converter
    }

    func report(_ item: ItemizedChange) { base.report(item.recoded(converter)) }
    func reportDeletion(name: [UInt8], kind: FileKind) {
        base.reportDeletion(name: converter.displayed(name), kind: kind)
    }
    func info(_ text: String) { base.info(text) }
    func error(_ text: String, role: Role?) { base.error(text, role: role) }
    func error(_ diagnostic: Diagnostic) { base.error(diagnostic) }
    func transferStarted(name: [UInt8], size: Int64) {
        base.transferStarted(name: converter.displayed(name), size: size)
    }
    func transferProgress(bytes: Int64) { base.transferProgress(bytes: bytes) }
    func transferFinished(bytes: Int64) { base.transferFinished(bytes: bytes) }
    var isInterrupted: Bool { base.isInterrupted }
    var interruptCheck: @Sendable () -> Bool { base.interruptCheck }
}
