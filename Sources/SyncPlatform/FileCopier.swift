import CSyncShims
import Glibc
import SyncCore

/// Whole-file data copy between two descriptors: `copy_file_range` (which lets the kernel reflink or
/// copy without a trip through user space), falling back to read/write where the kernel refuses.
enum FileCopier {
    static let chunk = 8 << 20

    static func copy(
        from input: Int32, to output: Int32, sourcePath: [UInt8], destinationPath: [UInt8],
        progress: (Int64) -> Bool
    ) throws(SystemCallError) -> Int64 {
        var total: Int64 = 0
        var useCopyRange = true
        while useCopyRange {
            let copied = csync_copy_file_range(input, output, chunk)
            if copied > 0 {
                total += Int64(copied)
                if !progress(total) { throw systemError("write", destinationPath, EINTR) }
                continue
            }
            if copied == 0 { return total }
            switch errno {
            case EINTR: continue
            case EXDEV, EINVAL, ENOSYS, EOPNOTSUPP, EBADF: useCopyRange = false
            default: throw systemError("write", destinationPath, errno)
            }
        }
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 18, alignment: 64)
        defer { buffer.deallocate() }
        while true {
            let count = try syscall("read", sourcePath) { read(input, buffer.baseAddress, buffer.count) }
            if count == 0 { return total }
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
