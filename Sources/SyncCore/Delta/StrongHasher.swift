internal import CXXHash

// The one file in Delta that calls libxxhash (STYLE.md §1: each C library behind a single wrapper file).

extension ChecksumChoice {
    /// The full digest of one block (seed 0).
    @inline(__always)
    func digest(_ bytes: UnsafeRawBufferPointer) -> StrongDigest {
        switch self {
        case .xxh128:
            let d = XXH3_128bits(bytes.baseAddress, bytes.count)
            return StrongDigest(low: d.low64, high: d.high64, length: 16)
        case .xxh3:
            return StrongDigest(low: XXH3_64bits(bytes.baseAddress, bytes.count), high: 0, length: 8)
        case .xxh64:
            return StrongDigest(low: XXH64(bytes.baseAddress, bytes.count, 0), high: 0, length: 8)
        }
    }
}

/// Streaming whole-file digest for the checksum choice, checked after a delta is applied.
/// Owns its `XXH3_state_t` or `XXH64_state_t` and frees it on deinit.
public final class FileDigester {
    public let choice: ChecksumChoice
    private let state: OpaquePointer

    public init(_ choice: ChecksumChoice) {
        self.choice = choice
        switch choice {
        case .xxh128:
            state = XXH3_createState()
            XXH3_128bits_reset(state)
        case .xxh3:
            state = XXH3_createState()
            XXH3_64bits_reset(state)
        case .xxh64:
            state = XXH64_createState()
            XXH64_reset(state, 0)
        }
    }

    deinit {
        switch choice {
        case .xxh128, .xxh3: XXH3_freeState(state)
        case .xxh64: XXH64_freeState(state)
        }
    }

    public func update(_ bytes: UnsafeRawBufferPointer) {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return }
        switch choice {
        case .xxh128: XXH3_128bits_update(state, base, bytes.count)
        case .xxh3: XXH3_64bits_update(state, base, bytes.count)
        case .xxh64: XXH64_update(state, base, bytes.count)
        }
    }

    public func finish() -> StrongDigest {
        switch choice {
        case .xxh128:
            let d = XXH3_128bits_digest(state)
            return StrongDigest(low: d.low64, high: d.high64, length: 16)
        case .xxh3: return StrongDigest(low: XXH3_64bits_digest(state), high: 0, length: 8)
        case .xxh64: return StrongDigest(low: XXH64_digest(state), high: 0, length: 8)
        }
    }
}
