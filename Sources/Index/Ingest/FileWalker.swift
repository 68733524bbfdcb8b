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

    /// Walks `root` (a canonical folder path: absolute, links resolved, as `IngestPipeline.resolveRoot` gives).
    public func walk(root: String) -> Result {
        var result = Result()
        var ancestors: Set<FileIdentity> = []
        if let identity = Self.identity(of: root) { ancestors.insert(identity) }
        walkDirectory(absolute: root, relative: "", root: root, ancestors: &ancestors, into: &result)
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
            let childAbsolute = absolute + "/" + name
            let childRelative = relative.isEmpty ? name : relative + "/" + name
            if name.hasPrefix(".") {
                result.skipped.append(SkippedFile(path: childRelative, reason: .hidden))
                continue
            }
            var linkInfo = stat()
            guard lstat(childAbsolute, &linkInfo) == 0 else {
                result.skipped.append(SkippedFile(path: childRelative, reason: .unreadable(String(cString: strerror(errno)))))
                continue
            }
            var info = linkInfo
            if (linkInfo.st_mode & S_IFMT) == S_IFLNK {
                guard stat(childAbsolute, &info) == 0 else {
                    let code = errno
                    result.skipped.append(SkippedFile(path: childRelative, reason: code == ELOOP ? .symlinkLoop : .brokenSymlink))
                    continue
                }
                if !followLinks, !leadsInside(childAbsolute, root: root) {
                    result.skipped.append(SkippedFile(path: childRelative, reason: .linkOutsideRoot))
                    continue
                }
            }
            switch info.st_mode & S_IFMT {
            case S_IFDIR:
                let identity = FileIdentity(device: UInt64(info.st_dev), inode: UInt64(info.st_ino))
                if ancestors.contains(identity) {
                    result.skipped.append(SkippedFile(path: childRelative, reason: .symlinkLoop))
                    continue
                }
                ancestors.insert(identity)
                walkDirectory(absolute: childAbsolute, relative: childRelative, root: root, ancestors: &ancestors, into: &result)
                ancestors.remove(identity)
            case S_IFREG:
                let size = Int64(info.st_size)
                if size == 0 {
                    result.skipped.append(SkippedFile(path: childRelative, reason: .empty))
                    continue
                }
                if size > maxFileBytes {
                    result.skipped.append(SkippedFile(path: childRelative, reason: .tooLarge(bytes: size, limit: maxFileBytes)))
                    continue
                }
                #if os(Linux)
                let mtime = Double(info.st_mtim.tv_sec) + Double(info.st_mtim.tv_nsec) / 1e9
                #else
                let mtime = Double(info.st_mtimespec.tv_sec) + Double(info.st_mtimespec.tv_nsec) / 1e9
                #endif
                result.files.append(FoundFile(relativePath: childRelative, absolutePath: childAbsolute, size: size, mtime: mtime))
            default:
                result.skipped.append(SkippedFile(path: childRelative, reason: .notARegularFile))
            }
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
