#!/bin/sh
# Runs the attention benchmarks behind benchmarks/attention.md, writing JSON lines to benchmarks/attention/.
# Three streams run side by side (each uses 2 threads). Sizes are chosen to finish in about an hour on the
# 2-core machine: fewer depths than the 10 of the full protocol (stated in attention.md).
# Usage: benchmarks/run-attention.sh [path/to/rag]   (build first: swift build -c release)
set -u
RAG=${1:-.build/release/rag}
OUT=benchmarks/attention
mkdir -p "$OUT"

# Perplexity text: GPL-3 followed by the start of GPL-2 (about 8.3K tokens; public license text stands in for a
# public-domain novel, which no installed Debian package provides as plain text).
TEXT="$OUT/perplexity-text.txt"
if [ ! -f "$TEXT" ]; then
    { cat /usr/share/common-licenses/GPL-3; head -c 3000 /usr/share/common-licenses/GPL-2; } > "$TEXT"
fi

stream_topk() {
    "$RAG" bench passkey --attention topk --lengths 4096 --depths 3 >> "$OUT/passkey.jsonl"
    "$RAG" bench passkey --attention topk --lengths 2048,8192 --depths 2 >> "$OUT/passkey.jsonl"
    "$RAG" bench passkey --attention topk --lengths 16384 --depths 2 >> "$OUT/passkey.jsonl"
    "$RAG" bench passkey --attention topk --lengths 32768 --depths 1 >> "$OUT/passkey.jsonl"
}

stream_dense_window() {
    "$RAG" bench passkey --attention dense --lengths 2048,4096,8192 --depths 2 >> "$OUT/passkey.jsonl"
    "$RAG" bench passkey --attention window --lengths 2048,4096,8192 --depths 2 >> "$OUT/passkey.jsonl"
    "$RAG" bench passkey --attention window --lengths 16384 --depths 1 >> "$OUT/passkey.jsonl"
}

stream_speed_perplexity() {
    for policy in topk window dense; do
        "$RAG" bench attention --attention "$policy" --decode 16 >> "$OUT/decode.jsonl"
    done
    for context in 2048 4096 8192; do
        "$RAG" bench perplexity "$TEXT" --context "$context" --attention dense >> "$OUT/perplexity.jsonl"
    done
    for context in 4096 8192; do
        "$RAG" bench perplexity "$TEXT" --context "$context" --attention window >> "$OUT/perplexity.jsonl"
        "$RAG" bench perplexity "$TEXT" --context "$context" --attention topk >> "$OUT/perplexity.jsonl"
    done
}

stream_topk 2> "$OUT/log-topk.txt" &
stream_dense_window 2> "$OUT/log-dense-window.txt" &
stream_speed_perplexity 2> "$OUT/log-speed-perplexity.txt" &
wait
