// Star ratings and colour labels live in the contract's `tags` (docs/review-page.md):
// `rating:1`…`rating:5` (at most one) and `label:red|yellow|green|blue|purple` (at most one).
// `retaia:` tags belong to Core and are never shown as editable tags.
export const LABEL_COLOURS = ['red', 'yellow', 'green', 'blue', 'purple'] as const;
export type LabelColour = (typeof LABEL_COLOURS)[number];

export function ratingOf(tags: readonly string[] = []): number {
  for (const t of tags) {
    const m = /^rating:([1-5])$/.exec(t);
    if (m) return Number(m[1]);
  }
  return 0;
}

export function labelOf(tags: readonly string[] = []): LabelColour | null {
  for (const t of tags) {
    const c = t.startsWith('label:') ? t.slice('label:'.length) : '';
    if ((LABEL_COLOURS as readonly string[]).includes(c)) return c as LabelColour;
  }
  return null;
}

/** Tags with the rating replaced (0 removes it). */
export function withRating(tags: readonly string[], stars: number): string[] {
  const rest = tags.filter((t) => !/^rating:/.test(t));
  return stars > 0 ? [...rest, `rating:${stars}`] : rest;
}

/** Tags with the colour label replaced (same colour again toggles it off, null removes it). */
export function withLabel(tags: readonly string[], colour: LabelColour | null): string[] {
  const current = labelOf(tags);
  const rest = tags.filter((t) => !/^label:/.test(t));
  return colour && colour !== current ? [...rest, `label:${colour}`] : rest;
}

/** The tags a human edits as free text (not ratings, labels or Core's own). */
export function freeTags(tags: readonly string[] = []): string[] {
  return tags.filter((t) => !/^(rating|label|retaia):/.test(t));
}

/** Free-text tags merged back with the structured ones. */
export function withFreeTags(tags: readonly string[], free: string[]): string[] {
  const structured = tags.filter((t) => /^(rating|label):/.test(t));
  return [...new Set([...free.map((t) => t.trim()).filter(Boolean), ...structured])];
}
