import Foundation
import HTTPServer
import XCTest

/// The server over real loopback sockets, with small handlers: framing, keep-alive, streaming, limits,
/// timeouts and disconnects.
final class HTTPServerTests: XCTestCase {
    var server: HTTPServer!

    override func tearDown() {
        server?.stop()
        server = nil
    }

    /// Locked counters shared with handler threads.
    final class Record: @unchecked Sendable {
        private let lock = NSLock()
        private var values: [String: Int] = [:]
        func add(_ key: String, _ amount: Int = 1) { lock.lock(); values[key, default: 0] += amount; lock.unlock() }
        func get(_ key: String) -> Int { lock.lock(); defer { lock.unlock() }; return values[key] ?? 0 }
    }

    func start(limits: ServerLimits = ServerLimits(), _ handler: @escaping HTTPServer.Handler) throws {
        server = try HTTPServer(host: "127.0.0.1", port: 0, limits: limits, handler: handler)
        server.start()
    }

    static let echo: HTTPServer.Handler = { request, writer in
        writer.send(HTTPResponse(status: 200, contentType: "text/plain",
                                 body: "\(request.method) \(request.path) \(request.body.count)"))
    }

    func testPlainRequestsShareOneKeptAliveConnection() throws {
        try start(Self.echo)
        let client = try TestClient(port: server.port)
        client.request("GET", "/a")
        XCTAssertEqual(try client.readResponse().text, "GET /a 0")
        client.request("POST", "/b", body: "{\"x\":1}")
        let second = try client.readResponse()
        XCTAssertEqual(second.text, "POST /b 7")
        XCTAssertEqual(second.headers["connection"], "keep-alive")
        // Two pipelined requests in one write.
        client.send("GET /c HTTP/1.1\r\nHost: x\r\n\r\nGET /d HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        XCTAssertEqual(try client.readResponse().text, "GET /c 0")
        XCTAssertEqual(try client.readResponse().text, "GET /d 0")
        XCTAssertTrue(client.serverCloses(within: 2))
    }

    func testStreamedResponseIsChunked() throws {
        try start { _, writer in
            writer.beginStream(headers: HTTPHeaders([("Content-Type", "text/event-stream")]))
            for index in 1...3 { writer.write("data: \(index)\n\n") }
            writer.write("data: [DONE]\n\n")
            writer.endStream()
        }
        let client = try TestClient(port: server.port)
        client.request("GET", "/events")
        let response = try client.readResponse()
        XCTAssertEqual(response.headers["transfer-encoding"], "chunked")
        XCTAssertEqual(response.headers["content-type"], "text/event-stream")
        XCTAssertEqual(response.text, "data: 1\n\ndata: 2\n\ndata: 3\n\ndata: [DONE]\n\n")
        // The connection is still usable after the stream.
        client.request("GET", "/again")
        XCTAssertEqual(try client.readResponse().status, 200)
    }

    func testMalformedRequestGetsJSON400AndIsClosed() throws {
        try start(Self.echo)
        let client = try TestClient(port: server.port)
        client.send("GET /x HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n")
        let response = try client.readResponse()
        XCTAssertEqual(response.status, 400)
        XCTAssertEqual(response.headers["content-type"], "application/json")
        let error = try XCTUnwrap((try response.json() as? [String: Any])?["error"] as? [String: Any])
        XCTAssertNotNil(error["message"] as? String)
        XCTAssertEqual(error["type"] as? String, "invalid_request_error")
        XCTAssertTrue(client.serverCloses(within: 2))
    }

    func testOversizedBodyIs413BeforeItIsRead() throws {
        var limits = ServerLimits()
        limits.maxBodyBytes = 1000
        let record = Record()
        try start(limits: limits) { request, writer in record.add("handled"); Self.echo(request, writer) }
        let client = try TestClient(port: server.port)
        client.send("POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: 5000000\r\n\r\n")
        XCTAssertEqual(try client.readResponse().status, 413)
        XCTAssertEqual(record.get("handled"), 0)
        // Exactly at the limit is fine.
        let fine = try TestClient(port: server.port)
        fine.request("POST", "/x", body: String(repeating: "a", count: 1000))
        XCTAssertEqual(try fine.readResponse().text, "POST /x 1000")
    }

    func testSlowClientsAreCutOff() throws {
        var limits = ServerLimits()
        limits.headerTimeout = 0.5
        limits.bodyTimeout = 0.5
        limits.idleTimeout = 0.5
        try start(limits: limits, Self.echo)

        // A head trickled byte by byte never completes in time: 408, closed.
        let slow = try TestClient(port: server.port)
        let started = Date()
        for byte in Array("GET / HTTP/1.1\r\nHost: x\r\n".utf8) {
            slow.send([byte])
            usleep(50_000)
        }
        XCTAssertEqual(try slow.readResponse(timeout: 3).status, 408)
        XCTAssertLessThan(Date().timeIntervalSince(started), 3)

        // A body that never arrives.
        let stalled = try TestClient(port: server.port)
        stalled.send("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nabc")
        XCTAssertEqual(try stalled.readResponse(timeout: 3).status, 408)

        // A connection that sends nothing is closed quietly.
        let idle = try TestClient(port: server.port)
        XCTAssertTrue(idle.serverCloses(within: 3))
    }

    func testDisconnectMidStreamStopsTheHandler() throws {
        let record = Record()
        let done = DispatchSemaphore(value: 0)
        try start { _, writer in
            writer.beginStream(headers: HTTPHeaders([("Content-Type", "text/event-stream")]))
            for _ in 0..<2000 {
                guard writer.write("data: " + String(repeating: "x", count: 1000) + "\n\n") else { break }
                record.add("written")
                usleep(2000)
            }
            done.signal()
        }
        let client = try TestClient(port: server.port)
        client.request("GET", "/stream")
        _ = try client.readHead()
        _ = try client.readChunk()
        client.closeNow()
        XCTAssertEqual(done.wait(timeout: .now() + 10), .success, "the handler noticed the disconnect")
        XCTAssertLessThan(record.get("written"), 2000)
    }

    func testHandlerThatSendsNothingGets500() throws {
        try start { _, _ in }
        let client = try TestClient(port: server.port)
        client.request("GET", "/")
        XCTAssertEqual(try client.readResponse().status, 500)
    }

    func testConnectionsAreServedConcurrently() throws {
        let gate = DispatchSemaphore(value: 0)
        try start { request, writer in
            if request.path == "/wait" { _ = gate.wait(timeout: .now() + 10) }
            Self.echo(request, writer)
        }
        let blocked = try TestClient(port: server.port)
        blocked.request("GET", "/wait")
        let other = try TestClient(port: server.port)
        other.request("GET", "/fast")
        XCTAssertEqual(try other.readResponse(timeout: 3).text, "GET /fast 0")
        gate.signal()
        XCTAssertEqual(try blocked.readResponse().text, "GET /wait 0")
    }

    func testConnectionsBeyondTheLimitGet503() throws {
        var limits = ServerLimits()
        limits.maxConnections = 1
        try start(limits: limits, Self.echo)
        let first = try TestClient(port: server.port)
        first.request("GET", "/")
        XCTAssertEqual(try first.readResponse().status, 200)
        let second = try TestClient(port: server.port)
        let refused = try second.readResponse()
        XCTAssertEqual(refused.status, 503)
        XCTAssertNotNil(refused.headers["retry-after"])
    }

    func testLoopbackDetection() {
        XCTAssertTrue(HTTPServer.isLoopback(host: "127.0.0.1"))
        XCTAssertTrue(HTTPServer.isLoopback(host: "127.1.2.3"))
        XCTAssertTrue(HTTPServer.isLoopback(host: "::1"))
        XCTAssertTrue(HTTPServer.isLoopback(host: "localhost"))
        XCTAssertFalse(HTTPServer.isLoopback(host: "0.0.0.0"))
        XCTAssertFalse(HTTPServer.isLoopback(host: "::"))
        XCTAssertFalse(HTTPServer.isLoopback(host: "192.168.1.10"))
    }
}
