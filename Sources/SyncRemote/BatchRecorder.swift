import Glibc
import Synchronization
import SyncCore
import SyncProtocol

/// `--write-batch`/`--only-write-batch`: records what the sender sends the receiving side (the file
/// list and each requested file's delta) into the batch file, as it arrives (`BatchHeader` has the
/// layout). Only a run with a batch makes one, so a run without costs nothing.
public final class BatchRecorder: Sendable {
    private struct State {
        var descriptor: Int32
        var buffer: [UInt8] = []
        var failure: SyncError?
    }
    private let state: Mutex<State>
    private let name: String
    private let encoder = MessageEncoder(maxPayload: ProtocolLimits.standard.maxFramePayload)
    private static let flushAt = 1 << 20

    /// Takes an open batch file and writes its header.
    public init(descriptor: Int32, name: String, header: BatchHeader) {
        state = Mutex(State(descriptor: descriptor, buffer: header.encode()))
        self.name = name
    }

    /// The flags of a run with `options`.
    public static func header(for options: SyncOptions) -> BatchHeader {
        var flags: BatchFlags = []
        if options.recursive { flags.insert(.recursive) }
        if options.owner { flags.insert(.owner) }
        if options.group { flags.insert(.group) }
        if options.links { flags.insert(.links) }
        if options.devices { flags.insert(.devices) }
        if options.specials { flags.insert(.specials) }
        if options.hardLinks { flags.insert(.hardLinks) }
        if options.checksum { flags.insert(.checksum) }
        // rsync's bit is xfer_dirs, which -r sets too.
        if options.dirs || options.recursive { flags.insert(.dirs) }
        if options.acls { flags.insert(.acls) }
        if options.xattrs > 0 { flags.insert(.xattrs) }
        if options.inplace && options.append == 0 { flags.insert(.inplace) }
        if options.append == 1 { flags.insert(.append) }
        if options.append > 1 { flags.insert(.appendVerify) }
        if options.atimes > 0 { flags.insert(.atimes) }
        if options.recursive && !options.listsIncrementally { flags.insert(.wholeList) }
        let checksum = options.transferChecksum
        return BatchHeader(flags: flags, checksum: checksum)
    }

    /// Records `message` when it is one a batch keeps (called on the thread that reads the sender).
    public func record(_ message: Message) {
        guard BatchDecoder.records(message) else { return }
        state.withLock { state in
            guard state.failure == nil else { return }
            encoder.encode(message, into: &state.buffer)
            if state.buffer.count >= Self.flushAt { flush(&state) }
        }
    }

    /// Writes the run's counts and the end record and closes the file; the first write error, if any
    /// (exit 11).
    public func finish(stats: TransferStats) -> SyncError? {
        state.withLock { state in
            if state.failure == nil {
                encoder.encode(.stats(WireStats(stats)), into: &state.buffer)
                encoder.encode(.done, into: &state.buffer)
                flush(&state)
            }
            if close(state.descriptor) != 0 && state.failure == nil { state.failure = writeError(errno) }
            return state.failure
        }
    }

    private func flush(_ state: inout State) {
        var offset = 0
        let descriptor = state.descriptor
        let failed: Int32? = state.buffer.withUnsafeBytes { raw in
            while offset < raw.count {
                let written = write(descriptor, raw.baseAddress! + offset, raw.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    return errno
                }
                offset += written
            }
            return nil
        }
        state.buffer.removeAll(keepingCapacity: true)
        if let failed { state.failure = writeError(failed) }
    }

    private func writeError(_ code: Int32) -> SyncError {
        SyncError(.fileIO, "Batch file \(name) write error: \(String(cString: strerror(code))) (\(code))")
    }
}
