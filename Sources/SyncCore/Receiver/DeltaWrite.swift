import Dispatch
import Synchronization

/// The receiver's delta path for a local run (`--no-whole-file`, and the basis of a resumed transfer):
/// the signature of the basis, the delta of the source against it, and the file rebuilt from both, all
/// in one process. The remote protocol splits the same three steps between the peers.
///
/// rsync runs the three steps in three processes. Here the signature is hashed in two halves at once,
/// and the rebuilding runs on its own thread, fed by the delta through a bounded queue, so the steps
/// overlap as rsync's processes do.
extension Receiver {
    /// Bytes a delta write sent as literals and took from the basis.
    public struct DeltaCounts: Sendable {
        public var literal: Int64 = 0
        public var matched: Int64 = 0
        /// Blocks taken from the basis (-vv's "matches").
        public var matchedBlocks: Int64 = 0
        /// The search's `hash_hits` and `false_alarms`.
        public var search = DeltaSearchCounts()
    }

    static var chunkLength: Int { 256 * 1024 }

    var checksumChoice: ChecksumChoice {
        options.transferChecksum
    }

    /// The signature of `basis` (rsync's generator side), its two halves hashed on two threads.
    /// `wholeDigests`: keep whole strong digests, for a signature that stays in this process.
    func signature(of basis: any OpenFile, wholeDigests: Bool = false) throws(SystemCallError) -> Signature {
        let size = Int(try basis.size())
        let sizing = SignatureBuilder(fileSize: size, checksum: checksumChoice, blockLength: options.blockSize,
            wholeDigests: wholeDigests)
        let blocks = (size + sizing.blockLength - 1) / sizing.blockLength
        let split = blocks < 64 ? size : min(size, (blocks / 2) * sizing.blockLength)
        let ranges = [0..<split, split..<size].filter { !$0.isEmpty }
        let pieces = ranges.map { SignatureBuilder(pieceOf: sizing, expectedLength: $0.count) }
        let failure = Mutex<SystemCallError?>(nil)
        let work = UncheckedBox((basis, pieces, ranges))
        DispatchQueue.concurrentPerform(iterations: ranges.count) { index in
            let (basis, pieces, ranges) = work.value
            let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: Self.chunkLength, alignment: 64)
            defer { buffer.deallocate() }
            var offset = ranges[index].lowerBound
            while offset < ranges[index].upperBound {
                let want = min(buffer.count, ranges[index].upperBound - offset)
                let count: Int
                do throws(SystemCallError) {
                    count = try basis.readFully(into: UnsafeMutableRawBufferPointer(rebasing: buffer[0..<want]),
                        at: Int64(offset))
                } catch {
                    failure.withLock { $0 = error }
                    return
                }
                if count == 0 { break }
                pieces[index].append(UnsafeRawBufferPointer(rebasing: buffer[0..<count]))
                offset += count
            }
        }
        if let error = failure.withLock({ $0 }) { throw error }
        var weak: [UInt32] = []
        var strong: [UInt8] = []
        var length = 0
        for piece in pieces {
            let part = piece.finishPiece()
            weak += part.weak
            strong += part.strong
            length += part.length
        }
        guard let signature = try? Signature(checksum: sizing.checksum,
            geometry: BlockGeometry(fileSize: length, blockLength: sizing.blockLength),
            strongLength: sizing.strongLength, weak: weak, strong: strong)
        else {
            throw SystemCallError(call: "read", path: basis.path, errno: SystemErrno.inputOutput, errnoText: "basis file changed while read")
        }
        return signature
    }

    /// Writes the new version of `source` into `output` from `basis` plus the delta between them.
    /// `inPlace`: `output` is the basis itself (`--inplace`), so no block before the write offset is
    /// copied. Returns nil when the result fails verification (the caller sends the file whole).
    func rebuild(source input: any OpenFile, length: Int64?, basis: any OpenFile, output: any OpenFile, inPlace: Bool,
        progress: (Int64) -> Bool) throws(SystemCallError) -> DeltaCounts?
    {
        let signature = try self.signature(of: basis, wholeDigests: true)
        var sourceLength = length ?? 0
        if length == nil { sourceLength = try input.size() }
        let sink = makeRebuildSink(signature: signature, basis: basis, output: output, inPlace: inPlace,
            expectedSize: sourceLength)
        var counts = DeltaCounts()
        func take(_ instruction: DeltaInstruction) {
            switch instruction {
            case .literal(let bytes):
                limiter?.send(bytes.count)  // --bwlimit paces the data that would cross the wire
                counts.literal += Int64(bytes.count)
            case .copy(let index, let count):
                counts.matched += Int64(signature.geometry.length(ofBlocks: index, count: count))
                counts.matchedBlocks += Int64(count)
            }
            sink.take(instruction)
        }
        var readFailure: SystemCallError?
        var trailer: DeltaTrailer?
        // Apart from `counts`, which `take` changes while the stream runs.
        var search = DeltaSearchCounts()
        do throws(SystemCallError) {
            let streamer = DeltaStreamer(signature: signature, checksum: signature.checksum, inPlace: inPlace)
            trailer = try streamer.stream(input, length: sourceLength, buffer: UnsafeMutableRawBufferPointer(start: nil, count: 0),
                progress: { offset in sink.failure == nil && progress(offset) }, emit: take, counts: &search)
            if trailer == nil && sink.failure == nil {
                readFailure = SystemCallError(call: "write", path: output.path, errno: SystemErrno.interrupted,
                    errnoText: "Interrupted system call")
            }
        } catch {
            readFailure = error
        }
        counts.search = search
        let written = sink.finish(flushing: readFailure == nil)
        if let readFailure { throw readFailure }
        if let failure = sink.failure { throw failure }
        if inPlace { try output.truncate(to: written) }
        try output.finishWrites()
        guard let trailer else { return nil }
        return sink.patcher.finish(expecting: trailer) == .verified ? counts : nil
    }
}

/// Applies delta instructions to the output on a thread of its own, a bounded number of batches
/// behind the delta generator.
final class PipelinedRebuild: @unchecked Sendable {
    // @unchecked: the patcher and the files are used by the rebuild thread only, until `finish()`
    // has waited for it; `failure` and the queue are behind locks.
    let patcher: DeltaPatcher
    private let basis: any OpenFile
    private let output: any OpenFile
    private let queue = Mutex<[[DeltaInstruction]]>([])
    private let available = DispatchSemaphore(value: 0)
    private let slots = DispatchSemaphore(value: 8)
    private let done = DispatchSemaphore(value: 0)
    private let failureBox = Mutex<SystemCallError?>(nil)
    private var written: Int64 = 0
    /// Writes of a new file go to two writer threads (on tmpfs and in the page cache, writing is most
    /// of the rebuild's cost). In place they stay in order: later copies read what earlier ones left.
    private let writers: ParallelWriter?

    init(signature: Signature, basis: any OpenFile, output: any OpenFile, parallelWrites: Bool) {
        patcher = DeltaPatcher(signature: signature)
        self.basis = basis
        self.output = output
        writers = parallelWrites ? ParallelWriter(output: output) : nil
    }

    var failure: SystemCallError? { failureBox.withLock { $0 } }

    func start() {
        DispatchQueue(label: "swsync.receiver.rebuild").async { [self] in
            run()
            done.signal()
        }
    }

    /// Hands a batch over; blocks while the rebuild thread is 8 batches behind.
    func submit(_ batch: [DeltaInstruction]) {
        slots.wait()
        queue.withLock { $0.append(batch) }
        available.signal()
    }

    /// Waits for every submitted batch; returns the bytes written.
    func finish() -> Int64 {
        slots.wait()
        queue.withLock { $0.append([]) }  // the end marker
        available.signal()
        done.wait()
        if let writers, let failure = writers.finish() { failureBox.withLock { $0 = $0 ?? failure } }
        return written
    }

    private func run() {
        while true {
            available.wait()
            let batch = queue.withLock { $0.removeFirst() }
            slots.signal()
            if batch.isEmpty { return }
            if failure != nil { continue }
            for instruction in batch {
                do {
                    try apply(instruction)
                } catch {
                    failureBox.withLock { $0 = error }
                    break
                }
            }
        }
    }

    private func apply(_ instruction: DeltaInstruction) throws(SystemCallError) {
        // Copy runs for a new file are read straight into the writers' buffers: no extra copy.
        if let writers, case .copy(let index, let count) = instruction {
            let geometry = patcher.geometry
            do throws(DeltaError) { try DeltaPatcher.validate(instruction, geometry: geometry) } catch {
                throw SystemCallError(call: "read", path: basis.path, errno: SystemErrno.inputOutput, errnoText: error.syncError.message)
            }
            var offset = Int64(geometry.offset(ofBlock: index))
            var remaining = geometry.length(ofBlocks: index, count: count)
            while remaining > 0 {
                let buffer = writers.emptyBuffer()
                let n = min(remaining, buffer.count)
                let piece = UnsafeMutableRawBufferPointer(rebasing: buffer[0..<n])
                guard try basis.readFully(into: piece, at: offset) == n else {
                    writers.returnBuffer(buffer)
                    throw SystemCallError(call: "read", path: basis.path, errno: SystemErrno.inputOutput, errnoText: "Input/output error")
                }
                patcher.absorbCopied(UnsafeRawBufferPointer(piece))
                writers.submit(buffer, count: n, at: written)
                written += Int64(n)
                offset += Int64(n)
                remaining -= n
            }
            return
        }
        var failure: SystemCallError?
        do {
            try patcher.apply(instruction,
                read: { (offset, into) throws(SyncError) in
                    do throws(SystemCallError) {
                        if try basis.readFully(into: into, at: Int64(offset)) != into.count {
                            throw SystemCallError(call: "read", path: basis.path, errno: SystemErrno.inputOutput,
                                errnoText: "Input/output error")
                        }
                    } catch {
                        failure = error
                        throw SyncError(.fileIO, error.description)
                    }
                },
                write: { (bytes) throws(SyncError) in
                    if let writers {
                        writers.write(bytes, at: written)
                    } else {
                        do throws(SystemCallError) { try output.write(bytes, at: written) } catch {
                            failure = error
                            throw SyncError(.fileIO, error.description)
                        }
                    }
                    written += Int64(bytes.count)
                })
        } catch {
            throw failure ?? SystemCallError(call: "write", path: output.path, errno: SystemErrno.inputOutput, errnoText: error.message)
        }
    }
}

/// Positioned writes of a new file on two threads, from a small pool of buffers; the first failure is
/// kept and reported by `finish`.
final class ParallelWriter: @unchecked Sendable {
    // @unchecked: each pooled buffer belongs to one write at a time (handed over through `free`).
    private let output: any OpenFile
    private let queue = DispatchQueue(label: "swsync.receiver.write", attributes: .concurrent)
    private let group = DispatchGroup()
    private let slots = DispatchSemaphore(value: 2)
    private let free: Mutex<[UnsafeMutableRawBufferPointer]>
    private let failure = Mutex<SystemCallError?>(nil)
    private static let bufferLength = 1 << 20
    private static let poolSize = 8
    private var pending: UnsafeMutableRawBufferPointer?
    private var pendingCount = 0
    private var pendingOffset: Int64 = 0

    init(output: any OpenFile) {
        self.output = output
        free = Mutex((0..<Self.poolSize).map { _ in .allocate(byteCount: Self.bufferLength, alignment: 64) })
    }

    deinit {
        free.withLock { buffers in for buffer in buffers { buffer.deallocate() } }
        pending?.deallocate()
    }

    /// Queues `bytes` for `offset` (contiguous with the previous call's end), gathering them into 1 MiB
    /// writes.
    func write(_ bytes: UnsafeRawBufferPointer, at offset: Int64) {
        var rest = bytes
        var position = offset
        while !rest.isEmpty {
            if pending == nil {
                pending = takeBuffer()
                pendingCount = 0
                pendingOffset = position
            }
            let take = min(rest.count, Self.bufferLength - pendingCount)
            UnsafeMutableRawBufferPointer(rebasing: pending![pendingCount..<pendingCount + take])
                .copyMemory(from: UnsafeRawBufferPointer(rebasing: rest[0..<take]))
            pendingCount += take
            position += Int64(take)
            rest = UnsafeRawBufferPointer(rebasing: rest[take...])
            if pendingCount == Self.bufferLength { flush() }
        }
    }

    /// A free buffer (waits while all are being written); give it back with `submit` or `returnBuffer`.
    func emptyBuffer() -> UnsafeMutableRawBufferPointer {
        takeBuffer()
    }

    func returnBuffer(_ buffer: UnsafeMutableRawBufferPointer) {
        let box = UncheckedBox(buffer)
        free.withLock { $0.append(box.value) }
    }

    /// Writes `buffer[0..<count]` at `offset`, after whatever `write` has gathered so far.
    func submit(_ buffer: UnsafeMutableRawBufferPointer, count: Int, at offset: Int64) {
        flush()
        pending = buffer
        pendingCount = count
        pendingOffset = offset
        flush()
    }

    /// Writes what is gathered, waits for every write, and returns the first failure.
    func finish() -> SystemCallError? {
        flush()
        group.wait()
        return failure.withLock { $0 }
    }

    private func takeBuffer() -> UnsafeMutableRawBufferPointer {
        while true {
            if let buffer = free.withLock({ $0.popLast() }) { return buffer }
            slots.wait()  // a write finishing frees a buffer
            slots.signal()
            group.wait()
        }
    }

    private func flush() {
        guard let buffer = pending, pendingCount > 0 else { return }
        pending = nil
        let count = pendingCount
        let offset = pendingOffset
        slots.wait()
        group.enter()
        let box = UncheckedBox(buffer)
        queue.async { [self] in
            do throws(SystemCallError) {
                try output.write(UnsafeRawBufferPointer(rebasing: box.value[0..<count]), at: offset)
            } catch {
                failure.withLock { $0 = $0 ?? error }
            }
            free.withLock { $0.append(box.value) }
            slots.signal()
            group.leave()
        }
    }
}
