/// How file data is written: rsync's `-S/--sparse` (runs of zero blocks become holes), `--preallocate`
/// (the whole length reserved before the data is written) and `--fsync` (each file flushed to the disk
/// before it is renamed into place). The file system applies them to the files it creates.
public struct DataWrites: Sendable, Equatable {
    public var sparse = false
    public var preallocate = false
    public var fsync = false
    /// The file is written over in place (`--inplace`, `--append`): a zero run left out of a sparse write
    /// is punched out (rsync's `do_punch_hole`), since the old data there must become zeros.
    public var overwrites = false

    public init(sparse: Bool = false, preallocate: Bool = false, fsync: Bool = false, overwrites: Bool = false) {
        self.sparse = sparse
        self.preallocate = preallocate
        self.fsync = fsync
        self.overwrites = overwrites
    }

    public init(_ options: SyncOptions) {
        self.init(sparse: options.sparse, preallocate: options.preallocate, fsync: options.fsync)
    }

    /// Writes over an existing file (`--inplace`, `--append`): nothing reserved; with `-S` zero runs are
    /// punched out of it.
    public var inPlace: DataWrites { DataWrites(sparse: sparse, preallocate: false, fsync: fsync, overwrites: true) }

    /// A run of zeros inside a write at least this long is not written; at either end of a write, any
    /// run is left out. In a new file what was never written reads as zeros; in place it is punched.
    public static let holeRun = 4096
    /// Zeros are looked for in pieces of this size.
    private static let scanPiece = 64

    /// True when every byte of `bytes` is zero.
    public static func isZero(_ bytes: UnsafeRawBufferPointer) -> Bool {
        var index = 0
        let words = bytes.count / 8
        while index < words {
            if bytes.loadUnaligned(fromByteOffset: index * 8, as: UInt64.self) != 0 { return false }
            index += 1
        }
        for byte in bytes[(words * 8)...] where byte != 0 { return false }
        return true
    }

    /// The parts of `bytes` (to be written at `offset`) that must be written: each run of zeros at the
    /// start or the end, and each one of at least `holeRun` bytes between, is left out, so it stays (in a
    /// new file) or becomes (punched, in place) a hole. Calls `write(piece, pieceOffset)` in order.
    public static func dataRuns<E: Error>(of bytes: UnsafeRawBufferPointer, at offset: Int64,
        _ write: (UnsafeRawBufferPointer, Int64) throws(E) -> Void) throws(E)
    {
        var dataStart: Int?
        var zeroStart: Int?
        var position = 0
        func flush(upTo end: Int) throws(E) {
            if let first = dataStart, first < end {
                try write(UnsafeRawBufferPointer(rebasing: bytes[first..<end]), offset + Int64(first))
            }
            dataStart = nil
        }
        while position < bytes.count {
            let end = min(bytes.count, position + scanPiece)
            if isZero(UnsafeRawBufferPointer(rebasing: bytes[position..<end])) {
                if zeroStart == nil { zeroStart = position }
            } else {
                if let zeros = zeroStart {
                    // Zeros after data: left out when long enough, else written with the data around them.
                    if dataStart == nil || position - zeros >= holeRun {
                        try flush(upTo: zeros)
                        dataStart = position
                    }
                    zeroStart = nil
                }
                if dataStart == nil { dataStart = position }
            }
            position = end
        }
        try flush(upTo: zeroStart ?? bytes.count)
    }
}
