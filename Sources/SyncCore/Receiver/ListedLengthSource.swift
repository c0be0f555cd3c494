/// A source file read only as far as the file list says it is long (rsync's rule: the size that was
/// listed is the size that is sent). A file that grows while it is sent is sent as it was listed,
/// and the next run, seeing another size and time, sends the rest; a run never chases a growing file.
/// A file that shrank fails at the first read past its new end with rsync's error, `read errors
/// mapping` with ENODATA, so a short file is never installed as if it were complete.
final class ListedLengthSource: OpenFile {
    let base: any OpenFile
    let length: Int64

    init(_ base: any OpenFile, length: Int64) { (self.base, self.length) = (base, length) }

    var path: [UInt8] { base.path }

    func size() throws(SystemCallError) -> Int64 { length }

    func read(into buffer: UnsafeMutableRawBufferPointer, at offset: Int64) throws(SystemCallError) -> Int {
        guard offset < length else { return 0 }
        let want = Int(min(Int64(buffer.count), length - offset))
        let count: Int
        do {
            count = try base.read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[0..<want]), at: offset)
        } catch {
            throw error.at(.readSource)
        }
        if count == 0 { throw Self.shrank(path) }
        return count
    }

    func write(_ bytes: UnsafeRawBufferPointer, at offset: Int64) throws(SystemCallError) {
        try base.write(bytes, at: offset)
    }

    func truncate(to length: Int64) throws(SystemCallError) { try base.truncate(to: length) }

    /// The source ended before its listed length.
    @inline(never)
    static func shrank(_ path: [UInt8]) -> SystemCallError {
        SystemCallError(call: "read", path: path, errno: SystemErrno.noData, errnoText: "No data available",
            stage: .readSource)
    }
}
