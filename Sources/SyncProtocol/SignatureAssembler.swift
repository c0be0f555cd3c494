import SyncCore

/// The sender's side of a request: collects the `signature` pieces that follow a `request` and decodes them
/// with `SignatureCodec` once all announced bytes are in. Pieces must come right after their request, for
/// that request's file, and add up to exactly the announced length.
public struct SignatureAssembler: Sendable {
    public let deltaLimits: DeltaLimits
    private var pending: FileRequest?
    private var bytes: [UInt8] = []

    public init(deltaLimits: DeltaLimits = .standard) { self.deltaLimits = deltaLimits }

    /// True while a request's signature is incomplete: only `signature` messages (and logs) may come next.
    public var isCollecting: Bool { pending != nil }

    /// Starts a request. Returns true when it has no signature (a whole-file request) and is ready at once.
    public mutating func begin(_ request: FileRequest) throws(ProtocolError) -> Bool {
        guard pending == nil else {
            throw .sequence("request for file \(request.fileIndex) before the signature of file \(pending!.fileIndex) ended")
        }
        guard request.signatureLength > 0 else { return true }
        pending = request
        bytes = []
        return false
    }

    /// Adds a piece; returns the decoded signature when the last announced byte has arrived.
    public mutating func append(fileIndex: Int, _ piece: [UInt8]) throws(ProtocolError) -> Signature? {
        guard let request = pending else { throw .sequence("signature data for file \(fileIndex) without a request") }
        guard request.fileIndex == fileIndex else {
            throw .sequence("signature data for file \(fileIndex) inside the signature of file \(request.fileIndex)")
        }
        // Grows only with bytes that arrived, never by the announced length.
        guard piece.count <= request.signatureLength - bytes.count else {
            throw .malformed("signature of file \(fileIndex) is longer than the \(request.signatureLength) bytes announced")
        }
        bytes.append(contentsOf: piece)
        guard bytes.count == request.signatureLength else { return nil }
        pending = nil
        defer { bytes = [] }
        do {
            return try SignatureCodec.decode(bytes, limits: deltaLimits)
        } catch {
            throw .delta(error)
        }
    }
}
