/// Limits the receiver of each message enforces, so a hostile or broken peer cannot make us allocate, loop or
/// write outside the destination. Defaults are generous for real trees and small against memory.
public struct ProtocolLimits: Sendable, Equatable {
    /// Largest frame payload accepted (and, after the hello, the smaller of both sides' values is used).
    public var maxFramePayload: Int
    /// Longest file name, as a full path relative to the transfer root (rsync `MAXPATHLEN`).
    public var maxPathLength: Int
    /// Longest single path component (Linux `NAME_MAX`).
    public var maxComponentLength: Int
    /// Longest symlink target.
    public var maxSymlinkTargetLength: Int
    /// Most entries in the whole file list (file indices fit in an `Int32`).
    public var maxFileCount: Int
    /// Most entries in one `fileListChunk` message.
    public var maxEntriesPerChunk: Int
    /// Largest signature one request may announce.
    public var maxSignatureBytes: Int
    /// Longest text of one log message; longer text is cut by the encoder and refused by the decoder.
    public var maxLogTextLength: Int
    /// Most user and group names in one `idNames` message.
    public var maxIDNames: Int = 4096

    public init(maxFramePayload: Int = 256 * 1024, maxPathLength: Int = 4096, maxComponentLength: Int = 255,
        maxSymlinkTargetLength: Int = 4096, maxFileCount: Int = Int(Int32.max), maxEntriesPerChunk: Int = 65536,
        maxSignatureBytes: Int = 512 * 1024 * 1024, maxLogTextLength: Int = 16 * 1024)
    {
        self.maxFramePayload = maxFramePayload
        self.maxPathLength = maxPathLength
        self.maxComponentLength = maxComponentLength
        self.maxSymlinkTargetLength = maxSymlinkTargetLength
        self.maxFileCount = maxFileCount
        self.maxEntriesPerChunk = maxEntriesPerChunk
        self.maxSignatureBytes = maxSignatureBytes
        self.maxLogTextLength = maxLogTextLength
    }

    public static let standard = ProtocolLimits()

    /// Frame payloads a hello may ask for: big enough for one file-list entry with the longest name and
    /// symlink target, small enough that one frame is never a large allocation.
    public static let framePayloadRange = 16 * 1024...16 * 1024 * 1024
}
