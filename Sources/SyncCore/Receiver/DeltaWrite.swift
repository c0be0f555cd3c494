/// The receiver's delta path for a local run (`--no-whole-file`, and the basis of a resumed transfer):
/// the signature of the basis, the delta of the source against it, and the file rebuilt from both, all
/// in one process. The remote protocol splits the same three steps between the peers.
extension Receiver {
    /// Bytes a delta write sent as literals and took from the basis.
    public struct DeltaCounts: Sendable {
        public var literal: Int64 = 0
        public var matched: Int64 = 0
    }

    static var chunkLength: Int { 256 * 1024 }

    /// The signature of `basis` (rsync's generator side).
    func signature(of basis: any OpenFile) throws(SystemCallError) -> Signature {
        let size = try basis.size()
        let builder = SignatureBuilder(fileSize: Int(size), checksum: checksumChoice,
            blockLength: options.blockSize)
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: Self.chunkLength, alignment: 64)
        defer { buffer.deallocate() }
        var offset: Int64 = 0
        while offset < size {
            let count = try basis.readFully(into: buffer, at: offset)
            if count == 0 { break }
            builder.append(UnsafeRawBufferPointer(rebasing: buffer[0..<count]))
            offset += Int64(count)
        }
        return builder.finish()
    }

    var checksumChoice: ChecksumChoice {
        options.checksumChoice.flatMap { ChecksumChoice(name: $0) } ?? .xxh128
    }

    /// Writes the new version of `source` into `output` from `basis` plus the delta between them.
    /// `inPlace`: `output` is the basis itself (`--inplace`), so no block before the write offset is
    /// copied. Returns nil when the result fails verification (the caller sends the file whole).
    func rebuild(source: [UInt8], basis: any OpenFile, output: any OpenFile, inPlace: Bool,
        progress: (Int64) -> Bool) throws(SystemCallError) -> DeltaCounts?
    {
        let signature = try self.signature(of: basis)
        let input = try fs.openForReading(source)
        let generator = DeltaGenerator(signature: signature, inPlace: inPlace)
        let patcher = DeltaPatcher(signature: signature)
        var counts = DeltaCounts()
        var writeOffset: Int64 = 0
        func apply(_ instruction: DeltaInstruction) throws(SystemCallError) {
            switch instruction {
            case .literal(let bytes): counts.literal += Int64(bytes.count)
            case .copy(let index, let count):
                counts.matched += Int64(signature.geometry.length(ofBlocks: index, count: count))
            }
            var failure: SystemCallError?
            do {
                try patcher.apply(instruction,
                    read: { (offset, into) throws(SyncError) in
                        do throws(SystemCallError) {
                            if try basis.readFully(into: into, at: Int64(offset)) != into.count {
                                throw SystemCallError(call: "read", path: basis.path, errno: 5,
                                    errnoText: "Input/output error")
                            }
                        } catch {
                            failure = error
                            throw SyncError(.fileIO, error.description)
                        }
                    },
                    write: { (bytes) throws(SyncError) in
                        do throws(SystemCallError) { try output.write(bytes, at: writeOffset) } catch {
                            failure = error
                            throw SyncError(.fileIO, error.description)
                        }
                        writeOffset += Int64(bytes.count)
                    })
            } catch {
                throw failure ?? SystemCallError(call: "read", path: basis.path, errno: 5, errnoText: error.message)
            }
            if !progress(writeOffset) {
                throw SystemCallError(call: "write", path: output.path, errno: 4, errnoText: "Interrupted system call")
            }
        }
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: Self.chunkLength, alignment: 64)
        defer { buffer.deallocate() }
        var offset: Int64 = 0
        while true {
            let count = try input.read(into: buffer, at: offset)
            if count == 0 { break }
            offset += Int64(count)
            try generator.append(UnsafeRawBufferPointer(rebasing: buffer[0..<count])) {
                (instruction) throws(SystemCallError) in try apply(instruction)
            }
        }
        let trailer = try generator.finish { (instruction) throws(SystemCallError) in try apply(instruction) }
        if inPlace { try output.truncate(to: writeOffset) }
        return patcher.finish(expecting: trailer) == .verified ? counts : nil
    }
}
