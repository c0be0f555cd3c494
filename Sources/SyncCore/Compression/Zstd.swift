internal import CZstd

/// zstd streaming compressor; owns its `ZSTD_CCtx`.
public final class ZstdCompressor: StreamCompressor {
    static var levels: ClosedRange<Int> { Int(ZSTD_minCLevel())...Int(ZSTD_maxCLevel()) }

    private let context: OpaquePointer
    private let output: UnsafeMutableRawBufferPointer

    public init(level: Int) throws(SyncError) {
        guard let context = ZSTD_createCCtx() else { throw .compression("zstd compression init failed") }
        self.context = context
        output = .allocate(byteCount: ZSTD_CStreamOutSize(), alignment: 16)
        let status = ZSTD_CCtx_setParameter(context, ZSTD_c_compressionLevel, Int32(clamping: level))
        if ZSTD_isError(status) != 0 {
            throw .compression("zstd: cannot set level \(level): \(String(cString: ZSTD_getErrorName(status)))")
        }
    }

    deinit {
        ZSTD_freeCCtx(context)
        output.deallocate()
    }

    public func compress(_ input: UnsafeRawBufferPointer, flush: Bool,
        emit: (UnsafeRawBufferPointer) throws(SyncError) -> Void) throws(SyncError)
    {
        try run(input, mode: flush ? ZSTD_e_flush : ZSTD_e_continue, emit: emit)
    }

    public func finish(emit: (UnsafeRawBufferPointer) throws(SyncError) -> Void) throws(SyncError) {
        try run(UnsafeRawBufferPointer(start: nil, count: 0), mode: ZSTD_e_end, emit: emit)
    }

    private func run(_ input: UnsafeRawBufferPointer, mode: ZSTD_EndDirective,
        emit: (UnsafeRawBufferPointer) throws(SyncError) -> Void) throws(SyncError)
    {
        var source = ZSTD_inBuffer(src: input.baseAddress, size: input.count, pos: 0)
        while true {
            var sink = ZSTD_outBuffer(dst: output.baseAddress, size: output.count, pos: 0)
            let remaining = ZSTD_compressStream2(context, &sink, &source, mode)
            if ZSTD_isError(remaining) != 0 {
                throw .compression("zstd compression failed: \(String(cString: ZSTD_getErrorName(remaining)))")
            }
            if sink.pos > 0 { try emit(UnsafeRawBufferPointer(rebasing: output[0..<sink.pos])) }
            let done = mode == ZSTD_e_continue ? source.pos == source.size : remaining == 0
            if done { return }
        }
    }
}

/// zstd streaming decompressor; owns its `ZSTD_DCtx`. The window is capped at zstd's default limit
/// (`ZSTD_WINDOWLOG_LIMIT_DEFAULT`, 128 MiB), so a hostile frame header cannot demand more memory.
public final class ZstdDecompressor: StreamDecompressor {
    private let context: OpaquePointer
    private let output: UnsafeMutableRawBufferPointer

    public init() throws(SyncError) {
        guard let context = ZSTD_createDCtx() else { throw .compression("zstd decompression init failed") }
        self.context = context
        output = .allocate(byteCount: ZSTD_DStreamOutSize(), alignment: 16)
        ZSTD_DCtx_setParameter(context, ZSTD_d_windowLogMax, 27)
    }

    deinit {
        ZSTD_freeDCtx(context)
        output.deallocate()
    }

    public func decompress(_ input: UnsafeRawBufferPointer,
        emit: (UnsafeRawBufferPointer) throws(SyncError) -> Void) throws(SyncError)
    {
        var source = ZSTD_inBuffer(src: input.baseAddress, size: input.count, pos: 0)
        while true {
            var sink = ZSTD_outBuffer(dst: output.baseAddress, size: output.count, pos: 0)
            let status = ZSTD_decompressStream(context, &sink, &source)
            if ZSTD_isError(status) != 0 {
                throw .compression("zstd decompression failed: \(String(cString: ZSTD_getErrorName(status)))")
            }
            if sink.pos > 0 { try emit(UnsafeRawBufferPointer(rebasing: output[0..<sink.pos])) }
            // A full output buffer may mean more is pending even with all input consumed.
            if source.pos == source.size && sink.pos < sink.size { return }
        }
    }
}
