import Foundation

/// Why a file was left out of the index. Never fatal: the ingest reports it and goes on.
public enum SkipReason: Sendable, Equatable, CustomStringConvertible {
    case hidden
    case binary
    case unsupportedType(String)
    case tooLarge(bytes: Int64, limit: Int64)
    /// A loader's output (decompressed text, pdftotext output) passed the limit; `source` says which.
    case outputTooLarge(source: String, limit: Int64)
    /// Zero bytes: nothing to index.
    case empty
    /// A symbolic link that resolves outside the folder being ingested (`--follow-links` follows it).
    case linkOutsideRoot
    case unreadable(String)
    case notARegularFile
    case symlinkLoop
    case brokenSymlink
    case pdftotextMissing
    case conversionFailed(String)
    /// A symbolic link to a file or folder of the same root: the target is indexed under its own path.
    case linkInsideRoot(target: String)
    /// A PDF whose pages hold no text (scanned images without OCR).
    case noTextLayer
    /// Taken out of the index with `rag remove`; naming the file to `rag ingest` brings it back.
    case removed
    /// A skip remembered from an earlier ingest: the file has the same size and mtime, so it was not read again.
    case remembered(key: String, detail: String)

    /// A short stable key for summaries (`--json` groups by it).
    public var key: String {
        switch self {
        case .hidden: return "hidden"
        case .binary: return "binary"
        case .unsupportedType: return "unsupported_type"
        case .tooLarge, .outputTooLarge: return "too_large"
        case .empty: return "empty"
        case .linkOutsideRoot: return "link_outside_root"
        case .unreadable: return "unreadable"
        case .notARegularFile: return "not_a_regular_file"
        case .symlinkLoop: return "symlink_loop"
        case .brokenSymlink: return "broken_symlink"
        case .pdftotextMissing: return "pdftotext_missing"
        case .conversionFailed: return "conversion_failed"
        case .linkInsideRoot: return "link_inside_root"
        case .noTextLayer: return "no_text_layer"
        case .removed: return "removed"
        case .remembered(let key, _): return key
        }
    }

    /// `32 MiB` for whole mebibytes, else bytes.
    static func sizeText(_ bytes: Int64) -> String {
        bytes % (1 << 20) == 0 ? "\(bytes >> 20) MiB" : "\(bytes) bytes"
    }

    public var description: String {
        switch self {
        case .hidden: return "hidden file or folder"
        case .binary: return "binary content"
        case .unsupportedType(let type): return "unsupported file type (.\(type))"
        case .tooLarge(let bytes, let limit): return "too large (\(bytes) bytes, limit \(limit); raise --max-file-mb)"
        case .outputTooLarge(let source, let limit):
            return "\(source) is larger than the limit of \(Self.sizeText(limit)) (raise --max-file-mb)"
        case .empty: return "empty"
        case .linkOutsideRoot: return "link outside the folder (--follow-links follows it)"
        case .unreadable(let message): return "unreadable (\(message))"
        case .notARegularFile: return "not a regular file"
        case .symlinkLoop: return "symbolic link loop"
        case .brokenSymlink: return "broken symbolic link"
        case .pdftotextMissing: return "PDF skipped: pdftotext is not installed (apt install poppler-utils)"
        case .conversionFailed(let message): return "conversion failed (\(message))"
        case .linkInsideRoot(let target): return "link to \(target), which is indexed itself"
        case .noTextLayer: return "no text layer (a scanned PDF? run OCR on it first)"
        case .removed: return "removed with 'rag remove' (name the file to 'rag ingest' to bring it back)"
        case .remembered(_, let detail): return detail
        }
    }

    /// Skips decided by reading the file, worth remembering with its size and mtime so that an unchanged file
    /// is not read again. (Unreadable files and a missing pdftotext can change without the file changing.)
    public var isWorthRemembering: Bool {
        switch self {
        case .binary, .unsupportedType, .tooLarge, .outputTooLarge, .empty, .conversionFailed, .noTextLayer, .removed, .remembered:
            return true
        case .hidden, .linkOutsideRoot, .unreadable, .notARegularFile, .symlinkLoop, .brokenSymlink, .pdftotextMissing, .linkInsideRoot:
            return false
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

    /// Loads `bytes`, the content of the file at `path` named `name` (helpers open `path` themselves).
    public func load(name: String, path: String, bytes: [UInt8], limit: Int64 = IngestOptions().maxFileBytes) -> Outcome {
        load(name: name, file: SourceFile(path: path, bytes: bytes), limit: limit)
    }

    /// Loads `file`, named `name`. `limit` caps the bytes a helper may produce (decompressed or
    /// extracted text), as the file walk caps the file's own size.
    public func load(name: String, file: SourceFile, limit: Int64) -> Outcome {
        switch FileKinds.kind(ofFileNamed: name) {
        case .knownBinary(let ext):
            return .skipped(.unsupportedType(ext))
        case .gzip(let innerName):
            guard let gzipPath else { return .skipped(.conversionFailed("gzip is not installed")) }
            if case .gzip = FileKinds.kind(ofFileNamed: innerName) { return .skipped(.unsupportedType("gz.gz")) }
            let result = runHelper(gzipPath, ["-dc"], on: file, limit: limit)
            if result.overLimit { return .skipped(.outputTooLarge(source: "decompressed text", limit: limit)) }
            guard result.status == 0 else { return .skipped(.conversionFailed("gzip: \(result.errorLine)")) }
            return load(name: innerName, bytes: result.output)
        case .format(.pdf):
            return loadPDF(file, limit: limit)
        default:
            return load(name: name, bytes: file.bytes)
        }
    }

    /// Bytes as read or decompressed → a document, by the name's format or by sniffing.
    private func load(name: String, bytes: [UInt8]) -> Outcome {
        let kind = FileKinds.kind(ofFileNamed: name)
        if case .format(.pdf) = kind { return .skipped(.unsupportedType("pdf.gz")) }   // only reached decompressed
        if case .knownBinary(let ext) = kind { return .skipped(.unsupportedType(ext)) }
        if bytes.isEmpty { return .skipped(.empty) }
        if TextDecoding.looksBinary(bytes) { return .skipped(.binary) }
        let decoded = TextDecoding.decode(bytes)
        var document = load(decoded.text, kind: kind)
        document.encoding = decoded.encoding
        return .loaded(document)
    }

    private func load(_ text: String, kind: FileKind) -> LoadedDocument {
        switch kind {
        case .format(.markdown): return MarkdownLoader.load(text)
        case .format(.html): return HTMLLoader.load(text)
        case .format(.code): return SourceCodeLoader.load(text)
        case .format(.man): return ManPageLoader.looksLikeRoff(text) ? ManPageLoader.load(text) : PlainTextLoader.load(text)
        case .format(.text): return PlainTextLoader.load(text)
        default:
            if ManPageLoader.looksLikeRoff(text) { return ManPageLoader.load(text) }
            if text.prefix(512).lowercased().contains("<html") { return HTMLLoader.load(text) }
            return PlainTextLoader.load(text)
        }
    }

    private func loadPDF(_ file: SourceFile, limit: Int64) -> Outcome {
        guard let pdftotextPath else { return .skipped(.pdftotextMissing) }
        let result = runHelper(pdftotextPath, ["-enc", "UTF-8", "-q"], on: file, limit: limit, outputArguments: ["-"])
        if result.overLimit { return .skipped(.outputTooLarge(source: "pdftotext output", limit: limit)) }
        guard result.status == 0 else { return .skipped(.conversionFailed("pdftotext: \(result.errorLine)")) }
        // Pages end with a form feed: make each page break a paragraph break, and note the page of every line.
        let decoded = TextDecoding.decode(result.output.map { $0 == 0x0C ? 0x0A : $0 })
        let bytes = Array(decoded.text.utf8)
        // Scanned pages are images: pdftotext gives form feeds and blanks only.
        guard bytes.contains(where: { !ParagraphSplitter.isASCIIWhitespace($0) }) else { return .skipped(.noTextLayer) }
        var document = LoadedDocument(text: decoded.text, blocks: ParagraphSplitter.blocks(in: bytes, range: 0..<bytes.count), format: .pdf)
        document.encoding = decoded.encoding
        var pages: [Int] = []
        var page = 1
        for byte in result.output where byte == 0x0A || byte == 0x0C {
            pages.append(page)
            if byte == 0x0C { page += 1 }
        }
        pages.append(page)
        document.pages = pages
        return .loaded(document)
    }

    /// Runs a helper on the file: on its standard input when the file is open, else on its path.
    private func runHelper(_ executable: String, _ arguments: [String], on file: SourceFile, limit: Int64,
                           outputArguments: [String] = []) -> Subprocess.Result {
        if let input = file.standardInput() {
            return Subprocess.run(executable, arguments + ["-"] + outputArguments, input: input, outputLimit: limit)
        }
        return Subprocess.run(executable, arguments + ["--", file.path] + outputArguments, input: nil, outputLimit: limit)
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

/// Runs a helper program (gzip, pdftotext) and collects its output, at most `outputLimit` bytes:
/// past the limit the helper is stopped, so a decompression bomb costs no more memory than the limit.
enum Subprocess {
    struct Result {
        var status: Int32
        var output: [UInt8]
        var errorLine: String
        /// The helper wrote more than the limit and was stopped; `output` is incomplete.
        var overLimit = false
    }

    static func run(_ executable: String, _ arguments: [String], input: FileHandle?, outputLimit: Int64) -> Result {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let output = Pipe(), errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        process.standardInput = input ?? FileHandle.nullDevice
        do { try process.run() } catch {
            return Result(status: -1, output: [], errorLine: "cannot start \(executable): \(error.localizedDescription)")
        }
        // Read stderr on another thread so neither pipe can fill up and block the child.
        let errorBox = ErrorCollector()
        let errorThread = Thread { errorBox.set(errors.fileHandleForReading.readDataToEndOfFile()) }
        errorThread.start()
        var data: [UInt8] = []
        var overLimit = false
        let reader = output.fileHandleForReading
        while true {
            let piece = reader.availableData
            if piece.isEmpty { break }
            if Int64(data.count + piece.count) > outputLimit {
                overLimit = true
                process.terminate()
                break
            }
            data.append(contentsOf: piece)
        }
        try? reader.close()
        process.waitUntilExit()
        let message = String(decoding: errorBox.wait(), as: UTF8.self)
            .split(separator: "\n").first.map(String.init) ?? "exit status \(process.terminationStatus)"
        return Result(status: process.terminationStatus, output: overLimit ? [] : data, errorLine: message, overLimit: overLimit)
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
