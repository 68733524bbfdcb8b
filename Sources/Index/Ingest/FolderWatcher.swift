import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Watches folders and hands out, once a burst of changes has settled, the set of paths that changed
/// (created, modified, deleted, renamed: both names). It only reports paths; `IngestPipeline.apply(changes:)`
/// decides what they mean for the index.
///
/// Uses inotify (one watch per folder, added for new folders as they appear; hidden entries ignored). Where inotify
/// is not available or its watch limit is reached, it falls back to polling: every `pollInterval` it walks the
/// folders again and compares sizes and mtimes. `mode` says which, and why.
public final class FolderWatcher {
    public enum Mode: Sendable, Equatable {
        case inotify
        /// Polling, and why inotify is not used.
        case polling(reason: String)
    }

    public let roots: [String]
    /// Quiet time after the last event before the changes are handed out.
    public let debounce: TimeInterval
    public let pollInterval: TimeInterval
    public private(set) var mode: Mode
    private var inotify: InotifyWatches?
    private var snapshot: [String: FileStamp] = [:]
    private var lastPoll = Date.distantPast

    /// `roots`: canonical folder paths. `forcePolling` skips inotify (tests; file systems without it).
    public init(roots: [String], debounce: TimeInterval = 1, pollInterval: TimeInterval = 2, forcePolling: Bool = false) {
        self.roots = roots
        self.debounce = debounce
        self.pollInterval = pollInterval
        if forcePolling {
            mode = .polling(reason: "polling was asked for")
        } else {
            switch InotifyWatches.make(roots: roots) {
            case .success(let watches):
                inotify = watches
                mode = .inotify
            case .failure(let problem):
                mode = .polling(reason: problem.reason)
            }
        }
        if inotify == nil { snapshot = takeSnapshot() }
    }

    /// Blocks until changes came and then none for `debounce` seconds (at most 10 × `debounce` after the first),
    /// or until `shouldStop` returns true (asked a few times a second). Returns the changed absolute paths;
    /// empty when stopped.
    public func next(shouldStop: () -> Bool) -> Set<String> {
        var pending: Set<String> = []
        var first: Date?
        var last: Date?
        while !shouldStop() {
            let found = waitForChanges(upTo: 0.2)
            let now = Date()
            if !found.isEmpty {
                pending.formUnion(found)
                if first == nil { first = now }
                last = now
            }
            if let first, let last, now.timeIntervalSince(last) >= debounce || now.timeIntervalSince(first) >= 10 * debounce {
                return pending
            }
        }
        return []
    }

    private func waitForChanges(upTo seconds: TimeInterval) -> Set<String> {
        if let inotify {
            switch inotify.read(timeout: seconds) {
            case .success(let paths):
                return paths
            case .failure(let problem):
                // The watch limit was reached for a new folder: poll from now on, and look at everything once.
                mode = .polling(reason: problem.reason)
                self.inotify = nil
                snapshot = takeSnapshot()
                return Set(roots)
            }
        }
        let wait = max(0, min(seconds, lastPoll.addingTimeInterval(pollInterval).timeIntervalSinceNow))
        if wait > 0 { Thread.sleep(forTimeInterval: wait) }
        guard Date().timeIntervalSince(lastPoll) >= pollInterval else { return [] }
        let current = takeSnapshot()
        var changed: Set<String> = []
        for (path, stamp) in current where snapshot[path] != stamp { changed.insert(path) }
        for path in snapshot.keys where current[path] == nil { changed.insert(path) }
        snapshot = current
        return changed
    }

    struct FileStamp: Equatable {
        let size: Int64
        let mtime: Double
    }

    /// Size and mtime of every file under the roots (what polling compares).
    private func takeSnapshot() -> [String: FileStamp] {
        lastPoll = Date()
        var stamps: [String: FileStamp] = [:]
        let walker = FileWalker(maxFileBytes: .max)
        for root in roots {
            for file in walker.walk(root: root).files { stamps[file.absolutePath] = FileStamp(size: file.size, mtime: file.mtime) }
        }
        return stamps
    }
}

/// Why inotify cannot be used (one line).
struct WatchProblem: Error {
    let reason: String
}

/// The inotify side of `FolderWatcher`: one descriptor, a watch per folder, events read as changed paths.
final class InotifyWatches {
    private let descriptor: Int32
    private var folders: [Int32: String] = [:]
    private let roots: [String]

    static let mask = UInt32(IN_CREATE | IN_CLOSE_WRITE | IN_MODIFY | IN_ATTRIB | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO
                             | IN_DELETE_SELF | IN_MOVE_SELF)

    private init(descriptor: Int32, roots: [String]) {
        self.descriptor = descriptor
        self.roots = roots
    }

    deinit { close(descriptor) }

    static func make(roots: [String]) -> Result<InotifyWatches, WatchProblem> {
        #if os(Linux)
        let descriptor = inotify_init1(Int32(IN_NONBLOCK | IN_CLOEXEC))
        guard descriptor >= 0 else {
            return .failure(WatchProblem(reason: "inotify is not available (\(String(cString: strerror(errno))))"))
        }
        let watches = InotifyWatches(descriptor: descriptor, roots: roots)
        for root in roots {
            if let problem = watches.watchTree(root) { return .failure(problem) }
        }
        return .success(watches)
        #else
        return .failure(WatchProblem(reason: "inotify is Linux only"))
        #endif
    }

    /// Watches `folder` and every visible folder below it (links are not followed).
    private func watchTree(_ folder: String) -> WatchProblem? {
        let id = inotify_add_watch(descriptor, folder, Self.mask)
        if id < 0 {
            let code = errno
            if code == ENOSPC {
                return WatchProblem(reason: "the inotify watch limit is reached (raise fs.inotify.max_user_watches)")
            }
            return nil   // gone or unreadable: nothing to watch there
        }
        folders[id] = folder
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder) else { return nil }
        for name in names where !name.hasPrefix(".") {
            let child = folder + "/" + name
            var info = stat()
            if lstat(child, &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR, let problem = watchTree(child) { return problem }
        }
        return nil
    }

    /// Drops the watches of `folder` and the folders below it (it was renamed or deleted).
    private func unwatchTree(_ folder: String) {
        for (id, path) in folders where RootScope.contains(folder, path) {
            inotify_rm_watch(descriptor, id)
            folders[id] = nil
        }
    }

    /// Waits up to `timeout` for events and returns the paths they name.
    func read(timeout: TimeInterval) -> Result<Set<String>, WatchProblem> {
        var poller = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
        guard poll(&poller, 1, Int32(timeout * 1000)) > 0 else { return .success([]) }
        var buffer = [UInt8](repeating: 0, count: 64 << 10)
        var changed: Set<String> = []
        while true {
            let count = buffer.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress, $0.count) }
            if count <= 0 { break }
            var offset = 0
            while offset + 16 <= count {
                let (id, mask, length) = buffer.withUnsafeBytes { raw in
                    (raw.loadUnaligned(fromByteOffset: offset, as: Int32.self),
                     raw.loadUnaligned(fromByteOffset: offset + 4, as: UInt32.self),
                     Int(raw.loadUnaligned(fromByteOffset: offset + 12, as: UInt32.self)))
                }
                let nameBytes = buffer[(offset + 16)..<min(count, offset + 16 + length)].prefix { $0 != 0 }
                let name = String(decoding: nameBytes, as: UTF8.self)
                offset += 16 + length
                if let problem = handle(id: id, mask: mask, name: name, into: &changed) { return .failure(problem) }
            }
        }
        return .success(changed)
    }

    private func handle(id: Int32, mask: UInt32, name: String, into changed: inout Set<String>) -> WatchProblem? {
        if mask & UInt32(IN_Q_OVERFLOW) != 0 {
            changed.formUnion(roots)   // events were lost: look at everything
            return nil
        }
        if mask & UInt32(IN_IGNORED) != 0 {
            folders[id] = nil
            return nil
        }
        guard let folder = folders[id] else { return nil }
        if name.isEmpty {
            // The watched folder itself was deleted or moved.
            if mask & UInt32(IN_DELETE_SELF | IN_MOVE_SELF) != 0 { changed.insert(folder) }
            return nil
        }
        if name.hasPrefix(".") { return nil }
        let path = folder + "/" + name
        changed.insert(path)
        if mask & UInt32(IN_ISDIR) != 0 {
            if mask & UInt32(IN_MOVED_FROM | IN_DELETE) != 0 { unwatchTree(path) }
            if mask & UInt32(IN_CREATE | IN_MOVED_TO) != 0 { return watchTree(path) }
        }
        return nil
    }
}
