#ifndef RAG_CKERNELS_H
#define RAG_CKERNELS_H

#include <stdint.h>
#include <stddef.h>

/// 1 when the CPU supports AVX2 and FMA (kernels fall back to portable C otherwise).
int rag_cpu_has_avx2_fma(void);


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

/// The best kernel this CPU runs: 2 = AVX512-VNNI, 1 = AVX2, 0 = portable C.
int rag_int8_gemm_kernel(void);

/// out[r, o] = a_scales[r] * sum_g w_scales[g, o] * sum_{k in g} a[r,k] * w[o,k] + bias[o], for o < outputs.
/// w_scales: [k_padded/32, ceil(outputs/16)*16]. `kernel` caps the instruction set (tests compare each with the twin).
void rag_int8_gemm(int kernel, const int16_t *a, const float *a_scales, int rows, int k_padded,
                   const int8_t *packed, const float *w_scales, const float *bias,
                   int outputs, float *out, int out_stride);
void rag_int8_gemm_portable(const int16_t *a, const float *a_scales, int rows, int k_padded,
                            const int8_t *packed, const float *w_scales, const float *bias, int outputs,
                            float *out, int out_stride);

#endif
