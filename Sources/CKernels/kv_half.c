// fp16 KV-cache storage and fp16 page summaries (Quest key min/max): conversions, summary updates and the page
// upper-bound scan. Each kernel has an AVX2/FMA/F16C path chosen at run time and a portable C path (the scalar twin;
// tests force it with rag_simd_set_level(0) and compare).
#include "simd.h"

// ---------------------------------------------------------------------------
// Conversions (round to nearest even)

#if defined(__x86_64__)
RAG_SIMD static int64_t f32_to_f16_avx2(const float *x, uint16_t *out, int64_t n) {
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) {
        _mm_storeu_si128((__m128i *)(out + i), _mm256_cvtps_ph(_mm256_loadu_ps(x + i), _MM_FROUND_TO_NEAREST_INT));
    }
    return i;
}

RAG_SIMD static int64_t f16_to_f32_avx2(const uint16_t *x, float *out, int64_t n) {
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) _mm256_storeu_ps(out + i, _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(x + i))));
    return i;
}
#endif

void rag_f32_to_f16(const float *x, uint16_t *out, int64_t n) {
    int64_t i = 0;
#if defined(__x86_64__)
    if (rag_simd_level() >= 1) i = f32_to_f16_avx2(x, out, n);
#endif
    for (; i < n; i++) out[i] = rag_float_to_half_bits(x[i]);
}

void rag_f16_to_f32(const uint16_t *x, float *out, int64_t n) {
    int64_t i = 0;
#if defined(__x86_64__)
    if (rag_simd_level() >= 1) i = f16_to_f32_avx2(x, out, n);
#endif
    for (; i < n; i++) out[i] = rag_half_bits_to_float(x[i]);
}

// ---------------------------------------------------------------------------
// Page summaries: low = round_down(min(low, key)), high = round_up(max(high, key)); the rounded bounds still
// enclose every key, so the upper bound of q·k stays valid.

#if defined(__x86_64__)
RAG_SIMD static int64_t summary_update_avx2(const float *key, int64_t headDim, uint16_t *low, uint16_t *high, int first) {
    int64_t d = 0;
    for (; d + 8 <= headDim; d += 8) {
        __m256 lo = _mm256_loadu_ps(key + d), hi = lo;
        if (!first) {
            lo = _mm256_min_ps(lo, _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(low + d))));
            hi = _mm256_max_ps(hi, _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(high + d))));
        }
        _mm_storeu_si128((__m128i *)(low + d), _mm256_cvtps_ph(lo, _MM_FROUND_TO_NEG_INF | _MM_FROUND_NO_EXC));
        _mm_storeu_si128((__m128i *)(high + d), _mm256_cvtps_ph(hi, _MM_FROUND_TO_POS_INF | _MM_FROUND_NO_EXC));
    }
    return d;
}
#endif

void rag_page_summary_update_f16(const float *key, int64_t headDim, uint16_t *low, uint16_t *high, int first) {
    int64_t d = 0;
#if defined(__x86_64__)
    if (rag_simd_level() >= 1) d = summary_update_avx2(key, headDim, low, high, first);
#endif
    for (; d < headDim; d++) {
        float lo = key[d], hi = key[d];
        if (!first) {
            const float oldLow = rag_half_bits_to_float(low[d]), oldHigh = rag_half_bits_to_float(high[d]);
            if (oldLow < lo) lo = oldLow;
            if (oldHigh > hi) hi = oldHigh;
        }
        low[d] = rag_float_to_half_down(lo);
        high[d] = rag_float_to_half_up(hi);
    }
}

#if defined(__x86_64__)
RAG_SIMD static int64_t summary_merge_avx2(const uint16_t *low, const uint16_t *high, int64_t headDim, uint16_t *outLow,
                                           uint16_t *outHigh, int first) {
    int64_t d = 0;
    for (; d + 8 <= headDim; d += 8) {
        __m256 lo = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(low + d)));
        __m256 hi = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(high + d)));
        if (!first) {
            lo = _mm256_min_ps(lo, _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(outLow + d))));
            hi = _mm256_max_ps(hi, _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(outHigh + d))));
        }
        // Exact: every input is an fp16 value.
        _mm_storeu_si128((__m128i *)(outLow + d), _mm256_cvtps_ph(lo, _MM_FROUND_TO_NEAREST_INT));
        _mm_storeu_si128((__m128i *)(outHigh + d), _mm256_cvtps_ph(hi, _MM_FROUND_TO_NEAREST_INT));
    }
    return d;
}
#endif

void rag_page_summary_merge_f16(const uint16_t *low, const uint16_t *high, int64_t headDim, uint16_t *outLow,
                                uint16_t *outHigh, int first) {
    int64_t d = 0;
#if defined(__x86_64__)
    if (rag_simd_level() >= 1) d = summary_merge_avx2(low, high, headDim, outLow, outHigh, first);
#endif
    for (; d < headDim; d++) {
        if (first || rag_half_bits_to_float(low[d]) < rag_half_bits_to_float(outLow[d])) outLow[d] = low[d];
        if (first || rag_half_bits_to_float(high[d]) > rag_half_bits_to_float(outHigh[d])) outHigh[d] = high[d];
    }
}

// ---------------------------------------------------------------------------
// Page upper bounds: scores[p] += Σ_r Σ_d max(q_rd·low_pd, q_rd·high_pd) = Σ max(q,0)·high + min(q,0)·low.

static void page_bounds_portable(const float *queries, int64_t rows, int64_t headDim, const uint16_t *lows,
                                 const uint16_t *highs, int64_t pageCount, float *scores) {
    for (int64_t p = 0; p < pageCount; p++) {
        float total = 0;
        for (int64_t r = 0; r < rows; r++) {
            for (int64_t d = 0; d < headDim; d++) {
                const float q = queries[r * headDim + d];
                const float a = q * rag_half_bits_to_float(lows[p * headDim + d]);
                const float b = q * rag_half_bits_to_float(highs[p * headDim + d]);
                total += a > b ? a : b;
            }
        }
        scores[p] += total;
    }
}

#if defined(__x86_64__)
// headDim a multiple of 8, rows · headDim ≤ 4096. Two pages per iteration share the query loads.
RAG_SIMD static void page_bounds_avx2(const float *queries, int64_t rows, int64_t headDim, const uint16_t *lows,
                                      const uint16_t *highs, int64_t pageCount, float *scores) {
    __m256 positive[512], negative[512];   // [rows · headDim / 8]: max(q, 0), min(q, 0)
    const int64_t vectors = rows * headDim / 8, lanes = headDim / 8;
    const __m256 zero = _mm256_setzero_ps();
    for (int64_t i = 0; i < vectors; i++) {
        const __m256 q = _mm256_loadu_ps(queries + 8 * i);
        positive[i] = _mm256_max_ps(q, zero);
        negative[i] = _mm256_min_ps(q, zero);
    }
    int64_t p = 0;
    for (; p + 2 <= pageCount; p += 2) {
        __m256 a0 = zero, a1 = zero, b0 = zero, b1 = zero;
        for (int64_t lane = 0; lane < lanes; lane++) {
            const int64_t offset = p * headDim + 8 * lane;
            const __m256 low0 = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(lows + offset)));
            const __m256 high0 = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(highs + offset)));
            const __m256 low1 = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(lows + offset + headDim)));
            const __m256 high1 = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(highs + offset + headDim)));
            for (int64_t r = 0; r < rows; r++) {
                const __m256 qp = positive[r * lanes + lane], qn = negative[r * lanes + lane];
                a0 = _mm256_fmadd_ps(qp, high0, a0);
                b0 = _mm256_fmadd_ps(qn, low0, b0);
                a1 = _mm256_fmadd_ps(qp, high1, a1);
                b1 = _mm256_fmadd_ps(qn, low1, b1);
            }
        }
        scores[p] += rag_hsum256(_mm256_add_ps(a0, b0));
        scores[p + 1] += rag_hsum256(_mm256_add_ps(a1, b1));
    }
    for (; p < pageCount; p++) {
        __m256 a = zero, b = zero;
        for (int64_t lane = 0; lane < lanes; lane++) {
            const int64_t offset = p * headDim + 8 * lane;
            const __m256 low = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(lows + offset)));
            const __m256 high = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(highs + offset)));
            for (int64_t r = 0; r < rows; r++) {
                a = _mm256_fmadd_ps(positive[r * lanes + lane], high, a);
                b = _mm256_fmadd_ps(negative[r * lanes + lane], low, b);
            }
        }
        scores[p] += rag_hsum256(_mm256_add_ps(a, b));
    }
}
#endif

#if defined(__x86_64__)
// Decode's case, one query of 64 dims: the query's positive and negative parts live in 8 registers, a page's bounds
// are 4 + 4 conversions of 16 halves, and the whole run of query sets stays in this function (sets are often 1-2
// pages: per-set dispatch cost as much as the pages).
RAG_SIMD512 static void page_bounds_avx512_single64(const float *queries, const uint16_t *lows, const uint16_t *highs,
                                        int64_t pageCount, int64_t step, float *scores) {
    const __m512 zero = _mm512_setzero_ps();
    for (int64_t first = 0, set = 0; first < pageCount; first += step, set++) {
        const int64_t count = pageCount - first < step ? pageCount - first : step;
        const float *q = queries + set * 64;
        __m512 positive[4], negative[4];
        for (int i = 0; i < 4; i++) {
            const __m512 v = _mm512_loadu_ps(q + 16 * i);
            positive[i] = _mm512_max_ps(v, zero);
            negative[i] = _mm512_min_ps(v, zero);
        }
        for (int64_t p = first; p < first + count; p++) {
            const uint16_t *low = lows + p * 64, *high = highs + p * 64;
            __m512 a = _mm512_mul_ps(positive[0], _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)high)));
            __m512 b = _mm512_mul_ps(negative[0], _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)low)));
            for (int i = 1; i < 4; i++) {
                a = _mm512_fmadd_ps(positive[i], _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)(high + 16 * i))), a);
                b = _mm512_fmadd_ps(negative[i], _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)(low + 16 * i))), b);
            }
            scores[p] += _mm512_reduce_add_ps(_mm512_add_ps(a, b));
        }
    }
}
#endif

void rag_page_bounds_f16(const float *queries, int64_t rows, int64_t headDim, const uint16_t *lows, const uint16_t *highs,
                         int64_t pageCount, int64_t pagesPerQuery, float *scores) {
    if (pageCount <= 0) return;
    const int64_t step = pagesPerQuery > 0 ? pagesPerQuery : pageCount;
#if defined(__x86_64__)
    const int level = rag_simd_level();
    if (rows == 1 && headDim == 64 && level >= 2) {
        page_bounds_avx512_single64(queries, lows, highs, pageCount, step, scores);
        return;
    }
#endif
    for (int64_t first = 0, set = 0; first < pageCount; first += step, set++) {
        const int64_t count = pageCount - first < step ? pageCount - first : step;
        const float *q = queries + set * rows * headDim;
#if defined(__x86_64__)
        if (level >= 1 && headDim % 8 == 0 && rows * headDim <= 4096) {
            page_bounds_avx2(q, rows, headDim, lows + first * headDim, highs + first * headDim, count, scores + first);
            continue;
        }
#endif
        page_bounds_portable(q, rows, headDim, lows + first * headDim, highs + first * headDim, count, scores + first);
    }
}

// ---------------------------------------------------------------------------
// RoPE re-rotation for shifted queries (RotaryShift).

static void rotate_portable(const float *x, int64_t from, int64_t pairs, const float *cosines, const float *sines,
                            float sign, float *o) {
    for (int64_t i = from; i < pairs; i++) {
        const float c = cosines[i], s = sign * sines[i];
        const float x0 = x[2 * i], x1 = x[2 * i + 1];
        o[2 * i] = x0 * c - x1 * s;
        o[2 * i + 1] = x0 * s + x1 * c;
    }
}

#if defined(__x86_64__)
// Four pairs per step: o = x·[c0 c0 c1 c1 ..] ∓ swap(x)·[s0 s0 s1 s1 ..] (fmaddsub: even lanes subtract, odd lanes add).
RAG_SIMD static int64_t rotate_avx2(const float *x, int64_t pairs, const float *cosines, const float *sines, float sign, float *o) {
    const __m128 signs = _mm_set1_ps(sign);
    int64_t i = 0;
    for (; i + 4 <= pairs; i += 4) {
        const __m128 c4 = _mm_loadu_ps(cosines + i), s4 = _mm_mul_ps(_mm_loadu_ps(sines + i), signs);
        const __m256 c = _mm256_set_m128(_mm_unpackhi_ps(c4, c4), _mm_unpacklo_ps(c4, c4));
        const __m256 s = _mm256_set_m128(_mm_unpackhi_ps(s4, s4), _mm_unpacklo_ps(s4, s4));
        const __m256 v = _mm256_loadu_ps(x + 2 * i);
        const __m256 swapped = _mm256_permute_ps(v, 0xB1);   // x1 x0 x3 x2 ...
        _mm256_storeu_ps(o + 2 * i, _mm256_fmaddsub_ps(v, c, _mm256_mul_ps(swapped, s)));
    }
    return i;
}
#endif

void rag_rotate_pairs(const float *v, int64_t rows, int64_t headDim, int64_t pairs, const float *cosines,
                      const float *sines, float sign, float *out) {
    for (int64_t r = 0; r < rows; r++) {
        const float *x = v + r * headDim;
        float *o = out + r * headDim;
        int64_t i = 0;
#if defined(__x86_64__)
        if (rag_simd_level() >= 1) i = rotate_avx2(x, pairs, cosines, sines, sign, o);
#endif
        rotate_portable(x, i, pairs, cosines, sines, sign, o);
        for (int64_t d = 2 * pairs; d < headDim; d++) o[d] = x[d];
    }
}
