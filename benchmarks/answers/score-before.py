#!/usr/bin/env python3
"""Scores an earlier `rag` binary (one without `eval answers --split`) on eval/answers/*.jsonl with the same rules
as `rag eval answers`: the answer states an accepted answer (case-insensitive, whitespace collapsed, × as x,
dashes as hyphens) and is not a refusal; gold cited = a cited source is a gold file; unanswerable = refused.

Usage: score-before.py RAG_BINARY DB QUESTIONS.jsonl SPLIT   (SPLIT: dev | test)
"""
import json, statistics, subprocess, sys, time

def split_of(qid):
    h = 0xcbf29ce484222325
    for b in qid.encode():
        h ^= b
        h = (h * 0x100000001b3) & 0xFFFFFFFFFFFFFFFF
    return "dev" if h % 100 < 60 else "test"

def norm(text):
    t = text.lower()
    for a, b in [("×", "x"), ("–", "-"), ("—", "-"), ("\u2009", " "), ("\u00a0", " "), ("’", "'"), ("`", "")]:
        t = t.replace(a, b)
    return " ".join(t.split())

binary, db, path, split = sys.argv[1:5]
rows = [json.loads(l) for l in open(path) if l.strip()]
rows = [r for r in rows if split_of(r["id"]) == split]
ans = right = gold = una = refused = false_ref = 0
times = []
for r in rows:
    start = time.time()
    out = subprocess.run([binary, "--db", db, "-q", "ask", "--json", r["query"]], capture_output=True, text=True)
    times.append(time.time() - start)
    try:
        result = json.loads(out.stdout)
    except Exception:
        result = {"answer": "", "sources": []}
    answer = result.get("answer", "")
    is_refusal = "documents don't say" in answer.lower() or "documents do not say" in answer.lower()
    cited = {s["path"] for s in result.get("sources", []) if s.get("cited")}
    if r["gold_files"]:
        ans += 1
        ok = not is_refusal and any(norm(a) in norm(answer) for a in r["answers"])
        right += ok
        gold += ok and bool(cited & set(r["gold_files"]))
        false_ref += is_refusal
    else:
        una += 1
        refused += is_refusal
    print(f"{r['id']}: {'right' if r['gold_files'] and ok else ''} {answer[:100]!r}", file=sys.stderr)
print(json.dumps({"file": path, "split": split, "answerable": ans, "correct": right, "correct_citing_gold": gold,
                  "unanswerable": una, "refused": refused, "false_refusals": false_ref,
                  "median_seconds": round(statistics.median(times), 2)}))
