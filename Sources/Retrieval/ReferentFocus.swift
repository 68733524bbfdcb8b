import Foundation

/// What a question is about when the user picked it out of a list they gave: "I've read about three ways to make
/// it smaller: A, B and C. Explain the first one." is about A, not about the thing the list belongs to.
///
/// Retrieval for "Explain A" finds the passages about A, but also the overview that lists A, B and C side by side
/// (a note's "ways to shrink it" section); a small model then writes about the overview's subject and its answer is
/// supported by, and cites, the overview. The focus tells the two apart by the other items of the list: a passage
/// that names A and also (`share` of the distinctive terms of) another item is about the list, or
/// about that other item, not about A. When some retrieved passage names A without naming another item, the
/// passages naming another item are left out of the answer's evidence; otherwise nothing changes.
public struct ReferentFocus: Sendable, Equatable {
    /// The item the question refers to ("sharing key/value heads between query heads").
    public var item: String
    /// The other items of the list, in order.
    public var siblings: [String]
    /// Share of an item's distinctive terms a passage must hold to name that item: more than half (3 of 4, 3 of 5),
    /// so that two common words ("recent", "token") do not make a passage about GQA name "a window of recent tokens".
    public var share = 0.6

    public init(item: String, siblings: [String]) {
        self.item = item
        self.siblings = siblings
    }

    /// The item's terms, and each sibling's terms that the item does not share (as `Terms` reads them).
    var itemTerms: Set<String> { Set(Terms.of(item)) }
    var siblingTerms: [Set<String>] {
        let own = itemTerms
        return siblings.map { Set(Terms.of($0)).subtracting(own) }.filter { !$0.isEmpty }
    }

    /// True when `text` holds at least `share` of the item's terms.
    public func names(_ text: String) -> Bool {
        Self.holds(itemTerms, in: Set(Terms.of(text)), share: share)
    }

    /// True when `text` holds at least `share` of the distinctive terms of another item of the list.
    public func namesSibling(_ text: String) -> Bool {
        let held = Set(Terms.of(text))
        return siblingTerms.contains { Self.holds($0, in: held, share: share) }
    }

    /// True when `text` names the item and no other item of the list.
    public func isAbout(_ text: String) -> Bool { names(text) && !namesSibling(text) }

    /// `chunks` (in their order) without those naming another item of the list, when at least one names the item
    /// alone; `chunks` unchanged otherwise. A chunk is read with its heading.
    public func focused(_ chunks: [RetrievedChunk]) -> [RetrievedChunk] {
        guard !siblingTerms.isEmpty, chunks.contains(where: { isAbout($0.textWithHeading) }) else { return chunks }
        return chunks.filter { !namesSibling($0.textWithHeading) }
    }

    static func holds(_ terms: Set<String>, in held: Set<String>, share: Double) -> Bool {
        guard !terms.isEmpty else { return false }
        return Double(terms.intersection(held).count) >= share * Double(terms.count)
    }
}
