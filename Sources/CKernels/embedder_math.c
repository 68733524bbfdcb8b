// Element-wise and row-wise math of the BERT embedder: exact-erf GELU and row softmax.
// AVX2/FMA/F16C when cpu.c says so, portable C otherwise. Scalar twins: ReferenceBertKernels (Swift, libm, Double).
#include "simd.h"

#include <math.h>

#if defined(__x86_64__)

// erf as an odd rational function on [-4, 4] (erf is +-1 in float beyond); coefficients of Eigen's float erf.
RAG_SIMD static RAG_INLINE __m256 erf8(__m256 x) {
    x = _mm256_min_ps(_mm256_max_ps(x, _mm256_set1_ps(-4.0f)), _mm256_set1_ps(4.0f));
    __m256 x2 = _mm256_mul_ps(x, x);
    __m256 p = _mm256_fmadd_ps(x2, _mm256_set1_ps(-2.72614225801306e-10f), _mm256_set1_ps(2.77068142495902e-08f));
    p = _mm256_fmadd_ps(x2, p, _mm256_set1_ps(-2.10102402082508e-06f));
    p = _mm256_fmadd_ps(x2, p, _mm256_set1_ps(-5.69250639462346e-05f));
    p = _mm256_fmadd_ps(x2, p, _mm256_set1_ps(-7.34990630326855e-04f));
    p = _mm256_fmadd_ps(x2, p, _mm256_set1_ps(-2.95459980854025e-03f));
    p = _mm256_fmadd_ps(x2, p, _mm256_set1_ps(-1.60960333262415e-02f));
    p = _mm256_mul_ps(x, p);
    __m256 q = _mm256_fmadd_ps(x2, _mm256_set1_ps(-1.45660718464996e-05f), _mm256_set1_ps(-2.13374055278905e-04f));
    q = _mm256_fmadd_ps(x2, q, _mm256_set1_ps(-1.68282697438203e-03f));
    q = _mm256_fmadd_ps(x2, q, _mm256_set1_ps(-7.37332916720468e-03f));
    q = _mm256_fmadd_ps(x2, q, _mm256_set1_ps(-1.42647390514189e-02f));
    return _mm256_div_ps(p, q);
}

RAG_SIMD static void gelu_avx2(float *x, size_t count) {
    const __m256 half = _mm256_set1_ps(0.5f), one = _mm256_set1_ps(1.0f), rsqrt2 = _mm256_set1_ps(0.70710678118654752f);
    size_t i = 0;
    for (; i + 8 <= count; i += 8) {
        __m256 v = _mm256_loadu_ps(x + i);
        __m256 y = _mm256_mul_ps(_mm256_mul_ps(v, half), _mm256_add_ps(one, erf8(_mm256_mul_ps(v, rsqrt2))));
        _mm256_storeu_ps(x + i, y);
    }
    if (i < count) {
        float tail[8] = {0};
        for (size_t j = i; j < count; j++) tail[j - i] = x[j];
        __m256 v = _mm256_loadu_ps(tail);
        _mm256_storeu_ps(tail, _mm256_mul_ps(_mm256_mul_ps(v, half), _mm256_add_ps(one, erf8(_mm256_mul_ps(v, rsqrt2)))));
        for (size_t j = i; j < count; j++) x[j] = tail[j - i];
    }
}

RAG_SIMD static void softmax_rows_avx2(float *x, int rows, int columns) {
    for (int r = 0; r < rows; r++) {
        float *row = x + (size_t)r * columns;
        int body = columns & ~7;
        __m256 vmax = _mm256_set1_ps(-INFINITY);
        for (int i = 0; i < body; i += 8) vmax = _mm256_max_ps(vmax, _mm256_loadu_ps(row + i));
        float maximum = rag_hmax256(vmax);
        for (int i = body; i < columns; i++) if (row[i] > maximum) maximum = row[i];
        const __m256 m = _mm256_set1_ps(maximum);
        __m256 vsum = _mm256_setzero_ps();
        for (int i = 0; i < body; i += 8) {
            __m256 e = rag_exp256(_mm256_sub_ps(_mm256_loadu_ps(row + i), m));
            _mm256_storeu_ps(row + i, e);
            vsum = _mm256_add_ps(vsum, e);
        }
        float sum = rag_hsum256(vsum);
        if (body < columns) {
            float tail[8];
            for (int i = 0; i < 8; i++) tail[i] = body + i < columns ? row[body + i] - maximum : -INFINITY;
            _mm256_storeu_ps(tail, rag_exp256(_mm256_loadu_ps(tail)));
            for (int i = body; i < columns; i++) { row[i] = tail[i - body]; sum += row[i]; }
        }
        const __m256 inverse = _mm256_set1_ps(1.0f / sum);
        for (int i = 0; i < body; i += 8) _mm256_storeu_ps(row + i, _mm256_mul_ps(_mm256_loadu_ps(row + i), inverse));
        for (int i = body; i < columns; i++) row[i] *= 1.0f / sum;
    }
}
#endif

void rag_gelu_erf(float *x, size_t count) {
#if defined(__x86_64__)
    if (rag_simd_level() >= 1) { gelu_avx2(x, count); return; }
#endif
    for (size_t i = 0; i < count; i++) x[i] = 0.5f * x[i] * (1.0f + erff(x[i] * 0.70710678118654752f));
}

void rag_softmax_rows(float *x, int rows, int columns) {
#if defined(__x86_64__)
    if (rag_simd_level() >= 1) { softmax_rows_avx2(x, rows, columns); return; }
#endif
    for (int r = 0; r < rows; r++) {
        float *row = x + (size_t)r * columns;
        float maximum = -INFINITY, sum = 0;
        for (int i = 0; i < columns; i++) if (row[i] > maximum) maximum = row[i];
        for (int i = 0; i < columns; i++) { row[i] = expf(row[i] - maximum); sum += row[i]; }
        for (int i = 0; i < columns; i++) row[i] /= sum;
    }
}

