#ifndef RAG_CKERNELS_H
#define RAG_CKERNELS_H

#include <stdint.h>
#include <stddef.h>

/// 1 when the CPU supports AVX2 and FMA (kernels fall back to portable C otherwise).
int rag_cpu_has_avx2_fma(void);

#endif
