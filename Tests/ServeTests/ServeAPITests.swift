import Foundation
import HTTPServer
import Index
import Retrieval
import Serve
import XCTest

/// The API of `rag serve` over a real loopback server, with a fake index, embedder and generator (no models).
final class ServeAPITests: XCTestCase {
    var root: URL!
    var server: HTTPServer!
    var generator: GateGenerator!
    var backend: ServeBackend!

    static let documents: [(path: String, paragraphs: [String])] = [
        ("kv-cache.md", ["# The KV cache",
                         "The KV cache stores the keys and values of earlier tokens so that decoding does not recompute them.",
                         "The cache grows linearly with the context length and the number of layers."]),
        ("notes/attention.md", ["# Attention", "Sparse attention reads only some of the earlier tokens."]),
    ]

    override func setUpWithError() throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("rag-serve-\(UUID())")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: root.appendingPathComponent("outside-secret"), withIntermediateDirectories: true)
        try "secret".write(to: root.appendingPathComponent("outside.txt"), atomically: true, encoding: .utf8)
    }

    override func tearDownWithError() throws {
        server?.stop()
        try? FileManager.default.removeItem(at: root)
    }

    func start(token: String? = nil, queueCapacity: Int = 4) throws {
        let embedder = HashingEmbedder()
        let corpusRoot = root.appendingPathComponent("docs").path
        let make = { try HybridRetriever(corpus: FileCorpus(embedder: embedder, root: corpusRoot, documents: Self.documents), embedder: embedder) }
        generator = GateGenerator()
        backend = ServeBackend(retriever: try make(), engines: [AnswerEngine(retriever: try make(), generator: generator)],
                               queueCapacity: queueCapacity)
        var settings = ServeSettings()
        settings.token = token
        let api = ServeAPI(backend: backend, settings: settings)
        server = try HTTPServer(host: "127.0.0.1", port: 0) { api.handle($0, $1) }
        server.start()
    }

    func call(_ method: String, _ path: String, _ body: String? = nil, headers: [String: String] = [:]) throws -> TestClient.Response {
        let client = try TestClient(port: server.port)
        client.request(method, path, body: body, headers: headers)
        return try client.readResponse()
    }

    func object(_ response: TestClient.Response) throws -> [String: Any] {
        try XCTUnwrap(try response.json() as? [String: Any], response.text)
    }

    func errorCode(_ response: TestClient.Response) throws -> String? {
        (try object(response)["error"] as? [String: Any])?["code"] as? String
    }

    func testSearchReturnsTheCLIJSON() throws {
        try start()
        let response = try call("POST", "/api/search", #"{"query":"kv cache keys values","k":2}"#)
        XCTAssertEqual(response.status, 200)
        let hits = try XCTUnwrap(try response.json() as? [[String: Any]])
        XCTAssertEqual(hits.count, 2)
        XCTAssertEqual(Set(hits[0].keys), ["path", "root", "heading", "start_line", "end_line", "score", "text"])
        XCTAssertEqual(hits[0]["path"] as? String, "kv-cache.md")
    }

    func testAskReturnsTheCLIJSON() throws {
        try start()
        let response = try call("POST", "/api/ask", #"{"question":"What does the KV cache store?"}"#)
        XCTAssertEqual(response.status, 200, response.text)
        let answer = try object(response)
        for key in ["question", "answer", "origin", "sources", "route", "route_reason", "timings", "tokens", "notices"] {
            XCTAssertNotNil(answer[key], key)
        }
        XCTAssertFalse((answer["answer"] as? String ?? "").isEmpty)
    }

    func testChatCompletionAnswersWithSources() throws {
        try start()
        let response = try call("POST", "/v1/chat/completions",
                                #"{"model":"rag","messages":[{"role":"system","content":"be brief"},{"role":"user","content":"What does the KV cache store?"}]}"#)
        XCTAssertEqual(response.status, 200, response.text)
        let completion = try object(response)
        XCTAssertEqual(completion["object"] as? String, "chat.completion")
        XCTAssertEqual(completion["model"] as? String, "rag")
        let choice = try XCTUnwrap((completion["choices"] as? [[String: Any]])?.first)
        let message = try XCTUnwrap(choice["message"] as? [String: Any])
        XCTAssertEqual(message["role"] as? String, "assistant")
        XCTAssertFalse((message["content"] as? String ?? "").isEmpty)
        XCTAssertEqual(choice["finish_reason"] as? String, "stop")
        let sources = try XCTUnwrap(completion["sources"] as? [[String: Any]])
        XCTAssertEqual(sources.first?["path"] as? String, "kv-cache.md")
        XCTAssertNotNil(completion["usage"] as? [String: Any])
    }

    func testStreamedChatCompletionIsServerSentEvents() throws {
        try start()
        let body = #"{"model":"rag","stream":true,"messages":[{"role":"user","content":"What does the KV cache store?"},{"role":"assistant","content":"Keys and values [1]."},{"role":"user","content":"How does it grow?"}]}"#
        let response = try call("POST", "/v1/chat/completions", body)
        XCTAssertEqual(response.status, 200)
        XCTAssertEqual(response.headers["content-type"], "text/event-stream; charset=utf-8")
        let events = response.text.components(separatedBy: "\n\n").filter { !$0.isEmpty }
        XCTAssertTrue(events.allSatisfy { $0.hasPrefix("data: ") }, response.text)
        XCTAssertEqual(events.last, "data: [DONE]")
        let chunks = try events.dropLast().map { try XCTUnwrap(JSONSerialization.jsonObject(with: Data($0.dropFirst(6).utf8)) as? [String: Any]) }
        XCTAssertTrue(chunks.allSatisfy { $0["object"] as? String == "chat.completion.chunk" })
        let text = chunks.compactMap { (($0["choices"] as? [[String: Any]])?.first?["delta"] as? [String: Any])?["content"] as? String }.joined()
        XCTAssertFalse(text.isEmpty)
        let last = try XCTUnwrap(chunks.last)
        XCTAssertEqual((last["choices"] as? [[String: Any]])?.first?["finish_reason"] as? String, "stop")
        XCTAssertNotNil(last["sources"] as? [[String: Any]])
    }

    func testOtherModelsAndBadRequestsGetOpenAIErrors() throws {
        try start()
        let model = try call("POST", "/v1/chat/completions", #"{"model":"gpt-4","messages":[{"role":"user","content":"hi"}]}"#)
        XCTAssertEqual(model.status, 404)
        XCTAssertEqual(try errorCode(model), "model_not_found")
        let error = try XCTUnwrap(try object(model)["error"] as? [String: Any])
        XCTAssertEqual(Set(error.keys), ["message", "type", "code"])

        XCTAssertEqual(try call("POST", "/v1/chat/completions", #"{"model":"rag","messages":[{"role":"user""#).status, 400)
        XCTAssertEqual(try errorCode(try call("POST", "/v1/chat/completions", "not json")), "invalid_json")
        XCTAssertEqual(try call("POST", "/v1/chat/completions", #"{"model":"rag"}"#).status, 400)
        XCTAssertEqual(try call("POST", "/v1/chat/completions", #"{"model":"rag","messages":[{"role":"assistant","content":"x"}]}"#).status, 400)
        XCTAssertEqual(try call("POST", "/v1/chat/completions", #"{"model":"rag","max_tokens":0,"messages":[{"role":"user","content":"x"}]}"#).status, 400)
        XCTAssertEqual(try call("POST", "/api/search", #"{"query":"   "}"#).status, 400)
        XCTAssertEqual(try call("POST", "/api/search").status, 400)
        XCTAssertEqual(try call("GET", "/nothing").status, 404)
        let method = try call("GET", "/v1/chat/completions")
        XCTAssertEqual(method.status, 405)
        XCTAssertEqual(method.headers["allow"], "POST")
    }

    func testEmbeddings() throws {
        try start()
        let response = try call("POST", "/v1/embeddings", #"{"model":"rag","input":["kv cache","attention"]}"#)
        XCTAssertEqual(response.status, 200, response.text)
        let list = try object(response)
        let data = try XCTUnwrap(list["data"] as? [[String: Any]])
        XCTAssertEqual(data.count, 2)
        XCTAssertEqual(data[1]["index"] as? Int, 1)
        XCTAssertEqual((data[0]["embedding"] as? [Double])?.count, 16)
        XCTAssertEqual(list["model"] as? String, "hashing-test")
        XCTAssertEqual(try call("POST", "/v1/embeddings", #"{"model":"other","input":"x"}"#).status, 404)
        XCTAssertEqual(try call("POST", "/v1/embeddings", #"{"model":"rag","input":[]}"#).status, 400)
    }

    func testSourceServesOnlyIndexedDocuments() throws {
        try start()
        let response = try call("GET", "/api/source?path=kv-cache.md&start=3&end=5")
        XCTAssertEqual(response.status, 200, response.text)
        let lines = try XCTUnwrap(try object(response)["lines"] as? [[String: Any]])
        XCTAssertEqual(lines.map { $0["n"] as? Int }, [3, 4, 5])
        XCTAssertTrue((lines[0]["text"] as? String ?? "").hasPrefix("The KV cache stores"))
        XCTAssertEqual(try call("GET", "/api/source?path=notes%2Fattention.md&start=1&end=1").status, 200)

        for hostile in ["../outside.txt", "/etc/passwd", "notes/../kv-cache.md", "%2e%2e/outside.txt", "kv-cache.md%00", "notes"] {
            XCTAssertEqual(try call("GET", "/api/source?path=\(hostile)&start=1&end=1").status, 404, hostile)
        }
        XCTAssertEqual(try call("GET", "/api/source?path=kv-cache.md&start=5&end=3").status, 400)
        XCTAssertEqual(try call("GET", "/api/source?path=kv-cache.md&start=0&end=3").status, 400)
        XCTAssertEqual(try call("GET", "/api/source?path=kv-cache.md&start=1&end=99999").status, 400)
        XCTAssertEqual(try call("GET", "/api/source?path=kv-cache.md").status, 400)
    }

    func testStatusAndPage() throws {
        try start()
        let status = try object(try call("GET", "/api/status"))
        XCTAssertEqual(status["model"] as? String, "rag")
        XCTAssertEqual((status["generation"] as? [String: Any])?["workers"] as? Int, 1)
        let page = try call("GET", "/")
        XCTAssertEqual(page.status, 200)
        XCTAssertTrue(page.headers["content-type"]?.hasPrefix("text/html") ?? false)
        XCTAssertTrue(page.text.contains("/v1/chat/completions"))
        XCTAssertFalse(page.text.contains("http://") || page.text.contains("https://"), "no external assets")
    }

    func testTokenIsRequiredOnEveryRequest() throws {
        try start(token: "s3cret-token")
        for path in ["/", "/api/status", "/nothing"] {
            let response = try call("GET", path)
            XCTAssertEqual(response.status, 401, path)
            XCTAssertNotNil(response.headers["www-authenticate"])
        }
        XCTAssertEqual(try call("GET", "/api/status", headers: ["Authorization": "Bearer wrong-token!"]).status, 401)
        XCTAssertEqual(try call("GET", "/api/status", headers: ["Authorization": "Bearer s3cret-token"]).status, 200)
        let basic = Data("user:s3cret-token".utf8).base64EncodedString()
        XCTAssertEqual(try call("GET", "/", headers: ["Authorization": "Basic \(basic)"]).status, 200)
        XCTAssertEqual(try call("POST", "/api/search", #"{"query":"cache"}"#).status, 401)
    }

    func testWithoutATokenOnlyLoopbackHostNamesAreServed() throws {
        try start()
        for host in ["localhost", "localhost:8642", "127.0.0.1:8642", "[::1]:8642"] {
            let client = try TestClient(port: server.port)
            client.send("GET /api/status HTTP/1.1\r\nHost: \(host)\r\n\r\n")
            XCTAssertEqual(try client.readResponse().status, 200, host)
        }
        for host in ["evil.example", "evil.example:8642", "127.0.0.1.evil.example", "[::2]:8642"] {
            let client = try TestClient(port: server.port)
            client.send("GET /api/status HTTP/1.1\r\nHost: \(host)\r\n\r\n")
            XCTAssertEqual(try client.readResponse().status, 403, host)
        }
    }

    func testFullQueueIs503WithRetryAfterAndSearchDoesNotWait() throws {
        try start(queueCapacity: 0)
        generator.hold()
        // A follow-up makes the worker call the generator (condensing), where it waits.
        let followUp = #"{"model":"rag","messages":[{"role":"user","content":"What does the KV cache store?"},{"role":"assistant","content":"Keys and values [1]."},{"role":"user","content":"and how does it grow?"}]}"#
        let busy = try TestClient(port: server.port)
        busy.request("POST", "/v1/chat/completions", body: followUp)
        XCTAssertEqual(generator.entered.wait(timeout: .now() + 10), .success)

        let refused = try call("POST", "/api/ask", #"{"question":"What does the KV cache store?"}"#)
        XCTAssertEqual(refused.status, 503)
        XCTAssertNotNil(refused.headers["retry-after"])
        XCTAssertEqual(try errorCode(refused), "overloaded")

        let started = Date()
        XCTAssertEqual(try call("POST", "/api/search", #"{"query":"cache"}"#).status, 200)
        XCTAssertLessThan(Date().timeIntervalSince(started), 2, "search does not wait behind generation")

        generator.release()
        XCTAssertEqual(try busy.readResponse().status, 200)
    }

    func testAClientThatLeavesWhileQueuedIsNotAnswered() throws {
        try start(queueCapacity: 1)
        generator.hold()
        let followUp = #"{"model":"rag","messages":[{"role":"user","content":"What does the KV cache store?"},{"role":"assistant","content":"Keys and values [1]."},{"role":"user","content":"and how does it grow?"}]}"#
        let first = try TestClient(port: server.port)
        first.request("POST", "/v1/chat/completions", body: followUp)
        XCTAssertEqual(generator.entered.wait(timeout: .now() + 10), .success)

        let leaving = try TestClient(port: server.port)
        leaving.request("POST", "/v1/chat/completions", body: followUp)
        Thread.sleep(forTimeInterval: 0.3)
        XCTAssertEqual(backend.generation.load.waiting, 1)
        leaving.closeNow()
        Thread.sleep(forTimeInterval: 0.1)

        generator.release()
        XCTAssertEqual(try first.readResponse().status, 200)
        Thread.sleep(forTimeInterval: 0.3)
        let afterFirst = generator.calls
        XCTAssertEqual(backend.generation.load.waiting, 0)
        XCTAssertEqual(backend.generation.load.running, 0)
        // The same request again, from a client that stays: how many generator calls one request makes.
        XCTAssertEqual(try call("POST", "/v1/chat/completions", followUp).status, 200)
        let perRequest = generator.calls - afterFirst
        XCTAssertGreaterThan(perRequest, 0)
        XCTAssertEqual(afterFirst, perRequest, "the departed client's request never reached the generator")
    }
}
