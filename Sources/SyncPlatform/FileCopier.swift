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
    /// `writes`: `-S` copies the data regions alone (holes found with `SEEK_DATA`/`SEEK_HOLE` are not
    /// even read) and leaves zero blocks unwritten; `--preallocate` reserves the length first; `--fsync`
    /// flushes the copy. `truncatingToCopy`: the output (an existing file) ends where the copy ends.
    static func copy(
        from input: Int32, to output: Int32, sourcePath: [UInt8], destinationPath: [UInt8], length: Int64?,
        writes: DataWrites = DataWrites(), truncatingToCopy: Bool = false, progress: (Int64) -> Bool
    ) throws(SystemCallError) -> Int64 {
        if writes.preallocate && !writes.sparse, let length, length > 0 {
            // Reserved, not required: a file system without fallocate still gets the data.
            _ = csync_preallocate(output, length)
        }
        let written = writes.sparse
            ? try sparseCopy(from: input, to: output, sourcePath: sourcePath, destinationPath: destinationPath,
                length: length, overwrites: writes.overwrites, progress: progress)
            : try plainCopy(from: input, to: output, sourcePath: sourcePath, destinationPath: destinationPath,
                length: length, progress: progress)
        if (truncatingToCopy || writes.sparse) && !isDevice(output) {
            _ = try syscall("ftruncate", destinationPath) { ftruncate(output, off_t(written)) }
        }
        if writes.fsync { _ = try syscall("fsync", destinationPath) { fsync(output) } }
        return written
    }

    /// A device written in place (`--write-devices`) has a fixed length, so it is never truncated.
    static func isDevice(_ descriptor: Int32) -> Bool {
        var info = stat()
        guard fstat(descriptor, &info) == 0 else { return false }
        let type = info.st_mode & S_IFMT
        return type == S_IFBLK || type == S_IFCHR
    }

    private static func plainCopy(
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

    /// `-S`: reads only the source's data regions and writes only its non-zero blocks (from the current
    /// offset of `input`, which is the start).
    private static func sparseCopy(
        from input: Int32, to output: Int32, sourcePath: [UInt8], destinationPath: [UInt8], length: Int64?,
        overwrites: Bool, progress: (Int64) -> Bool
    ) throws(SystemCallError) -> Int64 {
        // Over an existing file, what is not written must still become zeros.
        func skip(from start: Int64, to end: Int64) throws(SystemCallError) {
            if overwrites && end > start { try zeroRange(output, from: start, to: end, path: destinationPath) }
        }
        var info = Glibc.stat()
        _ = try syscall("fstat", sourcePath) { fstat(input, &info) }
        let end = length ?? Int64(info.st_size)
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 18, alignment: 64)
        defer { buffer.deallocate() }
        var position: Int64 = 0
        while position < end {
            var dataStart = csync_seek_data(input, position)
            if dataStart < 0 {
                // ENXIO: nothing but a hole to the end of the file (or a file system without SEEK_DATA).
                if errno != ENXIO { dataStart = position } else {
                    _ = try syscall("fstat", sourcePath) { fstat(input, &info) }
                    if Int64(info.st_size) < end { throw systemError("read", sourcePath, ENODATA).at(.readSource) }
                    try skip(from: position, to: end)
                    position = end
                    break
                }
            }
            if dataStart > position {
                try skip(from: position, to: min(dataStart, end))
                position = min(dataStart, end)
                if !progress(position) { throw systemError("write", destinationPath, EINTR) }
                continue
            }
            var dataEnd = csync_seek_hole(input, position)
            if dataEnd <= position { dataEnd = end }
            while position < min(dataEnd, end) {
                let want = Int(min(Int64(buffer.count), min(dataEnd, end) - position))
                let count: Int
                do throws(SystemCallError) {
                    count = try syscall("read", sourcePath) { pread(input, buffer.baseAddress, want, off_t(position)) }
                } catch { throw error.at(.readSource) }
                if count == 0 { throw systemError("read", sourcePath, ENODATA).at(.readSource) }
                var cursor = position
                try DataWrites.dataRuns(of: UnsafeRawBufferPointer(rebasing: buffer[0..<count]), at: position) {
                    (piece, offset) throws(SystemCallError) in
                    try skip(from: cursor, to: offset)
                    cursor = offset + Int64(piece.count)
                    var done = 0
                    while done < piece.count {
                        done += try syscall("write", destinationPath) {
                            pwrite(output, piece.baseAddress! + done, piece.count - done, off_t(offset) + off_t(done))
                        }
                    }
                }
                try skip(from: cursor, to: position + Int64(count))
                position += Int64(count)
                if !progress(position) { throw systemError("write", destinationPath, EINTR) }
            }
        }
        return position
    }

    /// Makes `[start, end)` of an existing file read as zeros: punched out where the file system can
    /// (its blocks freed), written with zeros where it cannot.
    static func zeroRange(_ descriptor: Int32, from start: Int64, to end: Int64, path: [UInt8]) throws(SystemCallError) {
        if csync_punch_hole(descriptor, start, end - start) == 0 { return }
        let zeros = [UInt8](repeating: 0, count: 1 << 16)
        var offset = start
        while offset < end {
            let count = Int(min(Int64(zeros.count), end - offset))
            let written = try syscall("write", path) { zeros.withUnsafeBytes { pwrite(descriptor, $0.baseAddress, count, off_t(offset)) } }
            offset += Int64(written)
        }
    }
}
