// The dashboard's markdown reader (src/main/resources/dashboard/markdown.mjs), run by MarkdownRendererTest with
// node's test runner. parse() is pure; toDom() is checked against a minimal document that records what is created.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parse, toDom } from '../../main/resources/dashboard/markdown.mjs';

// A tiny DOM stand-in: elements with tag, properties and children; text nodes with their text.
const doc = {
  created: [],
  createElement(tag) { const el = { tag, children: [], ownerDocument: doc, appendChild(c) { this.children.push(c); return c; } }; doc.created.push(tag); return el; },
  createTextNode(text) { return { text }; },
};
const root = () => ({ tag: 'root', children: [], ownerDocument: doc, appendChild(c) { this.children.push(c); return c; } });
const textOf = n => typeof n === 'string' ? n : n.text ?? (n.children ?? []).map(textOf).join('');

test('headings start at h2 under the page title, paragraphs join their lines', () => {
  assert.deepEqual(parse('# Revenue\nIt climbs\nsteadily.'), [
    { tag: 'h2', children: ['Revenue'] }, { tag: 'p', children: ['It climbs steadily.'] }]);
  assert.equal(parse('###### deep')[0].tag, 'h6');
});

test('emphasis, strong, code and safe links', () => {
  assert.deepEqual(parse('**MRR** grew *12%* in `east`')[0].children, [
    { tag: 'strong', children: ['MRR'] }, ' grew ', { tag: 'em', children: ['12%'] }, ' in ', { tag: 'code', children: ['east'] }]);
  assert.deepEqual(parse('[docs](https://example.com/a)')[0].children, [{ tag: 'a', href: 'https://example.com/a', children: ['docs'] }]);
  assert.deepEqual(parse('[x](javascript:alert(1))')[0].children.filter(c => typeof c !== 'string'), [],
    'a javascript: link is not a link');
  assert.deepEqual(parse('snake_case_name stays')[0].children, ['snake_case_name stays']);
});

test('lists, quotes, code blocks, rules and tables', () => {
  const tree = parse('- a\n- b\n\n1. one\n2. two\n\n> quoted\n\n```\n<b>x</b>\n```\n\n---\n\n| Region | MRR |\n|---|---:|\n| East | 10 |\n| West | 7 |');
  assert.deepEqual(tree.map(n => n.tag), ['ul', 'ol', 'blockquote', 'pre', 'hr', 'table']);
  assert.deepEqual(tree[0].children.map(li => li.children), [['a'], ['b']]);
  assert.deepEqual(tree[3].children[0].children, ['<b>x</b>']);
  const table = tree[5];
  assert.equal(textOf({ children: table.children[0].children[0].children }), 'RegionMRR');
  assert.equal(table.children[1].children.length, 2);
});

test('markup in the source stays text, and only allow-listed elements are built', () => {
  const hostile = '<script>alert(1)</script> and <img src=x onerror=alert(1)>\n\n# <iframe src=//evil>\n\n[a](data:text/html,x)';
  const out = toDom(parse(hostile), root(), doc);
  assert.ok(textOf(out).includes('<script>alert(1)</script>'));
  assert.ok(textOf(out).includes('<img src=x onerror=alert(1)>'));
  assert.ok(textOf(out).includes('<iframe src=//evil>'));
  for (const tag of doc.created) {
    assert.ok(['p', 'h2', 'a', 'strong', 'em', 'code'].includes(tag), `unexpected element ${tag}`);
  }
  assert.ok(!doc.created.includes('a'), 'a data: link is not built');
});

test('links get rel and target, and empty input is empty', () => {
  const out = toDom(parse('[site](https://example.com)'), root(), doc);
  const a = out.children[0].children[0];
  assert.equal(a.tag, 'a');
  assert.equal(a.href, 'https://example.com');
  assert.equal(a.rel, 'noopener noreferrer nofollow');
  assert.equal(a.target, '_blank');
  assert.deepEqual(parse(''), []);
  assert.deepEqual(parse(null), []);
});
