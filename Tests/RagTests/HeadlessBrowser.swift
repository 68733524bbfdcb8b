import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Headless Chromium driven over the DevTools protocol on a pipe (`--remote-debugging-pipe`: commands are written
/// to the browser's fd 3, replies and events come back on its fd 4, each a JSON message ended by a NUL byte).
/// Just enough for a test: open a page, evaluate JavaScript in it, close.
final class HeadlessBrowser {
    enum Failure: Error, CustomStringConvertible {
        case launch(String)
        case protocolError(String)
        var description: String {
            switch self {
            case .launch(let message): return "cannot start the browser: \(message)"
            case .protocolError(let message): return "DevTools: \(message)"
            }
        }
    }

    private let pid: pid_t
    private let commands: Int32   // our end of the browser's fd 3
    private let replies: Int32    // our end of the browser's fd 4
    private var buffer: [UInt8] = []
    private var nextID = 1
    private var session: String?

    init(executable: String, profile: String, url: String) throws {
        var toBrowser: [Int32] = [0, 0], fromBrowser: [Int32] = [0, 0]
        guard pipe(&toBrowser) == 0, pipe(&fromBrowser) == 0 else { throw Failure.launch("pipe failed") }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, toBrowser[0], 3)
        posix_spawn_file_actions_adddup2(&actions, fromBrowser[1], 4)
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        let arguments = [executable, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                         "--remote-debugging-pipe", "--user-data-dir=\(profile)", url]
        var argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        var child: pid_t = 0
        let status = posix_spawn(&child, executable, &actions, nil, &argv, environ)
        close(toBrowser[0])
        close(fromBrowser[1])
        guard status == 0 else { throw Failure.launch("posix_spawn: \(String(cString: strerror(status)))") }
        pid = child
        commands = toBrowser[1]
        replies = fromBrowser[0]
    }

    deinit {
        kill(pid, SIGKILL)
        var status: Int32 = 0
        waitpid(pid, &status, 0)
        close(commands)
        close(replies)
    }

    /// Attaches to the first page target (the one opened with the URL).
    func attachToPage() throws {
        let targets = try send("Target.getTargets")
        guard let infos = targets["targetInfos"] as? [[String: Any]],
              let page = infos.first(where: { $0["type"] as? String == "page" }),
              let id = page["targetId"] as? String else { throw Failure.protocolError("no page target") }
        let attached = try send("Target.attachToTarget", ["targetId": id, "flatten": true])
        guard let session = attached["sessionId"] as? String else { throw Failure.protocolError("no session") }
        self.session = session
    }

    /// The value of a JavaScript expression in the page (strings, numbers, booleans).
    func evaluate(_ expression: String) throws -> Any? {
        let reply = try send("Runtime.evaluate", ["expression": expression, "returnByValue": true], inSession: true)
        return (reply["result"] as? [String: Any])?["value"]
    }

    private func send(_ method: String, _ parameters: [String: Any] = [:], inSession: Bool = false) throws -> [String: Any] {
        let id = nextID
        nextID += 1
        var message: [String: Any] = ["id": id, "method": method, "params": parameters]
        if inSession { message["sessionId"] = session }
        var bytes = [UInt8](try JSONSerialization.data(withJSONObject: message))
        bytes.append(0)
        guard bytes.withUnsafeBytes({ write(commands, $0.baseAddress, $0.count) }) == bytes.count else {
            throw Failure.protocolError("the browser closed its pipe")
        }
        while true {
            let reply = try readMessage()
            guard reply["id"] as? Int == id else { continue }  // events and other replies
            if let error = reply["error"] as? [String: Any] { throw Failure.protocolError("\(method): \(error)") }
            return reply["result"] as? [String: Any] ?? [:]
        }
    }

    private func readMessage() throws -> [String: Any] {
        while true {
            if let end = buffer.firstIndex(of: 0) {
                let message = Array(buffer[..<end])
                buffer.removeFirst(end + 1)
                guard let object = try JSONSerialization.jsonObject(with: Data(message)) as? [String: Any] else {
                    throw Failure.protocolError("a message that is not an object")
                }
                return object
            }
            var chunk = [UInt8](repeating: 0, count: 65536)
            let count = chunk.withUnsafeMutableBytes { read(replies, $0.baseAddress, $0.count) }
            guard count > 0 else { throw Failure.protocolError("the browser closed its pipe") }
            buffer.append(contentsOf: chunk[..<count])
        }
    }
}
