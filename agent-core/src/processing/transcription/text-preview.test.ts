import assert from 'node:assert/strict';
import { test } from 'node:test';
import { textPreview } from './text-preview.js';

test('short text is kept whole with whitespace collapsed', () => {
  assert.equal(textPreview('  ask not\n what   your country '), 'ask not what your country');
});

test('long text is cut at a word boundary within the limit, with an ellipsis', () => {
  const text = 'And so my fellow Americans, ask not what your country can do for you. '.repeat(10);
  const p = textPreview(text, 50);
  assert.ok(Array.from(p).length <= 50, p);
  assert.ok(p.endsWith('…'));
  assert.ok(text.startsWith(p.slice(0, -1)));
  assert.match(p, /\w…$/, 'no dangling punctuation or half word before the ellipsis');
  assert.equal(textPreview(text, 50).slice(0, -1).split(' ').at(-1), 'your');
});

test('text without spaces is cut hard without splitting surrogate pairs', () => {
  const p = textPreview('😀'.repeat(300), 200);
  assert.equal(Array.from(p).length, 200);
  assert.ok(!/[\uD800-\uDBFF]…$/.test(p));
});
