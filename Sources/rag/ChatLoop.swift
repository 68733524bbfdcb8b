import Foundation
import Retrieval

/// The read–answer loop of `rag chat`.
///
/// On a terminal: a prompt, streamed answers with their sources, `/commands`, Ctrl-C stops the current answer,
/// Ctrl-D (end of input) leaves. Without a terminal: one question per line, each answer followed by its sources
/// (or one JSON object per turn with `--json`), no prompts or colours, and the loop ends at end of input.
final class ChatLoop {
    let engine: ChatEngine
    let console: Console
    let output: ChatOutput
    let interactive: Bool
    private var interrupt: ChatInterrupt?
    /// Questions that failed (an error was printed and the session went on).
    private(set) var failedTurns = 0

    init(engine: ChatEngine, console: Console, json: Bool, interactive: Bool) {
        self.engine = engine
        self.console = console
        self.interactive = interactive
        let colour = interactive && !json && console.stdoutIsTerminal && ProcessInfo.processInfo.environment["NO_COLOR"] == nil
        self.output = ChatOutput(console: console, json: json, colour: colour)
    }

    /// Runs until `/exit` or end of input, then saves what is still unsaved.
    func run() throws {
        if interactive {
            let interrupt = ChatInterrupt(onIdle: { Console.writeStderr("\n(Ctrl-D or /exit leaves the chat)\n> ") })
            interrupt.install()
            self.interrupt = interrupt
            greet()
        }
        defer { interrupt?.uninstall() }

        while true {
            if interactive { Console.writeStderr(output.bold("> ")) }
            guard let line = readLine(strippingNewline: true) else {
                if interactive { Console.writeStderr("\n") }
                break
            }
            switch ChatInput(line: line) {
            case .empty:
                continue
            case .question(let question):
                answer(question)
            case .unknownCommand(let word):
                Console.writeStderr("unknown command \(word): /help lists the commands\n")
            case .command(.exit):
                try finish()
                return
            case .command(let command):
                perform(command)
            }
        }
        try finish()
    }

    private func greet() {
        let state: String
        if engine.resumed {
            let folded = engine.memory.summary.coveredTurns
            state = "resumed session '\(engine.sessionName)': \(engine.transcript.count) turn(s)"
                + (folded > 0 ? ", the first \(folded) summarized" : "")
        } else {
            state = "session '\(engine.sessionName)'"
        }
        console.info("rag chat — \(state). Ask about your documents; /help lists commands, Ctrl-C stops an answer, Ctrl-D leaves.")
    }

    private func answer(_ question: String) {
        let streaming = !output.json
        interrupt?.beginAnswer()
        do {
            let result = try engine.ask(question, progress: { self.console.info($0) }, onText: { piece in
                if streaming { self.console.stream(piece) }
                return self.interrupt?.shouldContinue ?? true
            })
            interrupt?.endAnswer()
            if output.json { try output.printJSON(result) } else { output.finishText(result) }
            for notice in result.notices { console.info("note: " + notice) }
            if let summary = result.summarizing {
                console.debug("memory: folded turns 1-\(engine.memory.summary.coveredTurns) into a \(result.summaryTokens)-token summary"
                              + (summary.fellBack ? " (extractive fallback)" : ""))
            }
            if !result.condensing.modelOutput.isEmpty {
                let verdict = result.condensing.rewritten ? "used" : "not used"
                console.debug("condenser wrote (\(verdict)): \(result.condensing.modelOutput.split(whereSeparator: \.isNewline).first ?? "")")
            }
            if let focus = result.focus {
                console.debug("referent: \"\(focus.item)\" (other items of the list: \(focus.siblings.map { "\"\($0)\"" }.joined(separator: ", ")))")
            }
            console.debug("turn \(result.turn.number): searched: \(result.turn.standaloneQuestion); prompt \(result.answer.promptTokens) tokens; memory \(result.memoryTokens) tokens")
        } catch {
            interrupt?.endAnswer()
            failedTurns += 1
            if streaming { console.stream("\n") }
            let message = RagCLI.describe(error)
            Console.writeStderr("rag: \(message)\n")
            if output.json { try? output.printJSONError(question: question, message: message) }
        }
    }

    private func perform(_ command: ChatCommandWord) {
        switch command {
        case .help:
            console.result("Commands:")
            for word in ChatCommandWord.allCases { console.result("  " + word.help) }
            console.result("Anything else is a question. Start a question with // to begin it with a slash.")
        case .sources:
            guard let last = engine.lastResult else {
                console.result("No answer yet in this run.")
                return
            }
            guard !last.turn.sources.isEmpty else {
                console.result("The last answer had no sources.")
                return
            }
            for source in last.turn.sources {
                let mark = last.turn.cited.contains(source.number) ? "cited" : "     "
                console.result("\(mark)  \(ChatOutput.sourceLine(source))  (score \(String(format: "%.3f", source.score)))")
            }
        case .history:
            guard !engine.transcript.isEmpty else {
                console.result("No turns yet.")
                return
            }
            let covered = engine.memory.summary.coveredTurns
            for turn in engine.transcript {
                let state = turn.number <= covered ? " (summarized)" : ""
                console.result("\(turn.number). you\(state): \(turn.question)")
                if turn.standaloneQuestion != turn.question { console.result("   searched: \(turn.standaloneQuestion)") }
                console.result("   rag: \(turn.answer)" + (turn.interrupted ? " [stopped]" : ""))
            }
        case .summary:
            let memory = engine.memory
            let tokens = memory.tokens(countTokens: engine.generator.countTokens)
            if memory.summary.text.isEmpty {
                console.result("No summary yet: the last \(memory.recentTurns.count) turn(s) are remembered word for word.")
            } else {
                console.result("Summary of turns 1-\(memory.summary.coveredTurns):")
                console.result(memory.summary.text)
            }
            console.result("(memory: \(tokens) of \(engine.budget.memoryTokens) tokens; \(memory.recentTurns.count) recent turn(s) kept verbatim)")
        case .reset:
            if let notice = engine.reset() { console.info("note: " + notice) }
            console.result("Conversation forgotten; session '\(engine.sessionName)' starts over.")
        case .exit:
            break
        }
    }

    /// Saves what is unsaved; a database still busy after a few tries is an error (exit 1), naming what is lost.
    private func finish() throws {
        var attempts = 0
        while let failure = engine.save() {
            attempts += 1
            guard failure.isBusy, attempts < 3 else {
                throw CommandFailure(message: "\(engine.unsavedChanges) change(s) of session '\(engine.sessionName)' could not be saved: \(failure)")
            }
            console.info("database busy: retrying to save the session (\(attempts)/2)")
            Thread.sleep(forTimeInterval: 1)
        }
        if failedTurns > 0, !interactive {
            throw CommandFailure(message: "\(failedTurns) question(s) could not be answered (see the messages above)")
        }
    }
}
