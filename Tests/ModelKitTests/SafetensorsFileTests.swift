import Foundation
import ModelKit
import XCTest

/// Tiny safetensors files written by the tests: valid ones read back exactly, broken ones fail with typed errors.
final class SafetensorsFileTests: XCTestCase {
    private var directory: URL!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("rag-safetensors-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: directory)
    }

    /// Writes `[u64 header length][header][data]` and returns the path.
    private func write(header: String, data: [UInt8], declaredLength: UInt64? = nil, name: String = "t.safetensors") throws -> String {
        var bytes: [UInt8] = []
        let headerBytes = Array(header.utf8)
        var length = (declaredLength ?? UInt64(headerBytes.count)).littleEndian
        withUnsafeBytes(of: &length) { bytes += $0 }
        bytes += headerBytes
        bytes += data
        let url = directory.appendingPathComponent(name)
        try Data(bytes).write(to: url)
        return url.path
    }

    private func floatBytes(_ values: [Float]) -> [UInt8] {
        values.flatMap { value -> [UInt8] in
            let bits = value.bitPattern.littleEndian
            return withUnsafeBytes(of: bits) { Array($0) }
        }
    }

    private func assertFails(_ path: String, _ check: (SafetensorsError) -> Bool, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try SafetensorsFile(path: path), file: file, line: line) { error in
            guard let error = error as? SafetensorsError else { return XCTFail("untyped error \(error)", file: file, line: line) }
            XCTAssertTrue(check(error), "unexpected \(error)", file: file, line: line)
            XCTAssertTrue(error.description.contains(path), "message should name the file: \(error)", file: file, line: line)
            XCTAssertFalse(error.description.contains("\n"), file: file, line: line)
        }
    }

    func testReadsTensorsMetadataAndConversions() throws {
        let a: [Float] = [1, -2.5, 3.25, 0, 1e-7, -65504]
        let half: [UInt8] = [0x00, 0x3C, 0x00, 0xC0]        // F16 1.0, -2.0
        let bf16: [UInt8] = [0x80, 0x3F, 0x40, 0xC0]        // BF16 1.0, -3.0
        let data = floatBytes(a) + half + bf16
        let header = #"{"__metadata__":{"format":"pt"},"a":{"dtype":"F32","shape":[2,3],"data_offsets":[0,24]},"#
            + #""h":{"dtype":"F16","shape":[2],"data_offsets":[24,28]},"b":{"dtype":"BF16","shape":[2],"data_offsets":[28,32]}}"#
        let file = try SafetensorsFile(path: write(header: header, data: data))
        XCTAssertEqual(file.metadata, ["format": "pt"])
        XCTAssertEqual(try file.info("a").shape, [2, 3])
        XCTAssertEqual(try file.info("a").dtype, .float32)
        XCTAssertEqual(try file.floats("a", shape: [2, 3]), a)
        XCTAssertEqual(try file.floats("h"), [1, -2])
        XCTAssertEqual(try file.floats("b"), [1, -3])
        XCTAssertEqual(try file.withBytes(of: "h") { Array($0) }, half)
    }

    func testUnalignedDataSectionReadsCorrectly() throws {
        // A 3-byte-longer header puts the F32 data at an odd address.
        let values: [Float] = [0.5, 1.5, -7]
        let file = try SafetensorsFile(path: write(header: #"{"x":{"dtype":"F32","shape":[3],"data_offsets":[0,12]}}   "#,
                                                   data: floatBytes(values)))
        XCTAssertEqual(try file.floats("x"), values)
    }

    func testWrongShapeAndMissingTensorAndDType() throws {
        let path = try write(header: #"{"x":{"dtype":"I64","shape":[2],"data_offsets":[0,16]},"y":{"dtype":"F32","shape":[1],"data_offsets":[16,20]}}"#,
                             data: [UInt8](repeating: 0, count: 20))
        let file = try SafetensorsFile(path: path)
        XCTAssertThrowsError(try file.floats("y", shape: [2])) { error in
            XCTAssertEqual(error as? SafetensorsError, .unexpectedShape(path: path, tensor: "y", expected: [2], actual: [1]))
        }
        XCTAssertThrowsError(try file.floats("nope")) { error in
            XCTAssertEqual(error as? SafetensorsError, .missingTensor(path: path, tensor: "nope"))
        }
        XCTAssertThrowsError(try file.floats("x")) { error in
            guard case .unexpectedDType = error as? SafetensorsError else { return XCTFail("\(error)") }
        }
    }

    func testTruncatedFiles() throws {
        let fiveBytes = directory.appendingPathComponent("five")
        try Data([1, 0, 0, 0, 0]).write(to: fiveBytes)
        assertFails(fiveBytes.path) { error in
            if case .truncated = error { return true } else { return false }
        }
        // A zero-length header is not a JSON object.
        assertFails(try write(header: "", data: [], name: "empty-header")) { error in
            if case .badHeader = error { return true } else { return false }
        }
        // Only the length prefix: the header it announces is missing.
        assertFails(try write(header: "", data: [], declaredLength: 64, name: "short-header")) { error in
            if case .truncated = error { return true } else { return false }
        }
        // Data ends before the last tensor does.
        assertFails(try write(header: #"{"x":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}"#, data: [0, 0, 0, 0], name: "short-data")) { error in
            if case .truncated = error { return true } else { return false }
        }
    }

    func testEmptyFileHasTypedError() throws {
        let url = directory.appendingPathComponent("zero")
        try Data().write(to: url)
        assertFails(url.path) { if case .truncated = $0 { return true } else { return false } }
    }

    func testCorruptHeaders() throws {
        let cases: [(String, String)] = [
            ("not json", "garbage"),
            ("[1,2,3]", "array"),
            (#"{"x":{"dtype":"F32","shape":[1]}}"#, "no-offsets"),
            (#"{"x":{"dtype":"F32","shape":[1.5],"data_offsets":[0,4]}}"#, "fractional"),
            (#"{"x":{"dtype":"F32","shape":[true],"data_offsets":[0,4]}}"#, "boolean"),
            (#"{"__metadata__":{"a":1}}"#, "metadata-number"),
        ]
        for (header, name) in cases {
            assertFails(try write(header: header, data: [0, 0, 0, 0], name: name)) { error in
                if case .badHeader = error { return true } else { return false }
            }
        }
    }

    func testHostileTensorEntries() throws {
        let cases: [(String, String)] = [
            (#"{"x":{"dtype":"Q9","shape":[1],"data_offsets":[0,4]}}"#, "dtype"),
            (#"{"x":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}"#, "negative"),
            (#"{"x":{"dtype":"F32","shape":[2],"data_offsets":[0,4]}}"#, "size-mismatch"),
            (#"{"x":{"dtype":"F32","shape":[1],"data_offsets":[4,0]}}"#, "reversed"),
            (#"{"x":{"dtype":"F32","shape":[1],"data_offsets":[0,4,8]}}"#, "triple"),
            (#"{"x":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,4]}}"#, "overflow"),
            (#"{"x":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"y":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}"#, "overlap"),
        ]
        for (header, name) in cases {
            assertFails(try write(header: header, data: [UInt8](repeating: 0, count: 8), name: name)) { error in
                if case .badTensor = error { return true } else { return false }
            }
        }
    }

    func testHugeDeclaredHeaderIsRefused() throws {
        assertFails(try write(header: "{}", data: [], declaredLength: UInt64.max, name: "huge")) { error in
            if case .badHeader = error { return true } else { return false }
        }
    }

    func testMissingFileAndDirectory() throws {
        assertFails(directory.appendingPathComponent("absent").path) { if case .cannotOpen = $0 { return true } else { return false } }
        assertFails(directory.path) { if case .cannotOpen = $0 { return true } else { return false } }
    }

    func testInstalledEmbedderWeightsParse() throws {
        let path: String
        do { path = try ModelLocator().path(of: KnownModels.embedderWeights) } catch {
            throw XCTSkip("embedder weights not installed (\(error)); run scripts/setup")
        }
        let file = try SafetensorsFile(path: path)
        XCTAssertEqual(try file.info("embeddings.word_embeddings.weight").shape, [30522, 384])
        XCTAssertEqual(try file.info("encoder.layer.5.output.dense.weight").shape, [384, 1536])
    }
}
