import Foundation

/// The text a chunk's vector is computed from: its heading path (page title > section > …) on the first
/// line, then the chunk text. A chunk deep in a section does not repeat the section's or the page's name,
/// so without the path its vector cannot tell which page it belongs to (measured in benchmarks/retrieval.md:
/// dense nDCG@10 on the dev splits +0.03 on average over four corpora).
///
/// `version` is stored in the index; an index whose vectors were made from another input is re-embedded by
/// the next `rag ingest`.
public enum EmbeddingInput {
    public static let version = "heading-path+text/1"

    public static func text(_ text: String, heading: String) -> String {
        heading.isEmpty ? text : heading + "\n" + text
    }
}
