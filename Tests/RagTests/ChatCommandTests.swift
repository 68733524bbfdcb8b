import Foundation
import XCTest

/// `rag chat` through the built binary: session management and bad input.
final class ChatCommandTests: XCTestCase {
    var directory: URL!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("rag-chat-cli-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: directory)
    }

    var database: String { directory.appendingPathComponent("index.sqlite").path }

    func testHelpDescribesCommandsAndOptions() throws {
        let result = try CLIHarness.run(["chat", "--help"])
        XCTAssertEqual(result.status, 0)
        for text in ["--session NAME", "--list", "--delete NAME", "--json", "/sources", "/summary", "Ctrl-C", "Ctrl-D"] {
            XCTAssertTrue(result.stdout.contains(text), "help mentions \(text)")
        }
    }

    func testListWithoutAnIndexIsEmptyNotAnError() throws {
        let result = try CLIHarness.run(["chat", "--list", "--db", database])
        XCTAssertEqual(result.status, 0)
        XCTAssertEqual(result.stdout, "")
        XCTAssertTrue(result.stderr.contains("no chat sessions"))
        XCTAssertFalse(FileManager.default.fileExists(atPath: database), "listing creates no database")

        let json = try CLIHarness.run(["chat", "--list", "--json", "--db", database])
        XCTAssertEqual(json.status, 0)
        XCTAssertEqual(json.stdout, "[]\n")
    }

    func testDeletingAMissingSessionFailsWithOneLine() throws {
        let result = try CLIHarness.run(["chat", "--delete", "nothing-here", "--db", database])
        XCTAssertEqual(result.status, 1)
        XCTAssertTrue(result.stderr.contains("no session named 'nothing-here'"))
        XCTAssertEqual(result.stderr.split(separator: "\n").count, 1)
    }

    func testConflictingOptionsAreUsageErrors() throws {
        for arguments in [["chat", "--list", "--delete", "a"], ["chat", "--list", "--session", "a"], ["chat", "--delete", "a", "--session", "b"]] {
            let result = try CLIHarness.run(arguments + ["--db", database])
            XCTAssertEqual(result.status, 2, "\(arguments)")
            XCTAssertTrue(result.stderr.contains("rag chat --help"))
        }
    }

    func testInvalidSessionNameIsAUsageError() throws {
        let result = try CLIHarness.run(["chat", "--session", " ", "--db", database])
        XCTAssertEqual(result.status, 2)
        XCTAssertTrue(result.stderr.contains("invalid session name"))
        let long = try CLIHarness.run(["chat", "--session", String(repeating: "x", count: 65), "--db", database])
        XCTAssertEqual(long.status, 2)
    }

    func testChatWithoutAnIndexSaysToIngest() throws {
        let result = try CLIHarness.run(["chat", "--db", database], stdin: "What is it?\n")
        XCTAssertEqual(result.status, 1)
        XCTAssertTrue(result.stderr.contains("no index at \(database)"))
        XCTAssertTrue(result.stderr.contains("rag ingest"))
        XCTAssertFalse(FileManager.default.fileExists(atPath: database), "no empty index is left behind")
    }

    func testBadNumbersAreUsageErrors() throws {
        let result = try CLIHarness.run(["chat", "--memory", "lots", "--db", database], stdin: "hello\n")
        XCTAssertEqual(result.status, 2)
        XCTAssertTrue(result.stderr.contains("--memory"))
    }

    // MARK: - With the real models (skipped when they are not installed)

    var modelsDirectory: String { RealModels.directory }

    func requireModels() throws { try RealModels.require() }

    /// A piped session with the real models, tiny budgets so that it runs in seconds: JSON per turn, bad input
    /// handled on one line each, then list, resume and delete.
    func testPipedSessionResumeListAndDelete() throws {
        try requireModels()
        let notes = directory.appendingPathComponent("notes")
        try FileManager.default.createDirectory(at: notes, withIntermediateDirectories: true)
        try "# Kettles\n\nA kettle boils water for tea. Electric kettles switch off when the water boils.\n"
            .write(to: notes.appendingPathComponent("kettle.md"), atomically: true, encoding: .utf8)
        try "# Teapots\n\nA teapot keeps tea warm. Porcelain teapots hold heat well.\n"
            .write(to: notes.appendingPathComponent("teapot.md"), atomically: true, encoding: .utf8)
        let common = ["--db", database, "--models", modelsDirectory]
        let ingest = try CLIHarness.run(common + ["ingest", notes.path])
        XCTAssertEqual(ingest.status, 0, ingest.stderr)

        let tiny = ["chat", "--json", "--max-tokens", "4", "--budget", "120", "--memory", "200"]
        let first = try CLIHarness.run(common + tiny + ["--session", "tea"],
                                       stdin: "What does a kettle do?\n\n   \n/frobnicate\nWhat about teapots?\n")
        XCTAssertEqual(first.status, 0, first.stderr)
        XCTAssertTrue(first.stderr.contains("no session named 'tea' yet: starting it"))
        XCTAssertTrue(first.stderr.contains("unknown command /frobnicate"))
        let turns = try first.stdout.split(separator: "\n").map { line in
            try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        }
        XCTAssertEqual(turns.count, 2, "one JSON object per question; empty lines and commands add none")
        XCTAssertEqual(turns.map { $0["turn"] as? Int }, [1, 2])
        XCTAssertEqual(turns[0]["standalone_question"] as? String, "What does a kettle do?", "the first turn is not condensed")
        for turn in turns {
            for key in ["answer", "sources", "route", "timings", "tokens", "prompt_tokens"] {
                XCTAssertNotNil(turn[key], "field \(key)")
            }
            XCTAssertLessThanOrEqual(turn["prompt_tokens"] as? Int ?? .max, 3000)
        }

        let listed = try CLIHarness.run(common + ["chat", "--list"])
        XCTAssertEqual(listed.status, 0)
        XCTAssertTrue(listed.stdout.hasPrefix("tea "), listed.stdout)
        XCTAssertTrue(listed.stdout.contains("2 turns"))

        let resumed = try CLIHarness.run(common + tiny + ["--session", "tea"], stdin: "And electric ones?\n")
        XCTAssertEqual(resumed.status, 0, resumed.stderr)
        XCTAssertTrue(resumed.stdout.contains("\"turn\":3"), "numbering continues after a resume")

        let plain = try CLIHarness.run(common + ["chat", "--max-tokens", "4", "--budget", "120"], stdin: "What keeps tea warm?\n")
        XCTAssertEqual(plain.status, 0, plain.stderr)
        XCTAssertTrue(plain.stdout.contains("Sources"), "text mode prints the sources after the answer")
        XCTAssertFalse(plain.stdout.contains("\u{1B}["), "no colours without a terminal")

        let deleted = try CLIHarness.run(common + ["chat", "--delete", "tea"])
        XCTAssertEqual(deleted.status, 0, deleted.stderr)
        let remaining = try CLIHarness.run(common + ["chat", "--list"]).stdout.split(separator: "\n")
        XCTAssertEqual(remaining.count, 1, "the unnamed session is left")
        XCTAssertFalse(remaining.contains { $0.hasPrefix("tea ") })
    }
}
