#ifndef RAG_CKERNELS_H
#define RAG_CKERNELS_H

#include <stdint.h>
#include <stddef.h>

/// 1 when the CPU supports AVX2 and FMA (kernels fall back to portable C otherwise).
int rag_cpu_has_avx2_fma(void);


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

#endif
