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

    func testBadNumbersAreUsageErrors() throws {
        let result = try CLIHarness.run(["chat", "--memory", "lots", "--db", database], stdin: "hello\n")
        XCTAssertEqual(result.status, 2)
        XCTAssertTrue(result.stderr.contains("--memory"))
    }
}
