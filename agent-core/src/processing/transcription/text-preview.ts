// The short transcript excerpt Core shows in lists: at most `maxChars` characters, cut at a word
// boundary, with an ellipsis when something was left out.

export function textPreview(text: string, maxChars = 200): string {
  const clean = text.replace(/\s+/g, ' ').trim();
  // Count code points, not UTF-16 units, so a cut never splits an emoji or CJK surrogate pair.
  const chars = Array.from(clean);
  if (chars.length <= maxChars) return clean;
  const head = chars.slice(0, maxChars - 1).join('');
  const lastSpace = head.lastIndexOf(' ');
  // A single very long "word" (URLs, languages without spaces) is cut hard rather than dropped.
  const cut = lastSpace >= head.length / 2 ? head.slice(0, lastSpace) : head;
  return `${cut.replace(/[\s,;:.-]+$/, '')}…`;
}
