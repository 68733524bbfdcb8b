import Foundation

/// What the conversation already answered, sentence by sentence: a small model given the history often copies an
/// earlier answer instead of answering the new question, and its sources still hold the copied words. A sentence
/// whose words and numbers (`SupportTerms`) are, at `overlap` or more, those of one earlier answer sentence
/// repeats it and answers nothing new.
public struct EarlierAnswers: Sendable {
    public var overlap = 0.8
    let sentences: [Set<String>]

    public init(_ answers: [String]) {
        var sentences: [Set<String>] = []
        for answer in answers {
            var splitter = SentenceSplitter()
            let pieces = splitter.feed(CitationMarkers.removingAll(from: answer)) + [splitter.finish()].compactMap { $0 }
            sentences += pieces.map { SupportTerms($0).all }.filter { $0.count >= 3 }
        }
        self.sentences = sentences
    }

    /// True when `sentence` repeats an earlier answer sentence.
    public func repeats(_ sentence: String) -> Bool {
        let terms = SupportTerms(CitationMarkers.removingAll(from: sentence)).all
        guard terms.count >= 3 else { return false }
        return sentences.contains { Double(terms.intersection($0).count) >= overlap * Double(terms.count) }
    }
}
