import SyncCore

/// `--debug=NSTR`: the checksum and compression a run uses, in rsync's lines (printed before the run's
/// first line, as rsync prints them when the two ends have agreed). Level 2 adds the lists offered.
enum NegotiationReport {
    static func lines(_ options: SyncOptions) -> [String] {
        guard options.debugNegotiation > 0 else { return [] }
        var lines: [String] = []
        let checksums = ChecksumChoice.allCases.map(\.name)
        let compressors = CompressionChoice.allCases.map(\.rawValue)
        if options.debugNegotiation > 1 {
            if options.checksumChoice == nil {
                lines.append("Client checksum list (on client): " + checksums.joined(separator: " "))
            }
            if options.compress && options.compressChoice == nil {
                lines.append("Client compress list (on client): " + compressors.joined(separator: " "))
            }
            if options.checksumChoice == nil {
                lines.append("Server checksum list (on client): " + (checksums + ["none"]).joined(separator: " "))
            }
            if options.compress && options.compressChoice == nil {
                lines.append("Server compress list (on client): " + (compressors + ["none"]).joined(separator: " "))
            }
        }
        if let given = options.checksumChoice {
            lines.append("Client checksum: \(given)")
        } else {
            lines.append("Client negotiated checksum: \(ChecksumChoice.xxh128.name)")
        }
        if options.compress {
            let choice = options.compressChoice.flatMap { CompressionChoice(name: $0) } ?? .zstd
            let level = options.compressLevel.map { min(max($0, choice.levels.lowerBound), choice.levels.upperBound) }
                ?? choice.defaultLevel
            let prefix = options.compressChoice == nil ? "Client negotiated compress" : "Client compress"
            lines.append("\(prefix): \(choice.rawValue) (level \(level))")
        }
        return lines
    }
}
