import Dispatch
import Glibc
import Synchronization
import SyncCharset
import SyncCore
import SyncPlatform
import SyncProtocol

/// The sender of a remote run (the client of a push, the server of a pull): streams the file list one
/// directory at a time, in the generator's pre-order, and answers the generator's requests in order
/// with a delta of each file against the basis signature that came with the request.
public final class SenderRole<FS: FileSystem>: @unchecked Sendable {
    // @unchecked: the listing runs on the caller's thread, the answers on their own; what they share
    // (the file table, the request queue, the counters) is behind Mutexes.
    let fs: FS
    let options: SyncOptions
    let connection: Connection
    let observer: TransferObserver
    private let skipCompress: SkipCompressList
    /// `--iconv`: this side's names to the wire's UTF-8 (nil: names travel as they are).
    private let names: NameCharset?
    /// `--iconv`: the wire names of the listing being sent, by entry (the chunk's "." entry aside).
    private var wireNames: [(name: [UInt8], target: [UInt8]?)]?

    /// Flow control: the generator has taken the listings of the entries before this (`taken` messages).
    private let taken = Atomic<Int>(0)
    private let takenMoved = DispatchSemaphore(value: 0)
    /// Entries listed at most ahead of the generator's listings (rsync's `MIN_FILECNT_LOOKAHEAD` is 1000
    /// files); the directory being listed when the mark is reached is sent whole.
    static var lookahead: Int { 8192 }

    /// The files listed and not yet released by the generator, by file index (rsync's sender keeps each
    /// file-list segment until its generator is done with it).
    private let files = Mutex(ListedFileTable<ListedFile>())
    private var nextIndex = 0
    /// -H: (device, inode) of each multiply-linked file sent → its group number.
    private var hardLinkGroups: [DeviceInode: UInt64] = [:]

    private struct Requests {
        var window = RequestWindow(capacity: Hello.windowRange.upperBound)
        var assembler = SignatureAssembler()
        var ready = FirstInFirstOut<(index: Int, signature: Signature?)>()
        /// The answering thread sleeps on `requestReady`; it is woken only then.
        var answererWaiting = false

        /// Queues a request to answer; true when the answering thread must be woken.
        mutating func add(_ index: Int, _ signature: Signature?) -> Bool {
            ready.append((index, signature))
            defer { answererWaiting = false }
            return answererWaiting
        }
    }
    private let requests = Mutex(Requests())
    private let requestReady = DispatchSemaphore(value: 0)
    private let answersDone = DispatchSemaphore(value: 0)
    private let stopAnswering = Atomic<Bool>(false)

    /// A file could not be read (exit 23), or vanished (exit 24).
    private let hadErrors = Atomic<Bool>(false)
    private let hadVanished = Atomic<Bool>(false)
    private var listingIOError = false
    /// An entry's xattrs were too large to send (a sender I/O error).
    private var droppedAttributes = false
    /// Literal and matched bytes, for the sender's own `--stats` (push).
    public let literalBytes = Atomic<Int64>(0)
    public let matchedBytes = Atomic<Int64>(0)
    /// `--progress` on the client of a push: the sender shows each file as it is sent.
    public var showsProgress = false
    /// The client of a push prints rsync's whole-list progress lines (`FileListProgress`) before its list goes.
    public var announcesWholeFileList = false
    /// With `--progress`, the peer's itemize lines of files to send wait here until their turn.
    private let heldItems = Mutex<[[UInt8]: ItemizedChange]>([:])
    /// The file being answered, for "to-chk".
    private let answering = Atomic<Int>(-1)
    private let listed = Atomic<Int>(0)
    private let listComplete = Atomic<Bool>(false)
    private let listedBytes = Atomic<Int64>(0)

    /// `%C` on a push: the whole-file sum of each file sent, until the peer's itemized line for it arrives.
    private let sentFileSums = Mutex<[[UInt8]: String]>([:])

    /// Shows `item` now, or with `--progress` when its file's data is sent (as rsync's sender logs it).
    public func report(_ item: ItemizedChange) {
        var item = item
        if options.reportsFileChecksums && item.flags.contains(.transfer) {
            item.fileChecksum = sentFileSums.withLock { $0.removeValue(forKey: item.name) }
        }
        if showsProgress && item.flags.contains(.transfer) && item.kind == .regular {
            heldItems.withLock { $0[item.name] = item }
        } else {
            observer.report(item)
        }
    }

    /// rsync's "to-chk=remaining/total" for the progress lines: entries after the one being sent.
    public var progressCounts: (remaining: Int, total: Int, listComplete: Bool, totalSize: Int64) {
        let total = listed.load(ordering: .relaxed)
        let current = answering.load(ordering: .relaxed)
        return (max(0, total - current - 1), total, listComplete.load(ordering: .relaxed),
            listedBytes.load(ordering: .relaxed))
    }

    public init(fs: FS, options: SyncOptions, connection: Connection, observer: TransferObserver) {
        self.fs = fs
        self.options = options
        self.connection = connection
        self.observer = observer
        skipCompress = options.skipCompress.map { SkipCompressList(option: $0) } ?? .rsyncDefault
        names = options.charset.flatMap { try? NameCharset($0) }
    }

    /// The status of the sender's part of the run.
    public var exitStatus: ExitStatus {
        .combined(
            hadErrors.load(ordering: .relaxed) || listingIOError ? .partial : .success,
            hadVanished.load(ordering: .relaxed) ? .vanished : .success)
    }

    // MARK: Messages from the generator

    /// Takes the generator's messages meant for the sender; false for any other message.
    public func handle(_ message: Message) throws(SyncError) -> Bool {
        switch message {
        case .received(let index):
            guard let file = try listedFile(index, for: "received"), let listed = file.listed else {
                throw SyncError(.streamIO, "protocol stream: file \(index) received, which is not a file sent")
            }
            removeSource(file, listed: listed)
        case .request(let request):
            guard try listedFile(request.fileIndex, for: "request")?.isRegular == true else {
                throw SyncError(.streamIO,
                    "protocol stream: request for file \(request.fileIndex), which is not a regular file sent")
            }
            var wake = false
            do {
                try requests.withLock { (state) throws(ProtocolError) in
                    try state.window.accept(request)
                    if try state.assembler.begin(request) { wake = state.add(request.fileIndex, nil) }
                }
            } catch { throw error.syncError }
            if wake { requestReady.signal() }
        case .signature(let index, let bytes):
            var wake = false
            do {
                try requests.withLock { (state) throws(ProtocolError) in
                    if let signature = try state.assembler.append(fileIndex: index, bytes) {
                        wake = state.add(index, signature)
                    }
                }
            } catch { throw error.syncError }
            if wake { requestReady.signal() }
        case .release(let release):
            try apply(release)
        case .taken(let upTo):
            guard connection.releasesFiles, upTo <= files.withLock({ $0.sentCount }) else {
                throw SyncError(.streamIO, "protocol stream: listings taken up to \(upTo), beyond those sent")
            }
            if upTo > taken.load(ordering: .relaxed) {
                taken.store(upTo, ordering: .relaxed)
                takenMoved.signal()
            }
        default:
            return false
        }
        return true
    }

    /// The file listed as `index`, if any; a file the generator released is a protocol error (it said it
    /// would never ask for it again), not a missing file.
    private func listedFile(_ index: Int, for what: String) throws(SyncError) -> ListedFile? {
        let (file, released) = files.withLock { ($0[index], $0.wasReleased(index)) }
        if released {
            throw SyncError(.streamIO, "protocol stream: \(what) for file \(index), which the peer released")
        }
        return file
    }

    /// The generator is done with the files before the release's mark (but those it keeps): they leave
    /// the table. A release of a file still being asked for is the peer breaking the protocol.
    private func apply(_ release: FileRelease) throws(SyncError) {
        guard connection.releasesFiles else {
            throw SyncError(.streamIO, "protocol stream: release message without the fileRelease capability")
        }
        let kept = Set(release.keeping)
        let pending = requests.withLock { state in
            state.window.outstanding.first { $0.fileIndex < release.below && !kept.contains($0.fileIndex) }
        }
        if let pending {
            throw SyncError(.streamIO, "protocol stream: release of file \(pending.fileIndex) while it is requested")
        }
        do {
            try files.withLock { (table) throws(ProtocolError) in
                try table.apply(release)
            }
        } catch { throw error.syncError }
    }

    // MARK: File list

    /// Lists `tree` and streams it; returns once the whole list is sent (answers go on meanwhile on
    /// the thread `startAnswering` started).
    public func sendFileList(tree: SourceTree) throws(SyncError) {
        var builder = FileListBuilder(fs: fs, options: options)
        var root = builder.listRoot(of: tree, observer: observer)
        if let failure = root.listing.fatalError { throw failure }
        root.listing.deliverMessages(to: observer)
        if announcesWholeFileList {
            let count = FileListBuilder.countWholeList(root: root.listing, hasDotEntry: root.dotEntry != nil,
                of: root.tree, fs: fs, options: options)
            observer.info(FileListProgress.text(count: count, side: .building))
        }
        convertNames(&root.listing)
        var ioError = root.ioError || root.listing.hadIOError
        // A subdirectory's chunk names the index of its entry: its listing's first index plus its position.
        var walk = PreOrderWalk(root: root.listing, mark: nextIndex + (root.dotEntry == nil ? 0 : 1),
            recursive: options.recursive)
        sendChunk(root.listing, directoryIndex: nil, dotEntry: root.dotEntry, hadIOError: ioError,
            severalSources: tree.argumentCount > 1)
        while let subdirectory = walk.next() {
            // Interrupted: no fileListDone for a list cut short; the end of the stream tells the peer.
            if connection.failure != nil || observer.isInterrupted { return }
            waitForGenerator()
            if connection.failure != nil || observer.isInterrupted { return }
            var listing = builder.list(subdirectory.source, relativeName: subdirectory.entry.name)
            connection.noteProgress()
            if let failure = listing.fatalError { throw failure }
            listing.deliverMessages(to: observer)
            convertNames(&listing)
            ioError = ioError || listing.hadIOError
            walk.enter(listing, mark: nextIndex)
            sendChunk(listing, directoryIndex: subdirectory.parentMark + subdirectory.position,
                hadIOError: listing.hadIOError)
        }
        listComplete.store(true, ordering: .relaxed)
        if builder.vanished { hadVanished.store(true, ordering: .relaxed) }
        ioError = ioError || droppedAttributes
        listingIOError = ioError
        connection.send(.fileListDone(ioError: ioError))
    }

    /// With a peer that sends `taken` messages, waits while the list is `lookahead` entries ahead of the
    /// listings its generator has taken: its queue and this side's table stay flat in the file count.
    private func waitForGenerator() {
        guard connection.releasesFiles else { return }
        while nextIndex - taken.load(ordering: .relaxed) > Self.lookahead {
            if connection.failure != nil || observer.isInterrupted { return }
            _ = takenMoved.wait(timeout: .now() + .milliseconds(100))
        }
    }

    /// Sends one directory's entries as a chunk (the root's with its "." entry first), numbering them,
    /// with the names of the ids it is the first to use ahead of it.
    private func sendChunk(_ listing: SourceListing, directoryIndex: Int?, dotEntry: FileEntry? = nil,
        hadIOError: Bool, severalSources: Bool = false)
    {
        var chunk = FileListChunk(directoryIndex: directoryIndex, entries: [])
        chunk.severalSources = severalSources
        chunk.hadIOError = hadIOError
        chunk.isContentDirectory = listing.isContentDirectory
        chunk.carriesAccessTimes = options.atimes > 0
        if let dotEntry { chunk.entries.append(wire(dotEntry, in: listing)) }
        for (position, entry) in listing.entries.enumerated() {
            chunk.entries.append(wire(entry, in: listing, converted: wireNames?[position]))
        }
        wireNames = nil
        files.withLock { [nextIndex] in $0.sent(upTo: nextIndex) }
        sendIDNames(for: chunk)
        connection.send(.fileListChunk(chunk))
    }

    /// Ids already named to the peer (or without a name here).
    private var namedUsers: Set<UInt32> = []
    private var namedGroups: Set<UInt32> = []

    /// With -o/-g (and without --numeric-ids), the names of the owners and groups `chunk` uses for the
    /// first time go ahead of it, so the receiver can map them to its own ids, as rsync does. Id 0 is
    /// never mapped by name.
    private func sendIDNames(for chunk: FileListChunk) {
        guard (options.owner || options.group || options.acls) && !options.numericIDs else { return }
        var names: [IDName] = []
        for entry in chunk.entries {
            // -A: the users and groups that ACL entries name are mapped the same way.
            for aclEntry in entry.securityAttributes.map(aclNamedEntries) ?? [] where aclEntry.id != 0 {
                let isGroup = aclEntry.tag == .group
                let isFirst = isGroup ? namedGroups.insert(aclEntry.id).inserted : namedUsers.insert(aclEntry.id).inserted
                guard isFirst,
                    let name = isGroup ? UserNames.groupName(aclEntry.id) : UserNames.userName(aclEntry.id)
                else { continue }
                names.append(IDName(isGroup: isGroup, id: aclEntry.id, name: name))
            }
            if options.owner && entry.uid != 0 && namedUsers.insert(entry.uid).inserted,
                let name = UserNames.userName(entry.uid)
            {
                names.append(IDName(isGroup: false, id: entry.uid, name: name))
            }
            if options.group && entry.gid != 0 && namedGroups.insert(entry.gid).inserted,
                let name = UserNames.groupName(entry.gid)
            {
                names.append(IDName(isGroup: true, id: entry.gid, name: name))
            }
        }
        var start = 0
        while start < names.count {
            let end = min(names.count, start + ProtocolLimits.standard.maxIDNames)
            connection.send(.idNames(Array(names[start..<end])))
            start = end
        }
    }

    private func aclNamedEntries(_ attributes: SecurityAttributes) -> [AccessControlList.Entry] {
        (attributes.accessACL?.namedEntries ?? []) + (attributes.defaultACL?.namedEntries ?? [])
    }

    /// The wire form of one entry, numbered; regular files are remembered for the requests.
    private func wire(_ entry: FileEntry, in listing: SourceListing,
        converted: (name: [UInt8], target: [UInt8]?)? = nil) -> WireFileEntry
    {
        let index = nextIndex
        nextIndex += 1
        listed.store(nextIndex, ordering: .relaxed)
        if entry.kind == .regular { listedBytes.add(entry.status.size, ordering: .relaxed) }
        var group: UInt64?
        if options.hardLinks && entry.kind != .directory && entry.status.linkCount > 1 {
            let key = DeviceInode(device: entry.status.device, inode: entry.status.inode)
            if let known = hardLinkGroups[key] { group = known } else {
                group = UInt64(hardLinkGroups.count)
                hardLinkGroups[key] = group
            }
        }
        var wire = WireFileEntry(entry, name: PathBytes.lastComponent(entry.name), hardLinkGroup: group)
        if let security = wire.securityAttributes,
            SecurityAttributesCodec.size(of: security.extendedAttributes) > SecurityAttributesCodec.maxBytesPerEntry
        {
            // More than a file-list entry carries: sent without them, as a sender error (exit 23).
            observer.error(Diagnostic("[sender] xattrs of \(OutputEscaper.escape(entry.name)) exceed \(SecurityAttributesCodec.maxBytesPerEntry) bytes: not sent", role: .sender))
            droppedAttributes = true
            wire.securityAttributes = SecurityAttributes.unlessEmpty(
                SecurityAttributes(accessACL: security.accessACL, defaultACL: security.defaultACL))
        }
        if options.atimes > 0 && !entry.isDirectory { wire.atime = entry.status.atime }
        if let converted {
            wire.name = PathBytes.lastComponent(converted.name)
            if entry.kind == .symlink, let target = converted.target { wire.symlinkTarget = target }
        }
        if entry.name == PathBytes.dot { wire.name = PathBytes.dot }
        wire.isPassedThrough = entry.isPassedThrough
        if entry.isDirectory { wire.descends = listing.descends(into: entry, recursive: options.recursive) }
        if entry.kind == .regular || (options.removeSourceFiles && !entry.isDirectory) {
            var file = ListedFile(address: ListedFileAddress(entry), name: entry.name, size: entry.status.size,
                isRegular: entry.kind == .regular)
            if options.removeSourceFiles { file.listed = entry.status }
            files.withLock { $0.append(file, at: index) }
            if options.checksum && file.isRegular { wire.checksum = try? fs.openListedFile(file.address).checksum() }
        }
        return wire
    }

    /// `--iconv`: each entry's path and symlink target in the wire's UTF-8, kept for `sendChunk`. An entry
    /// that cannot be converted is left out of the listing (and so never entered) with rsync's error, a
    /// sender I/O error: exit 23, no deletions (rsync's `send_file_entry`).
    private func convertNames(_ listing: inout SourceListing) {
        guard let names else { return }
        var kept: [FileEntry] = []
        var converted: [(name: [UInt8], target: [UInt8]?)] = []
        kept.reserveCapacity(listing.entries.count)
        converted.reserveCapacity(listing.entries.count)
        let limits = ProtocolLimits.standard
        for entry in listing.entries {
            let name: [UInt8]
            do throws(CharsetError) {
                name = try names.toWire.convert(entry.name, limit: limits.maxPathLength)
            } catch {
                cannotConvert("filename: \(OutputEscaper.escape(entry.name, highBytes: options.highBytes))", error)
                listing.hadIOError = true
                continue
            }
            guard PathBytes.lastComponent(name).count <= limits.maxComponentLength else {
                cannotConvert("filename: \(OutputEscaper.escape(entry.name, highBytes: options.highBytes))",
                    .nameTooLong)
                listing.hadIOError = true
                continue
            }
            var target: [UInt8]?
            // Without -l rsync sends no target; ours travels for the listing's sizes alone, unconverted.
            if entry.kind == .symlink, let original = entry.symlinkTarget, options.links {
                do throws(CharsetError) {
                    target = try names.toWire.convert(original, limit: limits.maxSymlinkTargetLength)
                } catch {
                    let shown = OutputEscaper.escape(fs.absolute(entry.sourcePath), highBytes: options.highBytes)
                    cannotConvert("symlink data for: \"\(shown)\"", error)
                    listing.hadIOError = true
                    continue
                }
            }
            kept.append(entry)
            converted.append((name, target))
        }
        withoutDuplicates(&kept, &converted)
        listing.entries = kept
        wireNames = converted
    }

    /// Two names that convert to the same UTF-8 name: the first is sent (rsync's receiver drops the
    /// duplicate the same way). The order stays this side's; the receiver sorts again in its charset.
    private func withoutDuplicates(_ entries: inout [FileEntry],
        _ converted: inout [(name: [UInt8], target: [UInt8]?)])
    {
        var seen = Set<[UInt8]>()
        var keep: [Int] = []
        for position in entries.indices where seen.insert(PathBytes.lastComponent(converted[position].name)).inserted {
            keep.append(position)
        }
        guard keep.count < entries.count else { return }
        entries = keep.map { entries[$0] }
        converted = keep.map { converted[$0] }
    }

    private func cannotConvert(_ what: String, _ error: CharsetError) {
        observer.error(.bare("[sender] cannot convert \(what) (\(error.errnoText))", role: .sender))
    }

    /// `--remove-source-files`: the receiver has `file` in place; remove it if it is still as listed.
    private func removeSource(_ file: ListedFile, listed: FileStatus) {
        let outcome: SourceRemoval.Outcome
        do throws(SystemCallError) {
            let location = try fs.locationOfListedFile(file.address)
            outcome = SourceRemoval.remove(location.name, in: location.directory, listed: listed,
                follows: options.copyLinks, destination: nil, fs: fs)
        } catch {
            outcome = error.errno == SystemErrno.noSuchEntry ? .alreadyRemoved : .failed(error)
        }
        if SourceRemoval.report(outcome, name: file.name, infoLevel: options.effectiveInfoRemove,
            highBytes: options.highBytes, observer: observer)
        {
            hadErrors.store(true, ordering: .relaxed)
        }
    }

    // MARK: Answers

    /// Starts the thread that answers requests in order.
    public func startAnswering() {
        DispatchQueue(label: "swsync.sender.answers").async { [self] in
            answerLoop()
            answersDone.signal()
        }
    }

    /// Stops the answering thread once the requests already read are answered.
    public func finishAnswering() {
        stopAnswering.store(true, ordering: .relaxed)
        requestReady.signal()
        answersDone.wait()
    }

    private func answerLoop() {
        while connection.failure == nil && !observer.isInterrupted {
            if let next = takeRequest() {
                answer(next.index, signature: next.signature)
                continue
            }
            if stopAnswering.load(ordering: .relaxed) { return }
            requestReady.wait()
        }
    }

    /// The next request to answer; when there is none, marks the answering thread as about to sleep.
    private func takeRequest() -> (index: Int, signature: Signature?)? {
        requests.withLock { state in
            guard let next = state.ready.popFirst() else {
                state.answererWaiting = true
                return nil
            }
            return next
        }
    }

    private func answer(_ index: Int, signature: Signature?) {
        // Kept after the answer: a file whose rebuild failed its check is asked for again (the redo), until
        // the generator releases it. (A request for a released file was refused when it was read.)
        guard let file = files.withLock({ $0[index] }) else {
            try? requests.withLock { (state) throws(ProtocolError) in _ = try state.window.complete(fileIndex: index) }
            connection.send(.fileEnd(fileIndex: index, outcome: .failed))
            return
        }
        let checksum = options.transferChecksum
        let compress = !skipCompress.matches(fileName: file.name)
        let outcome = streamDelta(index, file: file, signature: signature, checksum: checksum, compress: compress)
        try? requests.withLock { (state) throws(ProtocolError) in _ = try state.window.complete(fileIndex: index) }
        connection.send(.fileEnd(fileIndex: index, outcome: outcome))
    }

    /// The answering thread's read buffer, reused from file to file.
    private let readBuffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 192 * 1024, alignment: 64)

    deinit { readBuffer.deallocate() }

    /// Sends the delta of `file` against `signature` (nil: the whole file, as literals, without the
    /// matching machinery), in pieces, and says how it went.
    private func streamDelta(_ index: Int, file: ListedFile, signature: Signature?,
        checksum: ChecksumChoice, compress: Bool) -> FileOutcome
    {
        let input: any OpenFile
        do { input = try fs.openListedFile(file.address) } catch {
            let path = OutputEscaper.escape(fs.absolute(file.address.path), highBytes: options.highBytes)
            if error.isGoneFromListedPlace {
                observer.error(.bare("file has vanished: \"\(path)\"", role: .sender))
                hadVanished.store(true, ordering: .relaxed)
                return .vanished
            }
            observer.error("[sender] send_files failed to open \"\(path)\": \(error.errnoText) (\(error.errno))", role: .sender)
            hadErrors.store(true, ordering: .relaxed)
            return .failed
        }
        if showsProgress {
            // The peer's itemize line for this file was held back, so it comes just above its progress.
            if let item = heldItems.withLock({ $0.removeValue(forKey: file.name) }) { observer.report(item) }
            observer.transferStarted(name: file.name, size: file.size)
        }
        answering.store(index, ordering: .relaxed)
        let geometry = signature?.geometry ?? Signature.empty(checksum: checksum).geometry
        var out: [UInt8] = []
        out.reserveCapacity(Int(min(file.size, 200 * 1024)) + 64)
        DeltaCodec.encodeHeader(checksum: checksum, geometry: geometry, into: &out)
        var literal: Int64 = 0
        var matched: Int64 = 0
        let flushAt = 200 * 1024
        func flush() {
            connection.send(.delta(fileIndex: index, bytes: out), compress: compress)
            out.removeAll(keepingCapacity: true)
        }
        func take(_ instruction: DeltaInstruction) {
            switch instruction {
            case .literal(let bytes):
                literal += Int64(bytes.count)
                // A whole file comes as one literal per read: each goes in a frame of its own.
                if signature == nil && !out.isEmpty && out.count + bytes.count > flushAt { flush() }
            case .copy(let block, let count): matched += Int64(geometry.length(ofBlocks: block, count: count))
            }
            DeltaCodec.encode(instruction, into: &out)
            if out.count >= flushAt { flush() }
        }
        // Exactly the listed size (rsync's rule): a file that grows meanwhile is sent as it was listed and
        // the next run sends the rest; one that shrank fails (ENODATA, as rsync) and is not installed.
        let streamer = DeltaStreamer(signature: signature, checksum: checksum, inPlace: options.inplace)
        let trailer: DeltaTrailer
        do throws(SystemCallError) {
            let streamed = try streamer.stream(input, length: file.size, buffer: readBuffer, progress: { offset in
                connection.noteProgress()
                if showsProgress { observer.transferProgress(bytes: offset) }
                return connection.failure == nil && !observer.isInterrupted
            }, emit: take)
            guard let streamed else { return .failed }
            trailer = streamed
        } catch {
            observer.error("[sender] read errors mapping \"\(OutputEscaper.escape(fs.absolute(input.path)))\": \(error.errnoText) (\(error.errno))", role: .sender)
            hadErrors.store(true, ordering: .relaxed)
            if showsProgress { observer.transferFinished(bytes: -1) }
            return .failed
        }
        // Before the end goes out: the peer's line for this file can only come after it.
        if options.reportsFileChecksums { sentFileSums.withLock { $0[file.name] = trailer.digest.rsyncHex } }
        DeltaCodec.encodeEnd(trailer, into: &out)
        connection.send(.delta(fileIndex: index, bytes: out), compress: compress)
        literalBytes.add(literal, ordering: .relaxed)
        matchedBytes.add(matched, ordering: .relaxed)
        if showsProgress { observer.transferFinished(bytes: Int64(trailer.fileSize)) }
        return .complete
    }
}

/// A regular file the sender listed, kept for the receiver's requests.
struct ListedFile {
    var address: ListedFileAddress
    /// Its name in the transfer, for progress and `--skip-compress`.
    var name: [UInt8]
    /// Exactly this much is sent.
    var size: Int64
    /// A regular file, whose data may be requested; other entries are kept for `--remove-source-files`.
    var isRegular = true
    /// `--remove-source-files`: the entry as listed, to tell whether it changed before it is removed.
    var listed: FileStatus?
}

struct DeviceInode: Hashable {
    var device: UInt64
    var inode: UInt64
}
