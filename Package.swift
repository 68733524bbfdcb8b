// swift-tools-version:6.0
// rag: local, private question answering over a folder of documents.
// No package dependencies: system SQLite and OpenBLAS through systemLibrary shims,
// hot SIMD kernels in a small C target, everything else in Swift.
import PackageDescription

let optimize: [SwiftSetting] = [.unsafeFlags(["-Ounchecked", "-wmo"], .when(configuration: .release))]

let package = Package(
    name: "rag",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "rag", targets: ["rag"]),
    ],
    targets: [
        // C shims over system libraries (headers only; linked via pkg-config / link flags).
        .systemLibrary(name: "CSQLite", path: "Sources/CSQLite", pkgConfig: "sqlite3",
                       providers: [.apt(["libsqlite3-dev"])]),
        .systemLibrary(name: "COpenBLAS", path: "Sources/COpenBLAS", pkgConfig: "openblas",
                       providers: [.apt(["libopenblas-dev"])]),
        // Hand-written SIMD kernels (AVX2/AVX-512, one runtime CPU dispatch in cpu.c); each has a portable C twin
        // and a scalar Swift reference its tests compare against.
        .target(name: "CKernels", path: "Sources/CKernels",
                cSettings: [.unsafeFlags(["-O3", "-fno-math-errno"])]),

        // File formats (GGUF, safetensors), quantized blocks, BLAS wrappers, model file resolution.
        .target(name: "ModelKit", dependencies: ["COpenBLAS", "CKernels"], swiftSettings: optimize),
        // Files → chunks → embeddings → SQLite store. Declares what it needs of an embedder (`TextEmbedder`).
        .target(name: "Index", dependencies: ["ModelKit", "CSQLite"], swiftSettings: optimize),
        // The BERT embedding engine: WordPiece tokenizer → encoder (fp32 / INT8) → mean pooling; implements Index's
        // `TextEmbedder` and `EmbeddingTokenCounter`.
        .target(name: "Embedder", dependencies: ["ModelKit", "CKernels", "Index"], swiftSettings: optimize),
        // Query → ranked chunks → prompt; routing; chat memory. Talks to the generator through a protocol.
        .target(name: "Retrieval", dependencies: ["Index", "ModelKit", "CSQLite", "COpenBLAS"], swiftSettings: optimize),
        // GGUF llama model → tokenizer → transformer with dense/sparse attention → sampler → chat template.
        .target(name: "Generator", dependencies: ["ModelKit"], swiftSettings: optimize),
        // A small HTTP/1.1 server over POSIX sockets (parser, keep-alive, chunked/SSE output, limits). Depends on nothing.
        .target(name: "HTTPServer", swiftSettings: optimize),
        // `rag serve`: the HTTP API and web page over retrieval and answering; the JSON shapes the CLI shares.
        .target(name: "Serve", dependencies: ["HTTPServer", "Retrieval", "Index"], swiftSettings: optimize),
        // Thin command-line front end.
        .executableTarget(name: "rag", dependencies: ["ModelKit", "Index", "Embedder", "Retrieval", "Generator", "Serve",
                                                     "HTTPServer"],
                          swiftSettings: optimize),

        .testTarget(name: "ModelKitTests", dependencies: ["ModelKit"]),
        .testTarget(name: "GeneratorTests", dependencies: ["Generator", "ModelKit"]),
        .testTarget(name: "IndexTests", dependencies: ["Index", "ModelKit"]),
        .testTarget(name: "EmbedderTests", dependencies: ["Embedder", "Index", "ModelKit", "CKernels"]),
        .testTarget(name: "RetrievalTests", dependencies: ["Retrieval", "Index", "ModelKit", "CSQLite"]),
        .testTarget(name: "RagTests", dependencies: ["ModelKit"]),
        .testTarget(name: "ServeTests", dependencies: ["HTTPServer", "Serve", "Retrieval", "Index"]),
    ]
)
