// INT8 matrix multiply for the BERT embedder's dense layers (scalar twin: ReferenceInt8Gemm in Swift).
//
//   output[r, o] = scale_a[r] * scale_w[o] * sum_k a[r, k] * w[o, k] + bias[o]
//
// Activations `a` are int8 in [-127, 127] stored with +128 offset as uint8 ([rows, k_padded], one scale per row).
// Weights `w` are int8 in [-127, 127], packed for VNNI: blocks of 16 output rows; inside a block, for each group
// of 4 inputs, 64 bytes = 16 outputs x 4 inputs (see rag_int8_pack_weights). k_padded is a multiple of 4,
// outputs are padded to a multiple of 16 with zero rows.
//
// Kernels: AVX512-VNNI (vpdpbusd, uint8 x int8; the +128 offset is removed with the weight row sums),
// AVX2 (sign trick + maddubs/madd, exact: |a|,|w| <= 127 keeps int16 pair sums from saturating), portable C.
#include "CKernels.h"
#include <string.h>
#include <math.h>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

void rag_int8_pack_weights(const int8_t *weights, int outputs, int k, int k_padded, int8_t *packed) {
    int blocks = (outputs + 15) / 16;
    int groups = k_padded / 4;
    for (int b = 0; b < blocks; b++) {
        for (int g = 0; g < groups; g++) {
            int8_t *dst = packed + ((size_t)b * groups + g) * 64;
            for (int o = 0; o < 16; o++) {
                for (int kk = 0; kk < 4; kk++) {
                    int row = b * 16 + o, col = g * 4 + kk;
                    dst[o * 4 + kk] = (row < outputs && col < k) ? weights[(size_t)row * k + col] : 0;
                }
            }
        }
    }
}

void rag_int8_quantize_rows_portable(const float *x, int rows, int k, int k_padded, uint8_t *out, float *scales) {
    for (int r = 0; r < rows; r++) {
        const float *row = x + (size_t)r * k;
        float maximum = 0;
        for (int i = 0; i < k; i++) { float m = fabsf(row[i]); if (m > maximum) maximum = m; }
        float inverse = maximum > 0 ? 127.0f / maximum : 0.0f;
        scales[r] = maximum / 127.0f;
        uint8_t *dst = out + (size_t)r * k_padded;
        for (int i = 0; i < k; i++) dst[i] = (uint8_t)((int)nearbyintf(row[i] * inverse) + 128);
        for (int i = k; i < k_padded; i++) dst[i] = 128;
    }
}

#if defined(__x86_64__)
__attribute__((target("avx2,fma")))
static void quantize_rows_avx2(const float *x, int rows, int k, int k_padded, uint8_t *out, float *scales) {
    const __m256 sign = _mm256_set1_ps(-0.0f);
    for (int r = 0; r < rows; r++) {
        const float *row = x + (size_t)r * k;
        __m256 vmax = _mm256_setzero_ps();
        int i = 0;
        for (; i + 8 <= k; i += 8) vmax = _mm256_max_ps(vmax, _mm256_andnot_ps(sign, _mm256_loadu_ps(row + i)));
        float lanes[8];
        _mm256_storeu_ps(lanes, vmax);
        float maximum = 0;
        for (int l = 0; l < 8; l++) if (lanes[l] > maximum) maximum = lanes[l];
        for (; i < k; i++) { float m = fabsf(row[i]); if (m > maximum) maximum = m; }
        float inverse = maximum > 0 ? 127.0f / maximum : 0.0f;
        scales[r] = maximum / 127.0f;
        uint8_t *dst = out + (size_t)r * k_padded;
        const __m256 vinv = _mm256_set1_ps(inverse);
        const __m256i offset = _mm256_set1_epi32(128);
        i = 0;
        for (; i + 8 <= k; i += 8) {
            // cvtps rounds to nearest even (default MXCSR), like nearbyintf.
            __m256i q = _mm256_add_epi32(_mm256_cvtps_epi32(_mm256_mul_ps(_mm256_loadu_ps(row + i), vinv)), offset);
            __m128i lo = _mm256_castsi256_si128(q), hi = _mm256_extracti128_si256(q, 1);
            __m128i words = _mm_packus_epi32(lo, hi);
            __m128i bytes = _mm_packus_epi16(words, words);
            _mm_storel_epi64((__m128i *)(dst + i), bytes);
        }
        for (; i < k; i++) dst[i] = (uint8_t)((int)nearbyintf(row[i] * inverse) + 128);
        for (; i < k_padded; i++) dst[i] = 128;
    }
}
#endif

void rag_int8_quantize_rows(const float *x, int rows, int k, int k_padded, uint8_t *out, float *scales) {
#if defined(__x86_64__)
    if (rag_cpu_has_avx2_fma()) { quantize_rows_avx2(x, rows, k, k_padded, out, scales); return; }
#endif
    rag_int8_quantize_rows_portable(x, rows, k, k_padded, out, scales);
}

/// Shared epilogue: integer dot product (offset already removed) to float with scales and bias.
static inline float finish(int32_t dot, float scale_a, float scale_w, float bias) {
    return (float)dot * (scale_a * scale_w) + bias;
}

void rag_int8_gemm_portable(const uint8_t *a, const float *a_scales, int rows, int k_padded,
                            const int8_t *packed, const float *w_scales, const float *bias, int outputs,
                            float *out, int out_stride) {
    int groups = k_padded / 4;
    for (int r = 0; r < rows; r++) {
        const uint8_t *row = a + (size_t)r * k_padded;
        for (int o = 0; o < outputs; o++) {
            const int8_t *block = packed + (size_t)(o / 16) * groups * 64 + (o % 16) * 4;
            int32_t dot = 0;
            for (int g = 0; g < groups; g++)
                for (int kk = 0; kk < 4; kk++)
                    dot += ((int32_t)row[g * 4 + kk] - 128) * (int32_t)block[(size_t)g * 64 + kk];
            out[(size_t)r * out_stride + o] = finish(dot, a_scales[r], w_scales[o], bias[o]);
        }
    }
}

#if defined(__x86_64__)
// ---- AVX512-VNNI: MR rows x NR blocks of 16 outputs per micro-tile, 4 inputs per step. ----
#define VNNI_TARGET __attribute__((target("avx512f,avx512bw,avx512vl,avx512vnni"), always_inline))

static inline VNNI_TARGET
void vnni_tile(const uint8_t *a, int k_padded, const int8_t *packed, int groups, const int32_t *row_sums,
               const float *a_scales, const float *w_scales, const float *bias, int outputs,
               float *out, int out_stride, int row0, int block0, const int mr, const int nr) {
    __m512i acc[6][4];
    for (int i = 0; i < mr; i++) for (int j = 0; j < nr; j++) acc[i][j] = _mm512_setzero_si512();
    const int8_t *w = packed + (size_t)block0 * groups * 64;
    for (int g = 0; g < groups; g++) {
        __m512i wv[4];
        for (int j = 0; j < nr; j++) wv[j] = _mm512_loadu_si512((const void *)(w + ((size_t)j * groups + g) * 64));
        for (int i = 0; i < mr; i++) {
            int32_t four;
            memcpy(&four, a + (size_t)(row0 + i) * k_padded + g * 4, 4);
            __m512i av = _mm512_set1_epi32(four);
            for (int j = 0; j < nr; j++) acc[i][j] = _mm512_dpbusd_epi32(acc[i][j], av, wv[j]);
        }
    }
    for (int j = 0; j < nr; j++) {
        int o0 = (block0 + j) * 16;
        int valid = outputs - o0 < 16 ? outputs - o0 : 16;
        __mmask16 mask = (__mmask16)((1u << valid) - 1);
        __m512i offset = _mm512_slli_epi32(_mm512_maskz_loadu_epi32(mask, row_sums + o0), 7);   // 128 * sum_k w
        __m512 ws = _mm512_maskz_loadu_ps(mask, w_scales + o0);
        __m512 bv = _mm512_maskz_loadu_ps(mask, bias + o0);
        for (int i = 0; i < mr; i++) {
            __m512 dot = _mm512_cvtepi32_ps(_mm512_sub_epi32(acc[i][j], offset));
            __m512 scale = _mm512_mul_ps(_mm512_set1_ps(a_scales[row0 + i]), ws);
            __m512 y = _mm512_add_ps(_mm512_mul_ps(dot, scale), bv);
            _mm512_mask_storeu_ps(out + (size_t)(row0 + i) * out_stride + o0, mask, y);
        }
    }
}

__attribute__((target("avx512f,avx512bw,avx512vl,avx512vnni")))
static void gemm_vnni(const uint8_t *a, const float *a_scales, int rows, int k_padded,
                      const int8_t *packed, const int32_t *row_sums, const float *w_scales, const float *bias,
                      int outputs, float *out, int out_stride) {
    int groups = k_padded / 4;
    int blocks = (outputs + 15) / 16;
    for (int b = 0; b < blocks; b += 4) {
        int nr = blocks - b < 4 ? blocks - b : 4;
        int r = 0;
        for (; r + 6 <= rows; r += 6) {
            if (nr == 4) vnni_tile(a, k_padded, packed, groups, row_sums, a_scales, w_scales, bias, outputs, out, out_stride, r, b, 6, 4);
            else vnni_tile(a, k_padded, packed, groups, row_sums, a_scales, w_scales, bias, outputs, out, out_stride, r, b, 6, nr);
        }
        for (; r < rows; r++)
            vnni_tile(a, k_padded, packed, groups, row_sums, a_scales, w_scales, bias, outputs, out, out_stride, r, b, 1, nr);
    }
}

// ---- AVX2: 4 rows x 16 outputs per micro-tile; signed activations via the sign trick. ----
__attribute__((target("avx2,fma")))
static void gemm_avx2(const uint8_t *a, const float *a_scales, int rows, int k_padded,
                      const int8_t *packed, const float *w_scales, const float *bias,
                      int outputs, float *out, int out_stride) {
    int groups = k_padded / 4;
    int blocks = (outputs + 15) / 16;
    const __m256i ones = _mm256_set1_epi16(1);
    const __m256i flip = _mm256_set1_epi8((char)0x80);
    for (int b = 0; b < blocks; b++) {
        const int8_t *w = packed + (size_t)b * groups * 64;
        for (int r0 = 0; r0 < rows; r0 += 4) {
            int mr = rows - r0 < 4 ? rows - r0 : 4;
            __m256i acc[4][2];
            for (int i = 0; i < 4; i++) { acc[i][0] = _mm256_setzero_si256(); acc[i][1] = _mm256_setzero_si256(); }
            for (int g = 0; g < groups; g++) {
                __m256i w0 = _mm256_loadu_si256((const __m256i *)(w + (size_t)g * 64));
                __m256i w1 = _mm256_loadu_si256((const __m256i *)(w + (size_t)g * 64 + 32));
                for (int i = 0; i < mr; i++) {
                    int32_t four;
                    memcpy(&four, a + (size_t)(r0 + i) * k_padded + g * 4, 4);
                    __m256i av = _mm256_xor_si256(_mm256_set1_epi32(four), flip);   // uint8 - 128 as int8
                    __m256i magnitude = _mm256_sign_epi8(av, av);
                    __m256i p0 = _mm256_maddubs_epi16(magnitude, _mm256_sign_epi8(w0, av));
                    __m256i p1 = _mm256_maddubs_epi16(magnitude, _mm256_sign_epi8(w1, av));
                    acc[i][0] = _mm256_add_epi32(acc[i][0], _mm256_madd_epi16(p0, ones));
                    acc[i][1] = _mm256_add_epi32(acc[i][1], _mm256_madd_epi16(p1, ones));
                }
            }
            for (int i = 0; i < mr; i++) {
                int32_t dots[16];
                _mm256_storeu_si256((__m256i *)dots, acc[i][0]);
                _mm256_storeu_si256((__m256i *)(dots + 8), acc[i][1]);
                for (int o = 0; o < 16 && b * 16 + o < outputs; o++) {
                    int oo = b * 16 + o;
                    out[(size_t)(r0 + i) * out_stride + oo] = finish(dots[o], a_scales[r0 + i], w_scales[oo], bias[oo]);
                }
            }
        }
    }
}

static int has_avx512_vnni(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
           __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512vnni");
}
#endif

int rag_int8_gemm_kernel(void) {
#if defined(__x86_64__)
    if (has_avx512_vnni()) return 2;
    if (rag_cpu_has_avx2_fma()) return 1;
#endif
    return 0;
}

void rag_int8_gemm(int kernel, const uint8_t *a, const float *a_scales, int rows, int k_padded,
                   const int8_t *packed, const int32_t *row_sums, const float *w_scales, const float *bias,
                   int outputs, float *out, int out_stride) {
#if defined(__x86_64__)
    if (kernel >= 2 && has_avx512_vnni()) {
        gemm_vnni(a, a_scales, rows, k_padded, packed, row_sums, w_scales, bias, outputs, out, out_stride);
        return;
    }
    if (kernel >= 1 && rag_cpu_has_avx2_fma()) {
        gemm_avx2(a, a_scales, rows, k_padded, packed, w_scales, bias, outputs, out, out_stride);
        return;
    }
#endif
    (void)row_sums;
    rag_int8_gemm_portable(a, a_scales, rows, k_padded, packed, w_scales, bias, outputs, out, out_stride);
}
