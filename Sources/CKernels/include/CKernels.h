#ifndef RAG_CKERNELS_H
#define RAG_CKERNELS_H

#include <stdint.h>
#include <stddef.h>

// ---------------------------------------------------------------------------------------------------------
// CPU dispatch (Sources/CKernels/cpu.c), the one place every kernel below asks which path to run.
// ---------------------------------------------------------------------------------------------------------

/// 1 when the CPU supports AVX2 and FMA.
int rag_cpu_has_avx2_fma(void);

/// The SIMD level the kernels run at now: 0 portable C, 1 AVX2/FMA/F16C, 2 AVX-512F (the best the CPU supports unless
/// capped by rag_simd_set_level).
int rag_simd_level(void);

/// Caps the SIMD level (0 forces every kernel onto its portable C twin; 2 restores the default) and returns the level
/// in effect (also capped by the CPU). For tests comparing every path.
int rag_simd_set_level(int level);

/// A spin-wait hint (x86 `pause`): call inside busy-wait loops.
void rag_cpu_relax(void);


// ---------------------------------------------------------------------------------------------------------
// Embedder fp32 math (Sources/CKernels/embedder_math.c; scalar twins: ReferenceBertKernels in Swift).
// ---------------------------------------------------------------------------------------------------------

/// x <- x * 0.5 * (1 + erf(x / sqrt 2)) in place (exact-erf GELU; |error| of erf < 1e-6).
void rag_gelu_erf(float *x, size_t count);

/// Softmax of each row in place (rows x columns, contiguous rows).
void rag_softmax_rows(float *x, int rows, int columns);

// ---------------------------------------------------------------------------------------------------------
// INT8-weight dense layers of the embedder (Sources/CKernels/int8_gemm.c; scalar twin: ReferenceInt8Gemm in Swift).
// Weights: int8, one scale per output row and group of RAG_INT8_GROUP_SIZE inputs.
// Activations: int16, one scale per row (token). k_padded: the input size rounded up to a multiple of the group.
// ---------------------------------------------------------------------------------------------------------

#define RAG_INT8_GROUP_SIZE 32

/// Packs int8 weights [outputs, k] (row-major) into blocks of 16 outputs x pairs of inputs (32 bytes each),
/// zero-padded to k_padded and to a multiple of 16 outputs: `packed` holds ceil(outputs/16)*16*k_padded bytes.
void rag_int8_pack_weights(const int8_t *weights, int outputs, int k, int k_padded, int8_t *packed);

/// Per row: scale = max|x| / 32767, out = round_half_even(x * 32767 / max), zero-padded to k_padded.
void rag_int16_quantize_rows(const float *x, int rows, int k, int k_padded, int16_t *out, float *scales);
void rag_int16_quantize_rows_portable(const float *x, int rows, int k, int k_padded, int16_t *out, float *scales);

/// The best kernel this CPU runs: 2 = AVX512-VNNI, 1 = AVX2/FMA/F16C, 0 = portable C (asked of the CPU dispatch;
/// not capped by rag_simd_set_level, the kernel is an argument of rag_int8_gemm).
int rag_int8_gemm_kernel(void);

/// out[r, o] = a_scales[r] * sum_g w_scales[g, o] * sum_{k in g} a[r,k] * w[o,k] + bias[o], for o < outputs.
/// w_scales: [k_padded/32, ceil(outputs/16)*16]. `kernel` caps the instruction set (tests compare each with the twin).
void rag_int8_gemm(int kernel, const int16_t *a, const float *a_scales, int rows, int k_padded,
                   const int8_t *packed, const float *w_scales, const float *bias,
                   int outputs, float *out, int out_stride);
void rag_int8_gemm_portable(const int16_t *a, const float *a_scales, int rows, int k_padded,
                            const int8_t *packed, const float *w_scales, const float *bias, int outputs,
                            float *out, int out_stride);

// Quantized matrix-vector products with fp32 activations (activations are never quantized).
// `weights` points at row 0 of a row-major matrix whose rows are `rowBytes` bytes of ggml blocks,
// each row holding `n` elements (n a multiple of 32). For r in [rowStart, rowEnd): y[r] = dot(row r, x).
// Scalar Swift twins: ModelKit `QuantDotReference`.

/// Q4_1 blocks (20 bytes / 32 elements: d f16, m f16, 16 bytes of nibbles).
/// `blockSums[b]` must hold the sum of x[32b ..< 32b+32] (the `m` term needs it; computed once per vector).
void rag_matvec_q4_1(const void *weights, size_t rowBytes, const float *x, const float *blockSums,
                     float *y, int64_t rowStart, int64_t rowEnd, int64_t n);

/// Q4_1 rows repacked for decode (Sources/CKernels/q4_1_packed.c explains the layout): the bytes one packed row of
/// `n` elements takes (the ggml size when n/32 is even), and the repacking of `rows` ggml rows into that layout.
size_t rag_q4_1_packed_row_bytes(int64_t n);
void rag_q4_1_pack_rows(const void *source, size_t sourceRowBytes, void *destination, int64_t rows, int64_t n);

/// As rag_matvec_q4_1, on rows packed by rag_q4_1_pack_rows (`rowBytes` = rag_q4_1_packed_row_bytes(n)).
void rag_matvec_q4_1_packed(const void *weights, size_t rowBytes, const float *x, const float *blockSums,
                            float *y, int64_t rowStart, int64_t rowEnd, int64_t n);

/// Q8_0 blocks (34 bytes / 32 elements: d f16, 32 int8).
void rag_matvec_q8_0(const void *weights, size_t rowBytes, const float *x,
                     float *y, int64_t rowStart, int64_t rowEnd, int64_t n);

/// Sums of consecutive groups of 32 floats: sums[b] = x[32b] + ... + x[32b+31], for n/32 groups.
void rag_block_sums_32(const float *x, float *sums, int64_t n);

// Dequantizers used to build fp32 weight panels for prefill (twins: ModelKit `Dequantize`).
void rag_dequantize_q4_1(const void *blocks, float *out, int64_t n);
void rag_dequantize_q8_0(const void *blocks, float *out, int64_t n);


// One key block of FlashAttention-style online softmax (twin: Generator `AttentionReference`).
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

/// Hints the CPU to start loading the first `bytes` of `p` into cache (a no-op where there is no prefetch
/// instruction). Reading scattered 8 KB pieces, one core waits for each piece's first cache lines before the hardware
/// prefetcher takes over; touching the next piece's first lines while this one is read hides that wait.
void rag_prefetch(const void *p, int64_t bytes);

/// `rag_attention_block` over keys and values stored as IEEE fp16 ([keyCount, headDim] uint16 bit patterns), converted
/// to fp32 on the fly (F16C); the same contract otherwise. Twin: its portable C path (rag_simd_set_level(0)).
void rag_attention_block_f16(const float *q, int64_t rows, int64_t headDim,
                             const uint16_t *keys, const uint16_t *values, int64_t keyCount,
                             const int64_t *limits, float scale,
                             float *m, float *l, float *acc, float *scores);

// ---------------------------------------------------------------------------------------------------------
// fp16 KV cache and fp16 page summaries (Sources/CKernels/kv_half.c). AVX2/F16C with portable C twins
// (rag_simd_set_level(0) selects them).
// ---------------------------------------------------------------------------------------------------------

/// out[i] = fp16(x[i]), round to nearest even (overflow: ±inf).
void rag_f32_to_f16(const float *x, uint16_t *out, int64_t n);
/// out[i] = fp32(x[i]) (exact).
void rag_f16_to_f32(const uint16_t *x, float *out, int64_t n);

/// One key into a page summary of fp16 channel bounds [headDim] each: first != 0 starts the page
/// (low = round_down(key), high = round_up(key)); otherwise low = round_down(min(low, key)), high = round_up(max(high, key)).
/// Directed rounding keeps every key inside [low, high], so the page bounds below stay upper bounds.
void rag_page_summary_update_f16(const float *key, int64_t headDim, uint16_t *low, uint16_t *high, int first);

/// Folds one page's fp16 bounds into a coarser summary (a super-page): first != 0 copies them, otherwise
/// outLow = min(outLow, low), outHigh = max(outHigh, high) (exact in fp16).
void rag_page_summary_merge_f16(const uint16_t *low, const uint16_t *high, int64_t headDim, uint16_t *outLow,
                                uint16_t *outHigh, int first);

/// scores[p] += Σ_r Σ_d max(q_rd · low_pd, q_rd · high_pd) for pages p < pageCount (lows, highs: [pageCount, headDim]).
/// queries: [sets, rows, headDim]; page p uses set p / pagesPerQuery (pagesPerQuery <= 0: one set for every page), so
/// runs of pages can be scored with differently rotated queries in one call.
void rag_page_bounds_f16(const float *queries, int64_t rows, int64_t headDim, const uint16_t *lows, const uint16_t *highs,
                         int64_t pageCount, int64_t pagesPerQuery, float *scores);

/// RoPE re-rotation of `rows` head vectors [rows, headDim]: out pair i = R(θ_i) (x_2i, x_2i+1) with cos θ_i = cosines[i],
/// sin θ_i = sign · sines[i], for i < pairs; dimensions past 2·pairs are copied. AVX2 (4 pairs per step) with a
/// portable twin (rag_simd_set_level(0)).
void rag_rotate_pairs(const float *v, int64_t rows, int64_t headDim, int64_t pairs, const float *cosines,
                      const float *sines, float sign, float *out);

/// SwiGLU in place: gate[i] = silu(gate[i]) · up[i] = gate[i] / (1 + e^(−gate[i])) · up[i], for n elements
/// (twin: Generator `SwiGLUReference`).
void rag_swiglu(float *gate, const float *up, int64_t n);

/// log Σ_i e^(x_i) over n floats, computed as max + log Σ e^(x_i − max) with fp64 partial sums
/// (twin: Generator `PerplexityEvaluator.logSumExpReference`).
double rag_log_sum_exp(const float *x, int64_t n);

#endif
