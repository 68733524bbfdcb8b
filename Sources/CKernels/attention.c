// FlashAttention-style key-block update with an online softmax, portable C and AVX2/FMA paths.
#include "CKernels.h"

#include <math.h>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

static void block_row_portable(const float *q, int64_t headDim, const float *keys, const float *values, int64_t n,
                               float scale, float *m, float *l, float *acc, float *scores) {
    float blockMax = -INFINITY;
    for (int64_t j = 0; j < n; j++) {
        const float *k = keys + j * headDim;
        float s = 0;
        for (int64_t d = 0; d < headDim; d++) s += q[d] * k[d];
        s *= scale;
        scores[j] = s;
        if (s > blockMax) blockMax = s;
    }
    const float newMax = *m > blockMax ? *m : blockMax;
    const float correction = (*m == -INFINITY) ? 0.0f : expf(*m - newMax);
    float sum = *l * correction;
    for (int64_t d = 0; d < headDim; d++) acc[d] *= correction;
    for (int64_t j = 0; j < n; j++) {
        const float p = expf(scores[j] - newMax);
        sum += p;
        const float *v = values + j * headDim;
        for (int64_t d = 0; d < headDim; d++) acc[d] += p * v[d];
    }
    *m = newMax;
    *l = sum;
}

#if defined(__x86_64__)
#define RAG_SIMD __attribute__((target("avx2,fma")))

RAG_SIMD static inline float hsum(__m256 v) {
    __m128 lo = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    lo = _mm_add_ps(lo, _mm_movehl_ps(lo, lo));
    lo = _mm_add_ss(lo, _mm_movehdup_ps(lo));
    return _mm_cvtss_f32(lo);
}

// headDim a multiple of 8.
RAG_SIMD static void block_row_avx2(const float *q, int64_t headDim, const float *keys, const float *values, int64_t n,
                                    float scale, float *m, float *l, float *acc, float *scores) {
    float blockMax = -INFINITY;
    int64_t j = 0;
    // Four keys at a time share each query load.
    for (; j + 4 <= n; j += 4) {
        const float *k0 = keys + j * headDim;
        __m256 a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps(), a2 = _mm256_setzero_ps(), a3 = _mm256_setzero_ps();
        for (int64_t d = 0; d < headDim; d += 8) {
            const __m256 qv = _mm256_loadu_ps(q + d);
            a0 = _mm256_fmadd_ps(qv, _mm256_loadu_ps(k0 + d), a0);
            a1 = _mm256_fmadd_ps(qv, _mm256_loadu_ps(k0 + headDim + d), a1);
            a2 = _mm256_fmadd_ps(qv, _mm256_loadu_ps(k0 + 2 * headDim + d), a2);
            a3 = _mm256_fmadd_ps(qv, _mm256_loadu_ps(k0 + 3 * headDim + d), a3);
        }
        const float s0 = hsum(a0) * scale, s1 = hsum(a1) * scale, s2 = hsum(a2) * scale, s3 = hsum(a3) * scale;
        scores[j] = s0; scores[j + 1] = s1; scores[j + 2] = s2; scores[j + 3] = s3;
        const float b01 = s0 > s1 ? s0 : s1, b23 = s2 > s3 ? s2 : s3, b = b01 > b23 ? b01 : b23;
        if (b > blockMax) blockMax = b;
    }
    for (; j < n; j++) {
        const float *k = keys + j * headDim;
        __m256 a = _mm256_setzero_ps();
        for (int64_t d = 0; d < headDim; d += 8) a = _mm256_fmadd_ps(_mm256_loadu_ps(q + d), _mm256_loadu_ps(k + d), a);
        const float s = hsum(a) * scale;
        scores[j] = s;
        if (s > blockMax) blockMax = s;
    }
    const float newMax = *m > blockMax ? *m : blockMax;
    const float correction = (*m == -INFINITY) ? 0.0f : expf(*m - newMax);
    float sum = *l * correction;
    for (int64_t t = 0; t < n; t++) {
        scores[t] = expf(scores[t] - newMax);
        sum += scores[t];
    }
    // acc = acc·correction + Σ p_j v_j, 64 dims (8 registers) at a time.
    for (int64_t d0 = 0; d0 < headDim; d0 += 64) {
        const int64_t width = headDim - d0 < 64 ? headDim - d0 : 64;
        __m256 r[8];
        const __m256 c = _mm256_set1_ps(correction);
        for (int64_t i = 0; i < width / 8; i++) r[i] = _mm256_mul_ps(_mm256_loadu_ps(acc + d0 + 8 * i), c);
        for (int64_t t = 0; t < n; t++) {
            const __m256 p = _mm256_set1_ps(scores[t]);
            const float *v = values + t * headDim + d0;
            for (int64_t i = 0; i < width / 8; i++) r[i] = _mm256_fmadd_ps(p, _mm256_loadu_ps(v + 8 * i), r[i]);
        }
        for (int64_t i = 0; i < width / 8; i++) _mm256_storeu_ps(acc + d0 + 8 * i, r[i]);
    }
    *m = newMax;
    *l = sum;
}
#endif

void rag_attention_block(const float *q, int64_t rows, int64_t headDim,
                         const float *keys, const float *values, int64_t keyCount,
                         const int64_t *limits, float scale,
                         float *m, float *l, float *acc, float *scores) {
#if defined(__x86_64__)
    const int simd = rag_quant_kernels_use_avx2() && headDim % 8 == 0;
#endif
    for (int64_t r = 0; r < rows; r++) {
        int64_t n = keyCount;
        if (limits) {
            if (limits[r] < 0) continue;
            if (limits[r] + 1 < n) n = limits[r] + 1;
        }
        if (n <= 0) continue;
#if defined(__x86_64__)
        if (simd) {
            block_row_avx2(q + r * headDim, headDim, keys, values, n, scale, m + r, l + r, acc + r * headDim, scores);
            continue;
        }
#endif
        block_row_portable(q + r * headDim, headDim, keys, values, n, scale, m + r, l + r, acc + r * headDim, scores);
    }
}
