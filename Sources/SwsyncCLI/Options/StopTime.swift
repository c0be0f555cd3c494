import Glibc

/// `--stop-at` and `--stop-after`/`--time-limit`: when the run stops itself (rsync's meaning: the next
/// point in local time that matches what was given; exit 30 when it comes).
enum StopTime {
    /// `--stop-after=MINS`: rsync reads the leading integer (`atol`) and wants it positive.
    static func after(minutes text: String, now: Int) -> Int? {
        guard let minutes = leadingInteger(text), minutes > 0, minutes <= Int.max / 60 - now / 60 - 1 else { return nil }
        return now + minutes * 60
    }

    /// `--stop-at=y-m-dTh:m` and its abbreviations (`m-d`, `d`, `h:m`, `Th:m`, `:m`, a 2-digit year):
    /// the next moment after `now` that matches; nil for a text rsync cannot read. The caller refuses a
    /// moment that is not in the future.
    static func at(_ text: String, now: Int) -> Int? {
        guard let fields = Fields(text) else { return nil }
        return fields.nextMatch(after: now)
    }

    /// rsync's `atol`: optional blanks and sign, then digits up to the first other byte.
    static func leadingInteger(_ text: String) -> Int? {
        var bytes = Substring(text).drop { $0 == " " || $0 == "\t" }
        var sign = 1
        if let first = bytes.first, first == "-" || first == "+" {
            sign = first == "-" ? -1 : 1
            bytes = bytes.dropFirst()
        }
        let digits = bytes.prefix { $0.isASCII && $0.isNumber }
        if digits.isEmpty { return 0 }
        guard let value = Int(digits) else { return nil }
        return sign * value
    }

    /// What the text names; -1 for a field it leaves out.
    struct Fields: Equatable {
        var year = -1, month = -1, day = -1, hour = -1, minute = -1

        /// The grammar: a date of up to three numbers joined by `-` or `/` (the last is the day), then
        /// `T` and a time; or a time alone (`h:m`, or `:m` for a minute of the next hour). A leading `T`
        /// asks for a time and nothing else.
        init?(_ text: String) {
            var rest = Substring(text)
            var inDate = true
            var timeRequired = false
            if let first = rest.first, first == "T" || first == "t" || first == ":" {
                inDate = false
                timeRequired = first != ":"
                rest = rest.dropFirst()
            }
            var dateNumbers: [Int] = []
            var timeNumbers: [Int] = []
            while true {
                let digits = rest.prefix { $0.isASCII && $0.isNumber }
                guard !digits.isEmpty, let number = Int(digits.prefix(9)) else { return nil }
                rest = rest.dropFirst(digits.count)
                if rest.first == ":" { inDate = false }
                if inDate {
                    guard dateNumbers.count < 3 else { return nil }
                    dateNumbers.append(number)
                    guard let separator = rest.first else { break }
                    rest = rest.dropFirst()
                    if separator == "T" || separator == "t" {
                        if rest.isEmpty { break }
                        inDate = false
                        timeRequired = true
                    } else if separator != "-" && separator != "/" {
                        return nil
                    }
                    continue
                }
                guard timeNumbers.count < 2 else { return nil }
                timeNumbers.append(number)
                guard let separator = rest.first else {
                    if timeRequired && timeNumbers.count < 2 { return nil }
                    break
                }
                guard separator == ":" else { return nil }
                rest = rest.dropFirst()
                timeRequired = false
            }
            let date = Array(repeating: -1, count: 3 - dateNumbers.count) + dateNumbers
            (year, month, day) = (date[0], date[1], date[2])
            let time = Array(repeating: -1, count: 2 - timeNumbers.count) + timeNumbers
            (hour, minute) = (time[0], time[1])
        }

        /// Which field is advanced while the moment is not after `now`: the largest one left out.
        private enum Rollover { case none, year, month, day }

        func nextMatch(after now: Int) -> Int? {
            var clock = time_t(now)
            var today = tm()
            localtime_r(&clock, &today)
            var moment = tm()
            moment.tm_isdst = -1
            var rollover = Rollover.none
            if year < 0 {
                moment.tm_year = today.tm_year
                rollover = .year
            } else if year < 100 {
                moment.tm_year = Int32(year)
                while moment.tm_year < today.tm_year { moment.tm_year += 100 }
            } else {
                moment.tm_year = Int32(year - 1900)
            }
            if month < 0 {
                moment.tm_mon = today.tm_mon
                rollover = .month
            } else {
                moment.tm_mon = Int32(month - 1)
            }
            if day < 0 {
                moment.tm_mday = today.tm_mday
                rollover = .day
            } else {
                moment.tm_mday = Int32(day)
            }
            var hourStep = 0
            if minute < 0 {
                (moment.tm_hour, moment.tm_min) = (0, 0)
            } else if hour < 0 {
                // `:m` names a minute of whatever hour comes next, so it takes no date.
                guard rollover == .day else { return nil }
                rollover = .none
                moment.tm_hour = today.tm_hour
                moment.tm_min = Int32(minute)
                hourStep = 3600
            } else {
                (moment.tm_hour, moment.tm_min) = (Int32(hour), Int32(minute))
            }
            guard moment.tm_hour <= 23, moment.tm_min <= 59, (0..<12).contains(moment.tm_mon),
                (1...31).contains(moment.tm_mday)
            else { return nil }
            var wantedDay = moment.tm_mday
            var probe = moment
            var value = mktime(&probe)
            guard value != -1 else { return nil }
            // mktime moves a day past the month's end into the next month; that is not a match either.
            while rollover != .none && (Int(value) <= now || probe.tm_mday < wantedDay) {
                switch rollover {
                case .day:
                    // From the normalised date, so the day after the 31st is the 1st.
                    moment = probe
                    moment.tm_mday += 1
                    wantedDay = 1
                case .month:
                    if probe.tm_mday < wantedDay {
                        moment.tm_mday = wantedDay
                        moment.tm_mon = probe.tm_mon
                        moment.tm_year = probe.tm_year
                    } else if moment.tm_mon == 11 {
                        moment.tm_mon = 0
                        moment.tm_year += 1
                    } else {
                        moment.tm_mon += 1
                    }
                case .year:
                    if probe.tm_mday < wantedDay {
                        // Only 29 February can be missing from a year; it waits for a leap year.
                        guard moment.tm_mon == 1, wantedDay == 29 else { return nil }
                    }
                    moment.tm_year += 1
                case .none:
                    break
                }
                moment.tm_isdst = -1
                probe = moment
                value = mktime(&probe)
                if value == -1 { return nil }
            }
            var result = Int(value)
            if hourStep > 0 { while result <= now { result += hourStep } }
            return result
        }
    }
}
