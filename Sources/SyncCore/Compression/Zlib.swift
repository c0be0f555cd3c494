internal import CZlib

/// Raw-deflate streaming compressor (`--zc=zlib`; rsync uses raw deflate, window bits -15); owns its
/// `z_stream`.
public final class ZlibCompressor: StreamCompressor {
    private let stream: UnsafeMutablePointer<z_stream>
    private let output: UnsafeMutableRawBufferPointer

    public init(level: Int) throws(SyncError) {
        stream = try makeZStream("compression init failed", call: "deflateInit2") {
            czlib_deflate_init_raw($0, Int32(clamping: level))
        }
        output = .allocate(byteCount: 64 * 1024, alignment: 16)
    }

    deinit {
        deflateEnd(stream)
        stream.deallocate()
        output.deallocate()
    }

    public func compress(_ input: UnsafeRawBufferPointer, flush: Bool,
        emit: (UnsafeRawBufferPointer) throws(SyncError) -> Void) throws(SyncError)
    {
        var rest = input
        // avail_in is 32-bit: feed at most 1 GiB at a time.
        repeat {
            let n = min(rest.count, 1 << 30)
            let last = n == rest.count
            try run(UnsafeRawBufferPointer(rebasing: rest[0..<n]), mode: last && flush ? Z_SYNC_FLUSH : Z_NO_FLUSH,
                emit: emit)
            rest = UnsafeRawBufferPointer(rebasing: rest[n...])
        } while !rest.isEmpty
    }

    public func finish(emit: (UnsafeRawBufferPointer) throws(SyncError) -> Void) throws(SyncError) {
        try run(UnsafeRawBufferPointer(start: nil, count: 0), mode: Z_FINISH, emit: emit)
    }

    private func run(_ input: UnsafeRawBufferPointer, mode: Int32,
        emit: (UnsafeRawBufferPointer) throws(SyncError) -> Void) throws(SyncError)
    {
        stream.pointee.next_in = UnsafeMutablePointer(mutating: input.baseAddress?.assumingMemoryBound(to: UInt8.self))
        stream.pointee.avail_in = UInt32(input.count)
        while true {
            stream.pointee.next_out = output.baseAddress!.assumingMemoryBound(to: UInt8.self)
            stream.pointee.avail_out = UInt32(output.count)
            let status = deflate(stream, mode)
            guard status == Z_OK || status == Z_STREAM_END || status == Z_BUF_ERROR else {
                throw .compression("deflate returned \(status)")
            }
            let produced = output.count - Int(stream.pointee.avail_out)
            if produced > 0 { try emit(UnsafeRawBufferPointer(rebasing: output[0..<produced])) }
            if mode == Z_FINISH {
                if status == Z_STREAM_END { break }
            } else if stream.pointee.avail_in == 0 && stream.pointee.avail_out > 0 {
                break
            }
        }
        stream.pointee.next_in = nil
    }
}

/// Raw-inflate streaming decompressor; owns its `z_stream`. Input after the end of the deflate stream is an
/// error.
public final class ZlibDecompressor: StreamDecompressor {
    private let stream: UnsafeMutablePointer<z_stream>
    private let output: UnsafeMutableRawBufferPointer
    private var ended = false

    public init() throws(SyncError) {
        stream = try makeZStream("inflate init failed", call: "inflateInit2") { czlib_inflate_init_raw($0) }
        output = .allocate(byteCount: 64 * 1024, alignment: 16)
    }

    deinit {
        inflateEnd(stream)
        stream.deallocate()
        output.deallocate()
    }

    public func decompress(_ input: UnsafeRawBufferPointer,
        emit: (UnsafeRawBufferPointer) throws(SyncError) -> Void) throws(SyncError)
    {
        var rest = input
        while !rest.isEmpty {
            if ended { throw .compression("data after the end of the compressed stream") }
            let n = min(rest.count, 1 << 30)
            stream.pointee.next_in = UnsafeMutablePointer(
                mutating: rest.baseAddress!.assumingMemoryBound(to: UInt8.self))
            stream.pointee.avail_in = UInt32(n)
            while true {
                stream.pointee.next_out = output.baseAddress!.assumingMemoryBound(to: UInt8.self)
                stream.pointee.avail_out = UInt32(output.count)
                let status = inflate(stream, Z_NO_FLUSH)
                let produced = output.count - Int(stream.pointee.avail_out)
                if produced > 0 { try emit(UnsafeRawBufferPointer(rebasing: output[0..<produced])) }
                if status == Z_STREAM_END {
                    ended = true
                    if stream.pointee.avail_in > 0 { throw .compression("data after the end of the compressed stream") }
                    break
                }
                guard status == Z_OK || status == Z_BUF_ERROR else {
                    throw .compression("inflate returned \(status)")
                }
                if stream.pointee.avail_in == 0 && stream.pointee.avail_out > 0 { break }
                if status == Z_BUF_ERROR && stream.pointee.avail_out > 0 { break }
            }
            stream.pointee.next_in = nil
            rest = UnsafeRawBufferPointer(rebasing: rest[n...])
        }
    }
}

/// A `z_stream` set up by `initialize`. The C state is complete before an owner stores it, so a failed init
/// never reaches the owner's deinit.
private func makeZStream(_ failure: String, call: String, _ initialize: (UnsafeMutablePointer<z_stream>) -> Int32)
    throws(SyncError) -> UnsafeMutablePointer<z_stream>
{
    let stream = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
    stream.initialize(to: z_stream())
    let status = initialize(stream)
    guard status == Z_OK else {
        stream.deallocate()
        throw .compression("\(failure) (\(call) returned \(status))")
    }
    return stream
}
