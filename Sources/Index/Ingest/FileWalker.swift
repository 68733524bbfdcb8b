import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A file found under an ingest root.
public struct FoundFile: Sendable, Equatable {
    /// Relative to the root, with `/` separators.
    public let relativePath: String
    public let absolutePath: String
    public let size: Int64
    /// Seconds since 1970 (with sub-second precision).
    public let mtime: Double
}

/// A file or folder left out, with the reason.
public struct SkippedFile: Sendable, Equatable {
    /// Relative to the root (absolute when the root itself is the problem).
    public let path: String
    public let reason: SkipReason
    /// The file's size and mtime when they are known: a skip is remembered with them, and the file is
    /// not read again until one of them changes.
    public var size: Int64? = nil
    public var mtime: Double? = nil
}

/// Walks a folder: hidden entries are skipped; symbolic links are followed when they resolve inside
/// the folder (anywhere with `followLinks`), but never into a folder already being walked (loops);
/// files over the size limit and special files (FIFOs, devices, sockets) are reported, not read.
public struct FileWalker: Sendable {
    public let maxFileBytes: Int64
    /// Follow links that lead out of the root being walked.
    public let followLinks: Bool

    public init(maxFileBytes: Int64, followLinks: Bool = false) {
        self.maxFileBytes = maxFileBytes
        self.followLinks = followLinks
    }

    public struct Result: Sendable {
        /// Sorted by relative path.
        public var files: [FoundFile] = []
        public var skipped: [SkippedFile] = []
    }

    struct FileIdentity: Hashable {
        let device: UInt64
        let inode: UInt64
    }

    /// Walks `root` (a canonical folder path: absolute, links resolved, as `IngestPipeline` places it).
    /// `scope` limits the walk to one file or folder inside the root (relative; "" walks the whole root):
    /// a scope that does not exist finds nothing, one inside a hidden folder is not walked.
    public func walk(root: String, scope: String = "") -> Result {
        var result = Result()
        var ancestors: Set<FileIdentity> = []
        if let identity = Self.identity(of: root) { ancestors.insert(identity) }
        if scope.isEmpty {
            walkDirectory(absolute: root, relative: "", root: root, ancestors: &ancestors, into: &result)
        } else if !scope.split(separator: "/").contains(where: { $0.hasPrefix(".") }) {
            var info = stat()
            if lstat(root + "/" + scope, &info) == 0 {
                visit(absolute: root + "/" + scope, relative: scope, root: root, ancestors: &ancestors, into: &result)
            }
        }
        result.files.sort { $0.relativePath < $1.relativePath }
        return result
    }

    private func walkDirectory(absolute: String, relative: String, root: String, ancestors: inout Set<FileIdentity>, into result: inout Result) {
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: absolute).sorted()
        } catch {
            result.skipped.append(SkippedFile(path: relative.isEmpty ? absolute : relative,
                                              reason: .unreadable(Self.reason(from: error))))
            return
        }
        for name in names {
            let childRelative = relative.isEmpty ? name : relative + "/" + name
            if name.hasPrefix(".") {
                result.skipped.append(SkippedFile(path: childRelative, reason: .hidden))
                continue
            }
            visit(absolute: absolute + "/" + name, relative: childRelative, root: root, ancestors: &ancestors, into: &result)
        }
    }

    /// One entry of a folder: a file is found or skipped, a folder is walked.
    private func visit(absolute: String, relative: String, root: String, ancestors: inout Set<FileIdentity>, into result: inout Result) {
        var linkInfo = stat()
        guard lstat(absolute, &linkInfo) == 0 else {
            result.skipped.append(SkippedFile(path: relative, reason: .unreadable(String(cString: strerror(errno)))))
            return
        }
        var info = linkInfo
        if (linkInfo.st_mode & S_IFMT) == S_IFLNK {
            guard stat(absolute, &info) == 0 else {
                let code = errno
                result.skipped.append(SkippedFile(path: relative, reason: code == ELOOP ? .symlinkLoop : .brokenSymlink))
                return
            }
            let target = FolderContainment.resolved(absolute)
            let inside = target.map { FolderContainment.contains(root: root, path: $0) } ?? false
            if !followLinks, !inside {
                result.skipped.append(SkippedFile(path: relative, reason: .linkOutsideRoot))
                return
            }
            // A link to a visible file or folder of the same root: the target is walked itself, so the
            // file stays one document (a link to a folder being walked is a loop).
            if inside, let target, let targetRelative = FolderContainment.relative(root: root, path: target),
               !targetRelative.split(separator: "/").contains(where: { $0.hasPrefix(".") }) {
                let identity = FileIdentity(device: UInt64(info.st_dev), inode: UInt64(info.st_ino))
                let isLoop = (info.st_mode & S_IFMT) == S_IFDIR && ancestors.contains(identity)
                result.skipped.append(SkippedFile(path: relative, reason: isLoop ? .symlinkLoop : .linkInsideRoot(target: targetRelative)))
                return
            }
        }
        switch info.st_mode & S_IFMT {
        case S_IFDIR:
            let identity = FileIdentity(device: UInt64(info.st_dev), inode: UInt64(info.st_ino))
            if ancestors.contains(identity) {
                result.skipped.append(SkippedFile(path: relative, reason: .symlinkLoop))
                return
            }
            ancestors.insert(identity)
            walkDirectory(absolute: absolute, relative: relative, root: root, ancestors: &ancestors, into: &result)
            ancestors.remove(identity)
        case S_IFREG:
            let size = Int64(info.st_size)
            #if os(Linux)
            let mtime = Double(info.st_mtim.tv_sec) + Double(info.st_mtim.tv_nsec) / 1e9
            #else
            let mtime = Double(info.st_mtimespec.tv_sec) + Double(info.st_mtimespec.tv_nsec) / 1e9
            #endif
            if size == 0 {
                result.skipped.append(SkippedFile(path: relative, reason: .empty))
                return
            }
            if size > maxFileBytes {
                result.skipped.append(SkippedFile(path: relative, reason: .tooLarge(bytes: size, limit: maxFileBytes), size: size, mtime: mtime))
                return
            }
            result.files.append(FoundFile(relativePath: relative, absolutePath: absolute, size: size, mtime: mtime))
        default:
            result.skipped.append(SkippedFile(path: relative, reason: .notARegularFile))
        }
    }

    /// Does the link at `path` resolve to somewhere inside `root`?
    func leadsInside(_ path: String, root: String) -> Bool {
        guard let target = FolderContainment.resolved(path) else { return false }
        return FolderContainment.contains(root: root, path: target)
    }

    static func identity(of path: String) -> FileIdentity? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return FileIdentity(device: UInt64(info.st_dev), inode: UInt64(info.st_ino))
    }

    static func reason(from error: Error) -> String {
        let nsError = error as NSError
        if let underlying = nsError.userInfo[NSUnderlyingErrorKey] as? NSError, underlying.domain == NSPOSIXErrorDomain {
            return String(cString: strerror(Int32(underlying.code)))
        }
        return nsError.localizedDescription
    }
}
