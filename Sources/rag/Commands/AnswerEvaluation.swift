import Foundation
import Retrieval

/// `rag eval answers FILE`: end-to-end answer checks (facts present, right source listed, refusals).
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
        let citesGold: Bool
        let listed: [String]
        let route: String
        let seconds: Double
        enum CodingKeys: String, CodingKey {
            case id, answer, correct, route, seconds, listed
            case citesGold = "cites_gold"
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
                                  settings: try AskCommand.answerSettings(invocation.arguments))
        var outcomes: [Outcome] = []
        for question in questions {
            let start = DispatchTime.now()
            let result = try engine.ask(question.query, options: AskOptions())
            let answer = result.answer.lowercased()
            let refused = answer.contains("documents don't say") || answer.contains("documents do not say")
            let listed = AnswerJSON.listedSources(result).map(\.path)
            let correct: Bool
            let citesGold: Bool
            if question.goldFiles.isEmpty {
                correct = refused
                citesGold = refused
            } else {
                correct = !refused && (question.expected ?? []).allSatisfy { answer.contains($0.lowercased()) }
                citesGold = !Set(listed).isDisjoint(with: question.goldFiles)
            }
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9
            outcomes.append(Outcome(id: question.id, answer: result.answer, correct: correct, citesGold: citesGold,
                                    listed: listed, route: result.route, seconds: seconds))
            invocation.console.info("\(question.id): \(correct ? "correct" : "wrong"), \(citesGold ? "right source" : "wrong source") — \(result.answer.prefix(120))")
        }
        let correct = outcomes.filter(\.correct).count, cited = outcomes.filter(\.citesGold).count
        if invocation.arguments.flag("json") {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes, .prettyPrinted]
            invocation.console.result(String(decoding: try encoder.encode(outcomes), as: UTF8.self))
        } else {
            invocation.console.result("\(questions.count) questions: \(correct) correct, \(cited) with the right source")
        }
    }
}
