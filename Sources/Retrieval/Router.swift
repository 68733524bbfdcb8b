import Foundation

/// How `rag ask` answers a question.
public enum Route: String, CaseIterable, Sendable {
    /// Retrieve chunks, answer from them (the default).
    case rag
    /// Read one named document whole (a summary or overview of it, or `--doc PATH`).
    case document
    /// Retrieval evidence is weak: read the best-matching documents whole.
    case long
}

public struct RouteDecision: Sendable, Equatable {
    public var route: Route
    public var reason: String
    /// Documents to read whole (document and long routes).
    public var documents: [DocumentRef]
    /// The question asks about the document as a whole (a summary, an overview): answered by its extractive summary.
    public var asksForSummary = false
}

/// Thresholds of the router; chosen by measurement on `eval/` (benchmarks/retrieval.md).
public struct RouterSettings: Sendable {
    /// When set: below this best cosine similarity retrieval is called weak and the top documents are read whole.
    /// Off by default since the evidence model decides on weak evidence (answer from a unit, or refuse): on the
    /// dev split the 135M model reading whole documents answered fewer questions right than the selected unit.
    public var weakEvidence: Double? = nil
    /// Documents read whole on the long route.
    public var longDocuments = 2

    public init() {}
}

/// Chooses the route from the question, the retrieval result and the documents in the index.
public struct Router: Sendable {
    public var settings: RouterSettings

    public init(settings: RouterSettings = RouterSettings()) {
        self.settings = settings
    }

    /// Words that ask about a document as a whole.
    static let wholeDocumentCues = [
        "summarize", "summarise", "summary", "overview", "outline", "tl;dr", "tldr", "main points", "key points",
        "gist", "what is it about", "what's it about", "is about", "whole document", "entire document",
        "whole file", "entire file", "whole note", "entire note",
    ]

    /// - Parameters:
    ///   - forced: `--route` other than auto.
    ///   - requestedDocument: `--doc PATH`, already resolved to a document.
    public func decide(question: String, forced: Route?, requestedDocument: DocumentRef?,
                       retrieval: RetrievalResult?, documents: [DocumentRef]) -> RouteDecision {
        let named = Self.namedDocuments(in: question, among: documents)
        let cue = Self.wholeDocumentCue(in: question)
        if let requestedDocument {
            var decision = RouteDecision(route: .document, reason: "--doc \(requestedDocument.path) asks for that document",
                                         documents: [requestedDocument])
            decision.asksForSummary = cue != nil
            return decision
        }

        if let forced {
            switch forced {
            case .rag:
                return RouteDecision(route: .rag, reason: "--route rag", documents: [])
            case .document:
                let chosen = named.first.map { [$0] } ?? topDocuments(retrieval, limit: 1, documents: documents)
                return RouteDecision(route: .document, reason: "--route document", documents: chosen)
            case .long:
                return RouteDecision(route: .long, reason: "--route long",
                                     documents: topDocuments(retrieval, limit: settings.longDocuments, documents: documents))
            }
        }
        if let cue, let document = named.first {
            var decision = RouteDecision(route: .document, reason: "the question asks for \"\(cue)\" of the document \(document.path)",
                                         documents: [document])
            decision.asksForSummary = true
            return decision
        }
        if let retrieval, let weak = settings.weakEvidence, retrieval.bestDenseScore < weak {
            let reason = "retrieval evidence is weak (best similarity \(format(retrieval.bestDenseScore)) < \(format(weak))): reading the best-matching documents whole"
            return RouteDecision(route: .long, reason: reason,
                                 documents: topDocuments(retrieval, limit: settings.longDocuments, documents: documents))
        }
        let evidence = retrieval.map { " (best similarity \(format($0.bestDenseScore)))" } ?? ""
        return RouteDecision(route: .rag, reason: "retrieval found passages that match the question\(evidence)", documents: [])
    }

    /// The first whole-document cue the question holds as whole words ("register" does not hold "gist").
    static func wholeDocumentCue(in question: String) -> String? {
        let text = " " + normalizeName(question) + " "
        return wholeDocumentCues.first { text.contains(" " + normalizeName($0) + " ") }
    }

    /// Documents whose file name (without extension; `-`/`_` read as spaces) the question mentions.
    /// Longer names win over names they contain ("kv cache quantization" over "quantization").
    public static func namedDocuments(in question: String, among documents: [DocumentRef]) -> [DocumentRef] {
        let text = " " + normalizeName(question) + " "
        let matches = documents.compactMap { document -> (DocumentRef, Int)? in
            let file = (document.path as NSString).lastPathComponent
            let stem = normalizeName((file as NSString).deletingPathExtension)
            guard stem.count >= 3 else { return nil }
            if text.contains(" " + stem + " ") || text.contains(" " + normalizeName(file) + " ") { return (document, stem.count) }
            return nil
        }
        return matches.sorted { $0.1 > $1.1 }.map(\.0)
    }

    static func normalizeName(_ text: String) -> String {
        let mapped = text.lowercased().unicodeScalars.map { scalar -> Character in
            CharacterSet.alphanumerics.contains(scalar) || scalar == "." ? Character(scalar) : " "
        }
        return String(mapped).split(separator: " ").map { $0.trimmingCharacters(in: CharacterSet(charactersIn: ".")) }
            .filter { !$0.isEmpty }.joined(separator: " ")
    }

    /// The documents of the best retrieved chunks, in rank order.
    func topDocuments(_ retrieval: RetrievalResult?, limit: Int, documents: [DocumentRef]) -> [DocumentRef] {
        guard let retrieval else { return [] }
        var seen = Set<Int64>()
        let byId = Dictionary(documents.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        return retrieval.chunks.compactMap { hit -> DocumentRef? in
            guard seen.insert(hit.chunk.documentId).inserted else { return nil }
            return byId[hit.chunk.documentId]
                ?? DocumentRef(id: hit.chunk.documentId, path: hit.chunk.path, rootPath: hit.chunk.rootPath)
        }.prefix(limit).map { $0 }
    }
}
