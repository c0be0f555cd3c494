internal import CXXHash

/// Streaming XXH3-128 over a file's bytes, for `-c` whole-file checksums (rsync's default `xxh128`).
/// Owns its `XXH3_state_t` and frees it on deinit.
public final class StreamingHash {
    private let state: OpaquePointer

    public init() {
        state = XXH3_createState()
        XXH3_128bits_reset(state)
    }

    deinit { XXH3_freeState(state) }

    public func update(_ bytes: UnsafeRawBufferPointer) {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return }
        XXH3_128bits_update(state, base, bytes.count)
    }

    public func finish() -> FileChecksum {
        let digest = XXH3_128bits_digest(state)
        return FileChecksum(low: digest.low64, high: digest.high64)
    }

    /// One-shot XXH3-128 of a buffer.
    public static func hash(_ bytes: UnsafeRawBufferPointer) -> FileChecksum {
        let digest = XXH3_128bits(bytes.baseAddress, bytes.count)
        return FileChecksum(low: digest.low64, high: digest.high64)
    }
}
