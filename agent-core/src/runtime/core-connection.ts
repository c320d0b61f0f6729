// The daemon's link to Core: saved credentials → signed client → register (retried with backoff
// while Core is unreachable) → policy refreshed on a timer. It tracks what the status reports
// about the link (connection, auth, registration) and says when jobs may be polled.
import { RequestSigner, type ServerPolicy } from '@retaia/protocol';
import type { AgentConfig } from '../config/config-schema.js';
import { Backoff, sleep, type BackoffOptions } from '../core-api/backoff.js';
import { AuthRequiredError } from '../core-api/core-api-errors.js';
import { CoreClient, type CoreClientOptions } from '../core-api/core-client.js';
import type { AgentIdentity, IdentityStore } from '../identity/agent-identity.js';
import type { AgentLogger } from './agent-logger.js';
import type { AuthState, ConnectionState } from './control-protocol.js';
import type { DaemonEvents } from './daemon-events.js';
import { buildRegisterRequest } from './register-request.js';

export interface CoreConnectionDeps {
  identity: AgentIdentity;
  identityStore: IdentityStore;
  agentVersion: string;
  reconnectMs: number;
  policyMs: number;
  backoff?: BackoffOptions;
  logger: AgentLogger;
  events: DaemonEvents;
  config(): AgentConfig;
  configProblem(): string | undefined;
  /** HTTPS trust for Core: core_ca_file and where the certificate pin lives. */
  tls(): CoreClientOptions['tls'];
  agentName(): string;
  capabilities(): string[];
  enrolling(): boolean;
  changed(): void;
  /** Registered (again): jobs may be polled with `client`. */
  onRegistered(client: CoreClient): void;
  /** The link is being rebuilt or was refused: stop polling. */
  onUnregistered(): void;
}

export class CoreConnection {
  client?: CoreClient;
  policy?: ServerPolicy;
  registered = false;
  registerProblem?: string;
  effectiveCapabilities: string[] = [];
  connection: { state: ConnectionState; since: string; lastError?: string } = {
    state: 'connecting',
    since: new Date().toISOString(),
  };
  auth: { state: AuthState; clientId?: string } = { state: 'not_enrolled' };
  private abort = new AbortController();
  private policyTimer?: NodeJS.Timeout;
  private closed = false;

  constructor(private readonly deps: CoreConnectionDeps) {}

  /** Aborts with the current link (polls, claims, policy calls use it). */
  get signal(): AbortSignal {
    return this.abort.signal;
  }

  /**
   * Reads the saved credentials so the very first status already says "enrolled" when they
   * exist: a restarted daemon must never look unenrolled (and invite a second enrolment).
   */
  async loadAuth(): Promise<void> {
    const coreUrl = this.deps.config().core_url;
    const creds = await this.deps.identityStore.loadCredentials();
    this.auth =
      creds && coreUrl && (!creds.coreUrl || creds.coreUrl === coreUrl)
        ? { state: 'enrolled', clientId: creds.clientId }
        : { state: this.deps.enrolling() ? 'enrolling' : 'not_enrolled' };
  }

  setEnrolling(): void {
    this.auth = { state: 'enrolling' };
  }

  /** Starts connect() in the background; an unexpected error degrades instead of crashing. */
  reconnect(): void {
    if (this.closed) return;
    this.connect().catch((err: Error) => {
      this.registerProblem = err.message;
      this.deps.logger.error({ error: err.message }, 'cannot connect to Core');
      this.deps.changed();
    });
  }

  private unregister(): void {
    this.registered = false;
    if (this.policyTimer) clearInterval(this.policyTimer);
    this.policyTimer = undefined;
    this.deps.onUnregistered();
  }

  private async connect(): Promise<void> {
    this.abort.abort();
    const abort = new AbortController();
    this.abort = abort;
    this.unregister();
    this.registerProblem = undefined;
    this.client = undefined;
    const config = this.deps.config();
    const coreUrl = config.core_url;
    if (!coreUrl || this.deps.configProblem()) {
      this.deps.changed();
      return;
    }
    await this.loadAuth();
    const creds = await this.deps.identityStore.loadCredentials();
    if (this.auth.state !== 'enrolled' || !creds || abort.signal.aborted) {
      this.deps.changed();
      return;
    }
    const identity = this.deps.identity;
    const client = new CoreClient({
      baseUrl: coreUrl,
      signer: await RequestSigner.fromArmored(identity.agentId, identity.privateKeyArmored),
      credentials: async () => creds,
      tls: this.deps.tls(),
      ...(this.deps.backoff ? { backoff: this.deps.backoff } : {}),
      logger: this.deps.logger,
      onConnectivity: (ok, error) => {
        if (!abort.signal.aborted) this.onConnectivity(ok, error);
      },
      onAuthRejected: (message) => {
        if (!abort.signal.aborted) this.onAuthRejected(message);
      },
    });
    this.client = client;
    const retry = new Backoff({ baseMs: this.deps.reconnectMs, capMs: 60_000 });
    while (!abort.signal.aborted) {
      try {
        const res = await client.register(
          buildRegisterRequest(identity, {
            agentName: this.deps.agentName(),
            agentVersion: this.deps.agentVersion,
            capabilities: this.deps.capabilities(),
            maxParallelJobs: config.max_parallel_jobs,
          }),
          abort.signal,
        );
        this.registered = true;
        this.registerProblem = undefined;
        this.effectiveCapabilities = res.effective_capabilities ?? this.deps.capabilities();
        this.policy = res.server_policy;
        for (const w of res.capability_warnings ?? [])
          this.deps.logger.warn({ warning: w }, 'Core capability warning');
        this.deps.logger.info(
          { effective_capabilities: this.effectiveCapabilities },
          'registered with Core',
        );
        this.deps.changed();
        this.policyTimer = setInterval(() => void this.refreshPolicy(), this.deps.policyMs);
        this.deps.onRegistered(client);
        return;
      } catch (err) {
        if (abort.signal.aborted) return;
        if (err instanceof AuthRequiredError) {
          this.onAuthRejected(err.message);
          return;
        }
        this.registerProblem = (err as Error).message;
        this.deps.logger.warn({ error: this.registerProblem }, 'register failed, retrying');
        this.deps.changed();
        await sleep(retry.nextDelayMs(), abort.signal).catch(() => undefined);
      }
    }
  }

  private onConnectivity(ok: boolean, error?: string): void {
    const prev = this.connection.state;
    const coreUrl = this.deps.config().core_url;
    if (ok && prev !== 'connected') {
      this.connection = { state: 'connected', since: new Date().toISOString() };
      if (prev === 'disconnected')
        this.deps.events.notify(
          'reconnected',
          'Reconnected to Core',
          `Connection to ${coreUrl} restored`,
        );
      this.deps.changed();
    } else if (!ok && prev !== 'disconnected') {
      this.connection = {
        state: 'disconnected',
        since: new Date().toISOString(),
        ...(error ? { lastError: error } : {}),
      };
      this.deps.events.notify(
        'disconnected',
        'Disconnected from Core',
        `Cannot reach ${coreUrl}; retrying`,
      );
      this.deps.changed();
    } else if (!ok && error) {
      this.connection.lastError = error;
    }
  }

  onAuthRejected(message: string): void {
    if (this.auth.state === 'reauth_required') return;
    this.auth = {
      state: 'reauth_required',
      ...(this.auth.clientId ? { clientId: this.auth.clientId } : {}),
    };
    this.registerProblem = message;
    this.unregister();
    this.deps.events.notify(
      'reauth_needed',
      'Enrolment needed',
      'Core refused this agent’s credentials: enrol again',
    );
    this.deps.changed();
  }

  async refreshPolicy(): Promise<void> {
    const client = this.client;
    if (!client || !this.registered) return;
    try {
      const res = await client.getPolicy(this.abort.signal);
      this.policy = res.server_policy;
      this.deps.changed();
    } catch (err) {
      if (err instanceof AuthRequiredError) this.onAuthRejected(err.message);
      else this.deps.logger.debug({ error: (err as Error).message }, 'policy refresh failed');
    }
  }

  /** Keeps only capabilities still detected (a removed model withdraws transcription). */
  narrowCapabilities(detected: string[]): void {
    this.effectiveCapabilities = this.effectiveCapabilities.filter((c) => detected.includes(c));
  }

  /** Stops every Core call of the link (register, policy, polls, claims) for good. */
  close(): void {
    this.closed = true;
    this.abort.abort();
    this.unregister();
  }
}
