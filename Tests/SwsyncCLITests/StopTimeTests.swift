import Glibc
import Testing
@testable import SwsyncCLI
import SyncCore
import SyncTestSupport

/// `--stop-at`'s abbreviations resolve to the next matching local time, as rsync's do; `--stop-after`
/// reads minutes as rsync's `atol`.
@Suite("--stop-at and --stop-after", .tags(.small))
struct StopTimeTests {
    /// A local time as seconds since the epoch.
    func local(_ year: Int, _ month: Int, _ day: Int, _ hour: Int = 0, _ minute: Int = 0) -> Int {
        var fields = tm()
        fields.tm_year = Int32(year - 1900)
        fields.tm_mon = Int32(month - 1)
        fields.tm_mday = Int32(day)
        fields.tm_hour = Int32(hour)
        fields.tm_min = Int32(minute)
        fields.tm_isdst = -1
        return Int(mktime(&fields))
    }

    @Test func abbreviationsMeanTheNextMatchingMoment() {
        let now = local(2026, 12, 3, 7, 30)
        let cases: [(String, Int)] = [
            ("2026-12-25T10:00", local(2026, 12, 25, 10, 0)),
            ("2026/12/25t10:00", local(2026, 12, 25, 10, 0)),
            ("27-01-02T00:05", local(2027, 1, 2, 0, 5)),
            ("14:00", local(2026, 12, 3, 14, 0)),
            ("T14:00", local(2026, 12, 3, 14, 0)),
            ("07:00", local(2026, 12, 4, 7, 0)),
            (":15", local(2026, 12, 3, 8, 15)),
            (":45", local(2026, 12, 3, 7, 45)),
            ("1-30", local(2027, 1, 30)),
            ("12-25", local(2026, 12, 25)),
            ("2", local(2027, 1, 2)),
            ("31", local(2026, 12, 31)),
            ("2-29", local(2028, 2, 29)),
            ("4-14:00", local(2026, 12, 4, 14, 0)),
            ("5T", local(2026, 12, 5)),
        ]
        for (text, expected) in cases {
            #expect(StopTime.at(text, now: now) == expected, "\(text)")
        }
        // Past moments are read; the option refuses them.
        #expect(StopTime.at("2000-01-01T00:00", now: now) == local(2000, 1, 1))
    }

    @Test func theDayAfterAMonthsLastDayIsTheFirst() {
        #expect(StopTime.at("14:00", now: local(2027, 1, 31, 15, 0)) == local(2027, 2, 1, 14, 0))
        #expect(StopTime.at("31", now: local(2027, 2, 10)) == local(2027, 3, 31))
    }

    @Test func unreadableTextsAreRefused() {
        let now = local(2026, 12, 3, 7, 30)
        for text in ["", "zz", "T5", "T", "1-2-3-4", "25:00", "12:60", "13-01", "2-30", "1:2:3", "3-:5", "1-2x",
            "2026-12-25 10:00", "1-2T:5"]
        {
            #expect(StopTime.at(text, now: now) == nil, "\(text)")
        }
    }

    @Test func stopAfterReadsLeadingMinutes() {
        #expect(StopTime.after(minutes: "5", now: 1000) == 1300)
        #expect(StopTime.after(minutes: "2m", now: 1000) == 1120)
        #expect(StopTime.after(minutes: " +1", now: 1000) == 1060)
        for text in ["0", "-3", "x", "", "99999999999999999999"] {
            #expect(StopTime.after(minutes: text, now: 1000) == nil, "\(text)")
        }
    }

    @Test func optionsGiveRsyncsMessages() throws {
        let refusals = [
            ("--stop-after=x", "invalid --stop-after value: x"),
            ("--time-limit=0", "invalid --stop-after value: 0"),
            ("--stop-at=zz", "invalid --stop-at format: zz"),
            ("--stop-at=2000-01-01T00:00", "--stop-at time is not in the future: 2000-01-01T00:00"),
        ]
        for (option, message) in refusals {
            do throws(SyncError) {
                _ = try CommandLineParser.parse([option, "a", "b"])
                Issue.record("\(option) was accepted")
            } catch {
                #expect(error.message == message && error.status == .syntax, "\(option): \(error.message)")
            }
        }
        let now = Int(time(nil))
        let command = try CommandLineParser.parse(["--stop-after=3", "a", "b"])
        #expect(command.stopAt.map { $0 - now } ?? 0 >= 179)
    }
}
