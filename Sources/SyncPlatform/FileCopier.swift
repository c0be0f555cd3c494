import CSyncShims
import Glibc
import SyncCore

/// Whole-file data copy between two descriptors: `copy_file_range` (which lets the kernel reflink or
/// copy without a trip through user space), falling back to read/write where the kernel refuses.
enum FileCopier {
    static let chunk = 8 << 20

    /// Copies `length` bytes (the size the file list gave; nil: to the end of the file). A file that
    /// grew since it was listed is copied only as far as it was listed, so a run ends however fast it
    /// grows; one that shrank fails with rsync's ENODATA read error before the listed length is reached.
    static func copy(
        from input: Int32, to output: Int32, sourcePath: [UInt8], destinationPath: [UInt8], length: Int64?,
        progress: (Int64) -> Bool
    ) throws(SystemCallError) -> Int64 {
        var total: Int64 = 0
        var useCopyRange = true
        func want(_ limit: Int) -> Int {
            guard let length else { return limit }
            return Int(min(Int64(limit), length - total))
        }
        func endOfInput() throws(SystemCallError) -> Int64 {
            if let length, total < length { throw systemError("read", sourcePath, ENODATA).at(.readSource) }
            return total
        }
        while useCopyRange {
            if want(chunk) == 0 { return total }
            let copied = csync_copy_file_range(input, output, want(chunk))
            if copied > 0 {
                total += Int64(copied)
                if !progress(total) { throw systemError("write", destinationPath, EINTR) }
                continue
            }
            if copied == 0 { return try endOfInput() }
            // Refused (another file system, no support), or failed: the read/write loop below goes on
            // from here, and a real failure there says which side it was (rsync blames a source read
            // error on the sender, a write error on the receiver).
            if errno == EINTR { continue }
            useCopyRange = false
        }
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 18, alignment: 64)
        defer { buffer.deallocate() }
        while true {
            if want(buffer.count) == 0 { return total }
            let count: Int
            do { count = try syscall("read", sourcePath) { read(input, buffer.baseAddress, want(buffer.count)) } } catch {
                throw error.at(.readSource)
            }
            if count == 0 { return try endOfInput() }
            var offset = 0
            while offset < count {
                let written = try syscall("write", destinationPath) {
                    write(output, buffer.baseAddress! + offset, count - offset)
                }
                offset += written
            }
            total += Int64(count)
            if !progress(total) { throw systemError("write", destinationPath, EINTR) }
        }
    }
}
