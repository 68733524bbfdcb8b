import HTTPServer
import XCTest

/// The request parser against well-formed, malformed and hostile heads.
final class RequestParserTests: XCTestCase {
    let parser = RequestParser()

    func parse(_ text: String) throws(HTTPError) -> RequestParser.Head? {
        try parser.parseHead(Array(text.utf8))
    }

    func assertRejected(_ text: String, _ expected: HTTPError.Type = HTTPError.self, status: Int = 400,
                        file: StaticString = #filePath, line: UInt = #line) {
        do {
            let head = try parse(text)
            XCTFail("accepted: \(String(describing: head?.request.target))", file: file, line: line)
        } catch {
            XCTAssertEqual(error.status, status, "\(error)", file: file, line: line)
        }
    }

    func testParsesARequestWithQueryAndBodyLength() throws {
        let head = try XCTUnwrap(parse("POST /api/source?path=notes%2Fa.md&start=3&q=a+b HTTP/1.1\r\nHost: x\r\nContent-Length: 12\r\nX-Empty:\r\n\r\n{\"a\":1}"))
        XCTAssertEqual(head.request.method, "POST")
        XCTAssertEqual(head.request.path, "/api/source")
        XCTAssertEqual(head.request.query["path"], "notes/a.md")
        XCTAssertEqual(head.request.query["start"], "3")
        XCTAssertEqual(head.request.query["q"], "a b")
        XCTAssertEqual(head.request.headers["content-length"], "12")
        XCTAssertEqual(head.request.headers["X-Empty"], "")
        XCTAssertEqual(head.contentLength, 12)
        XCTAssertTrue(head.request.wantsKeepAlive)
    }

    func testIncompleteHeadWaitsForMore() throws {
        XCTAssertNil(try parse("GET / HTTP/1.1\r\nHost: x\r\n"))
        XCTAssertNil(try parse("GET / HT"))
    }

    func testConnectionHeadersDecideKeepAlive() throws {
        XCTAssertFalse(try XCTUnwrap(parse("GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")).request.wantsKeepAlive)
        XCTAssertFalse(try XCTUnwrap(parse("GET / HTTP/1.0\r\n\r\n")).request.wantsKeepAlive)
        XCTAssertTrue(try XCTUnwrap(parse("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")).request.wantsKeepAlive)
    }

    func testMalformedRequestLines() {
        assertRejected("GET\r\n\r\n")
        assertRejected("GET /  HTTP/1.1\r\nHost: x\r\n\r\n")
        assertRejected("GET http://evil/ HTTP/1.1\r\nHost: x\r\n\r\n")
        assertRejected("G(T / HTTP/1.1\r\nHost: x\r\n\r\n")
        assertRejected("GET /a\u{7f}b HTTP/1.1\r\nHost: x\r\n\r\n")
        assertRejected("GET / FTP/1.1\r\nHost: x\r\n\r\n")
        assertRejected("GET / HTTP/2.0\r\nHost: x\r\n\r\n", status: 505)
        assertRejected("\u{0}\u{1}\u{2}\r\n\r\n")
        // A broken request line is refused before the head is complete.
        assertRejected("BROKEN\r\n")
    }

    func testMalformedHeaders() {
        assertRejected("GET / HTTP/1.1\r\nHost x\r\n\r\n")
        assertRejected("GET / HTTP/1.1\r\nHost: x\r\n folded: yes\r\n\r\n")
        assertRejected("GET / HTTP/1.1\r\nHost: x\r\nBad Name: 1\r\n\r\n")
        assertRejected("GET / HTTP/1.1\r\nHost: x\r\nX: a\u{0}b\r\n\r\n")
        assertRejected("GET / HTTP/1.1\r\nHost: x\r\nX: a\nInjected: 1\r\n\r\n")
        assertRejected("GET / HTTP/1.1\r\n: empty\r\nHost: x\r\n\r\n")
        assertRejected("GET / HTTP/1.1\r\n\r\n")                       // HTTP/1.1 without Host
        assertRejected("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n")
    }

    func testContentLengthSmugglingIsRefused() {
        assertRejected("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n")
        assertRejected("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5, 6\r\n\r\n")
        assertRejected("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n")
        assertRejected("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 0x10\r\n\r\n")
        assertRejected("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999999999999\r\n\r\n")
        assertRejected("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n", status: 501)
        assertRejected("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n", status: 501)
    }

    func testAgreeingDuplicateContentLengthsAreAccepted() throws {
        XCTAssertEqual(try XCTUnwrap(parse("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nContent-Length: 4\r\n\r\n")).contentLength, 4)
    }

    func testSizeLimits() {
        var limits = ServerLimits()
        limits.maxHeaderBytes = 256
        limits.maxHeaderCount = 5
        limits.maxBodyBytes = 100
        let small = RequestParser(limits: limits)
        XCTAssertThrowsError(try small.parseHead(Array(("GET / HTTP/1.1\r\nHost: x\r\nX: " + String(repeating: "a", count: 300)).utf8))) {
            XCTAssertEqual(($0 as? HTTPError)?.status, 431)
        }
        let many = "GET / HTTP/1.1\r\nHost: x\r\n" + (1...6).map { "X\($0): 1\r\n" }.joined() + "\r\n"
        XCTAssertThrowsError(try small.parseHead(Array(many.utf8))) { XCTAssertEqual(($0 as? HTTPError)?.status, 431) }
        XCTAssertThrowsError(try small.parseHead(Array("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 101\r\n\r\n".utf8))) {
            XCTAssertEqual(($0 as? HTTPError)?.status, 413)
        }
    }

    func testRandomBytesNeverCrashTheParser() {
        var generator = SystemRandomNumberGenerator()
        let alphabet = Array("GET POST / HTTP/1.1\r\n:Host Content-Length 0123456789 \t\u{0}\u{7f}é".utf8)
        for _ in 0..<2000 {
            let length = Int.random(in: 0...300, using: &generator)
            let bytes = (0..<length).map { _ in alphabet.randomElement(using: &generator)! }
            _ = try? parser.parseHead(bytes)
        }
    }
}
