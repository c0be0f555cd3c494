/// The receiving half of the delta algorithm, one for every run: instructions from a `DeltaStreamer`
/// in this process (a local run) or decoded from the peer's stream (a remote run) rebuild the new file
/// from the basis, and the patcher's whole-file digest checks the result.
extension Receiver {
    /// Files up to this size are rebuilt on the receiving thread itself.
    static var pipelineThreshold: Int64 { 1 << 20 }

    /// The sink for a file of `expectedSize`: a rebuild thread for a large one, the calling thread for
    /// a small one. `inPlace`: the basis is the output (`--inplace`), written in order.
    func makeRebuildSink(signature: Signature, basis: any OpenFile, output: any OpenFile, inPlace: Bool,
        expectedSize: Int64) -> any RebuildSink
    {
        guard expectedSize > Self.pipelineThreshold else {
            return DirectSink(signature: signature, basis: basis, output: output)
        }
        return PipelinedSink(PipelinedRebuild(signature: signature, basis: basis, output: output,
            parallelWrites: !inPlace), geometry: signature.geometry)
    }
}

/// Where a delta's instructions go on the receiving side: a rebuild thread, or straight to the file.
protocol RebuildSink: AnyObject {
    var patcher: DeltaPatcher { get }
    var failure: SystemCallError? { get }
    /// Takes one instruction (a write error shows in `failure`).
    func take(_ instruction: DeltaInstruction)
    /// Ends the rebuild (applying what is queued when `flushing`); returns the bytes written.
    func finish(flushing: Bool) -> Int64
}

/// Instructions in batches to the rebuild thread (`PipelinedRebuild`). A batch is cut by count and by
/// the bytes it writes, copied ones too, so that an insert-only file (a few long copies) overlaps its
/// rebuild with the delta instead of arriving as one batch at the end.
final class PipelinedSink: RebuildSink {
    let rebuilder: PipelinedRebuild
    private let geometry: BlockGeometry
    private var batch: [DeltaInstruction] = []
    private var batchBytes = 0

    init(_ rebuilder: PipelinedRebuild, geometry: BlockGeometry) {
        self.rebuilder = rebuilder
        self.geometry = geometry
        rebuilder.start()
    }

    var patcher: DeltaPatcher { rebuilder.patcher }
    var failure: SystemCallError? { rebuilder.failure }

    func take(_ instruction: DeltaInstruction) {
        switch instruction {
        case .literal(let bytes): batchBytes += bytes.count
        case .copy(let index, let count): batchBytes += geometry.length(ofBlocks: index, count: count)
        }
        batch.append(instruction)
        if batch.count >= 256 || batchBytes >= 1 << 20 {
            rebuilder.submit(batch)
            batch.removeAll(keepingCapacity: true)
            batchBytes = 0
        }
    }

    func finish(flushing: Bool) -> Int64 {
        if flushing && !batch.isEmpty { rebuilder.submit(batch) }
        return rebuilder.finish()
    }
}

/// Instructions applied on the calling thread: for small files, which a thread and its buffers would
/// cost more than their data.
final class DirectSink: RebuildSink {
    let patcher: DeltaPatcher
    private let basis: any OpenFile
    private let output: any OpenFile
    private var written: Int64 = 0
    private(set) var failure: SystemCallError?

    init(signature: Signature, basis: any OpenFile, output: any OpenFile) {
        patcher = DeltaPatcher(geometry: signature.geometry, checksum: signature.checksum,
            pieceLength: min(256 * 1024, max(4096, signature.blockLength * 16)))
        self.basis = basis
        self.output = output
    }

    func take(_ instruction: DeltaInstruction) {
        guard failure == nil else { return }
        do {
            try patcher.apply(instruction,
                read: { (offset, into) throws(SyncError) in
                    do throws(SystemCallError) {
                        if try basis.readFully(into: into, at: Int64(offset)) != into.count {
                            throw SystemCallError(call: "read", path: basis.path, errno: SystemErrno.inputOutput, errnoText: "Input/output error")
                        }
                    } catch {
                        failure = error
                        throw SyncError(.fileIO, error.description)
                    }
                },
                write: { (bytes) throws(SyncError) in
                    do throws(SystemCallError) { try output.write(bytes, at: written) } catch {
                        failure = error
                        throw SyncError(.fileIO, error.description)
                    }
                    written += Int64(bytes.count)
                })
        } catch {
            if failure == nil {
                failure = SystemCallError(call: "write", path: output.path, errno: SystemErrno.inputOutput, errnoText: error.message)
            }
        }
    }

    func finish(flushing: Bool) -> Int64 { written }
}
