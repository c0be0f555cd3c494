/// rsync's number formatting for `-h` levels (rsync `lib/compat.c`, `do_big_num`).
///
/// Level 0 (`--no-h`): plain digits. Level 1 (default): digits grouped by commas. Level 2 (`-h`): units of
/// 1000 with a suffix (K, M, G, T, P). Level 3 (`-hh`): units of 1024.
public enum NumberFormat {
    public static func integer(_ value: Int64, level: Int) -> String {
        if level >= 2 {
            let unit: Double = level >= 3 ? 1024 : 1000
            if Double(value) >= unit {
                var scaled = Double(value) / unit
                var suffixIndex = 0
                let suffixes: [Character] = ["K", "M", "G", "T", "P"]
                while scaled >= unit && suffixIndex < suffixes.count - 1 {
                    scaled /= unit
                    suffixIndex += 1
                }
                return fixed(scaled, places: 2) + String(suffixes[suffixIndex])
            }
        }
        if level >= 1 { return grouped(value) }
        return String(value)
    }

    /// Digits grouped by commas: 1234567 → "1,234,567".
    public static func grouped(_ value: Int64) -> String {
        let digits = String(value.magnitude)
        var result = ""
        for (offset, character) in digits.enumerated() {
            if offset > 0 && (digits.count - offset) % 3 == 0 { result.append(",") }
            result.append(character)
        }
        return value < 0 ? "-" + result : result
    }

    /// A double with a fixed number of decimals, comma-grouped integer part (rsync prints "1,506.00").
    public static func fixedGrouped(_ value: Double, places: Int) -> String {
        let text = fixed(value, places: places)
        guard let dot = text.firstIndex(of: ".") else { return grouped(Int64(text) ?? 0) }
        let integerPart = Int64(text[..<dot]) ?? 0
        return grouped(integerPart) + text[dot...]
    }

    /// A double with a fixed number of decimals, without Foundation.
    public static func fixed(_ value: Double, places: Int) -> String {
        var scale = 1.0
        for _ in 0..<places { scale *= 10 }
        var rounded = (value * scale).rounded()
        guard rounded.isFinite, abs(rounded) < 9e18 else { return String(value) }
        // rsync's printf rounds the double's exact value, half to even: the product may have rounded onto a
        // half the exact value falls short of (4.095 is just below it, so "4.09"). The fused multiply-add
        // gives the sign of the exact remainder.
        if value >= 0 {
            let belowHalf = (-(rounded - 0.5)).addingProduct(value, scale)
            if belowHalf < 0 || (belowHalf == 0 && rounded.truncatingRemainder(dividingBy: 2) != 0) { rounded -= 1 }
        }
        let total = Int64(rounded)
        let integerPart = total / Int64(scale)
        var fraction = String(abs(total % Int64(scale)))
        while fraction.count < places { fraction = "0" + fraction }
        let sign = total < 0 && integerPart == 0 ? "-" : ""
        return places == 0 ? sign + String(integerPart) : sign + String(integerPart) + "." + fraction
    }

    /// Parses rsync size values: "100", "1.5K", "10M", "2GiB", "1kb" (K = 1024, KB = 1000, KiB = 1024).
    /// `defaultUnit` multiplies a bare number (1024 for --bwlimit). Returns nil when malformed.
    public static func parseSize(_ text: String, defaultUnit: Int64 = 1) -> Int64? {
        var numberPart = ""
        var suffix = ""
        for character in text {
            if suffix.isEmpty && (character.isNumber || character == ".") {
                numberPart.append(character)
            } else {
                suffix.append(character)
            }
        }
        guard !numberPart.isEmpty, let number = Double(numberPart) else { return nil }
        var multiplier: Double = Double(defaultUnit)
        var lower = suffix.lowercased()
        var adjust: Int64 = 0
        if lower.hasSuffix("+1") { adjust = 1; lower.removeLast(2) } else if lower.hasSuffix("-1") { adjust = -1; lower.removeLast(2) }
        if !lower.isEmpty {
            guard let letter = lower.first, let power = "bkmgtp".firstIndex(of: letter) else { return nil }
            let exponent = "bkmgtp".distance(from: "bkmgtp".startIndex, to: power)
            let rest = lower.dropFirst()
            let base: Double
            switch rest {
            case "", "ib": base = 1024
            case "b": base = 1000
            default: return nil
            }
            if letter == "b" && !rest.isEmpty { return nil }
            multiplier = 1
            for _ in 0..<exponent { multiplier *= base }
        }
        let value = number * multiplier
        guard value.isFinite, value < 9.2e18 else { return nil }
        return Int64(value) + adjust
    }
}
