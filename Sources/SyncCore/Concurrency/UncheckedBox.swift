/// Carries a non-`Sendable` value to another thread that only reads it, or that takes it over once
/// (a `concurrentPerform` iteration, a closure run once on a worker). Shared by the swsync modules.
package struct UncheckedBox<Value>: @unchecked Sendable {
    package let value: Value
    package init(_ value: Value) { self.value = value }
}
