/// The sender's table of the files it listed, by file index, for the generator's requests and `received`
/// messages: filled in list order as entries go out, emptied from the front by the generator's `release`
/// messages (`FileRelease`), so it holds the files between the generator's progress and the listing's, not
/// the whole list. The few files a release keeps stay until the end of the run.
public struct ListedFileTable<Value> {
    /// Files not yet released, in index order, from `head` on.
    private var live: [(index: Int, value: Value)] = []
    private var head = 0
    /// Files a release kept, by index.
    private var kept: [Int: Value] = [:]
    /// Every index below this was released (but those in `kept`).
    public private(set) var releasedBelow = 0
    /// Entries numbered and sent to the peer so far: a release may reach no further.
    public private(set) var sentCount = 0

    public init() {}

    /// Files held now (live and kept).
    public var count: Int { live.count - head + kept.count }

    /// Adds the file listed as `index`; indices come in increasing order.
    public mutating func append(_ value: Value, at index: Int) {
        precondition(index >= releasedBelow && index > (live.last?.index ?? -1), "file \(index) listed out of order")
        live.append((index, value))
    }

    /// The entries before `count` have gone to the peer (call before their chunk is sent).
    public mutating func sent(upTo count: Int) {
        sentCount = max(sentCount, count)
    }

    /// The file listed as `index`, unless it was never listed here or has been released.
    public subscript(index: Int) -> Value? {
        if index < releasedBelow { return kept[index] }
        var low = head
        var high = live.count
        while low < high {
            let middle = (low + high) / 2
            if live[middle].index < index { low = middle + 1 } else { high = middle }
        }
        return low < live.count && live[low].index == index ? live[low].value : nil
    }

    /// True when `index` was listed before the generator's release mark and not kept: a request for it is
    /// the peer breaking its word.
    public func wasReleased(_ index: Int) -> Bool { index < releasedBelow && kept[index] == nil }

    /// Drops what `release` lets go. A mark beyond the entries sent, one moving backwards, or a kept index
    /// released before is a protocol error.
    public mutating func apply(_ release: FileRelease) throws(ProtocolError) {
        guard release.below >= releasedBelow, release.below <= sentCount else {
            throw .sequence("release of the files before \(release.below), after \(releasedBelow) with \(sentCount) sent")
        }
        if let first = release.keeping.first, first < releasedBelow {
            throw .sequence("release keeps file \(first), released before")
        }
        var keeping = release.keeping[...]
        while head < live.count && live[head].index < release.below {
            let (index, value) = live[head]
            while let next = keeping.first, next < index { keeping = keeping.dropFirst() }
            if keeping.first == index { kept[index] = value }
            head += 1
        }
        releasedBelow = release.below
        if head >= 64 && head * 2 >= live.count {
            live.removeSubrange(0..<head)
            head = 0
        }
    }
}
