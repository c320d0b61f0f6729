// The only door to Core: the contract's /api/v1 endpoints with the user bearer, plus the
// documented core-server extension POST /ops/decisions/apply. Errors become ApiError with the
// contract's `code` so views can react to 401/409/412/428 precisely.
import type {
  AssetDetail,
  AssetState,
  AssetSummary,
  DecisionsApplied,
  DecisionsDryRun,
  PurgePreview,
  Waveform,
} from './review-types.js';

export const API_BASE = '/api/v1';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export interface AssetQuery {
  states?: AssetState[];
  media_type?: string;
  q?: string;
}

export interface LoadedAsset {
  detail: AssetDetail;
  etag: string;
}

export type AssetPatch = Partial<{
  state: AssetState;
  processing_profile: string;
  tags: string[];
  notes: string | null;
}>;

export class ReviewApi {
  constructor(
    private readonly token: () => string | null,
    private readonly onUnauthorized: () => void,
  ) {}

  private async call(
    method: string,
    path: string,
    opts: { body?: unknown; headers?: Record<string, string>; auth?: boolean } = {},
  ): Promise<Response> {
    const headers: Record<string, string> = { Accept: 'application/json', ...opts.headers };
    if (opts.body !== undefined) headers['Content-Type'] = 'application/json';
    const token = this.token();
    if (opts.auth !== false && token) headers.Authorization = `Bearer ${token}`;
    let res: Response;
    try {
      res = await fetch(API_BASE + path, {
        method,
        headers,
        body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
        cache: 'no-store',
      });
    } catch (err) {
      throw new ApiError(0, 'NETWORK', `Core is unreachable (${(err as Error).message})`);
    }
    if (res.ok) return res;
    let code = `HTTP_${res.status}`;
    let message = `${method} ${path} failed with HTTP ${res.status}`;
    let details: Record<string, unknown> | undefined;
    try {
      const body = (await res.json()) as {
        code?: string;
        message?: string;
        details?: Record<string, unknown>;
      };
      if (body.code) code = body.code;
      if (body.message) message = body.message;
      details = body.details;
    } catch {
      // Non-JSON error body (e.g. a proxy's HTML page): keep the HTTP status message.
    }
    if (res.status === 401 && opts.auth !== false) this.onUnauthorized();
    throw new ApiError(res.status, code, message, details);
  }

  async login(email: string, password: string, otp?: string): Promise<string> {
    const res = await this.call('POST', '/auth/login', {
      auth: false,
      body: { email, password, client_kind: 'UI_WEB', ...(otp ? { otp_code: otp } : {}) },
    });
    const body = (await res.json()) as { access_token?: string };
    if (!body.access_token)
      throw new ApiError(500, 'BAD_RESPONSE', 'login answered without a token');
    return body.access_token;
  }

  /** All pages of a listing (bounded), so the UI can count states client-side. */
  async listAssets(
    query: AssetQuery,
    maxItems = 5000,
  ): Promise<{ items: AssetSummary[]; truncated: boolean }> {
    const items: AssetSummary[] = [];
    let cursor: string | null | undefined;
    do {
      const params = new URLSearchParams({ limit: '200' });
      if (query.states?.length) params.set('state', query.states.join(','));
      if (query.media_type) params.set('media_type', query.media_type);
      if (query.q) params.set('q', query.q);
      if (cursor) params.set('cursor', cursor);
      const res = await this.call('GET', `/assets?${params}`);
      const page = (await res.json()) as { items: AssetSummary[]; next_cursor?: string | null };
      items.push(...page.items);
      cursor = page.next_cursor;
    } while (cursor && items.length < maxItems);
    return { items, truncated: Boolean(cursor) };
  }

  async getAsset(uuid: string): Promise<LoadedAsset> {
    return this.loaded(await this.call('GET', `/assets/${encodeURIComponent(uuid)}`));
  }

  /**
   * Assets changed at or after `since` (an `updated_at`), newest change first: what the live
   * page polls. Stops paging at the first older item; bounded.
   */
  async listChangedSince(
    since: string,
    query: Omit<AssetQuery, 'states'>,
    maxItems = 2000,
  ): Promise<AssetSummary[]> {
    const items: AssetSummary[] = [];
    let cursor: string | null | undefined;
    do {
      const params = new URLSearchParams({ limit: '100', sort: '-updated_at' });
      if (query.media_type) params.set('media_type', query.media_type);
      if (query.q) params.set('q', query.q);
      if (cursor) params.set('cursor', cursor);
      const res = await this.call('GET', `/assets?${params}`);
      const page = (await res.json()) as { items: AssetSummary[]; next_cursor?: string | null };
      for (const a of page.items) {
        if ((a.updated_at ?? a.created_at) < since) return items;
        items.push(a);
      }
      cursor = page.next_cursor;
    } while (cursor && items.length < maxItems);
    return items;
  }

  private async loaded(res: Response): Promise<LoadedAsset> {
    const detail = (await res.json()) as AssetDetail;
    return { detail, etag: res.headers.get('ETag') ?? detail.summary.revision_etag ?? '' };
  }

  /** PATCH with If-Match; answers the new detail and ETag (412 = someone else changed it). */
  async patchAsset(uuid: string, etag: string, patch: AssetPatch): Promise<LoadedAsset> {
    const res = await this.call('PATCH', `/assets/${encodeURIComponent(uuid)}`, {
      body: patch,
      headers: { 'If-Match': etag },
    });
    return this.loaded(res);
  }

  async reopen(uuid: string, etag: string): Promise<LoadedAsset> {
    const res = await this.call('POST', `/assets/${encodeURIComponent(uuid)}/reopen`, {
      headers: { 'If-Match': etag },
    });
    return this.loaded(res);
  }

  /** Reprocess, also the "Retry" of a failed asset. */
  async reprocess(uuid: string, etag: string): Promise<LoadedAsset> {
    const res = await this.call('POST', `/assets/${encodeURIComponent(uuid)}/reprocess`, {
      headers: { 'If-Match': etag, 'Idempotency-Key': crypto.randomUUID() },
    });
    return this.loaded(res);
  }

  async purgePreview(uuid: string): Promise<PurgePreview> {
    const res = await this.call('POST', `/assets/${encodeURIComponent(uuid)}/purge/preview`);
    return (await res.json()) as PurgePreview;
  }

  async purge(uuid: string, etag: string): Promise<void> {
    await this.call('POST', `/assets/${encodeURIComponent(uuid)}/purge`, {
      body: { confirm: true },
      headers: { 'If-Match': etag, 'Idempotency-Key': crypto.randomUUID() },
    });
  }

  /** Extension endpoint (not in the v1 contract): dry run of the batch move. */
  async planDecisions(): Promise<DecisionsDryRun> {
    const res = await this.call('POST', '/ops/decisions/apply', { body: { dry_run: true } });
    return (await res.json()) as DecisionsDryRun;
  }

  /** Applies exactly the assets the user confirmed from the dry run. */
  async applyDecisions(assetUuids: string[]): Promise<DecisionsApplied> {
    const res = await this.call('POST', '/ops/decisions/apply', {
      body: { dry_run: false, asset_uuids: assetUuids },
      headers: { 'Idempotency-Key': crypto.randomUUID() },
    });
    return (await res.json()) as DecisionsApplied;
  }

  async getWaveform(url: string): Promise<Waveform> {
    const res = await fetch(url, {
      headers: { Authorization: `Bearer ${this.token() ?? ''}`, Accept: 'application/json' },
    });
    if (!res.ok) throw new ApiError(res.status, `HTTP_${res.status}`, 'waveform unavailable');
    return (await res.json()) as Waveform;
  }

  /** Bytes of a derived file as an object URL (fallback when no service worker can add auth). */
  async derivedBlobUrl(url: string): Promise<string> {
    const res = await fetch(url, { headers: { Authorization: `Bearer ${this.token() ?? ''}` } });
    if (!res.ok)
      throw new ApiError(
        res.status,
        `HTTP_${res.status}`,
        `derived file unavailable (${res.status})`,
      );
    return URL.createObjectURL(await res.blob());
  }
}
