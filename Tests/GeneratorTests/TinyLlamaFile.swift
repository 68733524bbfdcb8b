import Foundation
import ModelKit

/// Writes a tiny random llama GGUF (F32 matrices, a Q8_0 token embedding tied to the output, Q4_1 FFN-down weights)
/// so the forward pass can be checked against a plain fp64 reference on shapes other than SmolLM2's.
struct TinyLlamaFile {
    let embedding = 64, layers = 2, heads = 4, kvHeads = 2, feedForward = 96, vocabulary = 40
    let ropeBase: Float = 10000, epsilon: Float = 1e-5
    var headDim: Int { embedding / heads }
    /// An F32 tensor whose first value is written as NaN (corrupt-weight tests).
    var nanTensor: String?

    struct Tensor { let name: String; let dims: [Int]; let type: GGMLType; let bytes: [UInt8] }

    /// Deterministic uniform values in [-scale, scale].
    static func values(_ count: Int, seed: UInt64, scale: Float) -> [Float] {
        var state = seed &* 0x9E37_79B9_7F4A_7C15 | 1
        return (0..<count).map { _ in
            state ^= state << 13; state ^= state >> 7; state ^= state << 17
            return (Float(state % 2_000_001) / 1_000_000 - 1) * scale
        }
    }

    static func f32(_ v: [Float]) -> [UInt8] { v.flatMap { x in withUnsafeBytes(of: x.bitPattern.littleEndian) { Array($0) } } }

    static func half(_ x: Float) -> [UInt8] {
        let bits = Float16(x).bitPattern
        return [UInt8(bits & 0xFF), UInt8(bits >> 8)]
    }

    static func q8_0(_ v: [Float]) -> [UInt8] {
        stride(from: 0, to: v.count, by: 32).flatMap { start -> [UInt8] in
            let block = v[start..<(start + 32)]
            let d = (block.map(abs).max() ?? 0) / 127
            let scale = d == 0 ? 0 : 1 / d
            return half(d) + block.map { UInt8(bitPattern: Int8(($0 * scale).rounded())) }
        }
    }

    static func q4_1(_ v: [Float]) -> [UInt8] {
        stride(from: 0, to: v.count, by: 32).flatMap { start -> [UInt8] in
            let block = Array(v[start..<(start + 32)])
            let lo = block.min()!, hi = block.max()!
            let d = (hi - lo) / 15
            let q = block.map { d == 0 ? 0 : UInt8(min(15, max(0, (($0 - lo) / d).rounded()))) }
            return half(d) + half(lo) + (0..<16).map { q[$0] | q[$0 + 16] << 4 }
        }
    }

    func tensors() -> [Tensor] {
        var seed: UInt64 = 1
        func next() -> UInt64 { seed += 1; return seed }
        func matrix(_ name: String, rows: Int, columns: Int, type: GGMLType = .f32, scale: Float = 0.2) -> Tensor {
            let v = Self.values(rows * columns, seed: next(), scale: scale)
            let bytes: [UInt8]
            switch type {
            case .q8_0: bytes = Self.q8_0(v)
            case .q4_1: bytes = Self.q4_1(v)
            default: bytes = Self.f32(v)
            }
            return Tensor(name: name, dims: [columns, rows], type: type, bytes: bytes)
        }
        func norm(_ name: String) -> Tensor {
            Tensor(name: name, dims: [embedding], type: .f32,
                   bytes: Self.f32(Self.values(embedding, seed: next(), scale: 0.5).map { 1 + $0 }))
        }
        var list = [matrix("token_embd.weight", rows: vocabulary, columns: embedding, type: .q8_0, scale: 1)]
        for i in 0..<layers {
            let p = "blk.\(i)."
            list += [norm(p + "attn_norm.weight"),
                     matrix(p + "attn_q.weight", rows: embedding, columns: embedding),
                     matrix(p + "attn_k.weight", rows: kvHeads * headDim, columns: embedding),
                     matrix(p + "attn_v.weight", rows: kvHeads * headDim, columns: embedding),
                     matrix(p + "attn_output.weight", rows: embedding, columns: embedding),
                     norm(p + "ffn_norm.weight"),
                     matrix(p + "ffn_gate.weight", rows: feedForward, columns: embedding),
                     matrix(p + "ffn_up.weight", rows: feedForward, columns: embedding),
                     matrix(p + "ffn_down.weight", rows: embedding, columns: feedForward, type: .q4_1)]
        }
        list.append(norm("output_norm.weight"))
        return list.map { tensor in
            guard tensor.name == nanTensor, tensor.type == .f32 else { return tensor }
            return Tensor(name: tensor.name, dims: tensor.dims, type: tensor.type, bytes: Self.f32([.nan]) + tensor.bytes.dropFirst(4))
        }
    }

    /// Serializes metadata and tensors as GGUF v3 and writes them to a temporary file.
    func write() throws -> String {
        var out: [UInt8] = []
        func put<T: FixedWidthInteger>(_ v: T) { withUnsafeBytes(of: v.littleEndian) { out.append(contentsOf: $0) } }
        func putString(_ s: String) { put(UInt64(s.utf8.count)); out.append(contentsOf: s.utf8) }
        let metadata: [(String, UInt32, () -> Void)] = [
            ("general.architecture", 8, { putString("llama") }),
            ("llama.embedding_length", 4, { put(UInt32(embedding)) }),
            ("llama.block_count", 4, { put(UInt32(layers)) }),
            ("llama.feed_forward_length", 4, { put(UInt32(feedForward)) }),
            ("llama.attention.head_count", 4, { put(UInt32(heads)) }),
            ("llama.attention.head_count_kv", 4, { put(UInt32(kvHeads)) }),
            ("llama.rope.freq_base", 6, { put(ropeBase.bitPattern) }),
            ("llama.attention.layer_norm_rms_epsilon", 6, { put(epsilon.bitPattern) }),
            ("llama.context_length", 4, { put(UInt32(256)) }),
            ("llama.vocab_size", 4, { put(UInt32(vocabulary)) }),
        ]
        let tensors = tensors()
        out += Array("GGUF".utf8)
        put(UInt32(3))
        put(UInt64(tensors.count))
        put(UInt64(metadata.count))
        for (key, type, write) in metadata {
            putString(key)
            put(type)
            write()
        }
        var offset = 0
        for t in tensors {
            putString(t.name)
            put(UInt32(t.dims.count))
            for d in t.dims { put(UInt64(d)) }
            put(t.type.rawValue)
            put(UInt64(offset))
            offset += (t.bytes.count + 31) / 32 * 32
        }
        while out.count % 32 != 0 { out.append(0) }
        for t in tensors {
            out += t.bytes
            while out.count % 32 != 0 { out.append(0) }
        }
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("tiny-llama-\(UUID().uuidString).gguf").path
        try Data(out).write(to: URL(fileURLWithPath: path))
        return path
    }
}
