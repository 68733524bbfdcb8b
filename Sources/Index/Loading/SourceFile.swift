import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A file opened for ingest and read whole, through the one bounded read path every loader uses.
///
/// Opening never blocks and never reads anything but a regular file: a path that is not one is not
/// opened at all, and as the path may change between that check and the open (a FIFO put in its place),
/// the file is opened with `O_NONBLOCK` (a FIFO opens at once) and checked again with `fstat` on the
/// open descriptor. The read stops after `limit` bytes. The descriptor stays open, so helper
/// programs (gzip, pdftotext) read the very file that was checked, on their standard input.
public final class SourceFile {
    public let path: String
    public let bytes: [UInt8]
    /// Open on the file, or -1 for a file given as bytes only (tests).
    let descriptor: Int32

    public enum Opening {
        case opened(SourceFile)
        case skipped(SkipReason)
    }

    /// Bytes without a file behind them; helpers read `path` themselves.
    public init(path: String, bytes: [UInt8]) {
        self.path = path
        self.bytes = bytes
        self.descriptor = -1
    }

    private init(path: String, bytes: [UInt8], descriptor: Int32) {
        self.path = path
        self.bytes = bytes
        self.descriptor = descriptor
    }

    deinit {
        if descriptor >= 0 { close(descriptor) }
    }

    /// Opens and reads `path`. With `root`, the opened file must lie inside that folder (a link
    /// swapped in after the walk is refused); nil accepts any location (`--follow-links`).
    public static func load(path: String, limit: Int64, root: String?) -> Opening {
        var before = stat()
        if stat(path, &before) == 0, (before.st_mode & S_IFMT) != S_IFREG { return .skipped(.notARegularFile) }
        let descriptor = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
        guard descriptor >= 0 else {
            let code = errno
            return .skipped(code == ELOOP ? .symlinkLoop : .unreadable(String(cString: strerror(code))))
        }
        var info = stat()
        guard fstat(descriptor, &info) == 0 else {
            let message = String(cString: strerror(errno))
            close(descriptor)
            return .skipped(.unreadable(message))
        }
        guard (info.st_mode & S_IFMT) == S_IFREG else {
            close(descriptor)
            return .skipped(.notARegularFile)
        }
        if let root {
            guard let actual = openedPath(descriptor: descriptor, path: path) else {
                close(descriptor)
                return .skipped(.unreadable("cannot tell where the file is"))
            }
            if !FolderContainment.contains(root: root, path: actual) {
                close(descriptor)
                return .skipped(.linkOutsideRoot)
            }
        }
        switch readAll(descriptor, limit: limit) {
        case .read(let bytes):
            if bytes.isEmpty {
                close(descriptor)
                return .skipped(.empty)
            }
            return .opened(SourceFile(path: path, bytes: bytes, descriptor: descriptor))
        case .failed(let reason):
            close(descriptor)
            return .skipped(reason)
        }
    }

    /// A handle on the file from its first byte, for a helper program's standard input;
    /// nil when there is no open descriptor (then the helper opens `path`).
    func standardInput() -> FileHandle? {
        guard descriptor >= 0 else { return nil }
        let copy = dup(descriptor)
        guard copy >= 0 else { return nil }
        lseek(copy, 0, SEEK_SET)
        return FileHandle(fileDescriptor: copy, closeOnDealloc: true)
    }

    enum ReadAll {
        case read([UInt8])
        case failed(SkipReason)
    }

    /// Reads to the end, or fails with `.tooLarge` once more than `limit` bytes came.
    static func readAll(_ descriptor: Int32, limit: Int64) -> ReadAll {
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                return .failed(.unreadable(String(cString: strerror(errno))))
            }
            if count == 0 { return .read(bytes) }
            if Int64(bytes.count + count) > limit {
                return .failed(.tooLarge(bytes: Int64(bytes.count + count), limit: limit))
            }
            bytes.append(contentsOf: buffer[..<count])
        }
    }

    /// Where the open descriptor really points (links resolved).
    static func openedPath(descriptor: Int32, path: String) -> String? {
        #if os(Linux)
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let count = readlink("/proc/self/fd/\(descriptor)", &buffer, buffer.count - 1)
        if count > 0 { return String(decoding: buffer[..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self) }
        #endif
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }
}

/// Is a path inside a folder? Both must be canonical (absolute, links resolved).
public enum FolderContainment {
    public static func contains(root: String, path: String) -> Bool {
        if root == "/" { return true }
        return path == root || path.hasPrefix(root.hasSuffix("/") ? root : root + "/")
    }

    /// `path` relative to `root` ("" for the root itself), nil when it is not inside.
    public static func relative(root: String, path: String) -> String? {
        guard contains(root: root, path: path) else { return nil }
        if path == root { return "" }
        return String(path.dropFirst(root == "/" ? 1 : root.count + 1))
    }

    /// The canonical path `path` resolves to, nil when it does not resolve (broken link, loop).
    public static func resolved(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }
}
