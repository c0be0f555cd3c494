/// A first-in first-out queue over an array, for the hand-offs between threads (listings, write jobs,
/// requests, incoming data). Taking from the front moves an index and lets go of the element at once;
/// the taken front is cut off only once it is most of the array, so taking is O(1) amortised where
/// `Array.removeFirst` would move every element each time. Not synchronised: its owner keeps it under a lock.
package struct FirstInFirstOut<Element> {
    private var items: [Element?] = []
    private var head = 0

    package init() {}

    /// Elements waiting.
    package var count: Int { items.count - head }

    package var isEmpty: Bool { head == items.count }

    package mutating func append(_ element: Element) { items.append(element) }

    package mutating func append<S: Sequence>(contentsOf elements: S) where S.Element == Element {
        items.append(contentsOf: elements.lazy.map { Optional($0) })
    }

    /// The oldest element, taken out; nil when none waits.
    package mutating func popFirst() -> Element? {
        guard head < items.count else { return nil }
        let element = items[head]
        items[head] = nil
        head += 1
        if head > 64 && head * 2 > items.count {
            items.removeFirst(head)
            head = 0
        }
        return element
    }

    /// The elements waiting, oldest first.
    package var waiting: some Sequence<Element> { items[head...].lazy.compactMap { $0 } }
}
