// API answers never carry the server's absolute paths (they tell an attacker the NAS layout and
// user names). Whatever an error or a move report says about the storage root or the data
// directory is rewritten to a placeholder before it leaves, in both its raw and JSON-escaped form.
export function pathScrubber(places: Record<string, string>): (text: string) => string {
  const pairs: [string, string][] = [];
  for (const [placeholder, dir] of Object.entries(places)) {
    if (!dir || dir === '/') continue;
    pairs.push([dir, placeholder], [JSON.stringify(dir).slice(1, -1), placeholder]);
  }
  // Longest first, so a data dir inside the storage root is not half-replaced.
  pairs.sort((a, b) => b[0].length - a[0].length);
  return (text) => {
    let out = text;
    for (const [dir, placeholder] of pairs) {
      if (out.includes(dir)) out = out.split(dir).join(placeholder);
    }
    return out;
  };
}
