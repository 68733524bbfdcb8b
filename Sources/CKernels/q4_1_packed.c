// Q4_1 rows repacked for decode matvecs (fp32 activations, as rag_matvec_q4_1; the ggml layout stays for prefill).
//
// Why: the ggml block layout (d, m, 16 bytes of nibbles every 20 bytes) makes each 16 weights cost a byte
// zero-extension, an int→float conversion and a multiply, and every block two scalar fp16 conversions; one core
// ran out of vector issue slots at ~16 GB/s of weights. The packed layout lets a 32-byte load feed 64 weights whose
// nibbles sit in 16-bit lanes, and builds each weight as the float f = 1 + q/16 with a shift and one bitwise op
// (nibble into mantissa bits 19..22, exponent of 1.0): Σ q·x = 16·Σ f·x − 16·Σ x, so no conversion instruction.
//
// Packed row for n columns, B = n/32 blocks, G = ceil(B/2) groups of two blocks, each group 40 bytes:
//   [32 bytes of nibbles][fp16 d of block 2g, d of 2g+1, m of 2g, m of 2g+1]      (40·G bytes: 20·B, ggml's size, for even B)
// 16-bit lane L (0..15) of the nibbles, nibble s (0..3, bits 4s..4s+3), holds element (s%2)·16 + L of block 2g + s/2
// (a missing second block of an odd B is zero, scales included). Scales sit beside their nibbles: one stream per row
// (a first version put all scales at the row's end, in fp32: faster from cache but slower from memory, 24·B bytes).
//   dot(row, x) = Σ_b d_b·Σ_i q_bi·x_bi + m_b·S_b = 16·Σ_b d_b·Σ_i f_bi·x_bi − 16·Σ_b d_b·S_b + Σ_b m_b·S_b
// with f = 1 + q/16 and S_b = Σ_i x_bi (the caller's blockSums).
#include "simd.h"

size_t rag_q4_1_packed_row_bytes(int64_t n) {
    const int64_t blocks = n / 32;
    return (size_t)(40 * ((blocks + 1) / 2));
}

void rag_q4_1_pack_rows(const void *source, size_t sourceRowBytes, void *destination, int64_t rows, int64_t n) {
    const int64_t blocks = n / 32;
    const size_t packedRowBytes = rag_q4_1_packed_row_bytes(n);
    for (int64_t r = 0; r < rows; r++) {
        const uint8_t *src = (const uint8_t *)source + r * sourceRowBytes;
        uint8_t *dst = (uint8_t *)destination + r * packedRowBytes;
        memset(dst, 0, packedRowBytes);
        for (int64_t b = 0; b < blocks; b++) {
            const uint8_t *block = src + 20 * b;
            uint8_t *group = dst + 40 * (b / 2);
            const int second = (int)(b % 2);
            memcpy(group + 32 + 2 * second, block, 2);       // d
            memcpy(group + 36 + 2 * second, block + 2, 2);   // m
            const int firstNibble = 2 * second;              // s of elements 0..15; s + 1 holds 16..31
            for (int lane = 0; lane < 16; lane++) {
                const uint8_t byte = block[4 + lane];        // element lane (low nibble) and lane + 16 (high)
                uint16_t bits = rag_load_u16(group + 2 * lane);
                bits |= (uint16_t)((byte & 0x0F) << (4 * firstNibble));
                bits |= (uint16_t)((byte >> 4) << (4 * (firstNibble + 1)));
                group[2 * lane] = (uint8_t)(bits & 0xFF);
                group[2 * lane + 1] = (uint8_t)(bits >> 8);
            }
        }
    }
}

// The scalar twin: the packed layout read back element by element, d·Σ q·x + m·S per block.
static float dot_packed_portable(const uint8_t *row, const float *x, const float *sums, int64_t blocks) {
    float total = 0;
    for (int64_t b = 0; b < blocks; b++) {
        const uint8_t *group = row + 40 * (b / 2);
        const int second = (int)(b % 2), s = 2 * second;
        float acc = 0;
        for (int lane = 0; lane < 16; lane++) {
            const uint16_t bits = rag_load_u16(group + 2 * lane);
            acc += (float)((bits >> (4 * s)) & 0x0F) * x[32 * b + lane];
            acc += (float)((bits >> (4 * s + 4)) & 0x0F) * x[32 * b + 16 + lane];
        }
        const float d = rag_half_bits_to_float(rag_load_u16(group + 32 + 2 * second));
        const float m = rag_half_bits_to_float(rag_load_u16(group + 36 + 2 * second));
        total += d * acc + m * sums[b];
    }
    return total;
}

#if defined(__x86_64__)
// [d0, d1, m0, m1] of a group as fp32 (one 8-byte load, one conversion).
RAG_SIMD static inline __m128 group_scales(const uint8_t *group) {
    return _mm_cvtph_ps(_mm_loadl_epi64((const __m128i *)(group + 32)));
}

// [S0, S1, S0, S1] for the group's blocks (S1 = 0 for the half group at the end of an odd B).
RAG_SIMD static inline __m128 group_sums(const float *sums, int64_t g, int whole) {
    const __m128 pair = whole ? _mm_castpd_ps(_mm_load_sd((const double *)(sums + 2 * g))) : _mm_load_ss(sums + 2 * g);
    return _mm_movelh_ps(pair, pair);
}

// 16·hsum(nibbleTerms) − 16·(d0S0 + d1S1) + (m0S0 + m1S1), from the side accumulator [Σ d0S0, Σ d1S1, Σ m0S0, Σ m1S1].
RAG_SIMD static inline float finish(float nibbleTerms, __m128 side) {
    const float scaleTerm = _mm_cvtss_f32(side) + _mm_cvtss_f32(_mm_shuffle_ps(side, side, 1));
    const float minTerm = _mm_cvtss_f32(_mm_shuffle_ps(side, side, 2)) + _mm_cvtss_f32(_mm_shuffle_ps(side, side, 3));
    return 16.0f * (nibbleTerms - scaleTerm) + minTerm;
}

// f = 1 + q/16 for nibble s of every 32-bit lane of n: the nibble moved to mantissa bits 19..22, OR the bits of 1.0.
#define F512(n, s) _mm512_castsi512_ps(_mm512_ternarylogic_epi32(_mm512_slli_epi32((n), 19 - 4 * (s)), mantissa, oneBits, 0xEA))

// One group of one row: acc0 += d0·Σ f·x (block 2g), acc1 += d1·Σ f·x (block 2g+1, when `whole`); side += scales·sums.
#define GROUP512(row, g, whole, acc0, acc1, side) do { \
        const uint8_t *group_ = (row) + 40 * (g); \
        const __m128 scales_ = group_scales(group_); \
        side = _mm_fmadd_ps(scales_, sumPair, side); \
        const __m512i n = _mm512_cvtepu16_epi32(_mm256_loadu_si256((const __m256i *)group_)); \
        acc0 = _mm512_fmadd_ps(_mm512_broadcastss_ps(scales_), _mm512_fmadd_ps(F512(n, 1), x1, _mm512_mul_ps(F512(n, 0), x0)), acc0); \
        if (whole) acc1 = _mm512_fmadd_ps(_mm512_broadcastss_ps(_mm_movehdup_ps(scales_)), \
                                          _mm512_fmadd_ps(F512(n, 3), x3, _mm512_mul_ps(F512(n, 2), x2)), acc1); \
    } while (0)

// Two rows per pass share every load of x and of the block sums.
RAG_SIMD512 static void two_rows_avx512(const uint8_t *row0, const uint8_t *row1, const float *x, const float *sums,
                                        int64_t blocks, float *y0, float *y1) {
    const __m512i mantissa = _mm512_set1_epi32(0xF << 19), oneBits = _mm512_set1_epi32(0x3F800000);
    const int64_t full = blocks / 2;
    __m512 a0 = _mm512_setzero_ps(), a1 = _mm512_setzero_ps(), b0 = _mm512_setzero_ps(), b1 = _mm512_setzero_ps();
    __m128 sideA = _mm_setzero_ps(), sideB = _mm_setzero_ps();
    int64_t g = 0;
    for (; g < full; g++) {
        const float *xg = x + 64 * g;
        const __m512 x0 = _mm512_loadu_ps(xg), x1 = _mm512_loadu_ps(xg + 16), x2 = _mm512_loadu_ps(xg + 32), x3 = _mm512_loadu_ps(xg + 48);
        const __m128 sumPair = group_sums(sums, g, 1);
        GROUP512(row0, g, 1, a0, a1, sideA);
        GROUP512(row1, g, 1, b0, b1, sideB);
    }
    if (2 * full < blocks) {
        const float *xg = x + 64 * g;
        const __m512 x0 = _mm512_loadu_ps(xg), x1 = _mm512_loadu_ps(xg + 16), x2 = x0, x3 = x1;
        const __m128 sumPair = group_sums(sums, g, 0);
        GROUP512(row0, g, 0, a0, a1, sideA);
        GROUP512(row1, g, 0, b0, b1, sideB);
    }
    *y0 = finish(_mm512_reduce_add_ps(_mm512_add_ps(a0, a1)), sideA);
    *y1 = finish(_mm512_reduce_add_ps(_mm512_add_ps(b0, b1)), sideB);
}

RAG_SIMD512 static float one_row_avx512(const uint8_t *row, const float *x, const float *sums, int64_t blocks) {
    const __m512i mantissa = _mm512_set1_epi32(0xF << 19), oneBits = _mm512_set1_epi32(0x3F800000);
    const int64_t full = blocks / 2;
    __m512 a0 = _mm512_setzero_ps(), a1 = _mm512_setzero_ps();
    __m128 side = _mm_setzero_ps();
    int64_t g = 0;
    for (; g < full; g++) {
        const float *xg = x + 64 * g;
        const __m512 x0 = _mm512_loadu_ps(xg), x1 = _mm512_loadu_ps(xg + 16), x2 = _mm512_loadu_ps(xg + 32), x3 = _mm512_loadu_ps(xg + 48);
        const __m128 sumPair = group_sums(sums, g, 1);
        GROUP512(row, g, 1, a0, a1, side);
    }
    if (2 * full < blocks) {
        const float *xg = x + 64 * g;
        const __m512 x0 = _mm512_loadu_ps(xg), x1 = _mm512_loadu_ps(xg + 16), x2 = x0, x3 = x1;
        const __m128 sumPair = group_sums(sums, g, 0);
        GROUP512(row, g, 0, a0, a1, side);
    }
    return finish(_mm512_reduce_add_ps(_mm512_add_ps(a0, a1)), side);
}

// Rows ahead of the current pair whose bytes are prefetched. Streaming weights from memory, one core reached ~21 GB/s
// on rows of 576 columns but only ~7 GB/s on rows of 832 or more (the FFN down projection, 1,536 columns): the
// hardware prefetcher stops following two interleaved row streams of that length. Touching the pair 8 rows ahead
// (every cache line, 16–24 prefetches per pair) gave 24–26 GB/s for both widths (a C microbenchmark over 110–220 MB
// of packed rows; 2, 4 and 16 rows ahead measured within ±2 GB/s of 8).
enum { PACKED_PREFETCH_ROWS = 8 };

RAG_SIMD512 static void matvec_packed_avx512(const uint8_t *w, size_t rowBytes, const float *x, const float *sums,
                                             float *y, int64_t r0, int64_t r1, int64_t blocks) {
    int64_t r = r0;
    for (; r + 2 <= r1; r += 2) {
        if (r + PACKED_PREFETCH_ROWS + 2 <= r1) {
            rag_prefetch_lines(w + (r + PACKED_PREFETCH_ROWS) * rowBytes, 2 * rowBytes);
        }
        two_rows_avx512(w + r * rowBytes, w + (r + 1) * rowBytes, x, sums, blocks, y + r, y + r + 1);
    }
    if (r < r1) y[r] = one_row_avx512(w + r * rowBytes, x, sums, blocks);
}

// AVX2: the same layout read as two 8-lane halves per block (no ternary logic: AND, then OR).
#define F256(n, s) _mm256_castsi256_ps(_mm256_or_si256(_mm256_and_si256(_mm256_slli_epi32((n), 19 - 4 * (s)), mantissa), oneBits))

RAG_SIMD static float dot_packed_avx2(const uint8_t *row, const float *x, const float *sums, int64_t blocks) {
    const __m256i mantissa = _mm256_set1_epi32(0xF << 19), oneBits = _mm256_set1_epi32(0x3F800000);
    __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
    __m128 side = _mm_setzero_ps();
    for (int64_t g = 0; 2 * g < blocks; g++) {
        const uint8_t *group = row + 40 * g;
        const int whole = 2 * g + 1 < blocks;
        const __m128 scales = group_scales(group);
        side = _mm_fmadd_ps(scales, group_sums(sums, g, whole), side);
        const __m256i lo = _mm256_cvtepu16_epi32(_mm_loadu_si128((const __m128i *)group));          // lanes 0..7
        const __m256i hi = _mm256_cvtepu16_epi32(_mm_loadu_si128((const __m128i *)(group + 16)));   // lanes 8..15
        const float *xb = x + 64 * g;
        const __m256 d0 = _mm256_broadcastss_ps(scales);
        acc0 = _mm256_fmadd_ps(d0, _mm256_fmadd_ps(F256(lo, 1), _mm256_loadu_ps(xb + 16), _mm256_mul_ps(F256(lo, 0), _mm256_loadu_ps(xb))), acc0);
        acc1 = _mm256_fmadd_ps(d0, _mm256_fmadd_ps(F256(hi, 1), _mm256_loadu_ps(xb + 24), _mm256_mul_ps(F256(hi, 0), _mm256_loadu_ps(xb + 8))), acc1);
        if (whole) {
            const __m256 d1 = _mm256_broadcastss_ps(_mm_movehdup_ps(scales));
            acc0 = _mm256_fmadd_ps(d1, _mm256_fmadd_ps(F256(lo, 3), _mm256_loadu_ps(xb + 48), _mm256_mul_ps(F256(lo, 2), _mm256_loadu_ps(xb + 32))), acc0);
            acc1 = _mm256_fmadd_ps(d1, _mm256_fmadd_ps(F256(hi, 3), _mm256_loadu_ps(xb + 56), _mm256_mul_ps(F256(hi, 2), _mm256_loadu_ps(xb + 40))), acc1);
        }
    }
    return finish(rag_hsum256(_mm256_add_ps(acc0, acc1)), side);
}
#endif

void rag_matvec_q4_1_packed(const void *weights, size_t rowBytes, const float *x, const float *blockSums,
                            float *y, int64_t rowStart, int64_t rowEnd, int64_t n) {
    const uint8_t *w = (const uint8_t *)weights;
    const int64_t blocks = n / 32;
#if defined(__x86_64__)
    const int level = rag_simd_level();
    if (level >= 2) { matvec_packed_avx512(w, rowBytes, x, blockSums, y, rowStart, rowEnd, blocks); return; }
    if (level == 1) {
        for (int64_t r = rowStart; r < rowEnd; r++) {
            if (r + PACKED_PREFETCH_ROWS < rowEnd) {
                rag_prefetch_lines(w + (r + PACKED_PREFETCH_ROWS) * rowBytes, rowBytes);
            }
            y[r] = dot_packed_avx2(w + r * rowBytes, x, blockSums, blocks);
        }
        return;
    }
#endif
    for (int64_t r = rowStart; r < rowEnd; r++) y[r] = dot_packed_portable(w + r * rowBytes, x, blockSums, blocks);
}
