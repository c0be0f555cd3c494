/// The sending half of the delta algorithm, one for every run: a source read to its listed length and
/// turned into instructions against the basis's signature (none: the whole file, as literals), ending
/// with the trailer that carries the new file's length and whole-file digest. A local run hands the
/// instructions to the rebuild in the same process; a remote sender encodes them onto the wire.
public struct DeltaStreamer {
    /// The basis's signature; nil sends the whole file (no rolling search, nothing to match).
    public let signature: Signature?
    public let checksum: ChecksumChoice
    /// `--inplace`: never copy a block from before the write offset.
    public let inPlace: Bool

    public init(signature: Signature?, checksum: ChecksumChoice, inPlace: Bool) {
        self.signature = signature
        self.checksum = checksum
        self.inPlace = inPlace
    }

    /// Streams `source`, exactly `length` bytes of it (see `ListedLengthSource`: a shorter file fails
    /// with rsync's ENODATA read error). `buffer` is the read buffer of a whole-file stream. `progress`
    /// gets the bytes read so far after each read; false stops the stream (nil is returned).
    public func stream(_ source: any OpenFile, length: Int64, buffer: UnsafeMutableRawBufferPointer,
        progress: (Int64) -> Bool, emit: (DeltaInstruction) -> Void) throws(SystemCallError) -> DeltaTrailer?
    {
        var counts = DeltaSearchCounts()
        return try stream(source, length: length, buffer: buffer, progress: progress, emit: emit, counts: &counts)
    }

    /// `stream`, adding what the search did to `counts`.
    public func stream(_ source: any OpenFile, length: Int64, buffer: UnsafeMutableRawBufferPointer,
        progress: (Int64) -> Bool, emit: (DeltaInstruction) -> Void, counts: inout DeltaSearchCounts)
        throws(SystemCallError) -> DeltaTrailer?
    {
        let input = ListedLengthSource(source, length: length)
        var offset: Int64 = 0
        guard let signature else {
            let digester = FileDigester(checksum)
            while offset < length {
                let count = try input.read(into: buffer, at: offset)
                let bytes = UnsafeRawBufferPointer(rebasing: buffer[0..<count])
                digester.update(bytes)
                offset += Int64(count)
                emit(.literal(Array(bytes)))
                if !progress(offset) { return nil }
            }
            return DeltaTrailer(fileSize: Int(offset), digest: digester.finish())
        }
        // The source is read straight into the generator's window.
        let generator = DeltaGenerator(signature: signature, inPlace: inPlace)
        defer { counts += generator.searchCounts }
        while true {
            let fill = { (space: UnsafeMutableRawBufferPointer) throws(SystemCallError) -> Int in
                try input.read(into: space, at: offset)
            }
            let count = try generator.append(filling: fill, emit: { (instruction) throws(SystemCallError) in emit(instruction) })
            if count == 0 { break }
            offset += Int64(count)
            if !progress(offset) { return nil }
        }
        return generator.finish(emit: emit)
    }
}
