// A TCP proxy that sits between an agent and core-server and misbehaves on purpose: it delays
// data, resets connections, cuts them after some bytes, or swallows them. Faults are drawn from a
// seeded PRNG so a failing run can be replayed. Only ever listens and connects on loopback.
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

export interface FaultPlan {
  /** Extra latency added to every chunk, in ms. */
  delayMs?: number;
  /** Probability that a new connection is reset (RST) right after it is accepted. */
  resetOnConnect?: number;
  /** Probability that a connection is cut after a random number of forwarded bytes. */
  cutMidStream?: number;
  /** Upper bound of the byte offset at which a mid-stream cut happens. */
  cutWithinBytes?: number;
  /** When true, accept connections but never forward anything (a dead network). */
  blackhole?: boolean;
}

export interface FaultStats {
  connections: number;
  resets: number;
  cuts: number;
  blackholed: number;
  /** Connections dropped by cutAll() (network blips). */
  blipped: number;
  bytesForwarded: number;
}

/**
 * Resets a connection (RST) when that is still possible, else closes it. On Node 20 a reset of a
 * socket whose end() is still being flushed fails with EINVAL, yet marks the handle as closing:
 * the socket never emits 'close' and the process later spins at 100 % CPU in its exit clean-up
 * instead of exiting. A socket we already ended has sent its FIN, so closing it is enough.
 */
export function resetConnection(s: net.Socket): void {
  if (s.writableEnded) s.destroy();
  else s.resetAndDestroy();
}

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export class FaultProxy {
  private server?: net.Server;
  private readonly sockets = new Set<net.Socket>();
  private readonly random: () => number;
  plan: FaultPlan;
  readonly stats: FaultStats = {
    connections: 0,
    resets: 0,
    cuts: 0,
    blackholed: 0,
    blipped: 0,
    bytesForwarded: 0,
  };
  port = 0;

  constructor(
    private readonly targetPort: number,
    plan: FaultPlan = {},
    seed = 1,
    private readonly targetHost = '127.0.0.1',
  ) {
    this.plan = plan;
    this.random = mulberry32(seed);
  }

  /** Connections not closed yet (each side of a proxied connection counts). */
  get openSockets(): number {
    return this.sockets.size;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async start(): Promise<this> {
    this.server = net.createServer({ allowHalfOpen: true }, (client) => this.handle(client));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as net.AddressInfo).port;
    return this;
  }

  /** Drops every open connection at once (as a network blip would). */
  cutAll(): void {
    this.stats.blipped += this.sockets.size;
    for (const s of this.sockets) resetConnection(s);
  }

  async stop(): Promise<void> {
    this.cutAll();
    await new Promise<void>((resolve) =>
      this.server ? this.server.close(() => resolve()) : resolve(),
    );
  }

  private track(s: net.Socket) {
    this.sockets.add(s);
    s.on('close', () => this.sockets.delete(s));
    s.on('error', () => undefined);
  }

  private handle(client: net.Socket) {
    this.stats.connections++;
    this.track(client);
    const plan = this.plan;
    if (plan.blackhole) {
      this.stats.blackholed++;
      client.on('data', () => undefined);
      return;
    }
    if (plan.resetOnConnect && this.random() < plan.resetOnConnect) {
      this.stats.resets++;
      resetConnection(client);
      return;
    }
    const cutAt =
      plan.cutMidStream && this.random() < plan.cutMidStream
        ? Math.floor(this.random() * (plan.cutWithinBytes ?? 64 * 1024))
        : Infinity;
    let forwarded = 0;
    const upstream = net.connect({
      port: this.targetPort,
      host: this.targetHost,
      allowHalfOpen: true,
    });
    this.track(upstream);
    // Each direction keeps its own ordered queue so a delay never reorders data, an end or a
    // close is forwarded only after the data before it, and resets propagate as resets.
    const pipe = (from: net.Socket, to: net.Socket) => {
      let queue: Promise<void> = Promise.resolve();
      const enqueue = (step: () => void) => {
        queue = queue.then(async () => {
          if (plan.delayMs) await sleep(plan.delayMs);
          step();
        });
      };
      from.on('data', (chunk: Buffer) =>
        enqueue(() => {
          if (to.destroyed) return;
          forwarded += chunk.length;
          this.stats.bytesForwarded += chunk.length;
          if (forwarded > cutAt) {
            this.stats.cuts++;
            resetConnection(client);
            resetConnection(upstream);
            return;
          }
          to.write(chunk);
        }),
      );
      from.on('end', () => enqueue(() => to.end()));
      from.on('close', (hadError) => enqueue(() => (hadError ? resetConnection(to) : to.end())));
    };
    pipe(client, upstream);
    pipe(upstream, client);
  }
}
