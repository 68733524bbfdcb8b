#!/usr/bin/env bash
# Change-to-searchable latency and idle CPU of `rag ingest --watch` (issue 24), on a temp folder.
# Usage: benchmarks/watch-latency.sh [RAG]   (default .build/release/rag)
set -euo pipefail
RAG="${1:-.build/release/rag}"
dir="$(mktemp -d)"; trap 'kill "$watcher" 2>/dev/null || true; rm -rf "$dir"' EXIT
mkdir -p "$dir/docs"
cp corpora/attention/kv-cache.md "$dir/docs/"
"$RAG" -q --db "$dir/i.sqlite" ingest "$dir/docs"
"$RAG" -q --db "$dir/i.sqlite" ingest --watch "$dir/docs" 2> "$dir/watch.log" &
watcher=$!
sleep 3
for n in 1 2 3 4 5; do
  word="zqxwv$n$RANDOM"
  start=$(date +%s.%N)
  printf '# Note %s\n\nThe code word of this note is %s.\n' "$n" "$word" > "$dir/docs/new-$n.md"
  until "$RAG" -q --db "$dir/i.sqlite" search --mode lexical -k 1 "$word" 2>/dev/null | grep -q "new-$n.md"; do sleep 0.05; done
  end=$(date +%s.%N)
  echo "write to searchable: $(echo "$end - $start" | bc) s"
done
t0=$(awk '{print $14+$15}' /proc/$watcher/stat)
sleep 30
t1=$(awk '{print $14+$15}' /proc/$watcher/stat)
echo "idle CPU over 30 s: $(( (t1 - t0) * 10 )) ms (clock ticks of 10 ms)"
