// API answers never carry the server's absolute paths (they tell an attacker the NAS layout and
// user names). Whatever an error or a move report says about the storage root or the data
// directory is rewritten to a placeholder before it leaves, in both its raw and JSON-escaped form.
//
// Only where an absolute path can start, though: at the start of the text or after a quote,
// whitespace or punctuation, and ending at a '/', the end or a non-name character. A relative
// path that merely contains the root's text (a NAS mounted at /media with a folder INBOX/media/)
// is data, and a scrubbed one ("INBOX<storage root>/clip.mov") sent agents after a file that
// does not exist. Error answers ({ anywhere: true }) are scrubbed wherever the text appears: a
// 404 echoes whatever path the caller sent.

/** What can come right before an absolute path: a quote, whitespace, punctuation, or the '/' of file:///. */
const BEFORE_PATH = /[\s"'`([{<=:,;/]/;
/** Characters that can continue a file name (so /media does not match /media2 or /mediaeval). */
const NAME_CHAR = /[\p{L}\p{N}._~-]/u;

export type PathScrub = (text: string, opts?: { anywhere?: boolean }) => string;

const scrubbers = new WeakMap<object, PathScrub>();

/** The API's scrubber for the server's two directories, one per options object. */
export function apiPathScrubber(o: { storageRoot: string; dataDir: string }): PathScrub {
  let scrub = scrubbers.get(o);
  if (!scrub) {
    scrub = pathScrubber({ '<storage root>': o.storageRoot, '<data dir>': o.dataDir });
    scrubbers.set(o, scrub);
  }
  return scrub;
}

export function pathScrubber(places: Record<string, string>): PathScrub {
  const pairs = new Map<string, string>();
  for (const [placeholder, dir] of Object.entries(places)) {
    if (!dir || dir === '/') continue;
    pairs.set(dir, placeholder);
    pairs.set(JSON.stringify(dir).slice(1, -1), placeholder); // usually the same text
  }
  // Longest first, so a data dir inside the storage root is not half-replaced.
  const ordered = [...pairs].sort((a, b) => b[0].length - a[0].length);
  return (text, { anywhere = false } = {}) => {
    let out = text;
    for (const [dir, placeholder] of ordered) {
      if (!out.includes(dir)) continue;
      out = anywhere
        ? out.split(dir).join(placeholder)
        : replaceAtPathStarts(out, dir, placeholder);
    }
    return out;
  };
}

function replaceAtPathStarts(text: string, dir: string, placeholder: string): string {
  let out = '';
  let from = 0;
  for (let at = text.indexOf(dir); at !== -1; at = text.indexOf(dir, at + 1)) {
    const before = at === 0 ? ' ' : text[at - 1]!;
    const after = text[at + dir.length] ?? '';
    if (at < from || !BEFORE_PATH.test(before) || NAME_CHAR.test(after)) continue;
    out += text.slice(from, at) + placeholder;
    from = at + dir.length;
  }
  return out + text.slice(from);
}
