// INT8-weight matrix multiply for the BERT embedder's dense layers (scalar twin: ReferenceInt8Gemm in Swift).
//
//   output[r, o] = a_scale[r] * sum_g w_scale[g, o] * sum_{k in group g} a[r, k] * w[o, k] + bias[o]
//
// Weights w: int8 in [-127, 127], one scale per output row and group of 32 inputs (RAG_INT8_GROUP_SIZE).
// Activations a: int16 in [-32767, 32767], one scale per row (token), quantized on the fly.
// Why int16 activations: all-MiniLM-L6-v2's hidden states have a few outlier channels, and int8 activations
// (even per group of 32) lose too much (cosine 0.9987 vs the reference; the bar is 0.999); int8 weights with
// int16 activations give 0.9995. Integer products: AVX512-VNNI vpdpwssd or AVX2 vpmaddwd (int16 pairs -> int32).
//
// Packed weights: blocks of 16 output rows; inside a block, for each pair of inputs, 32 bytes =
// 16 outputs x 2 inputs (int8; sign-extended to int16 in registers). k_padded: k rounded up to a multiple of 32.
#include "simd.h"

#include <math.h>

#define GROUP RAG_INT8_GROUP_SIZE

void rag_int8_pack_weights(const int8_t *weights, int outputs, int k, int k_padded, int8_t *packed) {
    int blocks = (outputs + 15) / 16;
    int pairs = k_padded / 2;
    for (int b = 0; b < blocks; b++) {
        for (int p = 0; p < pairs; p++) {
            int8_t *dst = packed + ((size_t)b * pairs + p) * 32;
            for (int o = 0; o < 16; o++) {
                for (int kk = 0; kk < 2; kk++) {
                    int row = b * 16 + o, col = p * 2 + kk;
                    dst[o * 2 + kk] = (row < outputs && col < k) ? weights[(size_t)row * k + col] : 0;
                }
            }
        }
    }
}

void rag_int16_quantize_rows_portable(const float *x, int rows, int k, int k_padded, int16_t *out, float *scales) {
    for (int r = 0; r < rows; r++) {
        const float *row = x + (size_t)r * k;
        int16_t *dst = out + (size_t)r * k_padded;
        float maximum = 0;
        for (int i = 0; i < k; i++) { float m = fabsf(row[i]); if (m > maximum) maximum = m; }
        float inverse = maximum > 0 ? 32767.0f / maximum : 0.0f;
        scales[r] = maximum / 32767.0f;
        for (int i = 0; i < k; i++) dst[i] = (int16_t)(int)nearbyintf(row[i] * inverse);
        for (int i = k; i < k_padded; i++) dst[i] = 0;
    }
}

#if defined(__x86_64__)
RAG_SIMD static void quantize_rows_avx2(const float *x, int rows, int k, int k_padded, int16_t *out, float *scales) {
    const __m256 sign = _mm256_set1_ps(-0.0f);
    for (int r = 0; r < rows; r++) {
        const float *row = x + (size_t)r * k;
        int16_t *dst = out + (size_t)r * k_padded;
        int body = k & ~15;
        __m256 vmax = _mm256_setzero_ps();
        for (int i = 0; i < body; i += 8) vmax = _mm256_max_ps(vmax, _mm256_andnot_ps(sign, _mm256_loadu_ps(row + i)));
        float maximum = rag_hmax256(vmax);
        for (int i = body; i < k; i++) { float m = fabsf(row[i]); if (m > maximum) maximum = m; }
        float inverse = maximum > 0 ? 32767.0f / maximum : 0.0f;
        scales[r] = maximum / 32767.0f;
        const __m256 vinv = _mm256_set1_ps(inverse);
        for (int i = 0; i < body; i += 16) {
            // cvtps rounds to nearest even (default MXCSR), like nearbyintf; |values| <= 32767 so packs never clamp.
            __m256i lo = _mm256_cvtps_epi32(_mm256_mul_ps(_mm256_loadu_ps(row + i), vinv));
            __m256i hi = _mm256_cvtps_epi32(_mm256_mul_ps(_mm256_loadu_ps(row + i + 8), vinv));
            __m256i packed = _mm256_permute4x64_epi64(_mm256_packs_epi32(lo, hi), 0xD8);
            _mm256_storeu_si256((__m256i *)(dst + i), packed);
        }
        for (int i = body; i < k; i++) dst[i] = (int16_t)(int)nearbyintf(row[i] * inverse);
        for (int i = k; i < k_padded; i++) dst[i] = 0;
    }
}
#endif

void rag_int16_quantize_rows(const float *x, int rows, int k, int k_padded, int16_t *out, float *scales) {
#if defined(__x86_64__)
    if (rag_simd_level() >= 1) { quantize_rows_avx2(x, rows, k, k_padded, out, scales); return; }
#endif
    rag_int16_quantize_rows_portable(x, rows, k, k_padded, out, scales);
}

void rag_int8_gemm_portable(const int16_t *a, const float *a_scales, int rows, int k_padded,
                            const int8_t *packed, const float *w_scales, const float *bias, int outputs,
                            float *out, int out_stride) {
    int pairs = k_padded / 2, groups = k_padded / GROUP;
    int padded_outputs = (outputs + 15) / 16 * 16;
    for (int r = 0; r < rows; r++) {
        const int16_t *row = a + (size_t)r * k_padded;
        for (int o = 0; o < outputs; o++) {
            const int8_t *block = packed + (size_t)(o / 16) * pairs * 32 + (o % 16) * 2;
            float sum = 0;
            for (int g = 0; g < groups; g++) {
                int32_t dot = 0;
                for (int p = g * GROUP / 2; p < (g + 1) * GROUP / 2; p++)
                    for (int kk = 0; kk < 2; kk++)
                        dot += (int32_t)row[p * 2 + kk] * (int32_t)block[(size_t)p * 32 + kk];
                sum += (float)dot * w_scales[(size_t)g * padded_outputs + o];
            }
            out[(size_t)r * out_stride + o] = sum * a_scales[r] + bias[o];
        }
    }
}

#if defined(__x86_64__)
// ---- AVX512-VNNI: 4 rows x 3 blocks of 16 outputs per micro-tile. ----
RAG_SIMD_VNNI static RAG_INLINE
void vnni_tile(const int16_t *a, int k_padded, const int8_t *packed, const float *w_scales, int padded_outputs,
               const float *a_scales, const float *bias, int outputs,
               float *out, int out_stride, int row0, int block0, const int mr, const int nr) {
    const int pairs = k_padded / 2, groups = k_padded / GROUP;
    __m512 total[4][3];
    for (int i = 0; i < mr; i++) for (int j = 0; j < nr; j++) total[i][j] = _mm512_setzero_ps();
    const int8_t *w = packed + (size_t)block0 * pairs * 32;
    for (int g = 0; g < groups; g++) {
        __m512i acc[4][3];
        for (int i = 0; i < mr; i++) for (int j = 0; j < nr; j++) acc[i][j] = _mm512_setzero_si512();
        for (int p = g * (GROUP / 2); p < (g + 1) * (GROUP / 2); p++) {
            __m512i wv[3];
            for (int j = 0; j < nr; j++)
                wv[j] = _mm512_cvtepi8_epi16(_mm256_loadu_si256((const __m256i *)(w + ((size_t)j * pairs + p) * 32)));
            for (int i = 0; i < mr; i++) {
                int32_t two;
                memcpy(&two, a + (size_t)(row0 + i) * k_padded + p * 2, 4);
                __m512i av = _mm512_set1_epi32(two);
                for (int j = 0; j < nr; j++) acc[i][j] = _mm512_dpwssd_epi32(acc[i][j], av, wv[j]);
            }
        }
        for (int j = 0; j < nr; j++) {
            __m512 ws = _mm512_loadu_ps(w_scales + (size_t)g * padded_outputs + (block0 + j) * 16);
            for (int i = 0; i < mr; i++) total[i][j] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(acc[i][j]), ws, total[i][j]);
        }
    }
    for (int j = 0; j < nr; j++) {
        int o0 = (block0 + j) * 16;
        int valid = outputs - o0 < 16 ? outputs - o0 : 16;
        __mmask16 mask = (__mmask16)((1u << valid) - 1);
        __m512 bv = _mm512_maskz_loadu_ps(mask, bias + o0);
        for (int i = 0; i < mr; i++) {
            __m512 y = _mm512_fmadd_ps(total[i][j], _mm512_set1_ps(a_scales[row0 + i]), bv);
            _mm512_mask_storeu_ps(out + (size_t)(row0 + i) * out_stride + o0, mask, y);
        }
    }
}

RAG_SIMD_VNNI static void gemm_vnni(const int16_t *a, const float *a_scales, int rows, int k_padded,
                      const int8_t *packed, const float *w_scales, const float *bias,
                      int outputs, float *out, int out_stride) {
    int blocks = (outputs + 15) / 16;
    int padded_outputs = blocks * 16;
    for (int b = 0; b < blocks; b += 3) {
        int nr = blocks - b < 3 ? blocks - b : 3;
        int r = 0;
        for (; r + 4 <= rows; r += 4) {
            if (nr == 3) vnni_tile(a, k_padded, packed, w_scales, padded_outputs, a_scales, bias, outputs, out, out_stride, r, b, 4, 3);
            else vnni_tile(a, k_padded, packed, w_scales, padded_outputs, a_scales, bias, outputs, out, out_stride, r, b, 4, nr);
        }
        for (; r < rows; r++)
            vnni_tile(a, k_padded, packed, w_scales, padded_outputs, a_scales, bias, outputs, out, out_stride, r, b, 1, nr);
    }
}

// ---- AVX2: 4 rows x 16 outputs per micro-tile, vpmaddwd. ----
RAG_SIMD static void gemm_avx2(const int16_t *a, const float *a_scales, int rows, int k_padded,
                      const int8_t *packed, const float *w_scales, const float *bias,
                      int outputs, float *out, int out_stride) {
    int pairs = k_padded / 2, groups = k_padded / GROUP;
    int blocks = (outputs + 15) / 16;
    int padded_outputs = blocks * 16;
    for (int b = 0; b < blocks; b++) {
        const int8_t *w = packed + (size_t)b * pairs * 32;
        for (int r0 = 0; r0 < rows; r0 += 4) {
            int mr = rows - r0 < 4 ? rows - r0 : 4;
            __m256 total[4][2];
            for (int i = 0; i < 4; i++) { total[i][0] = _mm256_setzero_ps(); total[i][1] = _mm256_setzero_ps(); }
            for (int g = 0; g < groups; g++) {
                __m256i acc[4][2];
                for (int i = 0; i < 4; i++) { acc[i][0] = _mm256_setzero_si256(); acc[i][1] = _mm256_setzero_si256(); }
                for (int p = g * (GROUP / 2); p < (g + 1) * (GROUP / 2); p++) {
                    __m256i w0 = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(w + (size_t)p * 32)));
                    __m256i w1 = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(w + (size_t)p * 32 + 16)));
                    for (int i = 0; i < mr; i++) {
                        int32_t two;
                        memcpy(&two, a + (size_t)(r0 + i) * k_padded + p * 2, 4);
                        __m256i av = _mm256_set1_epi32(two);
                        acc[i][0] = _mm256_add_epi32(acc[i][0], _mm256_madd_epi16(av, w0));
                        acc[i][1] = _mm256_add_epi32(acc[i][1], _mm256_madd_epi16(av, w1));
                    }
                }
                __m256 ws0 = _mm256_loadu_ps(w_scales + (size_t)g * padded_outputs + b * 16);
                __m256 ws1 = _mm256_loadu_ps(w_scales + (size_t)g * padded_outputs + b * 16 + 8);
                for (int i = 0; i < mr; i++) {
                    total[i][0] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(acc[i][0]), ws0, total[i][0]);
                    total[i][1] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(acc[i][1]), ws1, total[i][1]);
                }
            }
            for (int i = 0; i < mr; i++) {
                float sums[16];
                _mm256_storeu_ps(sums, total[i][0]);
                _mm256_storeu_ps(sums + 8, total[i][1]);
                for (int o = 0; o < 16 && b * 16 + o < outputs; o++) {
                    int oo = b * 16 + o;
                    out[(size_t)(r0 + i) * out_stride + oo] = sums[o] * a_scales[r0 + i] + bias[oo];
                }
            }
        }
    }
}

#endif

void rag_int8_gemm(int kernel, const int16_t *a, const float *a_scales, int rows, int k_padded,
                   const int8_t *packed, const float *w_scales, const float *bias,
                   int outputs, float *out, int out_stride) {
#if defined(__x86_64__)
    const int best = rag_int8_gemm_kernel();
    if (kernel >= 2 && best >= 2) {
        gemm_vnni(a, a_scales, rows, k_padded, packed, w_scales, bias, outputs, out, out_stride);
        return;
    }
    if (kernel >= 1 && best >= 1) {
        gemm_avx2(a, a_scales, rows, k_padded, packed, w_scales, bias, outputs, out, out_stride);
        return;
    }
#endif
    rag_int8_gemm_portable(a, a_scales, rows, k_padded, packed, w_scales, bias, outputs, out, out_stride);
}
