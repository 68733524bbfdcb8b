import Foundation
import Retrieval

/// `rag eval answers FILE`: end-to-end answer checks per split — accepted answer stated, gold source cited,
/// unanswerable questions refused, false refusals, median seconds. `--features OUT` also writes each question's
/// evidence features for `rag eval fit-evidence`.
enum AnswerEvaluation {
    struct Question: Decodable {
        let id: String
        let query: String
        let goldFiles: [String]
        /// Accepted answers: any one of them makes the answer right.
        let answers: [String]?
        /// Older sets: every one of these must be in the answer.
        let expected: [String]?
        enum CodingKeys: String, CodingKey {
            case id, query, answers, expected
            case goldFiles = "gold_files"
        }
        var answerable: Bool { !goldFiles.isEmpty }
    }

    struct Outcome: Encodable {
        let id: String
        let split: String
        let answerable: Bool
        let answer: String
        /// Answerable: states an accepted answer and is not a refusal. Unanswerable: refused.
        let correct: Bool
        /// The cited source is a gold file.
        let citesGold: Bool
        let refused: Bool
        let cited: [String]
        let origin: String
        let answerability: Double?
        let route: String
        let seconds: Double
        enum CodingKeys: String, CodingKey {
            case id, split, answerable, answer, correct, refused, cited, origin, answerability, route, seconds
            case citesGold = "cites_gold"
        }
    }

    struct SplitReport: Encodable {
        let split: String
        let answerable: Int
        let correct: Int
        let correctCitingGold: Int
        let unanswerable: Int
        let refused: Int
        let falseRefusals: Int
        let medianSeconds: Double
        enum CodingKeys: String, CodingKey {
            case split, answerable, correct, unanswerable, refused
            case correctCitingGold = "correct_citing_gold"
            case falseRefusals = "false_refusals"
            case medianSeconds = "median_seconds"
        }
    }

    struct Report: Encodable {
        let file: String
        let splits: [SplitReport]
        let questions: [Outcome]
    }

    static func run(_ invocation: Invocation) throws {
        let arguments = invocation.arguments
        let path = arguments.positionals[1]
        let splitName = try arguments.choice("split", from: ["dev", "test", "all"], default: "all")
        let questions = try load(path).filter { splitName == "all" || EvaluationSplit.of(id: $0.id).rawValue == splitName }
        guard !questions.isEmpty else { throw CommandFailure(message: "\(path) holds no questions of the \(splitName) split") }
        let featuresPath = arguments.string("features")
        if featuresPath != nil, splitName != "dev" {
            throw UsageError(message: "--features writes what the fit reads: only with --split dev", command: "eval")
        }
        let engine = AnswerEngine(retriever: try Services.openRetriever(invocation),
                                  generator: try Services.makeGenerator(invocation, needed: true),
                                  settings: try AskCommand.answerSettings(arguments))
        var options = AskOptions()
        options.likelihoodCandidates = try arguments.int("likelihood", default: nil, range: 0...100)
        var outcomes: [Outcome] = []
        var examples: [String] = []
        for (number, question) in questions.enumerated() {
            let start = DispatchTime.now()
            let result = try engine.ask(question.query, options: options)
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9
            let refused = result.origin == .refusal
            let cited = result.cited.compactMap { n in result.sources.first { $0.number == n }?.path }
            let gold = Set(question.goldFiles)
            let states = AcceptedAnswers.matches(result.answer, accepted: question.answers ?? [], required: question.expected ?? [])
            let correct = question.answerable ? !refused && states : refused
            let outcome = Outcome(id: question.id, split: EvaluationSplit.of(id: question.id).rawValue,
                                  answerable: question.answerable, answer: result.answer, correct: correct,
                                  citesGold: !gold.isDisjoint(with: cited), refused: refused, cited: cited,
                                  origin: result.origin.rawValue, answerability: result.evidence?.answerableProbability,
                                  route: result.route, seconds: seconds)
            outcomes.append(outcome)
            if featuresPath != nil, let selection = result.evidence {
                examples.append(try example(question, selection))
            }
            let verdict = question.answerable
                ? "\(correct ? "right" : refused ? "refused" : "wrong")\(outcome.citesGold ? ", cites gold" : "")"
                : (refused ? "refused" : "answered")
            invocation.console.info("[\(number + 1)/\(questions.count)] \(question.id): \(verdict) — \(result.answer.prefix(140))")
        }
        if let featuresPath {
            try (examples.joined(separator: "\n") + "\n").write(toFile: featuresPath, atomically: true, encoding: .utf8)
        }
        let splits = (splitName == "all" ? ["dev", "test"] : [splitName]).map { name in
            summarize(name, outcomes.filter { $0.split == name })
        }
        if arguments.flag("json") {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes, .prettyPrinted]
            let report = Report(file: path, splits: splits, questions: outcomes)
            invocation.console.result(String(decoding: try encoder.encode(report), as: UTF8.self))
            return
        }
        invocation.console.result("\(path)")
        invocation.console.result("split  answerable  correct  +gold cited  unanswerable  refused  false refusals  median s")
        for row in splits {
            invocation.console.result(String(format: "%-5@  %10d  %7d  %11d  %12d  %7d  %14d  %8.2f", row.split as NSString,
                                             row.answerable, row.correct, row.correctCitingGold, row.unanswerable, row.refused,
                                             row.falseRefusals, row.medianSeconds))
        }
    }

    static func summarize(_ split: String, _ outcomes: [Outcome]) -> SplitReport {
        let answerable = outcomes.filter(\.answerable)
        let unanswerable = outcomes.filter { !$0.answerable }
        let times = outcomes.map(\.seconds).sorted()
        let median = times.isEmpty ? 0 : (times.count % 2 == 1 ? times[times.count / 2]
                                          : (times[times.count / 2 - 1] + times[times.count / 2]) / 2)
        return SplitReport(split: split, answerable: answerable.count, correct: answerable.filter(\.correct).count,
                           correctCitingGold: answerable.filter { $0.correct && $0.citesGold }.count,
                           unanswerable: unanswerable.count, refused: unanswerable.filter(\.refused).count,
                           falseRefusals: answerable.filter(\.refused).count, medianSeconds: median)
    }

    /// The fit's view of one question: each candidate unit's features, labelled by whether it states an accepted
    /// answer and comes from a gold file.
    static func example(_ question: Question, _ selection: EvidenceSelection) throws -> String {
        let gold = Set(question.goldFiles)
        let labels = selection.candidates.map { candidate in
            gold.contains(candidate.unit.path)
                && AcceptedAnswers.matches(candidate.unit.text, accepted: question.answers ?? [], required: question.expected ?? [])
        }
        let example = EvidenceExample(id: question.id, answerable: question.answerable,
                                      units: selection.candidates.map(\.features.vector), labels: labels,
                                      hasLikelihood: selection.hasLikelihood,
                                      bestChunkCosine: selection.answerability.bestChunkCosine,
                                      retrievedOverlap: selection.answerability.retrievedOverlap,
                                      missingRare: selection.answerability.missingRare,
                                      unknownName: selection.answerability.unknownName)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: try encoder.encode(example), as: UTF8.self)
    }

    static func load(_ path: String) throws -> [Question] {
        try JSONLines.read(Question.self, from: path, noun: "question", shape: "{\"id\", \"query\", \"gold_files\", \"answers\"}")
    }
}

/// `rag eval fit-evidence FEATURES.jsonl...`: fits `EvidenceModel` on dev features and prints it.
enum EvidenceFitCommand {
    static func run(_ invocation: Invocation) throws {
        let files = Array(invocation.arguments.positionals.dropFirst())
        guard !files.isEmpty else { throw UsageError(message: "give the feature files written by 'eval answers --features'", command: "eval") }
        var examples: [EvidenceExample] = []
        for file in files {
            guard let data = FileManager.default.contents(atPath: file) else {
                throw CommandFailure(message: "cannot read feature file \(file): check the path")
            }
            for (number, line) in String(decoding: data, as: UTF8.self).split(separator: "\n").enumerated() {
                do { examples.append(try JSONDecoder().decode(EvidenceExample.self, from: Data(line.utf8))) } catch {
                    throw CommandFailure(message: "\(file):\(number + 1): not a feature line (write them with 'rag eval answers --features')")
                }
            }
        }
        let candidates = try invocation.arguments.int("likelihood", default: 0, range: 0...100)!
        let report = EvidenceFit.fit(examples, likelihoodIndex: EvidenceFeatures.names.firstIndex(of: "query_likelihood")!,
                                     likelihoodCandidates: candidates)
        func list(_ values: [Double]) -> String { "[" + values.map { String(format: "%.4f", $0) }.joined(separator: ", ") + "]" }
        let m = report.model
        invocation.console.result("""
            // \(examples.count) dev questions: \(report.answerable) answerable (\(report.reachable) with the answer among the candidates, \
            \(report.topCorrect) ranked first), \(report.unanswerable) unanswerable; at the threshold: \(report.answeredRight) answered \
            right, \(report.refusedRight) refused right, \(report.falseRefusals) false refusals.
            // features: \(EvidenceFeatures.names.joined(separator: ", ")); answerability: \(AnswerabilityFeatures.names.joined(separator: ", ")), bias
            public static let fitted = EvidenceModel(
                rankerWeights: \(list(m.rankerWeights)),
                rerankWeights: \(list(m.rerankWeights)),
                answerabilityWeights: \(list(m.answerabilityWeights)),
                refusalThreshold: \(String(format: "%.4f", m.refusalThreshold)),
                likelihoodCandidates: \(m.likelihoodCandidates))
            """)
    }
}
