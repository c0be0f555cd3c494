/// The generator's word that it is done with the files listed before `below` (`release` message, capability
/// `fileRelease`): it will never again ask for one of them, nor report one as received, except those in
/// `keeping`, which it may still ask for or report until the end of the run (a redo of a failed check, a
/// `-H` member settled at the end, a `--delay-updates` file with `--remove-source-files`). The sender drops
/// the rest of its table for them, so its memory stays flat in the file count, as rsync's sender frees a
/// file-list segment when its generator sends `NDX_DONE` for it.
///
///     varint below · varint count (≤ maxKept) · count × varint index (ascending, each < below)
public struct FileRelease: Sendable, Equatable {
    public var below: Int
    public var keeping: [Int]

    public init(below: Int, keeping: [Int] = []) {
        self.below = below
        self.keeping = keeping
    }

    /// Most indices one message keeps: a longer list goes in several messages (`messages`), so a payload
    /// stays far below the smallest frame limit.
    public static let maxKept = 2048

    /// The messages that release everything before `below` but `keeping` (ascending): one, or several when
    /// more are kept than one message holds, each releasing up to the first index the next one keeps.
    public static func messages(below: Int, keeping: [Int]) -> [Message] {
        var messages: [Message] = []
        var start = 0
        while keeping.count - start > maxKept {
            let end = start + maxKept
            messages.append(.release(FileRelease(below: keeping[end], keeping: Array(keeping[start..<end]))))
            start = end
        }
        messages.append(.release(FileRelease(below: below, keeping: Array(keeping[start...]))))
        return messages
    }

    static func decode(_ r: inout PayloadReader, maxIndex: Int) throws(ProtocolError) -> FileRelease {
        let below = try r.varint("release mark", max: maxIndex + 1)
        let count = try r.varint("kept count", max: maxKept)
        guard count <= r.remaining else { throw .truncated("release (\(count) kept in \(r.remaining) bytes)") }
        var keeping: [Int] = []
        keeping.reserveCapacity(count)
        for _ in 0..<count {
            let index = try r.varint("kept index", max: maxIndex)
            guard index < below, index > keeping.last ?? -1 else {
                throw .malformed("release below \(below) keeps file \(index) out of order")
            }
            keeping.append(index)
        }
        return FileRelease(below: below, keeping: keeping)
    }
}
