// The one CPU dispatch of CKernels: what this CPU supports (asked once), and the level every kernel runs at.
//
//   level 0: portable C (the scalar twins)
//   level 1: AVX2 + FMA + F16C
//   level 2: AVX-512F on top of level 1 (the quantized matvecs and the decode page-bound scan)
//
// Kernels ask `rag_simd_level()` on each call; tests lower it with `rag_simd_set_level` to compare every path.
// The int8 GEMM of the embedder takes its kernel as an argument instead (`rag_int8_gemm_kernel()` is the best one).
#include "simd.h"

typedef struct {
    int avx2_fma;     // AVX2 and FMA
    int level1;       // AVX2, FMA and F16C
    int avx512f;      // level 1 and AVX-512F
    int avx512_vnni;  // level 1 and AVX-512 F, BW, VL and VNNI (the int8 GEMM's best kernel)
} CPUFeatures;

// Written once by the first caller (a race between two first callers writes the same values).
static CPUFeatures features;
static int detected = 0;
// The cap tests set: 0, 1 or 2.
static int level_cap = 2;

static const CPUFeatures *cpu(void) {
    if (!detected) {
#if defined(__x86_64__)
        __builtin_cpu_init();
        features.avx2_fma = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
        features.level1 = features.avx2_fma && __builtin_cpu_supports("f16c");
        features.avx512f = features.level1 && __builtin_cpu_supports("avx512f");
        features.avx512_vnni = features.avx512f && __builtin_cpu_supports("avx512bw") &&
                               __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512vnni");
#endif
        detected = 1;
    }
    return &features;
}

int rag_cpu_has_avx2_fma(void) { return cpu()->avx2_fma; }

int rag_simd_level(void) {
    const CPUFeatures *f = cpu();
    const int supported = f->avx512f ? 2 : (f->level1 ? 1 : 0);
    return supported < level_cap ? supported : level_cap;
}

int rag_simd_set_level(int level) {
    level_cap = level;
    return rag_simd_level();
}

int rag_int8_gemm_kernel(void) {
    const CPUFeatures *f = cpu();
    return f->avx512_vnni ? 2 : (f->level1 ? 1 : 0);
}

void rag_cpu_relax(void) {
#if defined(__x86_64__)
    __builtin_ia32_pause();
#endif
}
