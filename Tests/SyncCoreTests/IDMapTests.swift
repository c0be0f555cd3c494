import Testing
import SyncCore
import SyncTestSupport

/// `--usermap`/`--groupmap`: rsync's grammar, first match wins, unknown targets dropped.
@Suite("owner maps", .tags(.small))
struct IDMapTests {
    func resolved(_ text: String, names: [UInt32: String] = [:]) throws -> (IDMap, [String]) {
        var map = try IDMap(parsing: text, option: "usermap")
        var reports: [String] = []
        let ids = Dictionary(uniqueKeysWithValues: names.map { (Array($0.value.utf8), $0.key) })
        map.resolve(option: "usermap", lookup: { ids[$0] }) { reports.append($0) }
        map.nameOf = { id in names[id].map { Array($0.utf8) } }
        return (map, reports)
    }

    @Test func theFirstMatchingRuleDecides() throws {
        let names: [UInt32: String] = [1: "daemon", 2: "bin", 1000: "alice", 65534: "nobody"]
        let (map, reports) = try resolved("daemon:nobody,1000-2000:bin,a*:7,*:alice,3:nobody", names: names)
        #expect(reports.isEmpty)
        #expect(map.map(1) == 65534)
        #expect(map.map(1500) == 2)
        #expect(map.map(1000) == 2, "the range comes before the pattern")
        #expect(map.map(3) == 1000, "* comes before 3:nobody")
        #expect(map.map(4242) == 1000, "* matches an owner without a name")
    }

    /// An empty FROM names the owners that have no name (every owner under --numeric-ids).
    @Test func anEmptyNameMatchesOwnersWithoutOne() throws {
        let (map, reports) = try resolved(":7", names: [0: "root"])
        #expect(reports.isEmpty)
        #expect(map.map(0) == nil, "root has a name")
        #expect(map.map(4444) == 7)
    }

    @Test func unknownTargetsAreDroppedWithRsyncsMessage() throws {
        let (map, reports) = try resolved("x:nosuch,5:123", names: [:])
        #expect(reports == ["Unknown --usermap name on receiver: nosuch"])
        #expect(map.rules.count == 1 && map.map(5) == 123 && map.map(6) == nil)
    }

    @Test func malformedMapsAreRefused() {
        let cases = [("x", "No colon found in --usermap: x"), ("a:", "No name found after colon --usermap: a:"),
            ("1-:a", "Invalid number in --usermap: 1-"), ("1-2-3:a", "Invalid number in --usermap: 1-2-3"),
            ("5-2:a", "Invalid number in --usermap: 5-2"), ("1x:a", "Invalid number in --usermap: 1x")]
        for (text, message) in cases {
            do throws(SyncError) {
                _ = try IDMap(parsing: text, option: "usermap")
                Issue.record("\(text) was accepted")
            } catch {
                #expect(error.message == message && error.status == .syntax, "\(text): \(error.message)")
            }
        }
    }
}
