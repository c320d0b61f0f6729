// A small stand-in for core-server's human API, on real loopback HTTP: contract-shaped JSON,
// bearer checks, ETag/If-Match (428/412), Range delivery of real media made with ffmpeg, and
// the decisions-apply / purge extensions backed by the real moves domain on a real temp storage
// root (so the UI is exercised against the same planner and mover the server will use).
import { execFile } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type {
  AssetDetail,
  AssetState,
  AssetSummary,
  MediaType,
  ProcessingProfile,
} from '@retaia/protocol';
import { applyDecisions, planMoves } from '../../src/moves/asset-mover.js';
import { previewPurge, purgeAsset } from '../../src/moves/asset-purger.js';
import { assertTransition, humanPatchCause } from '../../src/moves/asset-transitions.js';
import { InMemoryMoveJournal } from '../../src/moves/in-memory-move-journal.js';
import { MoveDomainError, StateConflictError } from '../../src/moves/move-errors.js';
import type { AssetRecords, MovableAsset } from '../../src/moves/move-journal.js';
import type { StorageLayout } from '../../src/moves/storage-root.js';

const run = promisify(execFile);
export const FAKE_USER = { email: 'editor@studio.test', password: 'correct horse' };
const TOKEN = 'user-token-7f3a';

export interface FakeAsset {
  uuid: string;
  name: string;
  media_type: MediaType;
  state: AssetState;
  profile: ProcessingProfile;
  revision: number;
  duration: number | null;
  original_relative: string;
  sidecars_relative: string[];
  derived: { video?: string; audio?: string; photo?: string; waveform?: string; thumbs?: string[] };
  fields: Record<string, string | number>;
  transcript?: string;
  created_at: string;
}

export interface LoggedRequest {
  method: string;
  path: string;
  headers: Record<string, string | undefined>;
  body?: unknown;
  status?: number;
}

export interface MediaFiles {
  video: string;
  videoType: string;
  audio: string;
  photo: string;
  thumbs: string[];
  waveform: string;
}

/** Real media with ffmpeg: H.264/AAC MP4 (or VP9/Opus WebM when the browser lacks H.264). */
export async function makeMedia(dir: string, h264: boolean): Promise<MediaFiles> {
  const ff = (...args: string[]) =>
    run('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', ...args]);
  const video = path.join(dir, h264 ? 'preview.mp4' : 'preview.webm');
  const vcodec = h264
    ? [
        '-c:v',
        'libx264',
        '-profile:v',
        'high',
        '-pix_fmt',
        'yuv420p',
        '-crf',
        '28',
        '-c:a',
        'aac',
        '-b:a',
        '96k',
        '-movflags',
        '+faststart',
      ]
    : ['-c:v', 'libvpx-vp9', '-b:v', '300k', '-c:a', 'libopus'];
  await ff(
    '-f',
    'lavfi',
    '-i',
    'testsrc2=size=640x360:rate=25',
    '-f',
    'lavfi',
    '-i',
    "aevalsrc='0.7*sin(2*PI*330*t)*(0.55+0.45*sin(2*PI*0.9*t))':s=48000",
    '-t',
    '6',
    '-g',
    '25',
    ...vcodec,
    video,
  );
  const audio = path.join(dir, 'preview.m4a');
  // Speech-like envelope: bursts and pauses, so the waveform has a visible shape.
  await ff(
    '-f',
    'lavfi',
    '-i',
    "aevalsrc='0.8*sin(2*PI*220*t)*abs(sin(2*PI*0.6*t))*(0.4+0.6*abs(sin(2*PI*2.3*t)))':s=48000:d=5",
    '-c:a',
    'aac',
    '-b:a',
    '128k',
    audio,
  );
  const photo = path.join(dir, 'photo.jpg');
  await ff('-f', 'lavfi', '-i', 'testsrc2=size=960x640', '-frames:v', '1', photo);
  await ff(
    '-i',
    video,
    '-vf',
    'fps=10/6,scale=480:-2',
    '-frames:v',
    '10',
    path.join(dir, 'thumb_%02d.jpg'),
  );
  const thumbs = Array.from({ length: 10 }, (_, i) =>
    path.join(dir, `thumb_${String(i + 1).padStart(2, '0')}.jpg`),
  );
  // A real waveform: peaks of the decoded audio in 1000 regular buckets.
  const pcm = (
    await run(
      'ffmpeg',
      [
        '-hide_banner',
        '-loglevel',
        'error',
        '-i',
        audio,
        '-ac',
        '1',
        '-ar',
        '8000',
        '-f',
        's16le',
        '-',
      ],
      { encoding: 'buffer', maxBuffer: 64 << 20 },
    )
  ).stdout as Buffer;
  const n = pcm.length / 2;
  const buckets = 1000;
  const samples = Array.from({ length: buckets }, (_, b) => {
    let peak = 0;
    for (let i = Math.floor((b * n) / buckets); i < Math.floor(((b + 1) * n) / buckets); i++) {
      peak = Math.max(peak, Math.abs(pcm.readInt16LE(i * 2)) / 32768);
    }
    return Math.round(peak * 1000) / 1000;
  });
  const waveform = path.join(dir, 'waveform.json');
  await writeFile(
    waveform,
    JSON.stringify({ duration_ms: Math.round((n / 8000) * 1000), bucket_count: buckets, samples }),
  );
  return { video, videoType: h264 ? 'video/mp4' : 'video/webm', audio, photo, thumbs, waveform };
}

export class FakeCoreApi {
  readonly requests: LoggedRequest[] = [];
  readonly assets = new Map<string, FakeAsset>();
  readonly journal = new InMemoryMoveJournal();
  storage!: StorageLayout;
  private server!: Server;
  baseUrl = '';

  constructor(
    private readonly uiDist: string,
    private readonly media: MediaFiles,
  ) {}

  async start(): Promise<string> {
    const root = await mkdtemp(path.join(tmpdir(), 'retaia-review-storage-'));
    this.storage = {
      root,
      storage_id: 'nas-main',
      paths: { inbox: 'INBOX', archive: 'ARCHIVE', rejects: 'REJECTS' },
    };
    for (const a of this.assets.values()) {
      for (const rel of [a.original_relative, ...a.sidecars_relative]) {
        await mkdir(path.dirname(path.join(root, rel)), { recursive: true });
        await writeFile(path.join(root, rel), `bytes of ${rel}`);
      }
    }
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((err: unknown) => {
        this.send(res, 500, {
          code: 'TEMPORARY_UNAVAILABLE',
          message: String(err),
          retryable: true,
          correlation_id: 'fake',
        });
      });
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.baseUrl = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this.baseUrl;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    await rm(this.storage.root, { recursive: true, force: true });
  }

  add(a: Omit<FakeAsset, 'revision' | 'created_at'> & { created_at?: string }): void {
    this.assets.set(a.uuid, {
      revision: 1,
      created_at: a.created_at ?? new Date(Date.UTC(2025, 0, 1 + this.assets.size)).toISOString(),
      ...a,
    });
  }

  /** Simulates another user's edit: the ETag changes behind the UI's back. */
  touch(uuid: string): void {
    this.assets.get(uuid)!.revision++;
  }

  etag(a: FakeAsset): string {
    return `"${a.uuid.slice(0, 8)}-r${a.revision}"`;
  }

  private summary(a: FakeAsset): AssetSummary {
    return {
      uuid: a.uuid,
      name: a.name,
      media_type: a.media_type,
      state: a.state,
      created_at: a.created_at,
      updated_at: a.created_at,
      revision_etag: this.etag(a),
      captured_at: a.created_at,
      duration: a.duration,
      tags: [],
      has_preview: Boolean(a.derived.video || a.derived.audio || a.derived.photo),
      thumb_url: a.derived.thumbs?.length ? this.derivedUrl(a, 'thumb', 0) : null,
    };
  }

  private derivedUrl(a: FakeAsset, kind: string, index?: number): string {
    return `/api/v1/assets/${a.uuid}/derived/${kind}${index === undefined ? '' : `?index=${index}`}`;
  }

  private detail(a: FakeAsset): AssetDetail {
    return {
      summary: this.summary(a),
      notes: null,
      fields: a.fields,
      paths: {
        storage_id: 'nas-main',
        original_relative: a.original_relative,
        sidecars_relative: a.sidecars_relative,
      },
      processing: { processing_profile: a.profile, facts_done: true, preview_done: true },
      derived: {
        preview_video_url: a.derived.video ? this.derivedUrl(a, 'preview_video') : null,
        preview_audio_url: a.derived.audio ? this.derivedUrl(a, 'preview_audio') : null,
        preview_photo_url: a.derived.photo ? this.derivedUrl(a, 'preview_photo') : null,
        waveform_url: a.derived.waveform ? this.derivedUrl(a, 'waveform') : null,
        thumbs: (a.derived.thumbs ?? []).map((_, i) => this.derivedUrl(a, 'thumb', i)),
      },
      ...(a.transcript
        ? { transcript: { status: 'DONE' as const, text: a.transcript, language: 'en' } }
        : {}),
      decisions: {
        current:
          a.state === 'DECIDED_KEEP' ? 'KEEP' : a.state === 'DECIDED_REJECT' ? 'REJECT' : null,
      },
      audit: {},
    };
  }

  /** The moves domain's AssetRecords port over this fake store. */
  records(): AssetRecords {
    const get = (uuid: string) => {
      const a = this.assets.get(uuid);
      if (!a) throw new StateConflictError(`unknown asset ${uuid}`);
      return a;
    };
    return {
      getAsset: async (uuid): Promise<MovableAsset | undefined> => {
        const a = this.assets.get(uuid);
        return (
          a && {
            uuid,
            state: a.state,
            paths: {
              storage_id: 'nas-main',
              original_relative: a.original_relative,
              sidecars_relative: [...a.sidecars_relative],
            },
          }
        );
      },
      updatePaths: async (uuid, paths) => {
        const a = get(uuid);
        a.original_relative = paths.original_relative;
        a.sidecars_relative = paths.sidecars_relative;
        a.revision++;
      },
      transitionState: async (uuid, from, to, cause) => {
        const a = get(uuid);
        if (a.state !== from) throw new StateConflictError(`asset is ${a.state}, expected ${from}`);
        assertTransition(from, to, cause);
        a.state = to;
        a.revision++;
      },
    };
  }

  private moveCtx() {
    return {
      storage: this.storage,
      journal: this.journal,
      assets: this.records(),
      owner: 'fake-core',
    };
  }

  private send(
    res: ServerResponse,
    status: number,
    body?: unknown,
    headers: Record<string, string> = {},
  ) {
    const last = this.requests.at(-1);
    if (last && last.status === undefined) last.status = status;
    res.writeHead(status, {
      'Cache-Control': 'private, no-store',
      ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
      ...headers,
    });
    res.end(body === undefined ? undefined : JSON.stringify(body));
  }

  private error(res: ServerResponse, status: number, code: string, message: string) {
    this.send(res, status, {
      code,
      message,
      retryable: false,
      correlation_id: `fake-${this.requests.length}`,
    });
  }

  private async readBody(req: IncomingMessage): Promise<unknown> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    if (!chunks.length) return undefined;
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  }

  private async handle(req: IncomingMessage, res: ServerResponse) {
    const url = new URL(req.url ?? '/', 'http://x');
    const p = url.pathname;
    if (!p.startsWith('/api/v1/')) return this.serveStatic(p, res);
    const body = req.method === 'GET' ? undefined : await this.readBody(req);
    const headers = {
      authorization: req.headers.authorization,
      'if-match': req.headers['if-match'],
      'idempotency-key': req.headers['idempotency-key'] as string | undefined,
      range: req.headers.range,
    };
    this.requests.push({ method: req.method!, path: p + url.search, headers, body });

    if (p === '/api/v1/auth/login' && req.method === 'POST') {
      const b = body as { email?: string; password?: string };
      if (b?.email === FAKE_USER.email && b.password === FAKE_USER.password) {
        return this.send(res, 200, {
          access_token: TOKEN,
          token_type: 'Bearer',
          expires_in: 3600,
          client_kind: 'UI_WEB',
        });
      }
      return this.error(res, 401, 'UNAUTHORIZED', 'invalid credentials');
    }
    if (req.headers.authorization !== `Bearer ${TOKEN}`)
      return this.error(res, 401, 'UNAUTHORIZED', 'missing or invalid bearer');

    if (p === '/api/v1/assets' && req.method === 'GET') {
      const states = url.searchParams.get('state')?.split(',');
      const mt = url.searchParams.get('media_type');
      const q = url.searchParams.get('q')?.toLowerCase();
      const limit = Number(url.searchParams.get('limit') ?? 50);
      const offset = Number(url.searchParams.get('cursor') ?? 0);
      const all = [...this.assets.values()]
        .filter(
          (a) =>
            (!states || states.includes(a.state)) &&
            (!mt || a.media_type === mt) &&
            (!q || a.name.toLowerCase().includes(q)),
        )
        .sort((x, y) => y.created_at.localeCompare(x.created_at));
      const items = all.slice(offset, offset + limit).map((a) => this.summary(a));
      return this.send(res, 200, {
        items,
        next_cursor: offset + limit < all.length ? String(offset + limit) : null,
      });
    }
    if (p === '/api/v1/ops/decisions/apply' && req.method === 'POST') {
      const b = body as { dry_run?: boolean; asset_uuids?: string[] };
      const decided = [...this.assets.values()].filter(
        (a) => a.state === 'DECIDED_KEEP' || a.state === 'DECIDED_REJECT',
      );
      if (b?.dry_run !== false) {
        const movable = await Promise.all(
          decided.map(async (a) => (await this.records().getAsset(a.uuid))!),
        );
        return this.send(res, 200, { dry_run: true, ...(await planMoves(movable, this.storage)) });
      }
      const uuids = b.asset_uuids ?? decided.map((a) => a.uuid);
      return this.send(res, 200, {
        dry_run: false,
        ...(await applyDecisions(uuids, this.moveCtx())),
      });
    }

    const m = /^\/api\/v1\/assets\/([^/]+)(\/.*)?$/.exec(p);
    const a = m && this.assets.get(m[1]!);
    if (!m || !a) return this.error(res, 404, 'VALIDATION_FAILED', 'no such asset');
    const sub = m[2] ?? '';

    if (sub.startsWith('/derived/') && req.method === 'GET')
      return this.serveDerived(a, sub.slice('/derived/'.length), url, req, res);
    if (sub === '' && req.method === 'GET')
      return this.send(res, 200, this.detail(a), { ETag: this.etag(a) });
    if (sub === '/purge/preview' && req.method === 'POST') {
      return this.send(
        res,
        200,
        await previewPurge((await this.records().getAsset(a.uuid))!, this.storage),
      );
    }

    // Human mutations: If-Match is required (428) and must be current (412).
    const ifMatch = req.headers['if-match'];
    if (!ifMatch) return this.error(res, 428, 'PRECONDITION_REQUIRED', 'If-Match is required');
    if (ifMatch !== this.etag(a))
      return this.error(res, 412, 'PRECONDITION_FAILED', 'asset changed since it was read');
    try {
      if (sub === '' && req.method === 'PATCH') {
        const b = body as { state?: AssetState; processing_profile?: ProcessingProfile };
        if (b.state) {
          const cause = humanPatchCause(a.state, b.state);
          if (!cause) assertTransition(a.state, b.state, 'decision');
          a.state = b.state;
        }
        if (b.processing_profile) {
          if (a.state !== 'REVIEW_PENDING_PROFILE')
            throw new StateConflictError('profile can only be chosen while REVIEW_PENDING_PROFILE');
          a.profile = b.processing_profile;
          a.state = 'READY'; // the chosen profile adds jobs (waveform/transcript)
        }
        a.revision++;
        return this.send(res, 200, this.detail(a), { ETag: this.etag(a) });
      }
      if (sub === '/reopen' && req.method === 'POST') {
        assertTransition(a.state, 'DECISION_PENDING', 'reopen');
        a.state = 'DECISION_PENDING';
        a.revision++;
        return this.send(res, 200, this.detail(a), { ETag: this.etag(a) });
      }
      if (sub === '/reprocess' && req.method === 'POST') {
        assertTransition(a.state, 'READY', 'reprocess');
        a.state = 'READY';
        a.revision++;
        return this.send(res, 200, {});
      }
      if (sub === '/purge' && req.method === 'POST') {
        if ((body as { confirm?: boolean })?.confirm !== true)
          return this.error(res, 422, 'VALIDATION_FAILED', 'confirm must be true');
        return this.send(res, 200, await purgeAsset(a.uuid, this.moveCtx()));
      }
    } catch (err) {
      if (err instanceof MoveDomainError)
        return this.error(res, err.httpStatus, err.code, err.message);
      throw err;
    }
    return this.error(res, 404, 'VALIDATION_FAILED', `no route ${req.method} ${p}`);
  }

  private async serveDerived(
    a: FakeAsset,
    kind: string,
    url: URL,
    req: IncomingMessage,
    res: ServerResponse,
  ) {
    const files: Record<string, [string | undefined, string]> = {
      preview_video: [a.derived.video, this.media.videoType],
      preview_audio: [a.derived.audio, 'audio/mp4'],
      preview_photo: [a.derived.photo, 'image/jpeg'],
      waveform: [a.derived.waveform, 'application/json'],
      thumb: [a.derived.thumbs?.[Number(url.searchParams.get('index') ?? 0)], 'image/jpeg'],
    };
    const [file, type] = files[kind] ?? [undefined, ''];
    if (!file) return this.error(res, 404, 'VALIDATION_FAILED', 'no such derived file');
    const size = (await stat(file)).size;
    const range = /^bytes=(\d*)-(\d*)$/.exec(req.headers.range ?? '');
    const rangeable = kind === 'preview_video' || kind === 'preview_audio';
    const last = this.requests.at(-1)!;
    if (range && rangeable) {
      const start = range[1] ? Number(range[1]) : size - Number(range[2]);
      const end = range[1] && range[2] ? Math.min(Number(range[2]), size - 1) : size - 1;
      if (start >= size || start > end) {
        last.status = 416;
        res.writeHead(416, { 'Content-Range': `bytes */${size}` });
        return res.end();
      }
      last.status = 206;
      res.writeHead(206, {
        'Content-Type': type,
        'Accept-Ranges': 'bytes',
        'Content-Range': `bytes ${start}-${end}/${size}`,
        'Content-Length': String(end - start + 1),
        'Cache-Control': 'private, no-store',
      });
      createReadStream(file, { start, end }).pipe(res);
      return;
    }
    last.status = 200;
    res.writeHead(200, {
      'Content-Type': type,
      'Content-Length': String(size),
      'Cache-Control': 'private, no-store',
      ...(rangeable ? { 'Accept-Ranges': 'bytes' } : {}),
    });
    createReadStream(file).pipe(res);
  }

  private async serveStatic(p: string, res: ServerResponse) {
    if (p === '/' || p === '/review') {
      res.writeHead(302, { Location: '/review/' });
      return res.end();
    }
    if (!p.startsWith('/review/')) return this.error(res, 404, 'VALIDATION_FAILED', 'not found');
    const rel = p.slice('/review/'.length) || 'index.html';
    if (rel.split('/').includes('..'))
      return this.error(res, 404, 'VALIDATION_FAILED', 'not found');
    const types: Record<string, string> = {
      '.html': 'text/html; charset=utf-8',
      '.js': 'text/javascript',
      '.css': 'text/css',
    };
    try {
      const data = await readFile(path.join(this.uiDist, rel));
      res.writeHead(200, {
        'Content-Type': types[path.extname(rel)] ?? 'application/octet-stream',
        'Cache-Control': 'no-cache',
      });
      res.end(data);
    } catch {
      this.error(res, 404, 'VALIDATION_FAILED', 'not found');
    }
  }
}
