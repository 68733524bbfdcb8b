/// `GET /`: one self-contained page (no external assets, no build step). It asks through
/// `/v1/chat/completions` with `stream: true`, shows the answer as it streams in, lists the sources, and shows a
/// source's cited lines (`/api/source`) when clicked. Text from the server is only ever set as `textContent`.
enum WebPage {
    static let html = #"""
<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>rag</title>
<style>
  body { font: 16px/1.5 system-ui, sans-serif; max-width: 52rem; margin: 2rem auto; padding: 0 1rem; color: #222; }
  h1 { font-size: 1.3rem; margin-bottom: .2rem; }
  #status { color: #666; font-size: .9rem; margin-bottom: 1rem; }
  form { display: flex; gap: .5rem; }
  textarea { flex: 1; font: inherit; padding: .5rem; min-height: 3rem; }
  button { font: inherit; padding: .4rem 1rem; }
  .turn { border-top: 1px solid #ddd; padding: .8rem 0; }
  .question { font-weight: 600; }
  .answer { white-space: pre-wrap; margin: .4rem 0; }
  .error { color: #a00; }
  ol.sources { padding-left: 1.2rem; font-size: .92rem; }
  ol.sources a { color: #036; text-decoration: none; }
  ol.sources li.cited a { font-weight: 600; }
  pre.excerpt { background: #f6f6f6; padding: .6rem; overflow-x: auto; font-size: .85rem; white-space: pre-wrap; }
</style>
</head>
<body>
<h1>Ask your documents</h1>
<div id="status">…</div>
<form id="ask">
  <textarea id="question" placeholder="Ask a question about the indexed documents" required></textarea>
  <div><button id="send" type="submit">Ask</button><br><button id="reset" type="button">New</button></div>
</form>
<div id="turns"></div>
<script>
"use strict";
const messages = [];
const $ = (id) => document.getElementById(id);
function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}
fetch("/api/status").then(r => r.json()).then(s => {
  const index = s.index;
  $("status").textContent = index ? `${index.documents} documents, ${index.chunks} chunks · model ${s.model}` : `model ${s.model}`;
}).catch(() => { $("status").textContent = ""; });

$("reset").addEventListener("click", () => { messages.length = 0; $("turns").textContent = ""; });
$("question").addEventListener("keydown", (e) => {
  if (e.key === "Enter" && !e.shiftKey) { e.preventDefault(); $("ask").requestSubmit(); }
});
$("ask").addEventListener("submit", async (event) => {
  event.preventDefault();
  const question = $("question").value.trim();
  if (!question) return;
  $("question").value = "";
  $("send").disabled = true;
  const turn = el("div", "turn");
  turn.appendChild(el("div", "question", question));
  const answer = el("div", "answer");
  turn.appendChild(answer);
  const sources = el("ol", "sources");
  turn.appendChild(sources);
  $("turns").prepend(turn);
  messages.push({ role: "user", content: question });
  try {
    const text = await stream(answer, sources);
    messages.push({ role: "assistant", content: text });
  } catch (error) {
    messages.pop();
    turn.appendChild(el("div", "error", String(error.message || error)));
  } finally {
    $("send").disabled = false;
  }
});

// A link to the page with ?q=question asks it on load (bookmarks, links from other tools).
const asked = new URLSearchParams(location.search).get("q");
if (asked) { $("question").value = asked; $("ask").requestSubmit(); }

async function stream(answer, sources) {
  const response = await fetch("/v1/chat/completions", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ model: "rag", stream: true, messages }),
  });
  if (!response.ok) {
    let message = `HTTP ${response.status}`;
    try { message = (await response.json()).error.message; } catch (_) {}
    throw new Error(message);
  }
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let buffer = "", text = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += decoder.decode(value, { stream: true });
    let cut;
    while ((cut = buffer.indexOf("\n\n")) >= 0) {
      const event = buffer.slice(0, cut);
      buffer = buffer.slice(cut + 2);
      for (const line of event.split("\n")) {
        if (!line.startsWith("data: ")) continue;
        const data = line.slice(6);
        if (data === "[DONE]") return text;
        const chunk = JSON.parse(data);
        if (chunk.error) throw new Error(chunk.error.message);
        const piece = chunk.choices && chunk.choices[0] && chunk.choices[0].delta.content;
        if (piece) { text += piece; answer.textContent = text; }
        if (chunk.sources) showSources(sources, chunk.sources);
      }
    }
  }
  return text;
}

function showSources(list, found) {
  list.textContent = "";
  for (const source of found) {
    const item = el("li", source.cited ? "cited" : "");
    item.value = source.n;
    const link = el("a", "", `${source.path}:${source.start_line}-${source.end_line}` + (source.heading ? ` — ${source.heading}` : ""));
    link.href = "#";
    link.addEventListener("click", (e) => { e.preventDefault(); toggleExcerpt(item, source); });
    item.appendChild(link);
    list.appendChild(item);
  }
}

async function toggleExcerpt(item, source) {
  const open = item.querySelector("pre");
  if (open) { open.remove(); return; }
  const pre = el("pre", "excerpt", "…");
  item.appendChild(pre);
  const query = new URLSearchParams({ path: source.path, start: source.start_line, end: source.end_line });
  try {
    const response = await fetch("/api/source?" + query);
    const body = await response.json();
    if (!response.ok) throw new Error(body.error.message);
    pre.textContent = body.lines.map(l => String(l.n).padStart(5) + "  " + l.text).join("\n");
  } catch (error) {
    pre.textContent = String(error.message || error);
  }
}
</script>
</body>
</html>
"""#
}
