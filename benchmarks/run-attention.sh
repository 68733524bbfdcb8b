#!/bin/sh
# The attention benchmarks behind benchmarks/attention.md: JSON in benchmarks/attention/, progress lines in
# benchmarks/attention/log-*.txt. Last run: dense and window on 2026-11-25 (main after the kv merge); the topk lines
# (passkey, perplexity, decode-32k-sinks64.jsonl) again later that day with the current defaults (main 932a846).
# Usage: benchmarks/run-attention.sh [path/to/rag]   (build first: swift build -c release)
# The fp16/fp32 decode matrix and the budget/page-size perplexity sweep are in benchmarks/run-kv.sh.
set -u
RAG=${1:-.build/release/rag}
OUT=benchmarks/attention
TEXT="$OUT/pride-and-prejudice.txt"
# Public-domain text for perplexity: the first 80,000 characters of Pride and Prejudice (~18K tokens), extracted
# from Debian's r-cran-janeaustenr without installing R.
[ -f "$TEXT" ] || scripts/austen-text --chars 80000 "$TEXT"

# Decode at 32K, dense vs topk interleaved twice (tokens per CPU second, one thread).
for policy in dense topk dense topk; do
    "$RAG" bench attention --attention "$policy" --contexts 32768 --decode 32 --threads 1
done >> "$OUT/decode-32k-sinks64.jsonl"

# Perplexity at 2K (dense; both sparse policies equal it there), 4K and 8K per policy.
{
    for context in 4096 8192; do
        for policy in dense topk window; do
            "$RAG" bench perplexity "$TEXT" --context "$context" --attention "$policy"
        done
    done
    "$RAG" bench perplexity "$TEXT" --context 2048 --attention dense
    "$RAG" bench perplexity "$TEXT" --context 2048 --attention topk
} >> "$OUT/perplexity-austen.jsonl"

# Passkey: 10 depths per length and policy (dense only inside its trained 8K).
"$RAG" bench passkey --attention dense --lengths 2048,4096,8192 --depths 10 > "$OUT/passkey-dense.json"
"$RAG" bench passkey --attention topk --lengths 2048 --depths 10 > "$OUT/passkey-topk-2k.json"
"$RAG" bench passkey --attention topk --lengths 4096,8192 --depths 10 > "$OUT/passkey-topk-4k-8k.json"
"$RAG" bench passkey --attention topk --lengths 16384 --depths 10 > "$OUT/passkey-topk-16k.json"
"$RAG" bench passkey --attention topk --lengths 32768 --depths 10 > "$OUT/passkey-topk-32k.json"
"$RAG" bench passkey --attention window --lengths 2048 --depths 10 > "$OUT/passkey-window-2k.json"
"$RAG" bench passkey --attention window --lengths 4096,8192 --depths 10 > "$OUT/passkey-window-4k-8k.json"
"$RAG" bench passkey --attention window --lengths 16384,32768 --depths 3 > "$OUT/passkey-window-16k-32k.json"
scripts/plot-attention "$OUT"
