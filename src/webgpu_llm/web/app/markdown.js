// A small Markdown renderer for model replies, safe by construction: the whole
// input is HTML-escaped first, and only tags made here are added afterwards.
// Covers fenced code blocks, ATX headings, lists (one level), paragraphs,
// horizontal rules, inline code, bold, italic and links (http/https only).
// An unclosed fence runs to the end of the text, so a reply still streaming
// shows its code block as code.

const FENCE = /^\s*(`{3,}|~{3,})\s*([\w+#.-]*)\s*$/;
const HEADING = /^(#{1,6})\s+(.*?)(?:\s+#+)?\s*$/;
const RULE = /^\s{0,3}([-*_])(\s*\1){2,}\s*$/;
const BULLET_ITEM = /^\s*[-*+]\s+(.*)$/;
const ORDERED_ITEM = /^\s*(\d{1,9})[.)]\s+(.*)$/;
// Inline spans already set aside (code, links) are stood in for by
// "\u0000<index>\u0000"; NULs are removed from the input, so none can be forged.
const STASHED = /\u0000(\d+)\u0000/g;
const STASH_MARK = "\u0000";

/** @param {string} text @returns {string} */
export function escapeHtml(text) {
  return text
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&#39;");
}

/**
 * Markdown -> HTML. Safe to assign to innerHTML: every character of `markdown`
 * reaches the output escaped.
 * @param {string} markdown
 * @returns {string}
 */
export function renderMarkdown(markdown) {
  const lines = escapeHtml(markdown.replace(/\u0000/g, "")).replace(/\r\n?/g, "\n").split("\n");
  const html = [];
  let i = 0;
  while (i < lines.length) {
    const line = lines[i];
    if (line.trim() === "") {
      i += 1;
    } else if (FENCE.test(line)) {
      i = renderFence(lines, i, html);
    } else if (HEADING.test(line)) {
      const [, hashes, title] = line.match(HEADING);
      html.push(`<h${hashes.length}>${renderInline(title)}</h${hashes.length}>`);
      i += 1;
    } else if (RULE.test(line)) {
      html.push("<hr>");
      i += 1;
    } else if (BULLET_ITEM.test(line) || ORDERED_ITEM.test(line)) {
      i = renderList(lines, i, html);
    } else {
      i = renderParagraph(lines, i, html);
    }
  }
  return html.join("\n");
}

/** A fenced code block from lines[start]; returns the index after it. */
function renderFence(lines, start, html) {
  const [, fence, language] = lines[start].match(FENCE);
  const body = [];
  let i = start + 1;
  // The closing fence is the same character, at least as long (CommonMark).
  while (i < lines.length && !isClosingFence(lines[i], fence)) {
    body.push(lines[i]);
    i += 1;
  }
  const languageClass = language ? ` class="language-${language}"` : "";
  html.push(`<pre><code${languageClass}>${body.join("\n")}</code></pre>`);
  return i + 1;
}

function isClosingFence(line, fence) {
  const trimmed = line.trim();
  return trimmed.length >= fence.length && trimmed === fence[0].repeat(trimmed.length);
}

/** Consecutive items of one kind (bullets or numbers); returns the index after them. */
function renderList(lines, start, html) {
  const ordered = !BULLET_ITEM.test(lines[start]);
  const itemPattern = ordered ? ORDERED_ITEM : BULLET_ITEM;
  const items = [];
  let i = start;
  while (i < lines.length && lines[i].trim() !== "") {
    const match = lines[i].match(itemPattern);
    if (match) {
      items.push(ordered ? match[2] : match[1]);
    } else if (isBlockStart(lines[i]) || items.length === 0) {
      break;
    } else {
      // A continuation line belongs to the item above it.
      items[items.length - 1] += "\n" + lines[i].trim();
    }
    i += 1;
  }
  const tag = ordered ? "ol" : "ul";
  const first = ordered ? Number(lines[start].match(ORDERED_ITEM)[1]) : 1;
  const startAttribute = ordered && first !== 1 ? ` start="${first}"` : "";
  const body = items.map((item) => `<li>${renderInline(item)}</li>`).join("");
  html.push(`<${tag}${startAttribute}>${body}</${tag}>`);
  return i;
}

/** Lines up to a blank line or another block; returns the index after them. */
function renderParagraph(lines, start, html) {
  const body = [lines[start]];
  let i = start + 1;
  while (i < lines.length && lines[i].trim() !== "" && !isBlockStart(lines[i])) {
    body.push(lines[i]);
    i += 1;
  }
  html.push(`<p>${renderInline(body.map((line) => line.trim()).join("\n"))}</p>`);
  return i;
}

function isBlockStart(line) {
  return FENCE.test(line) || HEADING.test(line) || RULE.test(line)
    || BULLET_ITEM.test(line) || ORDERED_ITEM.test(line);
}

/**
 * Inline Markdown of already-escaped text. Code spans and links are set aside
 * first so that emphasis never reaches inside them (a "_" in a URL stays a "_").
 * @param {string} text escaped text
 */
function renderInline(text) {
  const stash = [];
  const setAside = (html) => `\u0000${stash.push(html) - 1}\u0000`;
  let out = text.replace(/(`+)([^`]|[^`][\s\S]*?[^`])\1(?!`)/g,
    (_, ticks, code) => setAside(`<code>${code.trim()}</code>`));
  out = out.replace(/\[([^\]\n]+)\]\(\s*([^()\s]+)\s*\)/g, (whole, label, url) => {
    // Only web links: "javascript:", "data:" and relative URLs stay plain text.
    if (!/^https?:\/\/[^\s]/i.test(url)) return whole;
    return setAside(`<a href="${url}" target="_blank" rel="noopener noreferrer">${renderEmphasis(label)}</a>`);
  });
  out = renderEmphasis(out).replace(/\n/g, "<br>");
  // A stashed link label may hold stashed code: restore until none is left.
  while (out.includes(STASH_MARK)) out = out.replace(STASHED, (_, index) => stash[Number(index)]);
  return out;
}

function renderEmphasis(text) {
  return text
    .replace(/\*\*(?=\S)([\s\S]*?\S)\*\*/g, "<strong>$1</strong>")
    .replace(/(^|[^\w])__(?=\S)([\s\S]*?\S)__(?![\w])/g, "$1<strong>$2</strong>")
    .replace(/\*(?=[^\s*])([^*]*?[^\s*])\*/g, "<em>$1</em>")
    .replace(/(^|[^\w])_(?=[^\s_])([^_]*?[^\s_])_(?![\w])/g, "$1<em>$2</em>");
}
