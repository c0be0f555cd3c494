/// A line for stderr, and how it is printed. rsync prints most messages after its program name
/// (`rsyserr`: "rsync: [sender] link_stat ... failed"), some bare (`rprintf(FERROR, ...)`: "file has
/// vanished: ...", "WARNING: ...", "*** Skipping
/// ..."). The choice is made where the line is made, and travels with it to a remote client.
public struct Diagnostic: Sendable, Equatable {
    public var text: String
    /// The role that met the problem (the text names it already, as rsync's `[sender]`).
    public var role: Role?
    /// Printed after the program name ("swsync: ").
    public var isPrefixed: Bool

    public init(_ text: String, role: Role? = nil, isPrefixed: Bool = true) {
        self.text = text
        self.role = role
        self.isPrefixed = isPrefixed
    }

    /// A line rsync prints without its program name.
    public static func bare(_ text: String, role: Role? = nil) -> Diagnostic {
        Diagnostic(text, role: role, isPrefixed: false)
    }
}
