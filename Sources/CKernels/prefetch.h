// Software prefetch of a byte range, one hint per 64-byte cache line, private to CKernels.
// Shared by the matvec kernels (rows a few iterations ahead) and `rag_prefetch` (the next K/V piece).
#ifndef RAG_PREFETCH_H
#define RAG_PREFETCH_H

#include <stddef.h>

static inline void rag_prefetch_lines(const void *p, size_t bytes) {
    for (size_t offset = 0; offset < bytes; offset += 64) __builtin_prefetch((const char *)p + offset, 0, 3);
}

#endif
