/// Describes a new file as copies of basis blocks and literal bytes (rsync's sender, `match.c`), reading the
/// new file in chunks of any size.
///
/// Rolls the weak checksum over the new file a byte at a time, looks each sum up in a `MatchTable`, confirms a
/// hit with the strong digest, and after a match jumps a whole block. Consecutive matching blocks are
/// coalesced into one `.copy` run; literals are cut at `maxLiteralLength`. A match may straddle chunks: the
/// generator keeps a window buffer of at most `maxLiteralLength + blockLength` bytes plus one staging area.
/// rsync's `--debug=deltasum` figures of a delta search: lookups that found a non-empty hash bucket, and
/// weak-sum matches the strong digest rejected.
public struct DeltaSearchCounts: Sendable, Equatable {
    public var hashHits: Int64 = 0
    public var falseAlarms: Int64 = 0
    public init() {}
    public static func += (a: inout DeltaSearchCounts, b: DeltaSearchCounts) {
        a.hashHits += b.hashHits
        a.falseAlarms += b.falseAlarms
    }
}

public final class DeltaGenerator {
    public let signature: Signature
    /// `--inplace`: never copy a block that lies before the current write offset, because the receiver has
    /// already overwritten it (rsync `match.c`, `updating_basis_file`). A block at the same offset is fine.
    public let inPlace: Bool
    public let maxLiteralLength: Int

    private let table: MatchTable
    private let digester: FileDigester
    private let buffer: UnsafeMutableRawBufferPointer
    private let stagingLength: Int
    /// File offset of `buffer[0]`.
    private var bufferOffset = 0
    private var used = 0
    /// Start of the window being checked.
    private var position = 0
    /// Start of literal bytes not yet emitted (≤ position).
    private var literalStart = 0
    private var rolling = RollingChecksum()
    private var rollingValid = false
    /// The window at `position` was checked and did not match; roll before checking again.
    private var needsRoll = false
    private var expected = -1
    private var pendingCopy: (start: Int, count: Int)? = nil
    private var totalLength = 0
    /// What the search did so far (rsync's `--debug=deltasum` totals).
    public private(set) var searchCounts = DeltaSearchCounts()

    public init(signature: Signature, inPlace: Bool = false, maxLiteralLength: Int = DeltaLimits.standard.maxLiteralLength,
        stagingLength: Int = 256 * 1024)
    {
        self.signature = signature
        self.inPlace = inPlace
        self.maxLiteralLength = max(1, maxLiteralLength)
        table = MatchTable(signature: signature)
        digester = FileDigester(signature.checksum)
        self.stagingLength = max(stagingLength, signature.blockLength)
        buffer = .allocate(
            byteCount: self.maxLiteralLength + signature.blockLength + self.stagingLength, alignment: 16)
    }

    deinit { buffer.deallocate() }

    /// Feeds the next bytes of the new file; instructions that are complete go to `emit`.
    public func append<E: Error>(_ bytes: UnsafeRawBufferPointer, emit: (DeltaInstruction) throws(E) -> Void) throws(E) {
        digester.update(bytes)
        totalLength += bytes.count
        var rest = bytes
        while !rest.isEmpty {
            if used == buffer.count { compact() }
            let n = min(rest.count, buffer.count - used)
            UnsafeMutableRawBufferPointer(rebasing: buffer[used..<used + n])
                .copyMemory(from: UnsafeRawBufferPointer(rebasing: rest[0..<n]))
            used += n
            rest = UnsafeRawBufferPointer(rebasing: rest[n...])
            try scan(emit: emit)
        }
    }

    /// Feeds the next bytes of the new file, read by `fill` straight into the generator's window instead
    /// of copied in (`append` copies each chunk once more). `fill` gets at least `stagingLength` bytes of
    /// space and returns how many it wrote there, 0 at the end of the file; the count is returned.
    public func append<E: Error>(filling fill: (UnsafeMutableRawBufferPointer) throws(E) -> Int,
        emit: (DeltaInstruction) throws(E) -> Void) throws(E) -> Int
    {
        // What is kept (from `literalStart`) is at most a literal run plus a block: the staging area stays
        // free, and the bytes moved here are few when the data matches.
        if buffer.count - used < stagingLength { compact() }
        let space = UnsafeMutableRawBufferPointer(rebasing: buffer[used...])
        precondition(space.count >= stagingLength, "generator window has no room")  // a 0 would read as the end
        let count = try fill(space)
        precondition(count >= 0 && count <= space.count, "fill wrote outside its space")
        guard count > 0 else { return 0 }
        let bytes = UnsafeRawBufferPointer(rebasing: buffer[used..<used + count])
        digester.update(bytes)
        totalLength += count
        used += count
        try scan(emit: emit)
        return count
    }

    /// Ends the new file: tries the basis's short last block against the tail, flushes what is pending and
    /// returns the new file's length and whole-file digest.
    public func finish<E: Error>(emit: (DeltaInstruction) throws(E) -> Void) throws(E) -> DeltaTrailer {
        let geometry = signature.geometry
        let last = signature.blockCount - 1
        let shortLength = geometry.lastBlockLength
        if last >= 0 && shortLength < geometry.blockLength {
            let start = used - shortLength
            if start >= position && (!inPlace || geometry.offset(ofBlock: last) >= bufferOffset + start) {
                let window = UnsafeRawBufferPointer(rebasing: buffer[start..<used])
                if RollingChecksum(window).value == table.weakSum(ofBlock: last)
                    && table.strongMatches(last, signature.checksum.digest(window))
                {
                    try flushLiteral(upTo: start, emit: emit)
                    try addCopy(last, emit: emit)
                    literalStart = used
                    position = used
                }
            }
        }
        try flushLiteral(upTo: used, emit: emit)
        if let copy = pendingCopy { try emit(.copy(blockIndex: copy.start, count: copy.count)) }
        pendingCopy = nil
        position = used
        return DeltaTrailer(fileSize: totalLength, digest: digester.finish())
    }

    /// One-shot delta of an in-memory new file.
    public static func delta(signature: Signature, newFile: UnsafeRawBufferPointer, inPlace: Bool = false)
        -> (instructions: [DeltaInstruction], trailer: DeltaTrailer)
    {
        let generator = DeltaGenerator(signature: signature, inPlace: inPlace)
        var instructions: [DeltaInstruction] = []
        let collect: (DeltaInstruction) -> Void = { instructions.append($0) }
        generator.append(newFile, emit: collect)
        let trailer = generator.finish(emit: collect)
        return (instructions, trailer)
    }

    // MARK: - Scanning

    private func scan<E: Error>(emit: (DeltaInstruction) throws(E) -> Void) throws(E) {
        let blockLength = signature.blockLength
        let base = UnsafeRawBufferPointer(buffer)
        while true {
            if !rollingValid {
                guard position + blockLength <= used else { return }
                if expected >= 0 && position == literalStart {
                    let window = UnsafeRawBufferPointer(rebasing: base[position..<position + blockLength])
                    let minimumOffset = inPlace ? bufferOffset + position : 0
                    if table.isExpectedBlock(expected, window: window, minimumOffset: minimumOffset) {
                        try addCopy(expected, emit: emit)
                        position += blockLength
                        literalStart = position
                        continue
                    }
                }
                rolling = RollingChecksum(UnsafeRawBufferPointer(rebasing: base[position..<position + blockLength]))
                rollingValid = true
                needsRoll = false
            } else if needsRoll {
                // Roll byte by byte until some bucket is non-empty; this is the hot loop on changed data.
                let literalLimit = literalStart + maxLiteralLength
                var p = position
                var sum = rolling
                while true {
                    guard p + blockLength < used else {
                        rolling = sum
                        position = p
                        return
                    }
                    sum.roll(out: base[p], in: base[p + blockLength])
                    p += 1
                    if table.mayMatch(sum.value) || p >= literalLimit { break }
                }
                rolling = sum
                position = p
                needsRoll = false
            }
            if position - literalStart >= maxLiteralLength {
                try flushLiteral(upTo: literalStart + maxLiteralLength, emit: emit)
            }
            let window = UnsafeRawBufferPointer(rebasing: base[position..<position + blockLength])
            let minimumOffset = inPlace ? bufferOffset + position : 0
            if let block = table.find(sum: rolling.value, window: window, expected: expected, minimumOffset: minimumOffset,
                counts: &searchCounts)
            {
                try flushLiteral(upTo: position, emit: emit)
                try addCopy(block, emit: emit)
                position += blockLength
                literalStart = position
                rollingValid = false
            } else {
                needsRoll = true
            }
        }
    }

    private func addCopy<E: Error>(_ block: Int, emit: (DeltaInstruction) throws(E) -> Void) throws(E) {
        expected = block + 1
        // Runs are cut at about 8 MiB so a receiver rebuilding on another thread starts early.
        if let copy = pendingCopy, copy.start + copy.count == block,
            copy.count * signature.blockLength < 8 << 20
        {
            pendingCopy = (copy.start, copy.count + 1)
            return
        }
        if let copy = pendingCopy { try emit(.copy(blockIndex: copy.start, count: copy.count)) }
        pendingCopy = (block, 1)
    }

    /// Emits literal bytes from `literalStart` to `end` (after any pending copy), in pieces of at most
    /// `maxLiteralLength`.
    private func flushLiteral<E: Error>(upTo end: Int, emit: (DeltaInstruction) throws(E) -> Void) throws(E) {
        guard end > literalStart else { return }
        if let copy = pendingCopy {
            try emit(.copy(blockIndex: copy.start, count: copy.count))
            pendingCopy = nil
        }
        while literalStart < end {
            let n = min(maxLiteralLength, end - literalStart)
            try emit(.literal(Array(UnsafeRawBufferPointer(rebasing: buffer[literalStart..<literalStart + n]))))
            literalStart += n
        }
    }

    /// Moves the bytes still needed (from `literalStart`) to the front of the buffer.
    private func compact() {
        let keep = literalStart
        guard keep > 0 else { return }
        let count = used - keep
        if count > 0 {
            buffer.baseAddress!.copyMemory(from: buffer.baseAddress! + keep, byteCount: count)
        }
        bufferOffset += keep
        position -= keep
        literalStart = 0
        used = count
    }
}
