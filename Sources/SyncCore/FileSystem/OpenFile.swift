/// An open regular file, for the delta engine: block reads of a basis and a source, and positioned
/// writes of the file being rebuilt. Closed when the value is released (a class owns the descriptor).
public protocol OpenFile: AnyObject {
    /// The path it was opened with, for messages.
    var path: [UInt8] { get }
    /// The current length.
    func size() throws(SystemCallError) -> Int64
    /// Reads up to `buffer.count` bytes at `offset`; fewer only at the end of the file.
    func read(into buffer: UnsafeMutableRawBufferPointer, at offset: Int64) throws(SystemCallError) -> Int
    /// Writes all of `bytes` at `offset`.
    func write(_ bytes: UnsafeRawBufferPointer, at offset: Int64) throws(SystemCallError)
    func truncate(to length: Int64) throws(SystemCallError)
    /// The data is all written: a sparse file gets its full length (a hole at its end is not written),
    /// and with `--fsync` it is flushed to the disk.
    func finishWrites() throws(SystemCallError)
}

extension OpenFile {
    public func finishWrites() throws(SystemCallError) {}

    /// Fills `buffer` from `offset` as far as the file goes; returns the count read.
    public func readFully(into buffer: UnsafeMutableRawBufferPointer, at offset: Int64) throws(SystemCallError) -> Int {
        var done = 0
        while done < buffer.count {
            let count = try read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[done...]), at: offset + Int64(done))
            if count == 0 { break }
            done += count
        }
        return done
    }
}
