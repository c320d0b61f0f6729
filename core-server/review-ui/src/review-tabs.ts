// The state tabs of the review page and the client-side model behind them: every listed asset
// summary, kept current by live updates, with counts per tab and a stable client-side sort.
import type { AssetState, AssetSummary } from './review-types.js';

/** Core's reserved tag on an asset whose processing ended with a permanent failure. */
export const FAILED_TAG = 'retaia:processing-failed';

export interface Tab {
  id: string;
  label: string;
  matches: (a: AssetSummary) => boolean;
}

const inStates =
  (...states: AssetState[]) =>
  (a: AssetSummary) =>
    states.includes(a.state);

export const isFailed = (a: AssetSummary) =>
  (a.tags ?? []).includes(FAILED_TAG) && a.state !== 'ARCHIVED' && a.state !== 'REJECTED';

export const TABS: Tab[] = [
  { id: 'review', label: 'To review', matches: inStates('DECISION_PENDING') },
  { id: 'profile', label: 'Needs profile', matches: inStates('REVIEW_PENDING_PROFILE') },
  { id: 'keep', label: 'Keep', matches: inStates('DECIDED_KEEP') },
  { id: 'reject', label: 'Reject', matches: inStates('DECIDED_REJECT') },
  { id: 'failed', label: 'Failed', matches: isFailed },
  { id: 'archived', label: 'Archived', matches: inStates('ARCHIVED') },
  { id: 'rejected', label: 'Rejected', matches: inStates('REJECTED') },
  {
    id: 'processing',
    label: 'Processing',
    matches: inStates('DISCOVERED', 'READY', 'PROCESSING_REVIEW', 'PROCESSED'),
  },
];

/** Every state the page lists (all but PURGED). */
export const LISTED_STATES: AssetState[] = [
  'DISCOVERED',
  'READY',
  'PROCESSING_REVIEW',
  'PROCESSED',
  'REVIEW_PENDING_PROFILE',
  'DECISION_PENDING',
  'DECIDED_KEEP',
  'DECIDED_REJECT',
  'ARCHIVED',
  'REJECTED',
];

export const STATE_LABEL: Record<AssetState, string> = {
  DISCOVERED: 'Discovered',
  READY: 'Queued',
  PROCESSING_REVIEW: 'Processing',
  REVIEW_PENDING_PROFILE: 'Needs profile',
  PROCESSED: 'Processed',
  DECISION_PENDING: 'To review',
  DECIDED_KEEP: 'Keep',
  DECIDED_REJECT: 'Reject',
  ARCHIVED: 'Archived',
  REJECTED: 'Rejected',
  PURGED: 'Purged',
};

export type SortKey = '-created_at' | 'created_at' | '-captured_at' | 'name' | '-duration';

const compare: Record<SortKey, (a: AssetSummary, b: AssetSummary) => number> = {
  '-created_at': (a, b) => b.created_at.localeCompare(a.created_at),
  created_at: (a, b) => a.created_at.localeCompare(b.created_at),
  '-captured_at': (a, b) => (b.captured_at ?? '').localeCompare(a.captured_at ?? ''),
  name: (a, b) => (a.name ?? '').localeCompare(b.name ?? '', undefined, { sensitivity: 'base' }),
  '-duration': (a, b) => (b.duration ?? -1) - (a.duration ?? -1),
};

export function sortAssets(items: AssetSummary[], key: SortKey): AssetSummary[] {
  const c = compare[key];
  return [...items].sort((a, b) => c(a, b) || a.uuid.localeCompare(b.uuid));
}

/** All listed summaries by uuid; `apply` merges newer revisions and drops purged assets. */
export class AssetModel {
  private byUuid = new Map<string, AssetSummary>();

  replaceAll(items: AssetSummary[]): void {
    this.byUuid = new Map(items.map((a) => [a.uuid, a]));
  }

  /** Returns true when anything visible changed. */
  apply(items: AssetSummary[]): boolean {
    let changed = false;
    for (const a of items) {
      const known = this.byUuid.get(a.uuid);
      if (a.state === 'PURGED') {
        changed = this.byUuid.delete(a.uuid) || changed;
      } else if (!known || known.revision_etag !== a.revision_etag || known.state !== a.state) {
        this.byUuid.set(a.uuid, a);
        changed = true;
      }
    }
    return changed;
  }

  /** Sets a summary as is (an optimistic change with the same revision). */
  set(a: AssetSummary): void {
    this.byUuid.set(a.uuid, a);
  }

  get(uuid: string): AssetSummary | undefined {
    return this.byUuid.get(uuid);
  }

  all(): AssetSummary[] {
    return [...this.byUuid.values()];
  }

  count(tab: Tab): number {
    let n = 0;
    for (const a of this.byUuid.values()) if (tab.matches(a)) n++;
    return n;
  }

  decidedCount(): number {
    let n = 0;
    for (const a of this.byUuid.values())
      if (a.state === 'DECIDED_KEEP' || a.state === 'DECIDED_REJECT') n++;
    return n;
  }
}
