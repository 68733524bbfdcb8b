import XCTest

final class ArgumentParsingTests: XCTestCase {
    func testTopLevelHelpListsEveryCommand() throws {
        let result = try CLIHarness.run(["--help"])
        XCTAssertEqual(result.status, 0)
        for command in ["ingest", "ask", "chat", "search", "status", "generate", "tokenize", "embed", "bench", "eval"] {
            XCTAssertTrue(result.stdout.contains("  \(command) "), "help lists \(command)")
        }
        XCTAssertTrue(result.stderr.isEmpty)
    }

    func testNoArgumentsPrintsHelp() throws {
        let result = try CLIHarness.run([])
        XCTAssertEqual(result.status, 0)
        XCTAssertTrue(result.stdout.contains("Usage: rag"))
    }

    func testVersion() throws {
        let result = try CLIHarness.run(["--version"])
        XCTAssertEqual(result.status, 0)
        XCTAssertTrue(result.stdout.hasPrefix("rag "))
    }

    func testCommandHelp() throws {
        let result = try CLIHarness.run(["generate", "--help"])
        XCTAssertEqual(result.status, 0)
        XCTAssertTrue(result.stdout.contains("--max-tokens N"))
        XCTAssertTrue(result.stdout.contains("--db PATH"), "command help shows global options too")
        let short = try CLIHarness.run(["ask", "-h"])
        XCTAssertEqual(short.status, 0)
        XCTAssertTrue(short.stdout.contains("rag ask"))
    }

    func testUnknownCommandIsUsageError() throws {
        let result = try CLIHarness.run(["frobnicate"])
        XCTAssertEqual(result.status, 2)
        XCTAssertTrue(result.stderr.contains("unknown command 'frobnicate'"))
        XCTAssertTrue(result.stderr.contains("rag --help"))
        XCTAssertTrue(result.stdout.isEmpty)
    }

    func testUnknownOptionNamesItAndTheCommand() throws {
        let result = try CLIHarness.run(["ask", "--frob", "question"])
        XCTAssertEqual(result.status, 2)
        XCTAssertTrue(result.stderr.contains("'--frob'"))
        XCTAssertTrue(result.stderr.contains("rag ask --help"))
    }

    func testBadKVCacheValueNamesTheFlagAndTheAcceptedValues() throws {
        let result = try CLIHarness.run(["bench", "attention", "--kv-cache", "f8"])
        XCTAssertEqual(result.status, 2)
        XCTAssertTrue(result.stderr.contains("invalid value for --kv-cache: 'f8' (expected one of: f32, f16)"), result.stderr)
        XCTAssertTrue(result.stdout.isEmpty)
    }

    func testMissingArgument() throws {
        let result = try CLIHarness.run(["ask"])
        XCTAssertEqual(result.status, 2)
        XCTAssertTrue(result.stderr.contains("missing argument"))
    }

    func testEmptyQueryIsAUsageErrorInSearchAndAsk() throws {
        for command in ["search", "ask"] {
            let result = try CLIHarness.run([command, "  "])
            XCTAssertEqual(result.status, 2, "\(command): \(result.stderr)")
            XCTAssertTrue(result.stderr.contains("is empty"), result.stderr)
        }
    }

    func testHelpShowsDoubleDashForArgumentsStartingWithADash() throws {
        for arguments in [["search", "--help"], ["ask", "--help"], ["--help"]] {
            let result = try CLIHarness.run(arguments)
            XCTAssertTrue(result.stdout.contains("'--'"), "\(arguments): \(result.stdout)")
        }
    }

    func testOptionMissingItsValue() throws {
        let result = try CLIHarness.run(["search", "query", "-k"])
        XCTAssertEqual(result.status, 2)
        XCTAssertTrue(result.stderr.contains("--k needs a value"))
    }

    func testTooManyArguments() throws {
        let result = try CLIHarness.run(["embed", "one", "two"])
        XCTAssertEqual(result.status, 2)
        XCTAssertTrue(result.stderr.contains("unexpected argument 'two'"))
    }

    func testFlagWithValueIsRejected() throws {
        let result = try CLIHarness.run(["search", "--json=yes", "query"])
        XCTAssertEqual(result.status, 2)
        XCTAssertTrue(result.stderr.contains("takes no value"))
    }

    func testGlobalOptionsAnywhere() throws {
        // Global options before the command and after it parse the same way: help still wins.
        let before = try CLIHarness.run(["--db", "/tmp/x.sqlite", "-q", "status", "--help"])
        let after = try CLIHarness.run(["status", "--db=/tmp/x.sqlite", "--quiet", "--help"])
        XCTAssertEqual(before.status, 0)
        XCTAssertEqual(before.stdout, after.stdout)
    }

    func testAnOptionOfAnotherBenchmarkIsAUsageError() throws {
        let result = try CLIHarness.run(["bench", "passkey", "--contexts", "2048"])
        XCTAssertEqual(result.status, 2)
        XCTAssertEqual(result.stdout, "")
        XCTAssertTrue(result.stderr.contains("--contexts is not an option of 'bench passkey' (it belongs to bench attention)"), result.stderr)
        let embed = try CLIHarness.run(["bench", "embed", "--clients", "4"])
        XCTAssertEqual(embed.status, 2)
        XCTAssertTrue(embed.stderr.contains("bench serve"), embed.stderr)
    }
}
