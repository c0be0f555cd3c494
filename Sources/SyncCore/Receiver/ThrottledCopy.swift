/// Copies through user space: under `--bwlimit` in small pieces, each paid for at the shared
/// `BandwidthLimiter` before it is written, so the average stays at the limit with no burst larger than
/// a piece; and for `--append`, which starts at an offset. (Otherwise `FileSystem.copyFile` lets the
/// kernel copy.)
extension Receiver {
    /// Copies `source` from `offset` on into `output` at the same offset; returns the bytes copied.
    /// `length`: the source's listed size, which is all that is read (see `ListedLengthSource`).
    func throttledCopy(from source: any OpenFile, length: Int64?, into output: any OpenFile,
        startingAt offset: Int64 = 0, limiter: BandwidthLimiter?, progress: (Int64) -> Bool)
        throws(SystemCallError) -> Int64
    {
        let input = length.map { ListedLengthSource(source, length: $0) } ?? source
        let pieceLength = limiter?.pieceLength ?? Self.chunkLength
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: pieceLength, alignment: 64)
        defer { buffer.deallocate() }
        var position = offset
        while true {
            let count = try input.read(into: buffer, at: position)
            if count == 0 { break }
            limiter?.send(count)
            try output.write(UnsafeRawBufferPointer(rebasing: buffer[0..<count]), at: position)
            position += Int64(count)
            if !progress(position) {
                throw SystemCallError(call: "write", path: output.path, errno: SystemErrno.interrupted, errnoText: "Interrupted system call")
            }
        }
        try output.truncate(to: position)
        try output.finishWrites()
        return position - offset
    }
}
