// INT8 matrix multiply for the BERT embedder's dense layers (scalar twin: ReferenceInt8Gemm in Swift).
//
//   output[r, o] = w_scale[o] * sum_g a_scale[r, g] * sum_{k in group g} a[r, k] * w[o, k] + bias[o]
//
// Activations are int8 in [-127, 127] with one scale per row and group of 32 inputs (an outlier channel only
// coarsens its own group), stored with a +128 offset as uint8 ([rows, k_padded]). Weights are int8 in [-127, 127]
// with one scale per output row, packed for VNNI: blocks of 16 output rows; inside a block, for each group of
// 4 inputs, 64 bytes = 16 outputs x 4 inputs (see rag_int8_pack_weights). k_padded is a multiple of 32,
// outputs are padded to a multiple of 16 with zero rows.
//
// Kernels: AVX512-VNNI (vpdpbusd, uint8 x int8; the +128 offset is removed with per-group weight row sums),
// AVX2 (sign trick + maddubs/madd, exact: |a|,|w| <= 127 keeps int16 pair sums from saturating), portable C.
#include "CKernels.h"
#include <string.h>
#include <math.h>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

#define GROUP RAG_INT8_GROUP_SIZE

void rag_int8_pack_weights(const int8_t *weights, int outputs, int k, int k_padded, int8_t *packed, int32_t *group_sums) {
    int blocks = (outputs + 15) / 16;
    int quads = k_padded / 4;
    for (int b = 0; b < blocks; b++) {
        for (int q = 0; q < quads; q++) {
            int8_t *dst = packed + ((size_t)b * quads + q) * 64;
            for (int o = 0; o < 16; o++) {
                for (int kk = 0; kk < 4; kk++) {
                    int row = b * 16 + o, col = q * 4 + kk;
                    dst[o * 4 + kk] = (row < outputs && col < k) ? weights[(size_t)row * k + col] : 0;
                }
            }
        }
    }
    int padded_outputs = blocks * 16;
    for (int g = 0; g < k_padded / GROUP; g++) {
        for (int o = 0; o < padded_outputs; o++) {
            int32_t sum = 0;
            for (int c = g * GROUP; c < (g + 1) * GROUP && c < k; c++)
                if (o < outputs) sum += weights[(size_t)o * k + c];
            group_sums[(size_t)g * padded_outputs + o] = sum;
        }
    }
}

void rag_int8_quantize_rows_portable(const float *x, int rows, int k, int k_padded, uint8_t *out, float *scales) {
    int groups = k_padded / GROUP;
    for (int r = 0; r < rows; r++) {
        const float *row = x + (size_t)r * k;
        uint8_t *dst = out + (size_t)r * k_padded;
        for (int g = 0; g < groups; g++) {
            int begin = g * GROUP, end = begin + GROUP < k ? begin + GROUP : k;
            float maximum = 0;
            for (int i = begin; i < end; i++) { float m = fabsf(row[i]); if (m > maximum) maximum = m; }
            float inverse = maximum > 0 ? 127.0f / maximum : 0.0f;
            scales[(size_t)r * groups + g] = maximum / 127.0f;
            for (int i = begin; i < end; i++) dst[i] = (uint8_t)((int)nearbyintf(row[i] * inverse) + 128);
            for (int i = end > begin ? end : begin; i < begin + GROUP; i++) dst[i] = 128;
        }
    }
}

#if defined(__x86_64__)
__attribute__((target("avx2,fma")))
static void quantize_rows_avx2(const float *x, int rows, int k, int k_padded, uint8_t *out, float *scales) {
    int groups = k_padded / GROUP;
    const __m256 sign = _mm256_set1_ps(-0.0f);
    const __m256i offset = _mm256_set1_epi32(128);
    for (int r = 0; r < rows; r++) {
        const float *row = x + (size_t)r * k;
        uint8_t *dst = out + (size_t)r * k_padded;
        for (int g = 0; g < groups; g++) {
            int begin = g * GROUP;
            if (begin + GROUP > k) {   // a partial last group: the portable code handles it
                rag_int8_quantize_rows_portable(row, 1, k, k_padded, dst, scales + (size_t)r * groups);
                break;
            }
            __m256 v[4];
            __m256 vmax = _mm256_setzero_ps();
            for (int j = 0; j < 4; j++) {
                v[j] = _mm256_loadu_ps(row + begin + 8 * j);
                vmax = _mm256_max_ps(vmax, _mm256_andnot_ps(sign, v[j]));
            }
            __m128 m4 = _mm_max_ps(_mm256_castps256_ps128(vmax), _mm256_extractf128_ps(vmax, 1));
            m4 = _mm_max_ps(m4, _mm_movehl_ps(m4, m4));
            m4 = _mm_max_ss(m4, _mm_shuffle_ps(m4, m4, 1));
            float maximum = _mm_cvtss_f32(m4);
            float inverse = maximum > 0 ? 127.0f / maximum : 0.0f;
            scales[(size_t)r * groups + g] = maximum / 127.0f;
            const __m256 vinv = _mm256_set1_ps(inverse);
            __m256i q[4];
            // cvtps rounds to nearest even (default MXCSR), like nearbyintf.
            for (int j = 0; j < 4; j++) q[j] = _mm256_add_epi32(_mm256_cvtps_epi32(_mm256_mul_ps(v[j], vinv)), offset);
            __m256i words = _mm256_packus_epi32(q[0], q[1]);          // lanes interleaved per 128-bit half
            __m256i words2 = _mm256_packus_epi32(q[2], q[3]);
            __m256i bytes = _mm256_packus_epi16(words, words2);
            bytes = _mm256_permutevar8x32_epi32(bytes, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
            _mm256_storeu_si256((__m256i *)(dst + begin), bytes);
        }
    }
}
#endif

void rag_int8_quantize_rows(const float *x, int rows, int k, int k_padded, uint8_t *out, float *scales) {
#if defined(__x86_64__)
    if (rag_cpu_has_avx2_fma()) { quantize_rows_avx2(x, rows, k, k_padded, out, scales); return; }
#endif
    rag_int8_quantize_rows_portable(x, rows, k, k_padded, out, scales);
}

void rag_int8_gemm_portable(const uint8_t *a, const float *a_scales, int rows, int k_padded,
                            const int8_t *packed, const float *w_scales, const float *bias, int outputs,
                            float *out, int out_stride) {
    int quads = k_padded / 4, groups = k_padded / GROUP;
    for (int r = 0; r < rows; r++) {
        const uint8_t *row = a + (size_t)r * k_padded;
        for (int o = 0; o < outputs; o++) {
            const int8_t *block = packed + (size_t)(o / 16) * quads * 64 + (o % 16) * 4;
            float sum = 0;
            for (int g = 0; g < groups; g++) {
                int32_t dot = 0;
                for (int q = g * GROUP / 4; q < (g + 1) * GROUP / 4; q++)
                    for (int kk = 0; kk < 4; kk++)
                        dot += ((int32_t)row[q * 4 + kk] - 128) * (int32_t)block[(size_t)q * 64 + kk];
                sum += (float)dot * a_scales[(size_t)r * groups + g];
            }
            out[(size_t)r * out_stride + o] = sum * w_scales[o] + bias[o];
        }
    }
}

#if defined(__x86_64__)
// ---- AVX512-VNNI: MR rows x NR blocks of 16 outputs per micro-tile. ----
#define VNNI_TARGET __attribute__((target("avx512f,avx512bw,avx512vl,avx512vnni,fma"), always_inline))

static inline VNNI_TARGET
void vnni_tile(const uint8_t *a, int k_padded, const int8_t *packed, const int32_t *group_sums, int padded_outputs,
               const float *a_scales, const float *w_scales, const float *bias, int outputs,
               float *out, int out_stride, int row0, int block0, const int mr, const int nr) {
    const int quads = k_padded / 4, groups = k_padded / GROUP;
    __m512 total[4][3];
    for (int i = 0; i < mr; i++) for (int j = 0; j < nr; j++) total[i][j] = _mm512_setzero_ps();
    const int8_t *w = packed + (size_t)block0 * quads * 64;
    for (int g = 0; g < groups; g++) {
        __m512i acc[4][3];
        for (int i = 0; i < mr; i++) for (int j = 0; j < nr; j++) acc[i][j] = _mm512_setzero_si512();
        for (int q = g * (GROUP / 4); q < (g + 1) * (GROUP / 4); q++) {
            __m512i wv[3];
            for (int j = 0; j < nr; j++) wv[j] = _mm512_loadu_si512((const void *)(w + ((size_t)j * quads + q) * 64));
            for (int i = 0; i < mr; i++) {
                int32_t four;
                memcpy(&four, a + (size_t)(row0 + i) * k_padded + q * 4, 4);
                __m512i av = _mm512_set1_epi32(four);
                for (int j = 0; j < nr; j++) acc[i][j] = _mm512_dpbusd_epi32(acc[i][j], av, wv[j]);
            }
        }
        for (int j = 0; j < nr; j++) {
            // 128 * sum of this group's weights: the uint8 offset of the activations.
            __m512i offset = _mm512_slli_epi32(
                _mm512_loadu_si512((const void *)(group_sums + (size_t)g * padded_outputs + (block0 + j) * 16)), 7);
            for (int i = 0; i < mr; i++) {
                __m512 dot = _mm512_cvtepi32_ps(_mm512_sub_epi32(acc[i][j], offset));
                total[i][j] = _mm512_fmadd_ps(dot, _mm512_set1_ps(a_scales[(size_t)(row0 + i) * groups + g]), total[i][j]);
            }
        }
    }
    for (int j = 0; j < nr; j++) {
        int o0 = (block0 + j) * 16;
        int valid = outputs - o0 < 16 ? outputs - o0 : 16;
        __mmask16 mask = (__mmask16)((1u << valid) - 1);
        __m512 ws = _mm512_maskz_loadu_ps(mask, w_scales + o0);
        __m512 bv = _mm512_maskz_loadu_ps(mask, bias + o0);
        for (int i = 0; i < mr; i++)
            _mm512_mask_storeu_ps(out + (size_t)(row0 + i) * out_stride + o0, mask, _mm512_fmadd_ps(total[i][j], ws, bv));
    }
}

__attribute__((target("avx512f,avx512bw,avx512vl,avx512vnni,fma")))
static void gemm_vnni(const uint8_t *a, const float *a_scales, int rows, int k_padded,
                      const int8_t *packed, const int32_t *group_sums, const float *w_scales, const float *bias,
                      int outputs, float *out, int out_stride) {
    int blocks = (outputs + 15) / 16;
    int padded_outputs = blocks * 16;
    for (int b = 0; b < blocks; b += 3) {
        int nr = blocks - b < 3 ? blocks - b : 3;
        int r = 0;
        for (; r + 4 <= rows; r += 4) {
            if (nr == 3) vnni_tile(a, k_padded, packed, group_sums, padded_outputs, a_scales, w_scales, bias, outputs, out, out_stride, r, b, 4, 3);
            else vnni_tile(a, k_padded, packed, group_sums, padded_outputs, a_scales, w_scales, bias, outputs, out, out_stride, r, b, 4, nr);
        }
        for (; r < rows; r++)
            vnni_tile(a, k_padded, packed, group_sums, padded_outputs, a_scales, w_scales, bias, outputs, out, out_stride, r, b, 1, nr);
    }
}

// ---- AVX2: 4 rows x 16 outputs per micro-tile; signed activations via the sign trick. ----
__attribute__((target("avx2,fma")))
static void gemm_avx2(const uint8_t *a, const float *a_scales, int rows, int k_padded,
                      const int8_t *packed, const float *w_scales, const float *bias,
                      int outputs, float *out, int out_stride) {
    int quads = k_padded / 4, groups = k_padded / GROUP;
    int blocks = (outputs + 15) / 16;
    const __m256i ones = _mm256_set1_epi16(1);
    const __m256i flip = _mm256_set1_epi8((char)0x80);
    for (int b = 0; b < blocks; b++) {
        const int8_t *w = packed + (size_t)b * quads * 64;
        for (int r0 = 0; r0 < rows; r0 += 4) {
            int mr = rows - r0 < 4 ? rows - r0 : 4;
            __m256 total[4][2];
            for (int i = 0; i < 4; i++) { total[i][0] = _mm256_setzero_ps(); total[i][1] = _mm256_setzero_ps(); }
            for (int g = 0; g < groups; g++) {
                __m256i acc[4][2];
                for (int i = 0; i < 4; i++) { acc[i][0] = _mm256_setzero_si256(); acc[i][1] = _mm256_setzero_si256(); }
                for (int q = g * (GROUP / 4); q < (g + 1) * (GROUP / 4); q++) {
                    __m256i w0 = _mm256_loadu_si256((const __m256i *)(w + (size_t)q * 64));
                    __m256i w1 = _mm256_loadu_si256((const __m256i *)(w + (size_t)q * 64 + 32));
                    for (int i = 0; i < mr; i++) {
                        int32_t four;
                        memcpy(&four, a + (size_t)(r0 + i) * k_padded + q * 4, 4);
                        __m256i av = _mm256_xor_si256(_mm256_set1_epi32(four), flip);   // uint8 - 128 as int8
                        __m256i magnitude = _mm256_sign_epi8(av, av);
                        __m256i p0 = _mm256_maddubs_epi16(magnitude, _mm256_sign_epi8(w0, av));
                        __m256i p1 = _mm256_maddubs_epi16(magnitude, _mm256_sign_epi8(w1, av));
                        acc[i][0] = _mm256_add_epi32(acc[i][0], _mm256_madd_epi16(p0, ones));
                        acc[i][1] = _mm256_add_epi32(acc[i][1], _mm256_madd_epi16(p1, ones));
                    }
                }
                for (int i = 0; i < mr; i++) {
                    __m256 scale = _mm256_set1_ps(a_scales[(size_t)(r0 + i) * groups + g]);
                    total[i][0] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(acc[i][0]), scale, total[i][0]);
                    total[i][1] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(acc[i][1]), scale, total[i][1]);
                }
            }
            for (int i = 0; i < mr; i++) {
                float sums[16];
                _mm256_storeu_ps(sums, total[i][0]);
                _mm256_storeu_ps(sums + 8, total[i][1]);
                for (int o = 0; o < 16 && b * 16 + o < outputs; o++) {
                    int oo = b * 16 + o;
                    out[(size_t)(r0 + i) * out_stride + oo] = sums[o] * w_scales[oo] + bias[oo];
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
                   const int8_t *packed, const int32_t *group_sums, const float *w_scales, const float *bias,
                   int outputs, float *out, int out_stride) {
#if defined(__x86_64__)
    if (kernel >= 2 && has_avx512_vnni()) {
        gemm_vnni(a, a_scales, rows, k_padded, packed, group_sums, w_scales, bias, outputs, out, out_stride);
        return;
    }
    if (kernel >= 1 && rag_cpu_has_avx2_fma()) {
        gemm_avx2(a, a_scales, rows, k_padded, packed, w_scales, bias, outputs, out, out_stride);
        return;
    }
#endif
    (void)group_sums;
    rag_int8_gemm_portable(a, a_scales, rows, k_padded, packed, w_scales, bias, outputs, out, out_stride);
}
