import Glibc
import SyncCore
import SyncSSH

/// The loops of a transport over a plain descriptor (the server's stdin and stdout, a socket pair): each
/// call retried on EINTR, a write carried on until every byte is out, a failure a stream error (exit 12)
/// named by `what` ("write to stdout").
enum DescriptorIO {
    static func writeAll(_ bytes: UnsafeRawBufferPointer, what: String,
        _ call: (UnsafeRawPointer, Int) -> Int) throws(TransportError)
    {
        var offset = 0
        while offset < bytes.count {
            let written = call(bytes.baseAddress! + offset, bytes.count - offset)
            if written < 0 {
                if errno == EINTR { continue }
                throw failure(what)
            }
            offset += written
        }
    }

    static func readSome(what: String, _ call: () -> Int) throws(TransportError) -> Int {
        while true {
            let count = call()
            if count >= 0 { return count }
            if errno == EINTR { continue }
            throw failure(what)
        }
    }

    private static func failure(_ what: String) -> TransportError {
        TransportError(.io, "\(what) failed: \(String(cString: strerror(errno)))", exitCode: ExitStatus.streamIO.rawValue,
            errno: errno)
    }
}
