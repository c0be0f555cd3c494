/// `-H` bookkeeping that lets swsync pick the same leader as rsync's generator.
///
/// Members of a hard-link group are met in file-list order. A member already up to date (or linked
/// from a `--link-dest` dir) becomes the leader at once and the members after it are linked to it in
/// place. A member that needs its data sent waits, unless it is the last member of its group (as many
/// members seen as its link count): rsync sends the last one and then links the waiting ones to it,
/// newest-listed first. A group with links outside the transfer never sees its last member; its
/// waiting members are settled at the end of the run. Waiting entries stay in memory, as rsync's `-H`
/// keeps its whole file list.
struct HardLinkGroups {
    struct Key: Hashable {
        var device: UInt64
        var inode: UInt64
    }

    private var seen: [Key: Int] = [:]
    private var waiting: [Key: [FileEntry]] = [:]
    private var waitingOrder: [Key] = []
    /// Members to link once their leader's data is written, in the order the leaders were sent.
    private(set) var lateLinks: [(key: Key, members: [FileEntry])] = []
    /// Directories (by name, "." for the root) that held a waiting or late-linked member: their time is set again
    /// after the late links.
    private(set) var directoriesWithLateLinks: Set<[UInt8]> = []

    /// Counts a member as met; call once per member.
    mutating func meet(_ key: Key) {
        seen[key, default: 0] += 1
    }

    /// How many members each group has in the whole list, where its link count does not say (`-L`).
    var memberCounts: [Key: Int]?

    /// True when every link of the group has been met, so `entry` is its last member.
    func isLastMember(_ entry: FileEntry, key: Key) -> Bool {
        seen[key, default: 0] >= memberCounts?[key] ?? Int(entry.status.linkCount)
    }

    mutating func wait(_ entry: FileEntry, key: Key) {
        if waiting[key] == nil { waitingOrder.append(key) }
        waiting[key, default: []].append(entry)
        directoriesWithLateLinks.insert(PathBytes.parent(entry.name))
    }

    /// The members waiting for `key`'s leader, newest-listed first.
    mutating func takeWaiting(_ key: Key) -> [FileEntry] {
        guard let members = waiting.removeValue(forKey: key) else { return [] }
        return members.reversed()
    }

    mutating func addLateLinks(_ members: [FileEntry], key: Key) {
        lateLinks.append((key, members))
        for member in members { directoriesWithLateLinks.insert(PathBytes.parent(member.name)) }
    }

    mutating func takeLateLinks() -> [(key: Key, members: [FileEntry])] {
        defer { lateLinks.removeAll() }
        return lateLinks
    }

    /// Groups still waiting at the end of the run (their other links are outside the transfer), each
    /// with its members newest-listed first.
    mutating func takeLeaderlessGroups() -> [(key: Key, members: [FileEntry])] {
        var groups: [(key: Key, members: [FileEntry])] = []
        for key in waitingOrder {
            let members = takeWaiting(key)
            if !members.isEmpty { groups.append((key, members)) }
        }
        waitingOrder.removeAll()
        return groups
    }
}
