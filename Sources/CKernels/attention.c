// FlashAttention-style key-block update with an online softmax, portable C and AVX2/FMA paths.
#include "simd.h"

#include <math.h>

// Element i of a key/value block stored as fp32 (half = 0) or IEEE fp16 (half = 1).
static inline __attribute__((always_inline)) float load1(const void *p, int64_t i, int half) {
    return half ? rag_half_bits_to_float(((const uint16_t *)p)[i]) : ((const float *)p)[i];
}

static inline __attribute__((always_inline))
void block_row_portable(const float *q, int64_t headDim, const void *keys, const void *values, int64_t n,
                        float scale, float *m, float *l, float *acc, float *scores, int half) {
    float blockMax = -INFINITY;
    for (int64_t j = 0; j < n; j++) {
        float s = 0;
        for (int64_t d = 0; d < headDim; d++) s += q[d] * load1(keys, j * headDim + d, half);
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
        for (int64_t d = 0; d < headDim; d++) acc[d] += p * load1(values, j * headDim + d, half);
    }
    *m = newMax;
    *l = sum;
}

#if defined(__x86_64__)
// 8 consecutive elements from element i of a block stored as fp32 (half = 0) or fp16 (half = 1, F16C conversion).
RAG_SIMD static RAG_INLINE __m256 load8(const void *p, int64_t i, int half) {
    return half ? _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)((const uint16_t *)p + i)))
                : _mm256_loadu_ps((const float *)p + i);
}

// headDim == 64: the query and the accumulator each live in 8 registers.
RAG_SIMD static RAG_INLINE void block_row_avx2_64(const float *q, const void *keys, const void *values, int64_t n,
                                                  float scale, float *m, float *l, float *acc, float *scores, int half) {
    __m256 qv[8];
    for (int i = 0; i < 8; i++) qv[i] = _mm256_loadu_ps(q + 8 * i);
    int64_t j = 0;
    __m256 blockMaxV = _mm256_set1_ps(-INFINITY);
    for (; j + 4 <= n; j += 4) {
        const int64_t k = j * 64;
        __m256 a0 = _mm256_mul_ps(qv[0], load8(keys, k, half));
        __m256 a1 = _mm256_mul_ps(qv[0], load8(keys, k + 64, half));
        __m256 a2 = _mm256_mul_ps(qv[0], load8(keys, k + 128, half));
        __m256 a3 = _mm256_mul_ps(qv[0], load8(keys, k + 192, half));
        for (int i = 1; i < 8; i++) {
            a0 = _mm256_fmadd_ps(qv[i], load8(keys, k + 8 * i, half), a0);
            a1 = _mm256_fmadd_ps(qv[i], load8(keys, k + 64 + 8 * i, half), a1);
            a2 = _mm256_fmadd_ps(qv[i], load8(keys, k + 128 + 8 * i, half), a2);
            a3 = _mm256_fmadd_ps(qv[i], load8(keys, k + 192 + 8 * i, half), a3);
        }
        const __m128 s = _mm_mul_ps(rag_hsum256x4(a0, a1, a2, a3), _mm_set1_ps(scale));
        _mm_storeu_ps(scores + j, s);
        blockMaxV = _mm256_max_ps(blockMaxV, _mm256_castps128_ps256(s));
    }
    float blockMax = -INFINITY;
    {
        float lanes[8];
        _mm256_storeu_ps(lanes, blockMaxV);
        for (int i = 0; i < 4 && j >= 4; i++) if (lanes[i] > blockMax) blockMax = lanes[i];
    }
    for (; j < n; j++) {
        const int64_t k = j * 64;
        __m256 a = _mm256_mul_ps(qv[0], load8(keys, k, half));
        for (int i = 1; i < 8; i++) a = _mm256_fmadd_ps(qv[i], load8(keys, k + 8 * i, half), a);
        const float s = rag_hsum256(a) * scale;
        scores[j] = s;
        if (s > blockMax) blockMax = s;
    }
    const float newMax = *m > blockMax ? *m : blockMax;
    const float correction = (*m == -INFINITY) ? 0.0f : expf(*m - newMax);
    // p_j = e^(s_j − max), summed.
    const __m256 maxV = _mm256_set1_ps(newMax);
    __m256 sumV = _mm256_setzero_ps();
    int64_t t = 0;
    for (; t + 8 <= n; t += 8) {
        const __m256 p = rag_exp256_nonpositive(_mm256_sub_ps(_mm256_loadu_ps(scores + t), maxV));
        _mm256_storeu_ps(scores + t, p);
        sumV = _mm256_add_ps(sumV, p);
    }
    float sum = rag_hsum256(sumV);
    for (; t < n; t++) {
        scores[t] = expf(scores[t] - newMax);
        sum += scores[t];
    }
    // acc = acc·correction + Σ p_j v_j
    __m256 r[8];
    const __m256 c = _mm256_set1_ps(correction);
    for (int i = 0; i < 8; i++) r[i] = _mm256_mul_ps(_mm256_loadu_ps(acc + 8 * i), c);
    for (int64_t u = 0; u < n; u++) {
        const __m256 p = _mm256_broadcast_ss(scores + u);
        for (int i = 0; i < 8; i++) r[i] = _mm256_fmadd_ps(p, load8(values, u * 64 + 8 * i, half), r[i]);
    }
    for (int i = 0; i < 8; i++) _mm256_storeu_ps(acc + 8 * i, r[i]);
    *m = newMax;
    *l = *l * correction + sum;
}

// Adds Σ e^(x_i − maximum) over the leading multiple of 64 elements to *total; returns how many it consumed.
RAG_SIMD static int64_t log_sum_exp_avx2(const float *x, int64_t n, float maximum, double *total) {
    const __m256 m = _mm256_set1_ps(maximum);
    int64_t i = 0;
    for (; i + 64 <= n; i += 64) {
        __m256 s = _mm256_setzero_ps();
        for (int j = 0; j < 64; j += 8) s = _mm256_add_ps(s, rag_exp256_nonpositive(_mm256_sub_ps(_mm256_loadu_ps(x + i + j), m)));
        *total += (double)rag_hsum256(s);
    }
    return i;
}

// headDim a multiple of 8.
RAG_SIMD static RAG_INLINE void block_row_avx2(const float *q, int64_t headDim, const void *keys, const void *values, int64_t n,
                                               float scale, float *m, float *l, float *acc, float *scores, int half) {
    float blockMax = -INFINITY;
    int64_t j = 0;
    // Four keys at a time share each query load.
    for (; j + 4 <= n; j += 4) {
        const int64_t k0 = j * headDim;
        __m256 a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps(), a2 = _mm256_setzero_ps(), a3 = _mm256_setzero_ps();
        for (int64_t d = 0; d < headDim; d += 8) {
            const __m256 qv = _mm256_loadu_ps(q + d);
            a0 = _mm256_fmadd_ps(qv, load8(keys, k0 + d, half), a0);
            a1 = _mm256_fmadd_ps(qv, load8(keys, k0 + headDim + d, half), a1);
            a2 = _mm256_fmadd_ps(qv, load8(keys, k0 + 2 * headDim + d, half), a2);
            a3 = _mm256_fmadd_ps(qv, load8(keys, k0 + 3 * headDim + d, half), a3);
        }
        const float s0 = rag_hsum256(a0) * scale, s1 = rag_hsum256(a1) * scale, s2 = rag_hsum256(a2) * scale, s3 = rag_hsum256(a3) * scale;
        scores[j] = s0; scores[j + 1] = s1; scores[j + 2] = s2; scores[j + 3] = s3;
        const float b01 = s0 > s1 ? s0 : s1, b23 = s2 > s3 ? s2 : s3, b = b01 > b23 ? b01 : b23;
        if (b > blockMax) blockMax = b;
    }
    for (; j < n; j++) {
        __m256 a = _mm256_setzero_ps();
        for (int64_t d = 0; d < headDim; d += 8) a = _mm256_fmadd_ps(_mm256_loadu_ps(q + d), load8(keys, j * headDim + d, half), a);
        const float s = rag_hsum256(a) * scale;
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
            for (int64_t i = 0; i < width / 8; i++) r[i] = _mm256_fmadd_ps(p, load8(values, t * headDim + d0 + 8 * i, half), r[i]);
        }
        for (int64_t i = 0; i < width / 8; i++) _mm256_storeu_ps(acc + d0 + 8 * i, r[i]);
    }
    *m = newMax;
    *l = sum;
}
// Specializations by storage type (the always-inline row kernels above need a caller compiled for AVX2).
RAG_SIMD static void row64_f32(const float *q, const void *k, const void *v, int64_t n, float scale, float *m, float *l,
                               float *acc, float *scores) { block_row_avx2_64(q, k, v, n, scale, m, l, acc, scores, 0); }
RAG_SIMD static void row64_f16(const float *q, const void *k, const void *v, int64_t n, float scale, float *m, float *l,
                               float *acc, float *scores) { block_row_avx2_64(q, k, v, n, scale, m, l, acc, scores, 1); }
RAG_SIMD static void row_f32(const float *q, int64_t headDim, const void *k, const void *v, int64_t n, float scale, float *m,
                             float *l, float *acc, float *scores) { block_row_avx2(q, headDim, k, v, n, scale, m, l, acc, scores, 0); }
RAG_SIMD static void row_f16(const float *q, int64_t headDim, const void *k, const void *v, int64_t n, float scale, float *m,
                             float *l, float *acc, float *scores) { block_row_avx2(q, headDim, k, v, n, scale, m, l, acc, scores, 1); }
#endif

// The row loop shared by both storage types; `half` is a compile-time constant in each caller, so the row kernels
// are specialized (no per-element branch).
static inline __attribute__((always_inline))
void attention_block(const float *q, int64_t rows, int64_t headDim, const void *keys, const void *values, int64_t keyCount,
                     const int64_t *limits, float scale, float *m, float *l, float *acc, float *scores, int half) {
#if defined(__x86_64__)
    const int simd = rag_simd_level() >= 1 && headDim % 8 == 0;
#endif
    for (int64_t r = 0; r < rows; r++) {
        int64_t n = keyCount;
        if (limits) {
            if (limits[r] < 0) continue;
            if (limits[r] + 1 < n) n = limits[r] + 1;
        }
        if (n <= 0) continue;
#if defined(__x86_64__)
        if (simd && headDim == 64) {
            (half ? row64_f16 : row64_f32)(q + r * headDim, keys, values, n, scale, m + r, l + r, acc + r * headDim, scores);
            continue;
        }
        if (simd) {
            (half ? row_f16 : row_f32)(q + r * headDim, headDim, keys, values, n, scale, m + r, l + r, acc + r * headDim, scores);
            continue;
        }
#endif
        block_row_portable(q + r * headDim, headDim, keys, values, n, scale, m + r, l + r, acc + r * headDim, scores, half);
    }
}

void rag_attention_block(const float *q, int64_t rows, int64_t headDim,
                         const float *keys, const float *values, int64_t keyCount,
                         const int64_t *limits, float scale,
                         float *m, float *l, float *acc, float *scores) {
    attention_block(q, rows, headDim, keys, values, keyCount, limits, scale, m, l, acc, scores, 0);
}

void rag_attention_block_f16(const float *q, int64_t rows, int64_t headDim,
                             const uint16_t *keys, const uint16_t *values, int64_t keyCount,
                             const int64_t *limits, float scale,
                             float *m, float *l, float *acc, float *scores) {
    attention_block(q, rows, headDim, keys, values, keyCount, limits, scale, m, l, acc, scores, 1);
}

void rag_prefetch(const void *p, int64_t bytes) {
    if (bytes > 0) rag_prefetch_lines(p, (size_t)bytes);
}

#if defined(__x86_64__)
// silu(g)·u with e = e^(−|g|): sigmoid(g) = 1/(1+e) for g ≥ 0 and e/(1+e) for g < 0 (no overflow either way).
RAG_SIMD static int64_t swiglu_avx2(float *gate, const float *up, int64_t n) {
    const __m256 one = _mm256_set1_ps(1.0f);
    const __m256 signMask = _mm256_set1_ps(-0.0f);
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) {
        const __m256 g = _mm256_loadu_ps(gate + i);
        const __m256 e = rag_exp256_nonpositive(_mm256_or_ps(g, signMask));            // e^(−|g|)
        const __m256 numerator = _mm256_blendv_ps(one, e, g);                     // sign bit of g selects e
        const __m256 sigmoid = _mm256_div_ps(numerator, _mm256_add_ps(one, e));
        _mm256_storeu_ps(gate + i, _mm256_mul_ps(_mm256_mul_ps(g, sigmoid), _mm256_loadu_ps(up + i)));
    }
    return i;
}
#endif

void rag_swiglu(float *gate, const float *up, int64_t n) {
    int64_t i = 0;
#if defined(__x86_64__)
    if (rag_simd_level() >= 1) i = swiglu_avx2(gate, up, n);
#endif
    for (; i < n; i++) {
        const float g = gate[i];
        gate[i] = g / (1.0f + expf(-g)) * up[i];
    }
}

double rag_log_sum_exp(const float *x, int64_t n) {
    if (n <= 0) return -INFINITY;
    float maximum = x[0];
    for (int64_t i = 1; i < n; i++) if (x[i] > maximum) maximum = x[i];
    if (maximum == -INFINITY) return -INFINITY;
    double total = 0;
    int64_t i = 0;
#if defined(__x86_64__)
    if (rag_simd_level() >= 1) i = log_sum_exp_avx2(x, n, maximum, &total);
#endif
    for (; i < n; i++) total += exp((double)x[i] - (double)maximum);
    return (double)maximum + log(total);
}
