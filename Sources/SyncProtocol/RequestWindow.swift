/// The pipelining window: how many file requests may be outstanding between the generator and the sender,
/// so neither side waits a round trip per file (rsync's generator runs ahead of the sender the same way).
///
/// A request is outstanding from the moment the generator sends it until the generator reads its `fileEnd`.
/// The sender answers in request order. At most `capacity` requests (the negotiated window) and
/// `signatureBudget` signature bytes may be outstanding; one request alone may exceed the byte budget so a
/// huge file can still be sent. Both sides keep one: the generator asks `canIssue` before sending, the
/// sender's `accept` throws when the peer overruns the window, so a hostile generator cannot make the sender
/// buffer without bound.
public struct RequestWindow: Sendable {
    public let capacity: Int
    public let signatureBudget: Int
    private var queue: [FileRequest] = []
    private var head = 0
    public private(set) var outstandingSignatureBytes = 0

    public static let defaultSignatureBudget = 64 * 1024 * 1024

    public init(capacity: Int, signatureBudget: Int = RequestWindow.defaultSignatureBudget) {
        precondition(capacity >= 1 && signatureBudget >= 0)
        self.capacity = capacity
        self.signatureBudget = signatureBudget
    }

    public init(session: Session, signatureBudget: Int = RequestWindow.defaultSignatureBudget) {
        self.init(capacity: session.window, signatureBudget: signatureBudget)
    }

    public var outstandingCount: Int { queue.count - head }
    public var isEmpty: Bool { outstandingCount == 0 }
    /// The requests outstanding, oldest first.
    public var outstanding: ArraySlice<FileRequest> { queue[head...] }
    /// The oldest outstanding request: the next `delta`/`fileEnd` must be for it.
    public var oldest: FileRequest? { isEmpty ? nil : queue[head] }

    /// Generator: whether another request fits now.
    public func canIssue(signatureLength: Int) -> Bool {
        outstandingCount < capacity
            && (isEmpty || outstandingSignatureBytes + signatureLength <= signatureBudget)
    }

    /// Generator: records a request it sends. Call only when `canIssue` said yes.
    public mutating func issue(_ request: FileRequest) {
        precondition(canIssue(signatureLength: request.signatureLength), "request sent past the window")
        push(request)
    }

    /// Sender: records a request read from the peer; throws if it overruns the window.
    public mutating func accept(_ request: FileRequest) throws(ProtocolError) {
        guard canIssue(signatureLength: request.signatureLength) else {
            throw .limit("request for file \(request.fileIndex) beyond the window of \(capacity) requests "
                + "and \(signatureBudget) signature bytes")
        }
        push(request)
    }

    /// Checks that data for `fileIndex` is the answer to the oldest request (receiver side).
    public func checkReply(fileIndex: Int) throws(ProtocolError) {
        guard let oldest else { throw .sequence("data for file \(fileIndex), which was not requested") }
        guard oldest.fileIndex == fileIndex else {
            throw .sequence("data for file \(fileIndex) while file \(oldest.fileIndex) was requested first")
        }
    }

    /// Removes the oldest request, which must be for `fileIndex` (a `fileEnd` sent or read).
    @discardableResult
    public mutating func complete(fileIndex: Int) throws(ProtocolError) -> FileRequest {
        try checkReply(fileIndex: fileIndex)
        let request = queue[head]
        head += 1
        outstandingSignatureBytes -= request.signatureLength
        if head >= 64 && head * 2 >= queue.count {
            queue.removeSubrange(0..<head)
            head = 0
        }
        return request
    }

    private mutating func push(_ request: FileRequest) {
        queue.append(request)
        outstandingSignatureBytes += request.signatureLength
    }
}
