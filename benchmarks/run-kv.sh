#!/bin/sh
# KV-cache precision and top-k decode speed (issue #7), as run for benchmarks/attention.md: JSON lines in
# benchmarks/attention/decode-kv.jsonl (1 thread; tokens per CPU second and wall clock) and decode-kv-2threads.jsonl
# (wall clock, 2 threads), perplexity in perplexity-kv.jsonl. Runs one after another (the machine has 2 cores shared
# with other jobs).
# Usage: benchmarks/run-kv.sh [path/to/rag]   (build first: swift build -c release)
set -u
RAG=${1:-.build/release/rag}
OUT=benchmarks/attention
TEXT="$OUT/perplexity-text.txt"

decode() {   # $1 = threads
    for cache in f32 f16; do
        for policy in dense topk window; do
            "$RAG" bench attention --attention "$policy" --kv-cache "$cache" --decode 64 --threads "$1"
        done
    done
}

perplexity() {
    for context in 4096 8192; do
        "$RAG" bench perplexity "$TEXT" --context "$context" --attention topk --threads 1
        "$RAG" bench perplexity "$TEXT" --context "$context" --attention topk --kv-cache f16 --threads 1
        "$RAG" bench perplexity "$TEXT" --context "$context" --attention dense --kv-cache f16 --threads 1
    done
}

case "${2:-all}" in
    decode1) decode 1 >> "$OUT/decode-kv.jsonl" ;;
    decode2) decode 2 >> "$OUT/decode-kv-2threads.jsonl" ;;
    perplexity) perplexity >> "$OUT/perplexity-kv.jsonl" ;;
    all)
        decode 1 >> "$OUT/decode-kv.jsonl"
        decode 2 >> "$OUT/decode-kv-2threads.jsonl"
        perplexity >> "$OUT/perplexity-kv.jsonl"
        scripts/plot-attention "$OUT" ;;
esac
