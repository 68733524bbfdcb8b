import Foundation

/// Why a file was left out of the index. Never fatal: the ingest reports it and goes on.
public enum SkipReason: Sendable, Equatable, CustomStringConvertible {
    case hidden
    case binary
    case unsupportedType(String)
    case tooLarge(bytes: Int64, limit: Int64)
    case unreadable(String)
    case notARegularFile
    case symlinkLoop
    case brokenSymlink
    case pdftotextMissing
    case conversionFailed(String)

    /// A short stable key for summaries (`--json` groups by it).
    public var key: String {
        switch self {
        case .hidden: return "hidden"
        case .binary: return "binary"
        case .unsupportedType: return "unsupported_type"
        case .tooLarge: return "too_large"
        case .unreadable: return "unreadable"
        case .notARegularFile: return "not_a_regular_file"
        case .symlinkLoop: return "symlink_loop"
        case .brokenSymlink: return "broken_symlink"
        case .pdftotextMissing: return "pdftotext_missing"
        case .conversionFailed: return "conversion_failed"
        }
    }

    public var description: String {
        switch self {
        case .hidden: return "hidden file or folder"
        case .binary: return "binary content"
        case .unsupportedType(let type): return "unsupported file type (.\(type))"
        case .tooLarge(let bytes, let limit): return "too large (\(bytes) bytes, limit \(limit); raise --max-file-mb)"
        case .unreadable(let message): return "unreadable (\(message))"
        case .notARegularFile: return "not a regular file"
        case .symlinkLoop: return "symbolic link loop"
        case .brokenSymlink: return "broken symbolic link"
        case .pdftotextMissing: return "PDF skipped: pdftotext is not installed (apt install poppler-utils)"
        case .conversionFailed(let message): return "conversion failed (\(message))"
        }
    }
}

/// What a file name says about how to read it.
public enum FileKind: Sendable, Equatable {
    case format(DocumentFormat)
    /// `NAME.gz`: decompress, then decide by `NAME`.
    case gzip(innerName: String)
    /// Images, archives, executables, office files…: never read.
    case knownBinary(String)
    /// No telling extension: read it, and index it as text if it looks like text (README, LICENSE, Makefile…).
    case sniff
}

public enum FileKinds {
    static let markdown: Set<String> = ["md", "markdown", "mdown", "mkd", "mkdn"]
    static let html: Set<String> = ["html", "htm", "xhtml"]
    static let text: Set<String> = ["txt", "text", "rst", "log", "csv", "tsv", "adoc", "org", "tex", "bib", "srt"]
    static let code: Set<String> = [
        "swift", "c", "h", "cc", "cpp", "cxx", "hpp", "hh", "m", "mm", "py", "pyi", "js", "mjs", "cjs", "ts", "tsx", "jsx",
        "go", "rs", "java", "kt", "kts", "scala", "rb", "php", "pl", "pm", "sh", "bash", "zsh", "fish", "sql", "lua", "r",
        "jl", "hs", "ml", "mli", "cs", "fs", "ex", "exs", "erl", "clj", "el", "vim", "yaml", "yml", "toml", "json", "xml",
        "ini", "cfg", "conf", "cmake", "mk", "gradle", "proto", "css", "scss", "less", "dart", "zig", "nim", "v", "d",
        "f", "f90", "asm", "s", "awk", "sed", "tcl", "ps1", "bat", "dockerfile", "pikchr", "y", "l",
    ]
    static let binary: Set<String> = [
        "png", "jpg", "jpeg", "gif", "bmp", "ico", "webp", "tif", "tiff", "svg", "psd", "heic", "mp3", "wav", "flac",
        "ogg", "mp4", "mkv", "mov", "avi", "webm", "zip", "tar", "tgz", "bz2", "xz", "zst", "7z", "rar", "jar", "war",
        "exe", "dll", "so", "dylib", "a", "o", "obj", "class", "pyc", "wasm", "bin", "dat", "db", "sqlite", "sqlite3",
        "woff", "woff2", "ttf", "otf", "eot", "odg", "odt", "ods", "odp", "doc", "docx", "xls", "xlsx", "ppt", "pptx",
        "deb", "rpm", "iso", "dmg", "gguf", "safetensors", "npy", "npz", "pt", "onnx", "eps", "ps",
    ]

    public static func kind(ofFileNamed name: String) -> FileKind {
        let lower = name.lowercased()
        let ext = (lower as NSString).pathExtension
        if ext == "gz" { return .gzip(innerName: (name as NSString).deletingPathExtension) }
        if ext == "pdf" { return .format(.pdf) }
        if markdown.contains(ext) { return .format(.markdown) }
        if html.contains(ext) { return .format(.html) }
        if text.contains(ext) { return .format(.text) }
        if code.contains(ext) { return .format(.code) }
        if ext == "man" || isManSection(ext) { return .format(.man) }
        if binary.contains(ext) { return .knownBinary(ext) }
        if ["makefile", "dockerfile", "cmakelists.txt", "gnumakefile"].contains(lower) { return .format(.code) }
        return .sniff
    }

    /// `1`, `3`, `8`, `3pm`, `1ssl`, … (man page sections).
    static func isManSection(_ ext: String) -> Bool {
        guard let first = ext.first, ("1"..."9").contains(first) else { return false }
        return ext.dropFirst().allSatisfy { $0.isLetter } && ext.count <= 6
    }
}

/// Turns a file's bytes into a `LoadedDocument`, choosing the loader by name and content.
public struct DocumentLoader: Sendable {
    /// Path of `pdftotext`, nil when it is not installed.
    public let pdftotextPath: String?
    public let gzipPath: String?

    public init(pdftotextPath: String? = Executables.find("pdftotext"), gzipPath: String? = Executables.find("gzip")) {
        self.pdftotextPath = pdftotextPath
        self.gzipPath = gzipPath
    }

    public enum Outcome: Sendable {
        case loaded(LoadedDocument)
        case skipped(SkipReason)
    }

    /// Loads `bytes`, the content of the file at `path` named `name`.
    public func load(name: String, path: String, bytes: [UInt8]) -> Outcome {
        switch FileKinds.kind(ofFileNamed: name) {
        case .knownBinary(let ext):
            return .skipped(.unsupportedType(ext))
        case .gzip(let innerName):
            guard let gzipPath else { return .skipped(.conversionFailed("gzip is not installed")) }
            let result = Subprocess.run(gzipPath, ["-dc", "--", path])
            guard result.status == 0 else { return .skipped(.conversionFailed("gzip: \(result.errorLine)")) }
            if case .gzip = FileKinds.kind(ofFileNamed: innerName) { return .skipped(.unsupportedType("gz.gz")) }
            return load(name: innerName, path: path, bytes: result.output, decompressed: true)
        default:
            return load(name: name, path: path, bytes: bytes, decompressed: false)
        }
    }

    private func load(name: String, path: String, bytes: [UInt8], decompressed: Bool) -> Outcome {
        let kind = FileKinds.kind(ofFileNamed: name)
        if case .format(.pdf) = kind {
            if decompressed { return .skipped(.unsupportedType("pdf.gz")) }
            return loadPDF(path: path)
        }
        if case .knownBinary(let ext) = kind { return .skipped(.unsupportedType(ext)) }
        if TextDecoding.looksBinary(bytes) { return .skipped(.binary) }
        let text = TextDecoding.decode(bytes).text
        switch kind {
        case .format(.markdown): return .loaded(MarkdownLoader.load(text))
        case .format(.html): return .loaded(HTMLLoader.load(text))
        case .format(.code): return .loaded(SourceCodeLoader.load(text))
        case .format(.man): return .loaded(ManPageLoader.looksLikeRoff(text) ? ManPageLoader.load(text) : PlainTextLoader.load(text))
        case .format(.text): return .loaded(PlainTextLoader.load(text))
        default:
            if ManPageLoader.looksLikeRoff(text) { return .loaded(ManPageLoader.load(text)) }
            if text.prefix(512).lowercased().contains("<html") { return .loaded(HTMLLoader.load(text)) }
            return .loaded(PlainTextLoader.load(text))
        }
    }

    private func loadPDF(path: String) -> Outcome {
        guard let pdftotextPath else { return .skipped(.pdftotextMissing) }
        let result = Subprocess.run(pdftotextPath, ["-enc", "UTF-8", "-q", path, "-"])
        guard result.status == 0 else { return .skipped(.conversionFailed("pdftotext: \(result.errorLine)")) }
        // Pages end with a form feed: make each page break a paragraph break.
        let text = TextDecoding.decode(result.output.map { $0 == 0x0C ? 0x0A : $0 }).text
        let bytes = Array(text.utf8)
        return .loaded(LoadedDocument(text: text, blocks: ParagraphSplitter.blocks(in: bytes, range: 0..<bytes.count), format: .pdf))
    }
}

/// Finds programs on `$PATH`.
public enum Executables {
    public static func find(_ name: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        for directory in path.split(separator: ":") {
            let candidate = "\(directory)/\(name)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }
}

/// Runs a helper program (gzip, pdftotext) and collects its output.
enum Subprocess {
    struct Result {
        var status: Int32
        var output: [UInt8]
        var errorLine: String
    }

    static func run(_ executable: String, _ arguments: [String]) -> Result {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let output = Pipe(), errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        process.standardInput = FileHandle.nullDevice
        do { try process.run() } catch {
            return Result(status: -1, output: [], errorLine: "cannot start \(executable): \(error.localizedDescription)")
        }
        // Read stderr on another thread so neither pipe can fill up and block the child.
        let errorBox = ErrorCollector()
        let errorThread = Thread { errorBox.set(errors.fileHandleForReading.readDataToEndOfFile()) }
        errorThread.start()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let message = String(decoding: errorBox.wait(), as: UTF8.self)
            .split(separator: "\n").first.map(String.init) ?? "exit status \(process.terminationStatus)"
        return Result(status: process.terminationStatus, output: [UInt8](data), errorLine: message)
    }

    /// Hands stderr bytes from the reader thread to the caller.
    final class ErrorCollector: @unchecked Sendable {
        private let condition = NSCondition()
        private var data: Data?

        func set(_ value: Data) {
            condition.lock()
            data = value
            condition.signal()
            condition.unlock()
        }

        func wait() -> Data {
            condition.lock()
            defer { condition.unlock() }
            while data == nil { condition.wait() }
            return data ?? Data()
        }
    }
}
