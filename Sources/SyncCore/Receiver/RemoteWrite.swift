/// The receiver's half of a remote delta: the basis's signature went to the sender with the request;
/// here the sender's delta stream arrives through `IncomingData` and the file is rebuilt from it and
/// the basis, then checked against the sender's whole-file digest. A whole file is a delta against an
/// empty basis: literals only.
extension Receiver {
    /// Why a remote write failed without a local system call to blame.
    static var peerFailureCall: String { "peer" }

    /// A remote run's `write`: the same temp-file-and-rename (or `--inplace`) as a local one, with the
    /// data taken from the peer.
    func writeRemote(_ job: WriteJob, _ remote: RemoteFileData, progress: (Int64) -> Bool)
        throws(WriteFailure) -> WriteResult
    {
        if options.inplace || job.appendOffset != nil, let existing = job.existing, existing.kind == .regular {
            if options.backup { try backupByCopy(job.destination, name: job.name) }
            let counts: DeltaCounts
            do {
                let file = try fs.openForUpdate(job.destination)
                counts = try receive(remote, basis: remote.signature == nil ? nil : file, output: file, inPlace: true,
                    progress: progress)
            } catch {
                if error.errno == 4 && isInterrupted() { throw .interrupted }
                throw .failed(error, call: error.call)
            }
            let warnings = finishAttributes(job.destination, permissions: job.permissions,
                owner: (job.uid, job.gid), mtime: job.mtime)
            return WriteResult(bytes: counts.literal, warnings: warnings, matched: counts.matched,
                matchedBlocks: counts.matchedBlocks)
        }
        var counts = DeltaCounts()
        let temporary = try withoutActuallyEscaping(progress) { (progress) throws(WriteFailure) in try createTemporary(source: job.source, name: job.name,
            directory: PathBytes.parent(job.destination), progress: progress)
        { (path) throws(SystemCallError) -> Int64 in
            let output = try fs.createFile(path, permissions: 0o600)
            let basis = try remote.signature == nil ? nil : job.basis.map { (basis) throws(SystemCallError) in
                try fs.openForReading(basis)
            }
            counts = try receive(remote, basis: basis, output: output, inPlace: false, progress: progress)
            return counts.literal + counts.matched
        } }
        let warnings = try install(temporary.path, job: job)
        return WriteResult(bytes: counts.literal, warnings: warnings, matched: counts.matched,
            matchedBlocks: counts.matchedBlocks)
    }

    /// Rebuilds the file from the peer's delta into `output`. Throws EINTR when the connection broke
    /// (so `--partial` keeps what arrived), and the peer's outcome as ENOENT (vanished) or EIO.
    func receive(_ remote: RemoteFileData, basis: (any OpenFile)?, output: any OpenFile, inPlace: Bool,
        progress: (Int64) -> Bool) throws(SystemCallError) -> DeltaCounts
    {
        let signature = remote.signature ?? Signature.empty(checksum: checksumChoice)
        let decoder = DeltaDecoder(expecting: signature.geometry, checksum: signature.checksum)
        let rebuilder = PipelinedRebuild(signature: signature, basis: basis ?? output, output: output,
            parallelWrites: !inPlace)
        rebuilder.start()
        var counts = DeltaCounts()
        var batch: [DeltaInstruction] = []
        var batchBytes = 0
        var trailer: DeltaTrailer?
        var failure: SystemCallError?
        func broken(_ text: String, errno: Int32 = 4) -> SystemCallError {
            SystemCallError(call: Self.peerFailureCall, path: output.path, errno: errno, errnoText: text)
        }
        receiving: while failure == nil {
            switch remote.incoming.next() {
            case .failure(let error):
                failure = broken(error.message)
            case .success(.piece(let index, let bytes)):
                guard index == remote.fileIndex else {
                    failure = broken("data for file \(index) while receiving file \(remote.fileIndex)")
                    remote.incoming.fail(SyncError(.streamIO, "data for the wrong file from the peer"))
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
                            case .literal(let bytes):
                                counts.literal += Int64(bytes.count)
                                batchBytes += bytes.count
                            case .copy(let index, let count):
                                counts.matched += Int64(signature.geometry.length(ofBlocks: index, count: count))
                                counts.matchedBlocks += Int64(count)
                            }
                            batch.append(instruction)
                            if batch.count >= 256 || batchBytes >= 1 << 20 {
                                rebuilder.submit(batch)
                                batch.removeAll(keepingCapacity: true)
                                batchBytes = 0
                                if !progress(counts.literal + counts.matched) { failure = broken("Interrupted system call") }
                            }
                        }
                    }
                } catch {
                    remote.incoming.fail(SyncError(.streamIO, "bad delta from the peer: \(error.syncError.message)"))
                    failure = broken(error.syncError.message)
                }
                if let failure = rebuilder.failure { throw failure }
            case .success(.end(let index, let outcome)):
                guard index == remote.fileIndex else {
                    failure = broken("end of file \(index) while receiving file \(remote.fileIndex)")
                    remote.incoming.fail(SyncError(.streamIO, "data for the wrong file from the peer"))
                    break
                }
                switch outcome {
                case .complete:
                    if trailer == nil {
                        failure = broken("the delta ended early")
                        remote.incoming.fail(SyncError(.streamIO, "a delta without its end record from the peer"))
                    }
                case .vanished: failure = broken("No such file or directory", errno: 2)
                case .failed: failure = broken("Input/output error", errno: 5)
                }
                break receiving
            }
        }
        if !batch.isEmpty && failure == nil { rebuilder.submit(batch) }
        let written = rebuilder.finish()
        if let failure { throw failure }
        if let error = rebuilder.failure { throw error }
        if inPlace { try output.truncate(to: written) }
        guard let trailer, rebuilder.patcher.finish(expecting: trailer) == .verified else {
            throw broken("failed verification", errno: 74)  // EBADMSG
        }
        return counts
    }
}

extension Signature {
    /// The signature of an empty basis: a delta against it is the whole file as literals.
    public static func empty(checksum: ChecksumChoice) -> Signature {
        SignatureBuilder(fileSize: 0, checksum: checksum).finish()
    }
}
