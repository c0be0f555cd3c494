import Dispatch
import Glibc
import Synchronization
import SyncCharset
import SyncCore
import SyncPlatform
import SyncProtocol

/// The generator's and receiver's side of a remote run (the server of a push, the client of a pull):
/// decodes the sender's file-list chunks into listings for the generator, checks them, sends the
/// generator's requests with their signatures, and routes the answers to the receiver's writer.
public final class ReceivingRole: SenderLink, ListingSource, @unchecked Sendable {
    // @unchecked: the reader thread writes `state` and the incoming queue; the generator's thread reads
    // listings; both go through the Mutex and semaphores below.
    let connection: Connection
    let options: SyncOptions
    public let incoming = IncomingData(capacity: 256)

    private struct State {
        var tracker = FileListTracker()
        /// The sender enforces the same window (count and signature bytes); a request that does not fit
        /// waits for answers.
        var window = RequestWindow(capacity: Hello.windowRange.upperBound)
        var requesterWaiting = false
        /// Directory chunks must come in pre-order: the directories the sender will list next, the next last.
        var expected: [Int] = []
        var open: (index: Int?, chunk: FileListChunk, resolved: [FileListTracker.ResolvedEntry])?
        var root: (listing: SourceListing, dotEntry: FileEntry?, sourceArguments: Int)?
        var listings = FirstInFirstOut<SourceListing>()
        var listedEntries = 0
        var listedBytes: Int64 = 0
        var complete = false
        var ioError = false
        /// The sender's user and group ids → ours, from its `idNames` (rsync's uid/gid mapping).
        var userIDs: [UInt32: UInt32] = [:]
        var groupIDs: [UInt32: UInt32] = [:]
        /// `--iconv`: directories left out because their names could not be converted; their chunks (and
        /// those below them) are read and dropped.
        var droppedDirectories: Set<Int> = []
        /// `--iconv`: listings re-sorted in this side's charset reach the generator in its order, not the
        /// wire's: those not yet taken, by directory index, and the generator's walk mirrored to know which
        /// it takes next.
        var byDirectory: [Int: SourceListing] = [:]
        var delivery: PreOrderWalk<Void>?
        var wanted: Int?
        /// Flow control: one past the last entry of the chunks read, and the `taken` mark last sent.
        var arrivedUpTo = 0
        var takenSent = 0

        /// The `taken` mark to send now that the generator took `listing`: everything read, once the
        /// generator has caught up with it, else past the listing's last entry; nil while it would move less
        /// than `takenStep`, or not at all.
        mutating func takenMark(after listing: SourceListing, caughtUp: Bool) -> Int? {
            let end = caughtUp ? arrivedUpTo : listing.entries.lazy.map { $0.fileIndex + 1 }.max() ?? 0
            guard end - takenSent >= ReceivingRole.takenStep else { return nil }
            takenSent = end
            return end
        }
    }
    private let state: Mutex<State>
    private let rootReady = DispatchSemaphore(value: 0)
    private let listingReady = DispatchSemaphore(value: 0)
    private let windowSpace = DispatchSemaphore(value: 0)
    /// Directories only walked into carry this placeholder: the sender, not this side, lists them.
    private let remoteDirectory = SourceDirectory()

    /// How names become this machine's ids (the system's user and group databases; tests replace it).
    public struct IDLookup: Sendable {
        public var userID: @Sendable ([UInt8]) -> UInt32?
        public var groupID: @Sendable ([UInt8]) -> UInt32?
        public init(userID: @escaping @Sendable ([UInt8]) -> UInt32?, groupID: @escaping @Sendable ([UInt8]) -> UInt32?) {
            self.userID = userID
            self.groupID = groupID
        }
        public static let system = IDLookup(userID: UserNames.userID, groupID: UserNames.groupID)
    }
    let lookup: IDLookup
    /// `--iconv`: the wire's UTF-8 names to this side's charset (nil: names are taken as they come).
    private let names: NameCharset?
    /// Names in this side's conversion errors keep their high-bit bytes (a client's own lines; a server's,
    /// and a local run's receiving half, are escaped, as rsync's server prints them).
    public var showsHighBit: OutputEscaper.HighBytes
    /// `--iconv`: where this side's conversion errors go (the run's observer).
    public var observer: TransferObserver?
    /// A name could not be converted: an I/O error of the list (exit 23, no deletions).
    private let conversionFailed = Atomic<Bool>(false)

    public init(connection: Connection, options: SyncOptions, lookup: IDLookup = .system) {
        self.connection = connection
        self.options = options
        self.lookup = lookup
        // --iconv: the sender's order is its charset's, not the wire's bytes'.
        state = Mutex(State(tracker: FileListTracker(sendersOrder: options.charset != nil)))
        names = options.charset.flatMap { try? NameCharset($0) }
        showsHighBit = options.highBytes
        connection.onFailure { [incoming, rootReady, listingReady] error in
            incoming.fail(error)
            rootReady.signal()
            listingReady.signal()
        }
    }

    // MARK: Messages from the sender

    /// File data decoded from the current read, handed to the writer together (reader thread only).
    private var pendingData: [IncomingData.Event] = []
    private var pendingBytes = 0

    /// The reader has decoded everything one read brought: pass the file data on in one go.
    public func endOfRead() {
        incoming.push(contentsOf: pendingData)
        pendingData.removeAll(keepingCapacity: true)
        pendingBytes = 0
    }

    /// Takes the sender's messages meant for this side; false for any other message.
    public func handle(_ message: Message) throws(SyncError) -> Bool {
        do {
            switch message {
            case .fileListChunk(let chunk):
                try accept(chunk)
            case .idNames(let names):
                // The sender's names mapped to ours; a name unknown here keeps the sender's number.
                // --numeric-ids keeps every number.
                guard !options.numericIDs else { return true }
                let mapped = names.compactMap { name -> (IDName, UInt32)? in
                    guard (name.isGroup ? options.group : options.owner) || options.acls else { return nil }
                    guard let local = name.isGroup ? lookup.groupID(name.name) : lookup.userID(name.name) else { return nil }
                    return (name, local)
                }
                state.withLock { state in
                    for (name, local) in mapped {
                        if name.isGroup { state.groupIDs[name.id] = local } else { state.userIDs[name.id] = local }
                    }
                }
            case .fileListDone(let ioError):
                try state.withLock { (state) throws(ProtocolError) in
                    try state.tracker.finish()
                    guard state.expected.isEmpty else {
                        throw ProtocolError(.outOfSequence, "file list ended with \(state.expected.count) directories unlisted")
                    }
                    state.complete = true
                    state.ioError = state.ioError || ioError
                }
            case .delta(let index, let bytes):
                try state.withLock { (state) throws(ProtocolError) in try state.window.checkReply(fileIndex: index) }
                pendingData.append(.piece(fileIndex: index, bytes: bytes))
                pendingBytes += bytes.count
                // One read of compressed frames can expand a thousandfold: hand over as it grows.
                if pendingBytes >= 4 << 20 { endOfRead() }
            case .fileEnd(let index, let outcome):
                let wake = try state.withLock { (state) throws(ProtocolError) -> Bool in
                    _ = try state.window.complete(fileIndex: index)
                    // A file the sender could not read is rsync's io_error: no deletions after it.
                    if outcome == .failed { state.ioError = true }
                    defer { state.requesterWaiting = false }
                    return state.requesterWaiting
                }
                if wake { windowSpace.signal() }
                let result: IncomingData.Outcome = switch outcome {
                case .complete: .complete
                case .vanished: .vanished
                case .failed: .failed
                }
                pendingData.append(.end(fileIndex: index, outcome: result))
            default:
                return false
            }
        } catch {
            throw error.syncError
        }
        return true
    }

    private func accept(_ chunk: FileListChunk) throws(ProtocolError) {
        // Both ends were given the same -U: atimes missing (or unasked for) mean a peer not following the run.
        guard chunk.carriesAccessTimes == (options.atimes > 0) else {
            throw ProtocolError(.malformed, options.atimes > 0 ? "file-list chunk without the atimes -U needs" : "file-list chunk with atimes, without -U")
        }
        let ready = try state.withLock { (state) throws(ProtocolError) -> Int in
            if state.open == nil, let index = chunk.directoryIndex {
                guard state.expected.last == index else {
                    throw ProtocolError(.outOfSequence, "file-list chunk for directory \(index) out of order")
                }
                state.expected.removeLast()
            }
            let resolved = try state.tracker.accept(chunk)
            if let last = resolved.last { state.arrivedUpTo = max(state.arrivedUpTo, last.index + 1) }
            if var open = state.open {
                open.resolved += resolved
                open.chunk.hadIOError = open.chunk.hadIOError || chunk.hadIOError
                state.open = open
            } else {
                state.open = (chunk.directoryIndex, chunk, resolved)
            }
            guard !chunk.continues, let whole = state.open else { return 0 }
            state.open = nil
            var listing = makeListing(whole.chunk, resolved: whole.resolved, expected: &state.expected,
                userIDs: state.userIDs, groupIDs: state.groupIDs)
            if names != nil {
                let parentDropped = whole.index.map { state.droppedDirectories.remove($0) != nil } ?? false
                convertNames(&listing, parentDropped: parentDropped, isRoot: whole.index == nil,
                    dropped: &state.droppedDirectories)
                if parentDropped { return 0 }
            }
            if whole.index == nil {
                var entries = listing.entries
                var dotEntry: FileEntry?
                if let dot = entries.firstIndex(where: { $0.name == PathBytes.dot }) { dotEntry = entries.remove(at: dot) }
                var rootListing = listing
                rootListing.entries = entries
                state.root = (rootListing, dotEntry, whole.chunk.severalSources ? 2 : 1)
                if names != nil { state.delivery = PreOrderWalk(root: rootListing, recursive: options.recursive) }
                state.ioError = state.ioError || whole.chunk.hadIOError
                return 1
            }
            if names != nil, let index = whole.index { state.byDirectory[index] = listing } else {
                state.listings.append(listing)
            }
            state.listedEntries += listing.entries.count
            state.listedBytes &+= listing.transferSize(links: options.links)
            return 2
        }
        if ready == 1 { rootReady.signal() }
        if ready == 2 { listingReady.signal() }
    }

    /// `--iconv`: the listing's names and symlink targets in this side's charset. An entry that cannot be
    /// converted is left out with rsync's error, an I/O error (exit 23, no deletions); a directory left out
    /// keeps its chunk from reaching the generator (`dropped`), as does everything below it.
    private func convertNames(_ listing: inout SourceListing, parentDropped: Bool, isRoot: Bool,
        dropped: inout Set<Int>)
    {
        guard let names else { return }
        var kept: [FileEntry] = []
        kept.reserveCapacity(listing.entries.count)
        // The directories the walk enters, by their names here.
        let wireSubdirectories = listing.subdirectories
        listing.subdirectories = [:]
        for var entry in listing.entries {
            let wireName = PathBytes.lastComponent(entry.name)
            if !parentDropped, convert(&entry, names, isRoot: isRoot) {
                if let directory = wireSubdirectories[wireName] {
                    listing.subdirectories[PathBytes.lastComponent(entry.name)] = directory
                }
                kept.append(entry)
                continue
            }
            listing.hadIOError = true
            if entry.listsContents { dropped.insert(entry.fileIndex) }
        }
        // rsync's receiver sorts the list in its own charset, but enters the subdirectories in the order the
        // sender listed them: the files are sorted here, the directories keep the wire's order.
        // (The root's "." leads its chunk; it is taken out of the listing later.)
        var files = kept.filter { !$0.isDirectory }
        FileListOrder.sort(&files)
        listing.entries = files + kept.filter(\.isDirectory)
    }

    /// One entry's name (its whole path, as rsync converts it) and symlink target; false, with the error
    /// reported, when either cannot be converted or no longer makes a name the receiver accepts.
    /// rsync names the role `Receiver` while it reads the first file list (before it forks its generator),
    /// `receiver` after.
    private func convert(_ entry: inout FileEntry, _ names: NameCharset, isRoot: Bool) -> Bool {
        let role = isRoot ? "Receiver" : "receiver"
        // The transfer root is "." in every charset this side may name files in.
        if entry.name == PathBytes.dot { return true }
        let limits = ProtocolLimits.standard
        let name: [UInt8]
        do throws(CharsetError) {
            name = try names.fromWire.convert(entry.name, limit: limits.maxPathLength)
            // Peer input: the result must still be a path the receiver takes (no NUL, no new "..").
            if name != PathBytes.dot {
                do throws(ProtocolError) {
                    try PathValidation.validateRelativePath(name, allowsRoot: true, limits: limits)
                } catch { throw CharsetError.invalidSequence }
            }
        } catch {
            report(role, "filename: \(OutputEscaper.escape(entry.name, highBytes: showsHighBit))", error)
            return false
        }
        // Without -l the target is not the sender's to convert (rsync sends none): it only sizes a listing.
        if let target = entry.symlinkTarget, options.links {
            do throws(CharsetError) {
                let converted = try names.fromWire.convert(target, limit: limits.maxSymlinkTargetLength)
                guard !converted.isEmpty, !converted.contains(0) else {
                    throw CharsetError.invalidSequence
                }
                entry.symlinkTarget = converted
            } catch {
                // rsync names it by its full_fname: below the directory this process started in.
                let shown = OutputEscaper.escape(Self.workingDirectory + [UInt8(ascii: "/")] + name,
                    highBytes: showsHighBit)
                report(role, "symlink data for: \"\(shown)\"", error)
                return false
            }
        }
        entry.name = name
        entry.sourcePath = name
        return true
    }

    /// This process's working directory, for rsync's `full_fname` of a name in a conversion error.
    private static var workingDirectory: [UInt8] {
        var buffer = [CChar](repeating: 0, count: 4097)
        guard getcwd(&buffer, buffer.count) != nil else { return [] }
        let path = buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }
        return path == [PathBytes.slash] ? [] : path
    }

    private func report(_ role: String, _ what: String, _ error: CharsetError) {
        conversionFailed.store(true, ordering: .relaxed)
        observer?.error(.bare("[\(role)] cannot convert \(what) (\(error.errnoText))", role: .receiver))
    }

    /// The sender's ACLs with the users and groups they name as this machine numbers them (by name
    /// unless `--numeric-ids`; an id without a name here stays as it is).
    static func mappingACLIDs(_ attributes: SecurityAttributes, users: [UInt32: UInt32], groups: [UInt32: UInt32])
        -> SecurityAttributes
    {
        guard attributes.accessACL != nil || attributes.defaultACL != nil, !users.isEmpty || !groups.isEmpty else {
            return attributes
        }
        func map(_ list: AccessControlList?) -> AccessControlList? {
            list?.mappingIDs(users: { users[$0] ?? $0 }, groups: { groups[$0] ?? $0 })
        }
        return SecurityAttributes(extendedAttributes: attributes.extendedAttributes, accessACL: map(attributes.accessACL),
            defaultACL: map(attributes.defaultACL))
    }

    /// A directory's listing from its chunks; queues the directories the sender will list inside it.
    private func makeListing(_ chunk: FileListChunk, resolved: [FileListTracker.ResolvedEntry], expected: inout [Int],
        userIDs: [UInt32: UInt32], groupIDs: [UInt32: UInt32]) -> SourceListing
    {
        var entries: [FileEntry] = []
        entries.reserveCapacity(resolved.count)
        var subdirectories: [[UInt8]: SourceDirectory] = [:]
        var descending: [Int] = []
        for item in resolved {
            let wire = item.entry
            // A missing source (mode 0) is a deletion request, honoured only with --delete-missing-args.
            if wire.mode == 0 && !options.deleteMissingArgs { continue }
            var status = wire.status
            if let uid = userIDs[status.uid] { status.uid = uid }
            if let gid = groupIDs[status.gid] { status.gid = gid }
            if let group = wire.hardLinkGroup {
                status.device = 1
                status.inode = group
                status.linkCount = wire.linkCount
            }
            var entry = FileEntry(name: item.path, sourcePath: item.path, status: status, symlinkTarget: wire.symlinkTarget)
            entry.fileIndex = item.index
            entry.isMissingArgument = wire.mode == 0
            entry.isImpliedDirectory = wire.isImpliedDirectory
            entry.isPassedThrough = wire.isPassedThrough
            entry.checksum = wire.checksum
            entry.securityAttributes = wire.securityAttributes.map {
                Self.mappingACLIDs($0, users: userIDs, groups: groupIDs)
            }
            if wire.descends && item.path != PathBytes.dot {
                entry.listsContents = true
                subdirectories[PathBytes.lastComponent(item.path)] = remoteDirectory
                descending.append(item.index)
            }
            entries.append(entry)
        }
        expected += descending.reversed()
        var listing = SourceListing(entries: entries, subdirectories: subdirectories)
        listing.hadIOError = chunk.hadIOError
        listing.isContentDirectory = chunk.isContentDirectory
        return listing
    }

    // MARK: SenderLink

    public func receiveRoot() throws(SyncError) -> (listing: SourceListing, dotEntry: FileEntry?, sourceArguments: Int) {
        rootReady.wait()
        let (root, taken) = state.withLock { state in
            (state.root, state.root.flatMap { state.takenMark(after: $0.listing, caughtUp: false) })
        }
        if let taken { sendTaken(taken) }
        if let root { return root }
        throw connection.failure ?? SyncError(.streamIO, "no file list from the peer")
    }

    public var listings: any ListingSource { self }

    public var delivery: SenderDelivery { .peer(incoming) }

    /// The peer's list arrives once; a deletion pass before the transfer is not possible.
    public var treeForDeletionPass: SourceTree? { nil }

    public func received(_ entry: FileEntry, destination: (device: UInt64, inode: UInt64)?) -> Bool {
        connection.send(.received(fileIndex: entry.fileIndex))
        return false
    }

    /// The `taken` mark moves in steps of at least this many entries (well below `SenderRole.lookahead`,
    /// so a generator waiting for a listing never leaves its sender waiting for a mark).
    static let takenStep = 1024

    private func sendTaken(_ upTo: Int) {
        if connection.releasesFiles { connection.send(.taken(upTo: upTo)) }
    }

    public func release(below: Int, keeping: [Int]) {
        guard connection.releasesFiles else { return }
        for message in FileRelease.messages(below: below, keeping: keeping) { connection.send(message) }
    }

    public func request(fileIndex: Int, signature: Signature?) {
        connection.noteProgress()
        let bytes = signature.map(SignatureCodec.encode) ?? []
        let request = FileRequest(fileIndex: fileIndex, signatureLength: bytes.count)
        while true {
            let issued = state.withLock { state in
                guard state.window.canIssue(signatureLength: bytes.count) else {
                    state.requesterWaiting = true
                    return false
                }
                state.window.issue(request)
                return true
            }
            if issued { break }
            if connection.failure != nil { return }
            _ = windowSpace.wait(timeout: .now() + .milliseconds(100))
        }
        connection.send(.request(FileRequest(fileIndex: fileIndex, signatureLength: bytes.count)))
        if !bytes.isEmpty { connection.send(.signature(fileIndex: fileIndex, bytes: bytes)) }
    }

    public var ioError: Bool { state.withLock { $0.ioError } || conversionFailed.load(ordering: .relaxed) }

    // MARK: ListingSource

    public func next() -> SourceListing {
        // The generator took the next directory: a step forward for the peer's --timeout.
        connection.noteProgress()
        while true {
            let (listing, taken): (SourceListing?, Int?) = state.withLock { state in
                let listing: SourceListing?
                let caughtUp: Bool
                if names != nil {
                    listing = Self.nextInLocalOrder(&state)
                    caughtUp = state.byDirectory.isEmpty
                } else {
                    guard let next = state.listings.popFirst() else { return (nil, nil) }
                    listing = next
                    caughtUp = state.listings.isEmpty
                }
                return (listing, listing.flatMap { state.takenMark(after: $0, caughtUp: caughtUp) })
            }
            if let taken { sendTaken(taken) }
            if let listing { return listing }
            if let failure = connection.failure {
                // The run is ending: an empty listing lets the walk unwind; the failure decides the status.
                var empty = SourceListing(entries: [], subdirectories: [:])
                empty.fatalError = failure
                return empty
            }
            listingReady.wait()
        }
    }

    /// `--iconv`: the listing of the directory the generator enters next (its walk over listings sorted in
    /// this side's charset), once it has arrived; the end of the walk gives an empty listing.
    private static func nextInLocalOrder(_ state: inout State) -> SourceListing? {
        if state.wanted == nil {
            guard let subdirectory = state.delivery?.next() else {
                return SourceListing(entries: [], subdirectories: [:])
            }
            state.wanted = subdirectory.entry.fileIndex
        }
        guard let index = state.wanted, let listing = state.byDirectory.removeValue(forKey: index) else {
            // The whole list is in and this directory's is not: a walk out of step, never a wait.
            guard state.complete else { return nil }
            var missing = SourceListing(entries: [], subdirectories: [:])
            missing.fatalError = SyncError(.streamIO, "protocol stream: no file list for directory \(state.wanted ?? -1)")
            return missing
        }
        state.wanted = nil
        state.delivery?.enter(listing)
        return listing
    }

    public var listedSoFar: (entries: Int, size: Int64, complete: Bool) {
        state.withLock { ($0.listedEntries, $0.listedBytes, $0.complete) }
    }

    public func finish() {}
}
