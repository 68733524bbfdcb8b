import Foundation
import HTTPServer
import Serve
#if canImport(Glibc)
import Glibc
#endif

/// `rag bench serve`: `rag serve` under load. Starts the server in this process on a free loopback port over the
/// index of `--db`, then `--clients` threads ask streamed chat completions for `--seconds` (first questions and
/// follow-ups, which make the model condense; a 503 waits half a second and asks again). Reports answers per
/// second, time to first token (first non-empty content event), errors by status, and the resident memory sampled
/// every second. Prints JSON.
enum BenchServe {
    static let conversations: [[(role: String, content: String)]] = [
        [("user", "How much memory does the KV cache use?")],
        [("user", "What is grouped-query attention?")],
        [("user", "How does sliding window attention work?"), ("assistant", "Each token attends to a fixed window of recent tokens [1]."),
         ("user", "What happens to tokens outside the window?")],
        [("user", "What is FlashAttention?")],
        [("user", "How are weights quantized to INT4?"), ("assistant", "Blocks of weights share a scale [1]."),
         ("user", "How much smaller does that make the model?")],
        [("user", "What does rotary position embedding do?")],
        [("user", "What is speculative decoding?")],
        [("user", "What is the capital of France?")],
    ]

    struct Report: Encodable {
        let clients: Int
        let seconds: Double
        let workers: Int
        let queue: Int
        let answers: Int
        let answersPerSecond: Double
        let firstTokenP50Ms: Double?
        let firstTokenP95Ms: Double?
        let totalP50Ms: Double?
        let totalP95Ms: Double?
        let errors: [String: Int]
        let rssStartMB: Double
        let rssEndMB: Double
        let rssMaxMB: Double
        /// Resident memory every 10 s of the run.
        let rssSamplesMB: [Double]
        enum CodingKeys: String, CodingKey {
            case clients, seconds, workers, queue, answers, errors
            case answersPerSecond = "answers_per_second"
            case firstTokenP50Ms = "first_token_p50_ms"
            case firstTokenP95Ms = "first_token_p95_ms"
            case totalP50Ms = "total_p50_ms"
            case totalP95Ms = "total_p95_ms"
            case rssStartMB = "rss_start_mb"
            case rssEndMB = "rss_end_mb"
            case rssMaxMB = "rss_max_mb"
            case rssSamplesMB = "rss_samples_mb"
        }
    }

    /// What the clients saw, shared between their threads.
    final class Tally: @unchecked Sendable {
        private let lock = NSLock()
        private(set) var firstToken: [Double] = []
        private(set) var total: [Double] = []
        private(set) var errors: [String: Int] = [:]
        func answered(firstToken: Double?, total: Double) {
            lock.lock(); defer { lock.unlock() }
            if let firstToken { self.firstToken.append(firstToken) }
            self.total.append(total)
        }
        func failed(_ kind: String) { lock.lock(); errors[kind, default: 0] += 1; lock.unlock() }
        func snapshot() -> ([Double], [Double], [String: Int]) { lock.lock(); defer { lock.unlock() }; return (firstToken, total, errors) }
    }

    static func run(_ invocation: Invocation) throws {
        let arguments = invocation.arguments
        let clients = try arguments.int("clients", default: 16, range: 1...256)!
        let seconds = try arguments.double("seconds", default: 60, range: 1...3600)!
        let cores = ProcessInfo.processInfo.activeProcessorCount
        let workers = try arguments.int("workers", default: max(1, cores / 4), range: 1...16)!
        let queue = try arguments.int("queue", default: 8, range: 0...1000)!

        let api = try ServeCommand.makeAPI(invocation, workers: workers, queue: queue, settings: ServeSettings())
        let server = try HTTPServer(host: "127.0.0.1", port: 0) { api.handle($0, $1) }
        server.start()
        invocation.console.info("bench serve: \(clients) clients for \(Int(seconds)) s against 127.0.0.1:\(server.port) (\(workers) worker(s), queue \(queue))")

        let tally = Tally()
        let rssStart = residentMB()
        var rssMax = rssStart
        let deadline = Date().addingTimeInterval(seconds)
        let group = DispatchGroup()
        for client in 0..<clients {
            group.enter()
            let thread = Thread {
                var turn = client
                while Date() < deadline {
                    ask(port: server.port, conversation: conversations[turn % conversations.count], tally: tally)
                    turn += 1
                }
                group.leave()
            }
            thread.start()
        }
        var samples: [Double] = []
        var tick = 0
        while group.wait(timeout: .now() + 1) == .timedOut {
            let rss = residentMB()
            rssMax = max(rssMax, rss)
            tick += 1
            if tick % 10 == 0 { samples.append(rss) }
        }
        let rssEnd = residentMB()
        server.stop()

        let (firstToken, total, errors) = tally.snapshot()
        let report = Report(clients: clients, seconds: seconds, workers: workers, queue: queue, answers: total.count,
                            answersPerSecond: Double(total.count) / seconds,
                            firstTokenP50Ms: percentile(firstToken, 0.5), firstTokenP95Ms: percentile(firstToken, 0.95),
                            totalP50Ms: percentile(total, 0.5), totalP95Ms: percentile(total, 0.95), errors: errors,
                            rssStartMB: rssStart, rssEndMB: rssEnd, rssMaxMB: max(rssMax, rssEnd),
                            rssSamplesMB: samples)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        invocation.console.result(String(decoding: try encoder.encode(report), as: UTF8.self))
    }

    /// One streamed chat completion over a fresh connection.
    static func ask(port: Int, conversation: [(role: String, content: String)], tally: Tally) {
        let messages = conversation.map { ["role": $0.role, "content": $0.content] }
        let body = (try? JSONSerialization.data(withJSONObject: ["model": "rag", "stream": true, "messages": messages] as [String: Any])) ?? Data()
        let head = "POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            + "Content-Length: \(body.count)\r\nConnection: close\r\n\r\n"
        let start = Date()
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(descriptor) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { tally.failed("connect"); return }
        let request = Array(head.utf8) + Array(body)
        _ = request.withUnsafeBytes { send(descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }

        var received: [UInt8] = []
        var firstToken: Double?
        var buffer = [UInt8](repeating: 0, count: 16384)
        while true {
            let count = buffer.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
            if count <= 0 { break }
            received += buffer[..<count]
            if firstToken == nil, String(decoding: received, as: UTF8.self).range(of: #""content":"[^"]"#, options: .regularExpression) != nil {
                firstToken = Date().timeIntervalSince(start) * 1000
            }
        }
        let text = String(decoding: received, as: UTF8.self)
        let status = text.split(separator: " ", maxSplits: 2).dropFirst().first.map(String.init) ?? "none"
        if status == "200", text.contains("data: [DONE]"), !text.contains("\"error\"") {
            tally.answered(firstToken: firstToken, total: Date().timeIntervalSince(start) * 1000)
        } else {
            tally.failed(status == "200" ? "stream-error" : status)
            if status == "503" { usleep(500_000) }
        }
    }

    static func percentile(_ values: [Double], _ p: Double) -> Double? {
        guard !values.isEmpty else { return nil }
        let sorted = values.sorted()
        return (sorted[min(sorted.count - 1, Int((Double(sorted.count - 1) * p).rounded()))] * 10).rounded() / 10
    }

    /// VmRSS of this process in MiB.
    static func residentMB() -> Double {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }),
              let kilobytes = Double(line.split(separator: " ").dropFirst().first ?? "") else { return 0 }
        return (kilobytes / 1024 * 10).rounded() / 10
    }
}
