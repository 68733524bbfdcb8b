// Q4_1 rows repacked for decode matvecs (fp32 activations, as rag_matvec_q4_1; the ggml layout stays for prefill).
//
// Why: the ggml block layout (d, m, 16 bytes of nibbles every 20 bytes) makes each 16 weights cost a byte
// zero-extension, an int→float conversion and a multiply, and every block two scalar fp16 conversions; one core
// ran out of vector issue slots at ~16 GB/s of weights. The packed layout lets a 32-byte load feed 64 weights whose
// nibbles sit in 16-bit lanes, and builds each weight as the float f = 1 + q/16 with a shift and one bitwise op
// (nibble into mantissa bits 19..22, exponent of 1.0): Σ q·x = 16·Σ f·x − 16·Σ x, so no conversion instruction.
//
// Packed row for n columns, B = n/32 blocks, G = ceil(B/2) groups of two blocks:
//   [G × 32 bytes of nibbles][B × fp16 d][B × fp16 m]          (32·G + 4·B bytes; = 20·B, the ggml size, for even B)
// Group g, 16-bit lane L (0..15), nibble s (0..3, bits 4s..4s+3) holds element (s%2)·16 + L of block 2g + s/2
// (a missing second block of an odd B is zero).
// dot(row, x) = Σ_b d_b·Σ_i q_bi·x_bi + m_b·S_b with S_b = Σ_i x_bi (the caller's blockSums).
#include "CKernels.h"
#include "half_convert.h"

#include <string.h>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

size_t rag_q4_1_packed_row_bytes(int64_t n) {
    const int64_t blocks = n / 32;
    return (size_t)(32 * ((blocks + 1) / 2) + 4 * blocks);
}

static inline uint16_t load_u16(const uint8_t *p) { return (uint16_t)(p[0] | (p[1] << 8)); }

void rag_q4_1_pack_rows(const void *source, size_t sourceRowBytes, void *destination, int64_t rows, int64_t n) {
    const int64_t blocks = n / 32, groups = (blocks + 1) / 2;
    const size_t packedRowBytes = rag_q4_1_packed_row_bytes(n);
    for (int64_t r = 0; r < rows; r++) {
        const uint8_t *src = (const uint8_t *)source + r * sourceRowBytes;
        uint8_t *dst = (uint8_t *)destination + r * packedRowBytes;
        uint16_t *nibbles = (uint16_t *)dst;                 // [groups][16] (dst is 2-byte aligned by construction)
        uint8_t *scales = dst + 32 * groups;                 // d[blocks] then m[blocks], fp16 little-endian
        memset(nibbles, 0, 32 * (size_t)groups);
        for (int64_t b = 0; b < blocks; b++) {
            const uint8_t *block = src + 20 * b;
            memcpy(scales + 2 * b, block, 2);                // d
            memcpy(scales + 2 * blocks + 2 * b, block + 2, 2);  // m
            uint16_t *lanes = nibbles + 16 * (b / 2);
            const int firstNibble = 2 * (int)(b % 2);        // s of elements 0..15; s + 1 holds 16..31
            for (int lane = 0; lane < 16; lane++) {
                const uint8_t byte = block[4 + lane];        // element lane (low nibble) and lane + 16 (high)
                lanes[lane] |= (uint16_t)((byte & 0x0F) << (4 * firstNibble));
                lanes[lane] |= (uint16_t)((byte >> 4) << (4 * (firstNibble + 1)));
            }
        }
    }
}

// The scalar twin: the packed layout read back element by element.
static float dot_packed_portable(const uint8_t *row, const float *x, const float *sums, int64_t blocks) {
    const int64_t groups = (blocks + 1) / 2;
    const uint8_t *scales = row + 32 * groups;
    float total = 0;
    for (int64_t b = 0; b < blocks; b++) {
        const uint8_t *lanes = row + 32 * (b / 2);
        const int s = 2 * (int)(b % 2);
        float acc = 0;
        for (int lane = 0; lane < 16; lane++) {
            const uint16_t bits = load_u16(lanes + 2 * lane);
            acc += (float)((bits >> (4 * s)) & 0x0F) * x[32 * b + lane];
            acc += (float)((bits >> (4 * s + 4)) & 0x0F) * x[32 * b + 16 + lane];
        }
        const float d = rag_half_bits_to_float(load_u16(scales + 2 * b));
        const float m = rag_half_bits_to_float(load_u16(scales + 2 * blocks + 2 * b));
        total += d * acc + m * sums[b];
    }
    return total;
}

#if defined(__x86_64__)
#define RAG_SIMD512 __attribute__((target("avx512f,avx2,fma,f16c")))
#define RAG_SIMD __attribute__((target("avx2,fma,f16c")))

// Blocks per chunk whose d are converted to fp32 at once (a stack buffer; any row length works chunk by chunk).
#define CHUNK_BLOCKS 64

// Σ_b (m_b − 16·d_b)·S_b over one row's blocks: the part of the dot product that does not depend on the nibbles.
RAG_SIMD static float offset_term_avx2(const uint8_t *scales, const float *sums, int64_t blocks) {
    __m256 acc = _mm256_setzero_ps();
    const __m256 sixteen = _mm256_set1_ps(16.0f);
    int64_t b = 0;
    for (; b + 8 <= blocks; b += 8) {
        const __m256 d = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(scales + 2 * b)));
        const __m256 m = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(scales + 2 * blocks + 2 * b)));
        acc = _mm256_fmadd_ps(_mm256_fnmadd_ps(sixteen, d, m), _mm256_loadu_ps(sums + b), acc);
    }
    __m128 lo = _mm_add_ps(_mm256_castps256_ps128(acc), _mm256_extractf128_ps(acc, 1));
    lo = _mm_add_ps(lo, _mm_movehl_ps(lo, lo));
    lo = _mm_add_ss(lo, _mm_movehdup_ps(lo));
    float total = _mm_cvtss_f32(lo);
    for (; b < blocks; b++) {
        const float d = _cvtsh_ss(load_u16(scales + 2 * b)), m = _cvtsh_ss(load_u16(scales + 2 * blocks + 2 * b));
        total += (m - 16.0f * d) * sums[b];
    }
    return total;
}

// d_b as fp32 for blocks [first, first + count).
RAG_SIMD static void scales_to_float(const uint8_t *scales, int64_t first, int64_t count, float *out) {
    int64_t i = 0;
    for (; i + 8 <= count; i += 8)
        _mm256_storeu_ps(out + i, _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(scales + 2 * (first + i)))));
    for (; i < count; i++) out[i] = _cvtsh_ss(load_u16(scales + 2 * (first + i)));
}

// f = 1 + q/16 for nibble s of every 32-bit lane of n: the nibble moved to mantissa bits 19..22, OR the bits of 1.0.
#define F512(n, s) _mm512_castsi512_ps(_mm512_ternarylogic_epi32(_mm512_slli_epi32((n), 19 - 4 * (s)), mantissa, oneBits, 0xEA))

// Rows `count` (1 or 2) starting at `row`, sharing each load of x. y[i] = dot(row i, x).
RAG_SIMD512 static inline __attribute__((always_inline))
void rows_packed_avx512(const uint8_t *row, size_t rowBytes, int count, const float *x, const float *sums,
                        int64_t blocks, float *y) {
    const __m512i mantissa = _mm512_set1_epi32(0xF << 19), oneBits = _mm512_set1_epi32(0x3F800000);
    const int64_t groups = (blocks + 1) / 2;
    __m512 acc[2][2] = {{_mm512_setzero_ps(), _mm512_setzero_ps()}, {_mm512_setzero_ps(), _mm512_setzero_ps()}};
    float d[2][CHUNK_BLOCKS];
    for (int64_t first = 0; first < blocks; first += CHUNK_BLOCKS) {
        const int64_t chunk = blocks - first < CHUNK_BLOCKS ? blocks - first : CHUNK_BLOCKS;
        for (int i = 0; i < count; i++) scales_to_float(row + i * rowBytes + 32 * groups, first, chunk, d[i]);
        int64_t b = 0;
        for (; b + 2 <= chunk; b += 2) {                       // one whole group: blocks first+b, first+b+1
            const float *xg = x + 32 * (first + b);
            const __m512 x0 = _mm512_loadu_ps(xg), x1 = _mm512_loadu_ps(xg + 16);
            const __m512 x2 = _mm512_loadu_ps(xg + 32), x3 = _mm512_loadu_ps(xg + 48);
            for (int i = 0; i < count; i++) {
                const __m256i packed = _mm256_loadu_si256((const __m256i *)(row + i * rowBytes + 16 * (first + b)));
                const __m512i n = _mm512_cvtepu16_epi32(packed);
                const __m512 first16 = _mm512_fmadd_ps(F512(n, 1), x1, _mm512_mul_ps(F512(n, 0), x0));
                const __m512 second16 = _mm512_fmadd_ps(F512(n, 3), x3, _mm512_mul_ps(F512(n, 2), x2));
                acc[i][0] = _mm512_fmadd_ps(_mm512_set1_ps(d[i][b]), first16, acc[i][0]);
                acc[i][1] = _mm512_fmadd_ps(_mm512_set1_ps(d[i][b + 1]), second16, acc[i][1]);
            }
        }
        if (b < chunk) {                                       // the first block of a group (odd B, last chunk)
            const float *xg = x + 32 * (first + b);
            const __m512 x0 = _mm512_loadu_ps(xg), x1 = _mm512_loadu_ps(xg + 16);
            for (int i = 0; i < count; i++) {
                const __m256i packed = _mm256_loadu_si256((const __m256i *)(row + i * rowBytes + 16 * (first + b)));
                const __m512i n = _mm512_cvtepu16_epi32(packed);
                const __m512 first16 = _mm512_fmadd_ps(F512(n, 1), x1, _mm512_mul_ps(F512(n, 0), x0));
                acc[i][0] = _mm512_fmadd_ps(_mm512_set1_ps(d[i][b]), first16, acc[i][0]);
            }
        }
    }
    for (int i = 0; i < count; i++) {
        const float nibbleTerm = 16.0f * _mm512_reduce_add_ps(_mm512_add_ps(acc[i][0], acc[i][1]));
        y[i] = nibbleTerm + offset_term_avx2(row + i * rowBytes + 32 * groups, sums, blocks);
    }
}

RAG_SIMD512 static void matvec_packed_avx512(const uint8_t *w, size_t rowBytes, const float *x, const float *sums,
                                             float *y, int64_t r0, int64_t r1, int64_t blocks) {
    int64_t r = r0;
    for (; r + 2 <= r1; r += 2) rows_packed_avx512(w + r * rowBytes, rowBytes, 2, x, sums, blocks, y + r);
    if (r < r1) rows_packed_avx512(w + r * rowBytes, rowBytes, 1, x, sums, blocks, y + r);
}

// AVX2: the same layout read as two 8-lane halves per group (no ternary logic: AND, then OR).
#define F256(n, s) _mm256_castsi256_ps(_mm256_or_si256(_mm256_and_si256(_mm256_slli_epi32((n), 19 - 4 * (s)), mantissa), oneBits))

RAG_SIMD static float dot_packed_avx2(const uint8_t *row, const float *x, const float *sums, int64_t blocks) {
    const __m256i mantissa = _mm256_set1_epi32(0xF << 19), oneBits = _mm256_set1_epi32(0x3F800000);
    const int64_t groups = (blocks + 1) / 2;
    const uint8_t *scales = row + 32 * groups;
    __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
    float d[CHUNK_BLOCKS];
    for (int64_t first = 0; first < blocks; first += CHUNK_BLOCKS) {
        const int64_t chunk = blocks - first < CHUNK_BLOCKS ? blocks - first : CHUNK_BLOCKS;
        scales_to_float(scales, first, chunk, d);
        for (int64_t b = 0; b < chunk; b++) {
            const int64_t block = first + b;
            const int s = 2 * (int)(block % 2);
            const uint8_t *lanes = row + 32 * (block / 2);
            const float *xb = x + 32 * block;
            const __m256i lo = _mm256_cvtepu16_epi32(_mm_loadu_si128((const __m128i *)lanes));        // lanes 0..7
            const __m256i hi = _mm256_cvtepu16_epi32(_mm_loadu_si128((const __m128i *)(lanes + 16))); // lanes 8..15
            __m256 p0, p1;
            if (s == 0) {
                p0 = _mm256_fmadd_ps(F256(lo, 1), _mm256_loadu_ps(xb + 16), _mm256_mul_ps(F256(lo, 0), _mm256_loadu_ps(xb)));
                p1 = _mm256_fmadd_ps(F256(hi, 1), _mm256_loadu_ps(xb + 24), _mm256_mul_ps(F256(hi, 0), _mm256_loadu_ps(xb + 8)));
            } else {
                p0 = _mm256_fmadd_ps(F256(lo, 3), _mm256_loadu_ps(xb + 16), _mm256_mul_ps(F256(lo, 2), _mm256_loadu_ps(xb)));
                p1 = _mm256_fmadd_ps(F256(hi, 3), _mm256_loadu_ps(xb + 24), _mm256_mul_ps(F256(hi, 2), _mm256_loadu_ps(xb + 8)));
            }
            const __m256 scale = _mm256_set1_ps(d[b]);
            acc0 = _mm256_fmadd_ps(scale, p0, acc0);
            acc1 = _mm256_fmadd_ps(scale, p1, acc1);
        }
    }
    const __m256 sum = _mm256_add_ps(acc0, acc1);
    __m128 lo = _mm_add_ps(_mm256_castps256_ps128(sum), _mm256_extractf128_ps(sum, 1));
    lo = _mm_add_ps(lo, _mm_movehl_ps(lo, lo));
    lo = _mm_add_ss(lo, _mm_movehdup_ps(lo));
    return 16.0f * _mm_cvtss_f32(lo) + offset_term_avx2(scales, sums, blocks);
}
#endif

void rag_matvec_q4_1_packed(const void *weights, size_t rowBytes, const float *x, const float *blockSums,
                            float *y, int64_t rowStart, int64_t rowEnd, int64_t n) {
    const uint8_t *w = (const uint8_t *)weights;
    const int64_t blocks = n / 32;
#if defined(__x86_64__)
    const int level = rag_quant_kernels_level();
    if (level >= 2) { matvec_packed_avx512(w, rowBytes, x, blockSums, y, rowStart, rowEnd, blocks); return; }
    if (level == 1) {
        for (int64_t r = rowStart; r < rowEnd; r++) y[r] = dot_packed_avx2(w + r * rowBytes, x, blockSums, blocks);
        return;
    }
#endif
    for (int64_t r = rowStart; r < rowEnd; r++) y[r] = dot_packed_portable(w + r * rowBytes, x, blockSums, blocks);
}
