/// A remote run: which listed files the generator is done with, so its peer's sender can drop them from
/// its table (`SenderLink.release`) and stay flat in the file count, as rsync's sender frees a file-list
/// segment on its generator's `NDX_DONE`.
///
/// The generator walks listings in the order the sender numbered them, so once it takes a listing, every
/// file listed before its first index has been decided. Three things still need such a file later: its
/// write, not finished yet (its `received`, or the redo of a failed check, come after it); a redo queued
/// for the end of the run; a file settled at the end (a `-H` member waiting for its leader, a
/// `--delay-updates` file with `--remove-source-files`). The mark stops before the oldest unfinished write,
/// and the others are kept by index (`hold`), so one late file does not hold back the rest.
struct ReleaseTracker {
    /// The mark last released: the sender holds no file before it but those kept.
    private(set) var released = 0
    /// Files held for later whose index the mark has not passed yet.
    private var held: [Int] = []
    /// The file index of each write submitted and not finished, in submission order: a remote run writes
    /// one file at a time, so writes finish in that order.
    private var writes = FirstInFirstOut<Int>()

    /// The mark moves on in steps of at least this many entries: one message per step, not per directory.
    static let minimumStep = 256

    /// `index` will be asked for or reported later than its turn (a redo, a `-H` member, a delayed update).
    mutating func hold(_ index: Int) { held.append(index) }

    mutating func writeSubmitted(_ index: Int) { writes.append(index) }

    /// The oldest submitted write is done.
    mutating func writeFinished() { _ = writes.popFirst() }

    /// The release due now that every file before `frontier` has been decided: the mark (no further than
    /// the oldest unfinished write) and the held files before it, ascending; nil while the mark would move
    /// less than `minimumStep`.
    mutating func release(before frontier: Int) -> (below: Int, keeping: [Int])? {
        guard frontier - released >= Self.minimumStep else { return nil }
        // Writes are submitted in the walk's order, not always the index order (--iconv sorts again).
        let below = writes.waiting.reduce(frontier) { min($0, $1) }
        guard below - released >= Self.minimumStep else { return nil }
        var keeping: [Int] = []
        var later: [Int] = []
        for index in held { if index < below { keeping.append(index) } else { later.append(index) } }
        held = later
        released = below
        return (below, keeping.sorted())
    }
}
