// Portable IEEE binary16 <-> binary32 conversions (the scalar twins of the F16C instructions), private to CKernels.
#ifndef RAG_HALF_CONVERT_H
#define RAG_HALF_CONVERT_H

#include <stdint.h>
#include <string.h>

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

#endif
