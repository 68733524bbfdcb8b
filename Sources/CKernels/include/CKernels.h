#ifndef RAG_CKERNELS_H
#define RAG_CKERNELS_H

#include <stdint.h>
#include <stddef.h>

/// 1 when the CPU supports AVX2 and FMA (kernels fall back to portable C otherwise).
int rag_cpu_has_avx2_fma(void);

/// A spin-wait hint (x86 `pause`): call inside busy-wait loops.
void rag_cpu_relax(void);

// ---------------------------------------------------------------------------------------------------------
// INT8 dense layers of the embedder (Sources/CKernels/int8_gemm.c; scalar twin: ReferenceInt8Gemm in Swift).
// ---------------------------------------------------------------------------------------------------------

/// Packs int8 weights [outputs, k] (row-major) into blocks of 16 outputs x groups of 4 inputs (64 bytes each),
/// zero-padded to k_padded (a multiple of 4) and to a multiple of 16 outputs.
/// `packed` holds ceil(outputs/16) * 16 * k_padded bytes.
void rag_int8_pack_weights(const int8_t *weights, int outputs, int k, int k_padded, int8_t *packed);

/// Per-row symmetric quantization: scales[r] = max|x[r,:]| / 127, out[r, i] = round_half_even(x[r,i] * 127 / max) + 128,
/// padded with 128 (= 0) up to k_padded.
void rag_int8_quantize_rows(const float *x, int rows, int k, int k_padded, uint8_t *out, float *scales);
void rag_int8_quantize_rows_portable(const float *x, int rows, int k, int k_padded, uint8_t *out, float *scales);

/// The best kernel this CPU runs: 2 = AVX512-VNNI, 1 = AVX2, 0 = portable C.
int rag_int8_gemm_kernel(void);

/// out[r, o] = a_scales[r] * w_scales[o] * sum_k (a[r,k] - 128) * w[o,k] + bias[o], for o < outputs.
/// `kernel` caps the instruction set (tests compare each against the Swift twin); row_sums[o] = sum_k w[o,k]
/// (padded to a multiple of 16 entries).
void rag_int8_gemm(int kernel, const uint8_t *a, const float *a_scales, int rows, int k_padded,
                   const int8_t *packed, const int32_t *row_sums, const float *w_scales, const float *bias,
                   int outputs, float *out, int out_stride);
void rag_int8_gemm_portable(const uint8_t *a, const float *a_scales, int rows, int k_padded,
                            const int8_t *packed, const float *w_scales, const float *bias, int outputs,
                            float *out, int out_stride);

/// 1 when the quantized kernels below run their AVX2/FMA/F16C paths on this CPU.
int rag_quant_kernels_use_avx2(void);

/// Forces the portable C paths (0) or allows SIMD again (1); for tests comparing both.
void rag_quant_kernels_allow_simd(int allow);

/// Highest SIMD level the quantized matvec kernels use: 0 portable, 1 AVX2/FMA/F16C, 2 AVX-512F (default: the best
/// the CPU supports). Returns the level actually in effect (capped by the CPU). For tests comparing every path.
int rag_quant_kernels_set_level(int level);

// Quantized matrix-vector products with fp32 activations (activations are never quantized).
// `weights` points at row 0 of a row-major matrix whose rows are `rowBytes` bytes of ggml blocks,
// each row holding `n` elements (n a multiple of 32). For r in [rowStart, rowEnd): y[r] = dot(row r, x).
// Scalar Swift twins: ModelKit `QuantDotReference`.

/// Q4_1 blocks (20 bytes / 32 elements: d f16, m f16, 16 bytes of nibbles).
/// `blockSums[b]` must hold the sum of x[32b ..< 32b+32] (the `m` term needs it; computed once per vector).
void rag_matvec_q4_1(const void *weights, size_t rowBytes, const float *x, const float *blockSums,
                     float *y, int64_t rowStart, int64_t rowEnd, int64_t n);

/// Q8_0 blocks (34 bytes / 32 elements: d f16, 32 int8).
void rag_matvec_q8_0(const void *weights, size_t rowBytes, const float *x,
                     float *y, int64_t rowStart, int64_t rowEnd, int64_t n);

/// Sums of consecutive groups of 32 floats: sums[b] = x[32b] + ... + x[32b+31], for n/32 groups.
void rag_block_sums_32(const float *x, float *sums, int64_t n);

// Dequantizers used to build fp32 weight panels for prefill (twins: ModelKit `Dequantize`).
void rag_dequantize_q4_1(const void *blocks, float *out, int64_t n);
void rag_dequantize_q8_0(const void *blocks, float *out, int64_t n);


// One key block of FlashAttention-style online softmax (twin: Generator `AttentionBlockReference`).
// For each query row r (q: [rows, headDim]) and keys j in 0 ..< min(keyCount, limits[r] + 1)
// (limits == NULL: all keyCount keys; limits[r] < 0: this block is skipped for row r):
//   s_j = scale · q_r · k_j;  m' = max(m[r], max_j s_j);
//   acc[r] = acc[r]·e^(m[r]−m') + Σ_j e^(s_j−m') v_j;  l[r] = l[r]·e^(m[r]−m') + Σ_j e^(s_j−m');  m[r] = m'.
// keys, values: [keyCount, headDim] (contiguous rows); acc: [rows, headDim]; scores: scratch of keyCount floats.
// Start with m = −inf, l = 0, acc = 0; the output is acc / l.
void rag_attention_block(const float *q, int64_t rows, int64_t headDim,
                         const float *keys, const float *values, int64_t keyCount,
                         const int64_t *limits, float scale,
                         float *m, float *l, float *acc, float *scores);

/// SwiGLU in place: gate[i] = silu(gate[i]) · up[i] = gate[i] / (1 + e^(−gate[i])) · up[i], for n elements
/// (twin: Generator `SwiGLUReference`).
void rag_swiglu(float *gate, const float *up, int64_t n);

/// log Σ_i e^(x_i) over n floats, computed as max + log Σ e^(x_i − max) with fp64 partial sums
/// (twin: Generator `PerplexityEvaluator.logSumExpReference`).
double rag_log_sum_exp(const float *x, int64_t n);

#endif
