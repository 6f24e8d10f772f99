// A small Markdown reader for DataStoryBot narratives. It never produces HTML text: parse() returns a tree of plain
// objects ({tag, children, href?}) and strings, and toDom() builds DOM nodes from an allow-list of tags with
// createElement/createTextNode, so any markup in the source (a <script>, an onerror attribute) stays literal text.
// Supported: ATX headings, paragraphs, emphasis, strong, inline code, fenced code, bullet and numbered lists,
// block quotes, pipe tables, horizontal rules, and links with http(s)/mailto targets (others become plain text).

const ALLOWED = new Set(['h2', 'h3', 'h4', 'h5', 'h6', 'p', 'strong', 'em', 'code', 'pre', 'ul', 'ol', 'li',
  'blockquote', 'table', 'thead', 'tbody', 'tr', 'th', 'td', 'hr', 'a', 'br']);
const SAFE_HREF = /^(https?:\/\/|mailto:)[^\s]+$/i;

export function parse(markdown) {
  const lines = String(markdown ?? '').replace(/\r\n?/g, '\n').split('\n');
  return blocks(lines);
}

function blocks(lines) {
  const out = [];
  let i = 0;
  while (i < lines.length) {
    const line = lines[i];
    if (/^\s*$/.test(line)) { i++; continue; }
    let m;
    if ((m = /^\s{0,3}(`{3,}|~{3,})/.exec(line))) {
      const fence = m[1];
      const body = [];
      i++;
      while (i < lines.length && !lines[i].trimStart().startsWith(fence)) { body.push(lines[i]); i++; }
      i++;
      out.push({ tag: 'pre', children: [{ tag: 'code', children: [body.join('\n')] }] });
      continue;
    }
    if ((m = /^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$/.exec(line))) {
      // the page's own title is the h1: a narrative's levels start at h2
      out.push({ tag: 'h' + Math.min(6, m[1].length + 1), children: inline(m[2]) });
      i++;
      continue;
    }
    if (/^\s{0,3}([-*_])(\s*\1){2,}\s*$/.test(line)) { out.push({ tag: 'hr', children: [] }); i++; continue; }
    if (/^\s{0,3}>/.test(line)) {
      const quoted = [];
      while (i < lines.length && /^\s{0,3}>/.test(lines[i])) { quoted.push(lines[i].replace(/^\s{0,3}>\s?/, '')); i++; }
      out.push({ tag: 'blockquote', children: blocks(quoted) });
      continue;
    }
    if (isTableStart(lines, i)) {
      const header = cells(lines[i]);
      i += 2;
      const rows = [];
      while (i < lines.length && lines[i].includes('|') && !/^\s*$/.test(lines[i])) { rows.push(cells(lines[i])); i++; }
      out.push({ tag: 'table', children: [
        { tag: 'thead', children: [{ tag: 'tr', children: header.map(c => ({ tag: 'th', children: inline(c) })) }] },
        { tag: 'tbody', children: rows.map(r => ({ tag: 'tr', children: header.map((_, k) => ({ tag: 'td', children: inline(r[k] ?? '') })) })) },
      ] });
      continue;
    }
    const listItem = /^\s{0,3}([-*+]|\d{1,9}[.)])\s+(.*)$/;
    if ((m = listItem.exec(line))) {
      const ordered = /\d/.test(m[1]);
      const items = [];
      while (i < lines.length && (m = listItem.exec(lines[i])) && /\d/.test(m[1]) === ordered) {
        const text = [m[2]];
        i++;
        while (i < lines.length && /^\s{2,}\S/.test(lines[i]) && !listItem.exec(lines[i])) { text.push(lines[i].trim()); i++; }
        items.push({ tag: 'li', children: inline(text.join(' ')) });
      }
      out.push({ tag: ordered ? 'ol' : 'ul', children: items });
      continue;
    }
    const para = [];
    while (i < lines.length && !/^\s*$/.test(lines[i]) && !/^\s{0,3}(#{1,6}\s|>|`{3,}|~{3,})/.test(lines[i])
        && !listItem.test(lines[i]) && !isTableStart(lines, i)) {
      para.push(lines[i].trim());
      i++;
    }
    out.push({ tag: 'p', children: inline(para.join(' ')) });
  }
  return out;
}

function isTableStart(lines, i) {
  return i + 1 < lines.length && lines[i].includes('|')
    && /^\s*\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?\s*$/.test(lines[i + 1]);
}

function cells(line) {
  let s = line.trim();
  if (s.startsWith('|')) s = s.slice(1);
  if (s.endsWith('|') && !s.endsWith('\\|')) s = s.slice(0, -1);
  return s.split(/(?<!\\)\|/).map(c => c.trim().replace(/\\\|/g, '|'));
}

// Inline spans, left to right: code first (its content is literal), then links, strong, emphasis.
export function inline(text) {
  const out = [];
  let rest = String(text);
  const patterns = [
    { re: /`([^`]+)`/, make: m => ({ tag: 'code', children: [m[1]] }) },
    { re: /!\[([^\]]*)\]\(([^)\s]*)[^)]*\)/, make: m => m[1] },
    { re: /\[([^\]]+)\]\(([^)\s]+)(?:\s+"[^"]*")?\)/, make: m => SAFE_HREF.test(m[2])
        ? { tag: 'a', href: m[2], children: inline(m[1]) } : inline(m[1]) },
    { re: /\*\*(?=\S)([\s\S]*?\S)\*\*|__(?=\S)([\s\S]*?\S)__/, make: m => ({ tag: 'strong', children: inline(m[1] ?? m[2]) }) },
    { re: /\*(?=\S)([^*]*?\S)\*|(?<![A-Za-z0-9])_(?=\S)([^_]*?\S)_(?![A-Za-z0-9])/, make: m => ({ tag: 'em', children: inline(m[1] ?? m[2]) }) },
  ];
  while (rest.length > 0) {
    let best = null;
    for (const p of patterns) {
      const m = p.re.exec(rest);
      if (m && (best === null || m.index < best.m.index)) best = { m, p };
    }
    if (best === null) { out.push(rest); break; }
    if (best.m.index > 0) out.push(rest.slice(0, best.m.index));
    const made = best.p.make(best.m);
    if (Array.isArray(made)) out.push(...made); else out.push(made);
    rest = rest.slice(best.m.index + best.m[0].length);
  }
  return out;
}

// Builds DOM nodes for a parsed tree into parent. Only allow-listed tags are created; text is always a text node.
export function toDom(nodes, parent, doc = parent.ownerDocument) {
  for (const node of nodes) {
    if (typeof node === 'string') { parent.appendChild(doc.createTextNode(node)); continue; }
    if (!ALLOWED.has(node.tag)) { toDom(node.children ?? [], parent, doc); continue; }
    const el = doc.createElement(node.tag);
    if (node.tag === 'a') {
      el.href = node.href;
      el.rel = 'noopener noreferrer nofollow';
      el.target = '_blank';
    }
    toDom(node.children ?? [], el, doc);
    parent.appendChild(el);
  }
  return parent;
}

export function render(markdown, parent) {
  return toDom(parse(markdown), parent);
}
