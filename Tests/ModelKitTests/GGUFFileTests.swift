import Foundation
import ModelKit
import XCTest

final class GGUFFileTests: XCTestCase {
    private var cleanup: [String] = []

    override func tearDown() {
        for path in cleanup { try? FileManager.default.removeItem(atPath: path) }
        cleanup = []
    }

    private func sampleWriter() -> GGUFTestWriter {
        var w = GGUFTestWriter()
        w.metadata = [
            ("general.architecture", .string("llama")),
            ("u8", .uint8(200)), ("i8", .int8(-5)), ("u16", .uint16(60000)), ("i16", .int16(-300)),
            ("u32", .uint32(4_000_000_000)), ("i32", .int32(-7)), ("f32", .float32(1.5)), ("flag", .bool(true)),
            ("u64", .uint64(1 << 40)), ("i64", .int64(-(1 << 40))), ("f64", .float64(2.25)),
            ("tokenizer.ggml.tokens", GGUFTestWriter.strings(["<|endoftext|>", "a", "é", ""])),
            ("tokenizer.ggml.token_type", GGUFTestWriter.int32s([3, 1, 1, 1])),
            ("nested", .array(elementType: 9, [.array(elementType: 4, [.uint32(1), .uint32(2)])])),
        ]
        w.tensors = [
            .init(name: "a", dimensions: [4, 2], type: 0, data: Float.bytes([1, 2, 3, 4, 5, 6, 7, 8])),
            .init(name: "b", dimensions: [3], type: 0, data: Float.bytes([9, 10, 11])),
        ]
        return w
    }

    private func open(_ writer: GGUFTestWriter) throws -> GGUFFile {
        let path = try writer.write()
        cleanup.append(path)
        return try GGUFFile(path: path)
    }

    func testReadsHeaderMetadataOfEveryType() throws {
        let file = try open(sampleWriter())
        XCTAssertEqual(file.version, 3)
        XCTAssertEqual(file.string("general.architecture"), "llama")
        XCTAssertEqual(file.int("u8"), 200)
        XCTAssertEqual(file.int("i8"), -5)
        XCTAssertEqual(file.int("u16"), 60000)
        XCTAssertEqual(file.int("i16"), -300)
        XCTAssertEqual(file.int("u32"), 4_000_000_000)
        XCTAssertEqual(file.int("i32"), -7)
        XCTAssertEqual(file.float("f32"), 1.5)
        XCTAssertEqual(file.bool("flag"), true)
        XCTAssertEqual(file.int("u64"), 1 << 40)
        XCTAssertEqual(file.int("i64"), -(1 << 40))
        XCTAssertEqual(file.value("f64"), .float64(2.25))
        XCTAssertEqual(file.stringArray("tokenizer.ggml.tokens"), ["<|endoftext|>", "a", "é", ""])
        XCTAssertEqual(file.intArray("tokenizer.ggml.token_type"), [3, 1, 1, 1])
        XCTAssertEqual(file.value("nested"), .array(.array([.uint32([1, 2])])))
        XCTAssertEqual(file.metadataKeys.first, "general.architecture")
        XCTAssertNil(file.string("u8"), "typed accessors do not convert between kinds")
        XCTAssertNil(file.string("missing"))
        XCTAssertThrowsError(try file.requireInt("missing")) { error in
            XCTAssertTrue(String(describing: error).contains("missing"))
        }
    }

    func testTensorInfosOffsetsAndBytes() throws {
        let file = try open(sampleWriter())
        XCTAssertEqual(file.alignment, 32)
        XCTAssertEqual(file.dataOffset % 32, 0)
        let a = try XCTUnwrap(file.tensor(named: "a"))
        XCTAssertEqual(a.dimensions, [4, 2])
        XCTAssertEqual(a.type, .f32)
        XCTAssertEqual(a.rowLength, 4)
        XCTAssertEqual(a.rowCount, 2)
        XCTAssertEqual(a.byteCount, 32)
        let aValues = file.tensorBytes(a).bindMemory(to: Float.self)
        XCTAssertEqual(Array(aValues), [1, 2, 3, 4, 5, 6, 7, 8])
        let b = try XCTUnwrap(file.tensor(named: "b"))
        XCTAssertEqual(b.fileOffset, file.dataOffset + 32)
        XCTAssertEqual(Array(try file.tensorBytes(named: "b").bindMemory(to: Float.self)), [9, 10, 11])
        XCTAssertNil(file.tensor(named: "c"))
    }

    func testCustomAlignment() throws {
        var w = sampleWriter()
        w.alignment = 64
        w.metadata.append(("general.alignment", .uint32(64)))
        let file = try open(w)
        XCTAssertEqual(file.alignment, 64)
        XCTAssertEqual(file.dataOffset % 64, 0)
        XCTAssertEqual(file.tensor(named: "b")?.fileOffset, file.dataOffset + 64)
        XCTAssertEqual(Array(try file.tensorBytes(named: "b").bindMemory(to: Float.self)), [9, 10, 11])
    }

    func testEveryTruncationThrowsInsteadOfCrashing() throws {
        let full = sampleWriter().bytes()
        // Every proper prefix must be rejected (the last tensor ends at the final byte before padding).
        let lastTensorEnd = full.count - (32 - 12)
        for length in stride(from: 0, to: lastTensorEnd, by: 1) {
            let path = try GGUFTestWriter.write(Array(full[0..<length]))
            cleanup.append(path)
            XCTAssertThrowsError(try GGUFFile(path: path), "prefix of \(length) bytes was accepted")
        }
    }

    func testHostileCountsAndTypesThrow() throws {
        func mutated(_ edit: (inout [UInt8]) -> Void) throws -> String {
            var bytes = sampleWriter().bytes()
            edit(&bytes)
            let path = try GGUFTestWriter.write(bytes)
            cleanup.append(path)
            return path
        }
        func setUInt64(_ bytes: inout [UInt8], at offset: Int, _ value: UInt64) {
            for i in 0..<8 { bytes[offset + i] = UInt8(truncatingIfNeeded: value >> (8 * UInt64(i))) }
        }
        // Bad magic, bad version, absurd tensor/metadata counts, absurd first key length, unknown value type.
        XCTAssertThrowsError(try GGUFFile(path: try mutated { $0[0] = UInt8(ascii: "X") })) { error in
            guard case .notGGUF? = error as? GGUFError else { return XCTFail("\(error)") }
        }
        XCTAssertThrowsError(try GGUFFile(path: try mutated { $0[4] = 9 }))
        XCTAssertThrowsError(try GGUFFile(path: try mutated { setUInt64(&$0, at: 8, UInt64.max) }))
        XCTAssertThrowsError(try GGUFFile(path: try mutated { setUInt64(&$0, at: 16, 1 << 60) }))
        XCTAssertThrowsError(try GGUFFile(path: try mutated { setUInt64(&$0, at: 24, UInt64.max - 3) }))
        let firstTypeOffset = 24 + 8 + "general.architecture".utf8.count
        XCTAssertThrowsError(try GGUFFile(path: try mutated { $0[firstTypeOffset] = 99 }))
        XCTAssertThrowsError(try GGUFFile(path: try mutated { $0[firstTypeOffset] = 9 }), "string read as an array")
    }

    func testTensorOutsideFileOrUnknownTypeThrows() throws {
        var w = sampleWriter()
        w.tensors[1].dimensions = [1000]
        XCTAssertThrowsError(try open(w)) { error in
            guard case .truncated? = error as? GGUFError else { return XCTFail("\(error)") }
        }
        var u = sampleWriter()
        u.tensors[0].type = 77
        XCTAssertThrowsError(try open(u)) { error in
            guard case .unsupportedTensorType(_, "a", 77)? = error as? GGUFError else { return XCTFail("\(error)") }
        }
        var q = sampleWriter()
        q.tensors[0].type = GGMLType.q8_0.rawValue  // 4 elements per row is not a whole Q8_0 block
        XCTAssertThrowsError(try open(q))
        var zero = sampleWriter()
        zero.tensors[0].dimensions = [4, 0]
        XCTAssertThrowsError(try open(zero))
    }

    func testOverlappingTensorRangesThrow() throws {
        var w = sampleWriter()
        w.offsetOverrides["b"] = 0   // b's bytes would be a's first bytes
        XCTAssertThrowsError(try open(w)) { error in
            guard case .corrupt(_, let reason)? = error as? GGUFError else { return XCTFail("\(error)") }
            XCTAssertTrue(reason.contains("overlaps"), reason)
        }
        XCTAssertNoThrow(try open(sampleWriter()))
    }

    func testMissingFileAndNonFile() {
        XCTAssertThrowsError(try GGUFFile(path: "/nonexistent/model.gguf")) { error in
            XCTAssertTrue(String(describing: error).contains("/nonexistent/model.gguf"))
        }
        XCTAssertThrowsError(try GGUFFile(path: NSTemporaryDirectory()))
    }

    func testRealModelHeaderWhenInstalled() throws {
        guard let path = try? ModelLocator().path(of: KnownModels.generator) else {
            throw XCTSkip("generator model not installed (run scripts/setup): \(KnownModels.generator.relativePath)")
        }
        let file = try GGUFFile(path: path)
        XCTAssertEqual(file.string("general.architecture"), "llama")
        XCTAssertEqual(file.int("llama.block_count"), 30)
        XCTAssertEqual(file.stringArray("tokenizer.ggml.tokens")?.count, 49152)
        XCTAssertEqual(file.tensor(named: "token_embd.weight")?.type, .q8_0)
        XCTAssertEqual(file.tensor(named: "blk.0.attn_q.weight")?.type, .q4_1)
        XCTAssertEqual(file.tensor(named: "blk.0.attn_q.weight")?.dimensions, [576, 576])
    }
}
