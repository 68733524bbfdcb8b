#!/usr/bin/env python3
"""Scores what the chat memory kept after a scripted conversation (issue 25's chat target).

Input: the `rag chat --json` output of a script whose last line is `/summary` (JSON turns, then the summary text).
Numbers and names stated by the cited answers: tokens with a digit ("4,096", "70B", "Q4_1") and capitalized words
that do not start a sentence ("Mistral", "StreamingLLM"). Kept = the memory text (summary lines plus the recent
turns it keeps verbatim) holds them. Invented = numbers and names in the summary lines that neither an answer nor a
question of the conversation stated.

Usage: score-memory.py CHAT.jsonl
"""
import json, re, sys

TOKEN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.,/-]*[A-Za-z0-9]|[A-Za-z0-9]")

def items(text):
    found = set()
    words = TOKEN.findall(text)
    sentence_start = True
    for raw in re.findall(r"\S+|\n", text):
        if raw == "\n":
            sentence_start = True
            continue
        if re.fullmatch(r"\(?[\w./-]+:\d+-\d+\)?", raw):   # a source reference, not a statement
            continue
        word = raw.strip("()[]\"'“”‘’:;,.!?")
        if not word:
            continue
        if any(c.isdigit() for c in word):
            found.add(word)
        elif word[0].isupper() and not sentence_start and len(word) > 1:
            found.add(word)
        sentence_start = raw.endswith((".", "?", "!", ":"))
    return found

turns, summary_lines = [], []
for line in open(sys.argv[1]):
    line = line.rstrip("\n")
    if line.startswith("{"):
        turns.append(json.loads(line))
    elif line.strip():
        summary_lines.append(line)
summary = "\n".join(l for l in summary_lines if not l.startswith("Summary of turns") and not l.startswith("(memory:"))
recent_note = next((l for l in summary_lines if l.startswith("(memory:")), "")
m = re.search(r"(\d+) recent turn", recent_note)
recent = int(m.group(1)) if m else 0
answered = [t for t in turns if not t["answer"].startswith("The documents don't say")]
stated = set()
for t in answered:
    stated |= items(re.sub(r"\[\d+\]", "", t["answer"]))
memory_text = summary + "\n" + "\n".join(t["question"] + " " + t["answer"] for t in turns[len(turns) - recent:])
kept = {i for i in stated if i in memory_text}
said = set()
for t in turns:
    said |= items(re.sub(r"\[\d+\]", "", t["answer"])) | items(t["question"])
invented = items(summary) - said
print(json.dumps({"turns": len(turns), "answered": len(answered), "stated": len(stated), "kept": len(kept),
                  "kept_share": round(len(kept) / max(1, len(stated)), 3), "invented": sorted(invented),
                  "summary_tokens": turns[-1].get("summary_tokens"), "memory_tokens": turns[-1].get("memory_tokens"),
                  "lost": sorted(stated - kept)}, indent=1))
