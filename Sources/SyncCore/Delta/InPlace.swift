/// `--inplace` safety: when the basis is the destination file itself, the patcher overwrites it front to
/// back, so a copy may only read basis bytes at or after the current write offset.
///
/// The sender avoids conflicts up front with `DeltaGenerator(signature:inPlace: true)` (rsync's
/// `updating_basis_file` rule). For a delta made without that rule, the receiver can find the conflicting
/// copies and turn them into literals by reading those blocks before anything is written.
public enum InPlace {
    /// A copy instruction that would read basis bytes already overwritten.
    public struct Conflict: Sendable, Equatable {
        /// Index into the instruction list.
        public var instruction: Int
        /// Output offset where the copy is written.
        public var writeOffset: Int
    }

    /// Copies whose source starts before their write offset. Every block of a run sits the same distance from
    /// its write offset, so checking the run's first block is enough.
    /// Instructions must already be valid for `geometry` (see `DeltaPatcher.validate`).
    public static func conflicts(in instructions: [DeltaInstruction], geometry: BlockGeometry) -> [Conflict] {
        var found: [Conflict] = []
        var writeOffset = 0
        for (i, instruction) in instructions.enumerated() {
            switch instruction {
            case .literal(let bytes):
                writeOffset += bytes.count
            case .copy(let index, let count):
                if geometry.offset(ofBlock: index) < writeOffset {
                    found.append(Conflict(instruction: i, writeOffset: writeOffset))
                }
                writeOffset += geometry.length(ofBlocks: index, count: count)
            }
        }
        return found
    }

    /// Rewrites conflicting copies as literals holding the basis bytes they would have read, read through
    /// `read` before the destination is touched. Safe copies are kept. The result applies in place.
    public static func rewrite(
        _ instructions: [DeltaInstruction], geometry: BlockGeometry, maxLiteralLength: Int = DeltaLimits.standard.maxLiteralLength,
        read: (_ offset: Int, _ into: UnsafeMutableRawBufferPointer) throws(SyncError) -> Void
    ) throws(SyncError) -> [DeltaInstruction] {
        let conflicting = Set(conflicts(in: instructions, geometry: geometry).map(\.instruction))
        guard !conflicting.isEmpty else { return instructions }
        var result: [DeltaInstruction] = []
        result.reserveCapacity(instructions.count)
        for (i, instruction) in instructions.enumerated() {
            guard conflicting.contains(i), case .copy(let index, let count) = instruction else {
                result.append(instruction)
                continue
            }
            var offset = geometry.offset(ofBlock: index)
            var remaining = geometry.length(ofBlocks: index, count: count)
            while remaining > 0 {
                let n = min(remaining, max(maxLiteralLength, 1))
                var bytes = [UInt8](repeating: 0, count: n)
                let status = bytes.withUnsafeMutableBytes { out in Result { () throws(SyncError) in try read(offset, out) } }
                try status.get()
                result.append(.literal(bytes))
                offset += n
                remaining -= n
            }
        }
        return result
    }
}
