import Foundation
import Retrieval

/// `rag eval answers FILE`: end-to-end answer checks (facts present, right source cited inline, right source
/// listed, refusals).
enum AnswerEvaluation {
    struct Question: Decodable {
        let id: String
        let query: String
        let goldFiles: [String]
        let expected: [String]?
        enum CodingKeys: String, CodingKey {
            case id, query, expected
            case goldFiles = "gold_files"
        }
    }

    struct Outcome: Encodable {
        let id: String
        let answer: String
        let correct: Bool
        /// An inline `[n]` marker of the answer names a gold file.
        let citesGold: Bool
        /// The sources listed after the answer (the cited ones, else all used) include a gold file.
        let listsGold: Bool
        let refused: Bool
        let listed: [String]
        let origin: String
        /// When the answer quotes evidence: the share of the question's words the quote holds.
        let quoteCoverage: Double?
        let route: String
        let seconds: Double
        enum CodingKeys: String, CodingKey {
            case id, answer, correct, refused, origin, route, seconds, listed
            case citesGold = "cites_gold"
            case quoteCoverage = "quote_coverage"
            case listsGold = "lists_gold"
        }
    }

    static func run(_ invocation: Invocation) throws {
        let path = invocation.arguments.positionals[1]
        guard let data = FileManager.default.contents(atPath: path) else {
            throw CommandFailure(message: "cannot read question file \(path): check the path")
        }
        let questions = try String(decoding: data, as: UTF8.self).split(separator: "\n").enumerated().map { number, line in
            do { return try JSONDecoder().decode(Question.self, from: Data(line.utf8)) } catch {
                throw CommandFailure(message: "\(path):\(number + 1): not a question line {\"id\", \"query\", \"gold_files\", \"expected\"}")
            }
        }
        let engine = AnswerEngine(retriever: try Services.openRetriever(invocation),
                                  generator: try Services.makeGenerator(invocation, needed: true),
                                  settings: try settings(invocation.arguments))
        var outcomes: [Outcome] = []
        for question in questions {
            let start = DispatchTime.now()
            let result = try engine.ask(question.query, options: AskOptions())
            let answer = result.answer.lowercased()
            let refused = answer.contains("documents don't say") || answer.contains("documents do not say")
            let listed = AnswerJSON.listedSources(result).map(\.path)
            let cited = result.cited.compactMap { n in result.sources.first { $0.number == n }?.path }
            let gold = Set(question.goldFiles)
            let correct = question.goldFiles.isEmpty
                ? refused
                : !refused && (question.expected ?? []).allSatisfy { answer.contains($0.lowercased()) }
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9
            let outcome = Outcome(id: question.id, answer: result.answer, correct: correct,
                                  citesGold: !gold.isDisjoint(with: cited), listsGold: !gold.isDisjoint(with: listed),
                                  refused: refused, listed: listed, origin: result.origin.rawValue,
                                  quoteCoverage: result.quoteCoverage, route: result.route,
                                  seconds: seconds)
            outcomes.append(outcome)
            let verdict = question.goldFiles.isEmpty
                ? (refused ? "refused" : "answered")
                : "\(correct ? "correct" : "wrong"), \(outcome.citesGold ? "cites gold" : outcome.listsGold ? "lists gold" : "misses gold")"
            invocation.console.info("\(question.id): \(verdict) [\(result.origin.rawValue)] — \(result.answer.prefix(160))")
        }
        let answerable = questions.filter { !$0.goldFiles.isEmpty }.count
        let cites = outcomes.filter(\.citesGold).count, lists = outcomes.filter(\.listsGold).count
        let refused = outcomes.filter(\.refused).count
        if invocation.arguments.flag("json") {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes, .prettyPrinted]
            invocation.console.result(String(decoding: try encoder.encode(outcomes), as: UTF8.self))
        } else {
            var summary = "\(questions.count) questions"
            if answerable > 0 {
                let answeredCorrectly = outcomes.filter { $0.correct && !$0.refused }.count
                summary += "; answerable \(answerable): \(answeredCorrectly) correct, \(cites) cite a gold note inline, \(lists) list one"
            }
            summary += "; \(refused) refused"
            invocation.console.result(summary)
        }
    }

    /// `rag ask`'s settings with the measurement knobs of `eval answers`.
    static func settings(_ arguments: ParsedArguments) throws -> AnswerSettings {
        var settings = try AskCommand.answerSettings(arguments)
        if arguments.flag("no-support-check") { settings.grounding.checkSupport = false }
        if let threshold = try arguments.double("support-threshold") { settings.grounding.supportThreshold = threshold }
        if let quoted = try arguments.int("quote", default: nil, range: 1...10) { settings.grounding.extractiveSentences = quoted }
        if let similarity = try arguments.double("min-similarity") { settings.refusal.minimumSimilarity = similarity }
        if let similarity = try arguments.double("weak-similarity") { settings.refusal.weakSimilarity = similarity }
        if let coverage = try arguments.double("quote-coverage") { settings.grounding.minimumQuoteCoverage = coverage }
        return settings
    }
}
