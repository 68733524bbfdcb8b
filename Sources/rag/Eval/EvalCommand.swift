import Foundation
import Retrieval

/// `rag eval retrieval QUERIES.jsonl`: file-level retrieval quality for dense, lexical and hybrid.
enum EvalCommand {
    static let spec = CommandSpec(
        name: "eval",
        summary: "evaluate retrieval quality on a query set",
        usage: ["eval retrieval QUERIES.jsonl [--k 10] [--split dev|test|all] [--json]",
                "eval answers QUESTIONS.jsonl [--split dev|test|all] [--features OUT.jsonl] [--json]",
                "eval fit-evidence FEATURES.jsonl... [--likelihood N]",
                "eval summaries DOCUMENTS.jsonl [--split dev|test|all] [--words N] [--json]"],
        options: [
            OptionSpec("k", short: "k", value: "N", help: "cut-off for the file ranking (default 10)"),
            OptionSpec.noRerank,
            OptionSpec("json", help: "print JSON (per mode and per query)"),
            OptionSpec("dense-weight", value: "W", help: "weight of the dense score in hybrid fusion (default: built-in)"),
            OptionSpec("sweep", help: "also report hybrid for dense weights 0.0, 0.1, …, 1.0"),
            OptionSpec("mmr-lambda", value: "L", help: "MMR relevance weight in hybrid (1 = no diversification; default: built-in)"),
            OptionSpec("split", value: "SPLIT", help: "dev | test | all (default all; split by a stable hash of the id)"),
            OptionSpec("features", value: "OUT", help: "answers (dev only): write each question's evidence features for fit-evidence"),
            OptionSpec("words", value: "N", help: "summaries: word budget of each summary (default 200)"),
            OptionSpec("short-answer", help: "answers: let the model restate the evidence (shown when faithful)"),
            OptionSpec("likelihood", value: "N", help: "answers, fit-evidence: units scored by the generator's query likelihood"),
        ],
        positionals: 2...64,
        details: """
            Each line of QUERIES.jsonl: {"id", "query", "gold_files": [paths relative to the ingested root]}.
            Files are ranked by their first appearance among the retrieved chunks; relevance is binary.
            Queries with no gold file are not scored; their best similarity is reported (it calibrates the
            no-answer gate of 'rag ask').
            'eval answers' runs 'rag ask' on each line ({"id", "query", "gold_files", "answers": [accepted strings]}) and
            checks that the answer states one accepted answer and cites a gold file; a line without gold files must be
            answered "The documents don't say.". Reported per split (dev/test by a stable hash of the id).
            'eval fit-evidence' fits the evidence ranker and the refusal threshold on dev features (scripts/fit-evidence).
            """,
        run: run)

    struct ModeReport: Encodable {
        let mode: String
        let denseWeight: Double?
        let recallAt5: Double
        let recallAt10: Double
        let mrrAt10: Double
        let ndcgAt10: Double
        enum CodingKeys: String, CodingKey {
            case mode
            case denseWeight = "dense_weight"
            case recallAt5 = "recall@5"
            case recallAt10 = "recall@10"
            case mrrAt10 = "mrr@10"
            case ndcgAt10 = "ndcg@10"
        }
    }

    struct QueryReport: Encodable {
        let id: String
        let bestSimilarity: Double
        let ndcg: [String: Double]
        let top: [String: [String]]
        enum CodingKeys: String, CodingKey {
            case id, ndcg, top
            case bestSimilarity = "best_similarity"
        }
    }

    struct Report: Encodable {
        let queries: Int
        let scored: Int
        let k: Int
        let modes: [ModeReport]
        let sweep: [ModeReport]?
        let perQuery: [QueryReport]
        enum CodingKeys: String, CodingKey {
            case queries, scored, k, modes, sweep
            case perQuery = "per_query"
        }
    }

    static func run(_ invocation: Invocation) throws {
        let arguments = invocation.arguments
        if arguments.positionals[0] == "answers" { return try AnswerEvaluation.run(invocation) }
        if arguments.positionals[0] == "fit-evidence" { return try EvidenceFitCommand.run(invocation) }
        if arguments.positionals[0] == "summaries" { return try SummaryEvaluation.run(invocation) }
        guard arguments.positionals[0] == "retrieval" else {
            throw UsageError(message: "unknown evaluation '\(arguments.positionals[0])' (expected: retrieval, answers, fit-evidence or summaries)", command: "eval")
        }
        let k = try arguments.int("k", default: 10, range: 1...100)!
        let splitName = try arguments.choice("split", from: ["dev", "test", "all"], default: "all")
        let queries = try loadQueries(arguments.positionals[1])
            .filter { splitName == "all" || EvaluationSplit.of(id: $0.id).rawValue == splitName }
        guard !queries.isEmpty else {
            throw CommandFailure(message: "\(arguments.positionals[1]) holds no queries of the \(splitName) split")
        }
        var settings = RetrievalSettings()
        if let weight = try arguments.double("dense-weight", range: 0...1) { settings.denseWeight = weight }
        if let lambda = try arguments.double("mmr-lambda", range: 0...1) { settings.mmrLambda = lambda }
        let retriever = try Services.openRetriever(invocation, settings: settings)
        let pool = max(50, k * 5)

        let reranker = retriever.settings.reranker
        func evaluate(_ mode: SearchMode, weight: Double? = nil, rerank: Bool = true) throws -> (RetrievalMetrics, [String: (Double, [String], Double)]) {
            if let weight { retriever.settings.denseWeight = weight }
            retriever.settings.reranker = rerank ? reranker : nil
            defer {
                retriever.settings.denseWeight = settings.denseWeight
                retriever.settings.reranker = reranker
            }
            var all: [RetrievalMetrics] = []
            var details: [String: (Double, [String], Double)] = [:]
            for query in queries {
                let result = try retriever.search(query.query, k: pool, mode: mode)
                let files = Array(RetrievalMetrics.rankedFiles(result.chunks).prefix(k))
                let metrics = RetrievalMetrics.of(rankedFiles: files, gold: Set(query.goldFiles))
                if !query.goldFiles.isEmpty { all.append(metrics) }
                details[query.id] = (metrics.ndcgAt10, files, result.bestDenseScore)
            }
            return (RetrievalMetrics.mean(all), details)
        }

        var modes: [ModeReport] = []
        var perMode: [String: [String: (Double, [String], Double)]] = [:]
        // Each mode; hybrid also without its second stage when the reranker is on.
        var runs: [(name: String, mode: SearchMode, rerank: Bool)] = SearchMode.allCases.map { ($0.rawValue, $0, true) }
        if reranker != nil { runs.insert(("hybrid --no-rerank", .hybrid, false), at: 2) }
        for run in runs {
            invocation.console.info("evaluating \(run.name) on \(queries.count) queries")
            let (metrics, details) = try evaluate(run.mode, rerank: run.rerank)
            perMode[run.name] = details
            modes.append(report(run.name, metrics, weight: run.mode == .hybrid ? settings.denseWeight : nil))
        }
        var sweep: [ModeReport]?
        if arguments.flag("sweep") {
            sweep = try stride(from: 0.0, through: 1.0001, by: 0.1).map { weight in
                invocation.console.info(String(format: "sweep: hybrid with dense weight %.1f", weight))
                return report("hybrid", try evaluate(.hybrid, weight: weight).0, weight: weight)
            }
        }
        let perQuery = queries.map { query in
            QueryReport(id: query.id, bestSimilarity: perMode["dense"]?[query.id]?.2 ?? 0,
                        ndcg: perMode.mapValues { $0[query.id]?.0 ?? 0 },
                        top: perMode.mapValues { Array(($0[query.id]?.1 ?? []).prefix(3)) })
        }
        let scored = queries.filter { !$0.goldFiles.isEmpty }.count
        let full = Report(queries: queries.count, scored: scored, k: k, modes: modes, sweep: sweep, perQuery: perQuery)

        if arguments.flag("json") {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes, .prettyPrinted]
            invocation.console.result(String(decoding: try encoder.encode(full), as: UTF8.self))
            return
        }
        invocation.console.result("\(queries.count) queries, \(scored) with gold files, k = \(k)")
        invocation.console.result("mode                weight  recall@5  recall@10  MRR@10  nDCG@10")
        for row in modes + (sweep ?? []) {
            let weight = row.denseWeight.map { String(format: "%.2f", $0) } ?? "-"
            let name = row.mode.padding(toLength: 18, withPad: " ", startingAt: 0)
            let padded = weight.padding(toLength: 6, withPad: " ", startingAt: 0)
            invocation.console.result(name + "  " + padded + String(format: "  %.3f     %.3f      %.3f   %.3f",
                                                                     row.recallAt5, row.recallAt10, row.mrrAt10, row.ndcgAt10))
        }
        let answerable = queries.filter { !$0.goldFiles.isEmpty }.compactMap { perMode["dense"]?[$0.id]?.2 }
        let unanswerable = queries.filter { $0.goldFiles.isEmpty }.compactMap { perMode["dense"]?[$0.id]?.2 }
        if let low = answerable.min() {
            invocation.console.result(String(format: "best similarity: answerable min %.3f mean %.3f", low, answerable.reduce(0, +) / Double(answerable.count)))
        }
        if let high = unanswerable.max() {
            invocation.console.result(String(format: "best similarity: unanswerable max %.3f mean %.3f", high, unanswerable.reduce(0, +) / Double(unanswerable.count)))
        }
    }

    static func report(_ mode: String, _ metrics: RetrievalMetrics, weight: Double?) -> ModeReport {
        ModeReport(mode: mode, denseWeight: weight, recallAt5: metrics.recallAt5, recallAt10: metrics.recallAt10,
                   mrrAt10: metrics.mrrAt10, ndcgAt10: metrics.ndcgAt10)
    }

    static func loadQueries(_ path: String) throws -> [EvaluationQuery] {
        try JSONLines.read(EvaluationQuery.self, from: path, noun: "query", shape: "{\"id\", \"query\", \"gold_files\"}")
    }
}
