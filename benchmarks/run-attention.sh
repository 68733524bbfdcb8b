#!/bin/sh
# The attention benchmarks behind benchmarks/attention.md, as they were run: JSON lines in benchmarks/attention/,
# progress in benchmarks/attention/log-*.txt. Four streams side by side (the machine has 2 cores shared with other
# jobs; a 4K-token prefill took 4-6 minutes there). Sizes are cut down from the full protocol (10 depths at
# 2K..32K per policy), as stated in attention.md.
# Usage: benchmarks/run-attention.sh [path/to/rag]   (build first: swift build -c release)
set -u
RAG=${1:-.build/release/rag}
OUT=benchmarks/attention
mkdir -p "$OUT"

# Perplexity text: GPL-3 followed by the start of GPL-2 (8,304 tokens). No installed Debian package ships a
# public-domain novel as plain text (r-cran-janeaustenr stores it as R data), so license prose stands in.
TEXT="$OUT/perplexity-text.txt"
if [ ! -f "$TEXT" ]; then
    { cat /usr/share/common-licenses/GPL-3; head -c 3000 /usr/share/common-licenses/GPL-2; } > "$TEXT"
fi

passkey_topk() {
    "$RAG" bench passkey --attention topk --lengths 4096 --depths 3
    "$RAG" bench passkey --attention topk --lengths 16384 --depths 1
    "$RAG" bench passkey --attention topk --lengths 32768 --depths 1
}

passkey_dense_window() {
    "$RAG" bench passkey --attention dense --lengths 4096,8192 --depths 1
    "$RAG" bench passkey --attention window --lengths 2048,4096,8192 --depths 2
}

perplexity() {
    "$RAG" bench perplexity "$TEXT" --context 2048 --attention dense
    for context in 8192 4096; do
        for policy in dense topk window; do
            "$RAG" bench perplexity "$TEXT" --context "$context" --attention "$policy"
        done
    done
}

decode() {
    # One thread: no fork/join waits, and CPU time measures the cost even when the machine is oversubscribed.
    for policy in topk dense window; do
        "$RAG" bench attention --attention "$policy" --decode 16 --threads 1
    done
}

passkey_topk >> "$OUT/passkey.jsonl" 2> "$OUT/log-topk.txt" &
passkey_dense_window >> "$OUT/passkey.jsonl" 2> "$OUT/log-dense-window.txt" &
perplexity >> "$OUT/perplexity.jsonl" 2> "$OUT/log-perplexity.txt" &
decode >> "$OUT/decode-1thread.jsonl" 2> "$OUT/log-decode1.txt" &
wait
scripts/plot-attention "$OUT"
