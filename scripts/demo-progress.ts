// How `npm start` (quickstart.ts) follows the demo library: it logs in as the demo user and
// counts assets by state until every one is settled (waiting for a person, or failed for good).
/** The demo reviewer account, created by quickstart on first run. */
export const demoUser = { email: 'demo@retaia.local', password: 'retaia-demo' };

/** Core's tag for an asset whose processing failed for good. */
const FAILED_TAG = 'retaia:processing-failed';
/** States where an asset waits for a person, not for the agent: the library is done. */
const settled = new Set([
  'FAILED',
  'DECISION_PENDING',
  'REVIEW_PENDING_PROFILE',
  'DECIDED_KEEP',
  'DECIDED_REJECT',
  'ARCHIVED',
  'REJECTED',
  'PURGED',
]);

export const isSettled = (state: string): boolean => settled.has(state);

export interface AssetCounts {
  total: number;
  byState: Record<string, number>;
}

export async function assetCounts(apiUrl: string, token: string): Promise<AssetCounts> {
  const byState: Record<string, number> = {};
  let total = 0;
  let cursor: string | undefined;
  do {
    const url = `${apiUrl}/assets?limit=200${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
    const res = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
    if (!res.ok) throw new Error(`GET /assets: ${res.status}`);
    const page = (await res.json()) as {
      items: { state: string; tags?: string[] }[];
      next_cursor?: string | null;
    };
    for (const a of page.items) {
      // An asset whose processing failed for good is settled too: it waits for a human.
      const state = a.tags?.includes(FAILED_TAG) && !settled.has(a.state) ? 'FAILED' : a.state;
      byState[state] = (byState[state] ?? 0) + 1;
    }
    total += page.items.length;
    cursor = page.next_cursor ?? undefined;
  } while (cursor);
  return { total, byState };
}

export async function login(apiUrl: string): Promise<string> {
  const res = await fetch(`${apiUrl}/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ ...demoUser, client_kind: 'UI_WEB' }),
  });
  if (!res.ok) throw new Error(`demo login failed: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { access_token: string }).access_token;
}
