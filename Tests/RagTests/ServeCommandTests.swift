import Foundation
import XCTest

/// `rag serve` through the built binary: the refusals that happen before anything is loaded.
final class ServeCommandTests: XCTestCase {
    func testNonLoopbackHostWithoutTokenRefusesInOneLine() throws {
        for host in ["0.0.0.0", "::"] {
            let result = try CLIHarness.run(["serve", "--host", host, "--db", "/nonexistent/index.sqlite"], environment: ["RAG_TOKEN": ""])
            XCTAssertEqual(result.status, 2, host)
            XCTAssertEqual(result.stdout, "")
            XCTAssertEqual(result.stderr.split(separator: "\n").count, 1, result.stderr)
            XCTAssertTrue(result.stderr.contains("--token"), result.stderr)
        }
    }

    func testShortTokenIsAUsageError() throws {
        let result = try CLIHarness.run(["serve", "--host", "0.0.0.0", "--token", "abc"])
        XCTAssertEqual(result.status, 2)
        XCTAssertTrue(result.stderr.contains("at least 8"))
    }

    func testHelpListsTheEndpoints() throws {
        let result = try CLIHarness.run(["serve", "--help"])
        XCTAssertEqual(result.status, 0)
        for text in ["--host", "--port", "--token", "/v1/chat/completions", "/api/search", "loopback"] {
            XCTAssertTrue(result.stdout.contains(text), text)
        }
    }
}
