/// The receiver's half of a remote delta, the peer's choice of `Receiver.FileData`: the basis's
/// signature went to the sender with the request; here the sender's delta stream arrives through
/// `IncomingData` and the file is rebuilt from it and the basis, then checked against the sender's
/// whole-file digest. A whole file is a delta against an empty basis: literals only.
extension Receiver {
    /// A remote file into the new temp file at `path`: rebuilt from the basis (when the sender had its
    /// signature) and the peer's delta.
    func receiveIntoNewFile(_ path: FileLocation, job: WriteJob, stream: RemoteStream, progress: (Int64) -> Bool)
        throws(WriteFailure) -> WriteResult
    {
        let output: any OpenFile
        let basis: (any OpenFile)?
        do throws(SystemCallError) {
            output = try fs.createFile(path, permissions: 0o600)
            basis = try stream.remote.signature == nil ? nil : job.basis.map { (basis) throws(SystemCallError) in
                try fs.openForReading(basis.location)
            }
        } catch {
            throw failure(error, source: job.source, temporary: path)
        }
        return WriteResult(try receive(stream, basis: basis, output: output, inPlace: false, progress: progress))
    }

    /// A remote file written over the destination itself (`--inplace`, `--append`), its own basis.
    func receiveInPlace(_ job: WriteJob, stream: RemoteStream, progress: (Int64) -> Bool)
        throws(WriteFailure) -> WriteResult
    {
        let file: any OpenFile
        do { file = try fs.openForUpdate(job.location) } catch { throw .destination(error) }
        return WriteResult(try receive(stream, basis: stream.remote.signature == nil ? nil : file, output: file,
            inPlace: true, progress: progress))
    }

    /// Rebuilds the file from the peer's delta into `output`. Throws `.interrupted` when the connection
    /// broke (so `--partial` keeps what arrived), and the peer's outcome as a `PeerFailure`.
    func receive(_ stream: RemoteStream, basis: (any OpenFile)?, output: any OpenFile, inPlace: Bool,
        progress: (Int64) -> Bool) throws(WriteFailure) -> DeltaCounts
    {
        let remote = stream.remote
        let signature = remote.signature ?? Signature.empty(checksum: checksumChoice)
        let decoder = DeltaDecoder(expecting: signature.geometry, checksum: signature.checksum)
        // A large file is rebuilt on its own thread, batches behind the decoding; a small one (most files
        // of a tree) is written here, without the threads and buffers that would cost more than its data.
        let sink = makeRebuildSink(signature: signature, basis: basis ?? output, output: output, inPlace: inPlace,
            expectedSize: remote.expectedSize)
        var counts = DeltaCounts()
        var trailer: DeltaTrailer?
        var failure: WriteFailure?
        func refuse(_ text: String) {
            remote.incoming.fail(SyncError(.streamIO, "protocol stream: \(text)"))
            failure = isInterrupted() ? .interrupted : .peer(.protocolViolation(text))
        }
        receiving: while failure == nil {
            switch stream.next() {
            case .failure:
                failure = .interrupted  // the link broke
            case .success(.piece(let index, let bytes)):
                guard index == remote.fileIndex else {
                    refuse("data for file \(index) while receiving file \(remote.fileIndex)")
                    break
                }
                do throws(DeltaError) {
                    let fed: Result<Void, DeltaError> = bytes.withUnsafeBytes { raw in
                        Result { () throws(DeltaError) in try decoder.feed(raw) }
                    }
                    try fed.get()
                    while let event = try decoder.next() {
                        switch event {
                        case .header: break
                        case .end(let end): trailer = end
                        case .instruction(let instruction):
                            switch instruction {
                            case .literal(let bytes): counts.literal += Int64(bytes.count)
                            case .copy(let index, let count):
                                counts.matched += Int64(signature.geometry.length(ofBlocks: index, count: count))
                                counts.matchedBlocks += Int64(count)
                                // The peer searched; each match it found was at least a hash hit.
                                counts.search.hashHits += Int64(count)
                            }
                            sink.take(instruction)
                        }
                    }
                } catch {
                    refuse("bad delta from the peer: \(error.syncError.message)")
                    break
                }
                if let error = sink.failure { failure = .destination(error) }
                if failure == nil && !progress(counts.literal + counts.matched) { failure = .interrupted }
            case .success(.end(let index, let outcome)):
                guard index == remote.fileIndex else {
                    refuse("end of file \(index) while receiving file \(remote.fileIndex)")
                    break
                }
                switch outcome {
                case .complete: if trailer == nil { refuse("a delta without its end record") }
                case .vanished: failure = .peer(.sourceVanished)
                case .failed: failure = .peer(.sourceFailed)
                }
                break receiving
            }
        }
        let written = sink.finish(flushing: failure == nil)
        if let failure { throw failure }
        if let error = sink.failure { throw .destination(error) }
        do throws(SystemCallError) {
            if inPlace { try output.truncate(to: written) }
            try output.finishWrites()
        } catch {
            throw .destination(error)
        }
        // The peer is not trusted to send the file it listed: the result must have the listed size (a
        // sender sends exactly that) and the sender's whole-file digest.
        guard let trailer, Int64(trailer.fileSize) == remote.expectedSize,
            sink.patcher.finish(expecting: trailer) == .verified
        else {
            throw .peer(.failedVerification)
        }
        return counts
    }

}

/// One file's events from `IncomingData`, remembering whether its end was read: a write that fails
/// locally (no temp file, a full disk) still takes the rest of its file off the stream.
final class RemoteStream {
    let remote: RemoteFileData
    private(set) var ended = false

    init(_ remote: RemoteFileData) { self.remote = remote }

    func next() -> Result<IncomingData.Event, SyncError> {
        let event = remote.incoming.next()
        switch event {
        case .success(.end): ended = true
        case .failure: ended = true
        case .success(.piece): break
        }
        return event
    }

    /// Reads and drops this file's remaining events, up to its end.
    func skipRest() {
        while !ended {
            if case .success(.end(let index, _)) = next(), index != remote.fileIndex {
                remote.incoming.fail(SyncError(.streamIO, "protocol stream: end of file \(index) while receiving file \(remote.fileIndex)"))
            }
        }
    }
}

extension Signature {
    /// The signature of an empty basis: a delta against it is the whole file as literals.
    public static func empty(checksum: ChecksumChoice) -> Signature {
        SignatureBuilder(fileSize: 0, checksum: checksum).finish()
    }
}
