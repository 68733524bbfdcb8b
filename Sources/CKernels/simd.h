// The helpers every kernel file shares, private to CKernels; each is defined here once.
//
//   1. Instruction-set attributes (RAG_SIMD, RAG_SIMD512, RAG_SIMD_VNNI): the functions that use them run only when
//      the dispatch in cpu.c says so (`rag_simd_level()`, `rag_int8_gemm_kernel()`).
//   2. Scalar IEEE binary16 <-> binary32 conversions (the portable twins of the F16C instructions) and a little-endian
//      16-bit load for the fp16 scales inside ggml blocks.
//   3. Software prefetch of a byte range.
//   4. AVX2 helpers: horizontal sum and max of 8 lanes, four horizontal sums at once, e^x (Cephes polynomial).
#ifndef RAG_SIMD_H
#define RAG_SIMD_H

#include "CKernels.h"

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

// ---------------------------------------------------------------------------------------------------------
// 1. Instruction sets

#if defined(__x86_64__)
/// Level 1 of the dispatch: AVX2, FMA and F16C.
#define RAG_SIMD __attribute__((target("avx2,fma,f16c")))
/// Level 2: AVX-512F on top of level 1.
#define RAG_SIMD512 __attribute__((target("avx512f,avx2,fma,f16c")))
/// The int8 GEMM's best kernel: AVX-512 with the VNNI dot-product instructions.
#define RAG_SIMD_VNNI __attribute__((target("avx512f,avx512bw,avx512vl,avx512vnni,avx2,fma,f16c")))
#endif

#define RAG_INLINE __attribute__((always_inline)) inline

// ---------------------------------------------------------------------------------------------------------
// 2. Half precision, scalar

/// The little-endian 16 bits at p (the fp16 scales of ggml blocks sit at odd addresses).
static inline uint16_t rag_load_u16(const uint8_t *p) { return (uint16_t)(p[0] | (p[1] << 8)); }

static inline float rag_half_bits_to_float(uint16_t h) {
    const uint32_t sign = (uint32_t)(h & 0x8000) << 16;
    const uint32_t exponent = (h >> 10) & 0x1F;
    uint32_t mantissa = h & 0x3FF;
    uint32_t bits;
    if (exponent == 0) {
        if (mantissa == 0) {
            bits = sign;
        } else {
            // Subnormal half: normalize.
            int e = -1;
            do { e++; mantissa <<= 1; } while ((mantissa & 0x400) == 0);
            bits = sign | ((uint32_t)(127 - 15 - e) << 23) | ((mantissa & 0x3FF) << 13);
        }
    } else if (exponent == 31) {
        bits = sign | 0x7F800000 | (mantissa << 13);
    } else {
        bits = sign | ((exponent + 127 - 15) << 23) | (mantissa << 13);
    }
    float f;
    memcpy(&f, &bits, 4);
    return f;
}

// Round to nearest, ties to even (what _mm256_cvtps_ph does with _MM_FROUND_TO_NEAREST_INT); overflow gives ±inf.
static inline uint16_t rag_float_to_half_bits(float f) {
    uint32_t x;
    memcpy(&x, &f, 4);
    const uint16_t sign = (uint16_t)((x >> 16) & 0x8000);
    const uint32_t absolute = x & 0x7FFFFFFF;
    if (absolute >= 0x7F800000) {                       // inf or NaN (keep NaN quiet and non-zero)
        return sign | 0x7C00 | (absolute > 0x7F800000 ? 0x200 | ((absolute >> 13) & 0x3FF) : 0);
    }
    if (absolute >= 0x477FF000) return sign | 0x7C00;   // rounds to ≥ 65520: overflow
    if (absolute < 0x38800000) {                         // below the smallest normal half (2^-14): subnormal or zero
        if (absolute < 0x33000000) return sign;          // < 2^-25: rounds to zero
        const uint32_t exponent = absolute >> 23;
        const uint32_t mantissa = (absolute & 0x7FFFFF) | 0x800000;
        const uint32_t shift = 126 - exponent;           // 14 + (113 - exponent) - 1 ... result = mantissa >> (shift)
        const uint32_t half = mantissa >> shift;
        const uint32_t rest = mantissa & ((1u << shift) - 1);
        const uint32_t midpoint = 1u << (shift - 1);
        uint32_t rounded = half + (rest > midpoint || (rest == midpoint && (half & 1)));
        return sign | (uint16_t)rounded;
    }
    const uint32_t rebased = absolute - 0x38000000;      // exponent 127 -> 15
    uint32_t half = rebased >> 13;
    const uint32_t rest = rebased & 0x1FFF;
    half += (rest > 0x1000 || (rest == 0x1000 && (half & 1)));
    return sign | (uint16_t)half;
}

// The neighbouring half below / above a finite or infinite half (no NaN).
static inline uint16_t rag_half_next_down(uint16_t h) {
    if (h == 0x0000) return 0x8001;
    if (h & 0x8000) return h == 0xFC00 ? h : h + 1;
    return h - 1;
}
static inline uint16_t rag_half_next_up(uint16_t h) {
    if (h == 0x8000) return 0x0001;
    if (h & 0x8000) return h - 1;
    return h == 0x7C00 ? h : h + 1;
}

// Largest half ≤ f / smallest half ≥ f (directed rounding, as _MM_FROUND_TO_NEG_INF / _MM_FROUND_TO_POS_INF).
static inline uint16_t rag_float_to_half_down(float f) {
    uint16_t h = rag_float_to_half_bits(f);
    if (rag_half_bits_to_float(h) > f) h = rag_half_next_down(h);
    return h;
}
static inline uint16_t rag_float_to_half_up(float f) {
    uint16_t h = rag_float_to_half_bits(f);
    if (rag_half_bits_to_float(h) < f) h = rag_half_next_up(h);
    return h;
}

// ---------------------------------------------------------------------------------------------------------
// 3. Prefetch

/// One prefetch hint per 64-byte cache line of [p, p + bytes): the matvec kernels touch rows a few iterations ahead,
/// `rag_prefetch` the next K/V piece.
static inline void rag_prefetch_lines(const void *p, size_t bytes) {
    for (size_t offset = 0; offset < bytes; offset += 64) __builtin_prefetch((const char *)p + offset, 0, 3);
}

// ---------------------------------------------------------------------------------------------------------
// 4. AVX2 helpers

#if defined(__x86_64__)

/// The fp16 at p (a ggml block scale) as fp32, by F16C.
RAG_SIMD static RAG_INLINE float rag_half_to_float_f16c(const uint8_t *p) { return _cvtsh_ss(rag_load_u16(p)); }

/// v0 + ... + v7, added as ((v0+v4) + (v2+v6)) + ((v1+v5) + (v3+v7)).
RAG_SIMD static RAG_INLINE float rag_hsum256(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

/// max(v0, ..., v7).
RAG_SIMD static RAG_INLINE float rag_hmax256(__m256 v) {
    __m128 m = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    m = _mm_max_ps(m, _mm_movehl_ps(m, m));
    m = _mm_max_ss(m, _mm_shuffle_ps(m, m, 1));
    return _mm_cvtss_f32(m);
}

/// Four horizontal sums at once: lane i of the result is the sum of the lanes of vector i.
RAG_SIMD static RAG_INLINE __m128 rag_hsum256x4(__m256 a, __m256 b, __m256 c, __m256 d) {
    const __m256 ab = _mm256_hadd_ps(a, b);
    const __m256 cd = _mm256_hadd_ps(c, d);
    const __m256 abcd = _mm256_hadd_ps(ab, cd);
    return _mm_add_ps(_mm256_castps256_ps128(abcd), _mm256_extractf128_ps(abcd, 1));
}

/// e^x for lanes already in [−87, 88] (Cephes expf; relative error ~1e-7): n = round(x / ln 2), r = x − n·ln 2 with
/// ln 2 in two parts, e^r by a degree-5 polynomial in r (times r², plus r + 1), times 2^n built in the exponent bits.
RAG_SIMD static RAG_INLINE __m256 rag_exp256_in_range(__m256 x) {
    const __m256 n = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(1.44269504088896341f)),
                                     _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(0.693359375f), x);
    r = _mm256_fnmadd_ps(n, _mm256_set1_ps(-2.12194440e-4f), r);
    __m256 p = _mm256_set1_ps(1.9875691500e-4f);
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.3981999507e-3f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(8.3334519073e-3f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(4.1665795894e-2f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.6666665459e-1f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(5.0000001201e-1f));
    p = _mm256_add_ps(_mm256_fmadd_ps(p, _mm256_mul_ps(r, r), r), _mm256_set1_ps(1.0f));
    const __m256i exponent = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23);
    return _mm256_mul_ps(p, _mm256_castsi256_ps(exponent));
}

/// e^x with x clamped to [−87, 88] first (below: e^−87 ≈ 1.6e-38; above: e^88, the largest float power of e).
RAG_SIMD static RAG_INLINE __m256 rag_exp256(__m256 x) {
    return rag_exp256_in_range(_mm256_min_ps(_mm256_max_ps(x, _mm256_set1_ps(-87.0f)), _mm256_set1_ps(88.0f)));
}

/// e^x for x ≤ 0 (softmax numerators, e^−|g|); lanes below −87 give exactly 0.
RAG_SIMD static RAG_INLINE __m256 rag_exp256_nonpositive(__m256 x) {
    const __m256 floor = _mm256_set1_ps(-87.0f);
    const __m256 underflow = _mm256_cmp_ps(x, floor, _CMP_LT_OQ);
    return _mm256_andnot_ps(underflow, rag_exp256_in_range(_mm256_max_ps(x, floor)));
}

#endif

#endif
