// How a search query (GET /assets?q=) is cut into words, shared by both store backends so they
// match the same assets: SQLite's FTS5 unicode61 tokenizer rules, applied in JS. A token is a
// run of letters/digits; case is folded and diacritics removed ("Café_01.MOV" → cafe, 01, mov).
// Each whitespace-separated query word becomes the phrase of its tokens, the last one a prefix;
// a word without any token ("---") is dropped, as FTS5 ignores its empty phrase.
const NOT_TOKEN = /[^\p{L}\p{N}\p{Co}]+/u;

export function searchTokens(text: string): string[] {
  return text
    .normalize('NFKD')
    .replace(/\p{M}+/gu, '')
    .toLowerCase()
    .split(NOT_TOKEN)
    .filter(Boolean);
}

/** The query's words, each as its tokens; empty when nothing searchable is left. */
export function queryWords(q: string): string[][] {
  return q
    .split(/\s+/)
    .map(searchTokens)
    .filter((tokens) => tokens.length > 0);
}
