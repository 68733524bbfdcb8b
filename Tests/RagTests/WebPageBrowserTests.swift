import Foundation
import XCTest

/// The web page of `rag serve` in a real browser: headless Chromium (Debian `chromium`, installed for the tests by
/// `scripts/setup --with-test-tools`, driven over the DevTools pipe) loads `/?q=…`, the page asks the question over
/// the streamed chat API, and the rendered page must hold the answer and a cited source of the notes.
final class WebPageBrowserTests: XCTestCase {
    var repository: URL { RealModels.repository }


    static func chromium() -> String? {
        ["/usr/bin/chromium", "/usr/bin/chromium-browser"].first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    func testPageAsksAndShowsTheCitedSource() throws {
        try RealModels.require()
        guard let browserPath = Self.chromium() else {
            if ProcessInfo.processInfo.environment["CI"] != nil {
                XCTFail("chromium is missing in CI: the test command runs scripts/setup --with-test-tools, which installs it")
            }
            throw XCTSkip("chromium is not installed (scripts/setup --with-test-tools installs it)")
        }
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("rag-browser-\(UUID())")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        let db = scratch.appendingPathComponent("index.sqlite").path
        let ingest = try CLIHarness.run(["--db", db, "-q", "ingest", repository.appendingPathComponent("corpora/attention").path])
        XCTAssertEqual(ingest.status, 0, ingest.stderr)

        // The server on a free port; it says which on stderr.
        let server = Process()
        server.executableURL = CLIHarness.binary
        server.arguments = ["--db", db, "serve", "--port", "0"]
        let errors = Pipe()
        server.standardError = errors
        server.standardOutput = FileHandle.nullDevice
        try server.run()
        defer { server.terminate(); server.waitUntilExit() }
        var port: String?
        var said = ""
        let deadline = Date().addingTimeInterval(60)
        while port == nil, Date() < deadline {
            let data = errors.fileHandleForReading.availableData
            if data.isEmpty { break }
            said += String(decoding: data, as: UTF8.self)
            if let range = said.range(of: #"http://127\.0\.0\.1:(\d+)/"#, options: .regularExpression) {
                port = said[range].split(separator: ":").last.map { String($0.dropLast()) }
            }
        }
        guard let port else { return XCTFail("rag serve did not start: \(said)") }

        let question = "What window size does Mistral 7B use for sliding window attention?"
        var components = URLComponents(string: "http://127.0.0.1:\(port)/")!
        components.queryItems = [URLQueryItem(name: "q", value: question)]
        let browser = try HeadlessBrowser(executable: browserPath, profile: scratch.appendingPathComponent("profile").path,
                                          url: components.url!.absoluteString)
        try browser.attachToPage()
        // The page asks on load and streams the answer in; wait (wall clock) until a cited source is listed.
        var html = ""
        let answerDeadline = Date().addingTimeInterval(90)
        while Date() < answerDeadline {
            html = try browser.evaluate("document.getElementById('turns') ? document.getElementById('turns').innerHTML : ''") as? String ?? ""
            if html.contains("class=\"cited\"") { break }
            Thread.sleep(forTimeInterval: 0.25)
        }
        XCTAssertTrue(html.contains(question), "the page shows the question")
        XCTAssertTrue(html.contains("4096"), "the answer streamed into the page: \(html.suffix(2000))")
        XCTAssertTrue(html.contains("class=\"cited\""), "a cited source is listed")
        XCTAssertTrue(html.contains("sliding-window-attention.md:"), "the source names the note and its lines")
    }
}
