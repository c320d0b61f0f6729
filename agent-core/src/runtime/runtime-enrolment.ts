// The daemon side of the browser-assisted device flow: starts it, keeps the view the control API
// shows, stores the credentials once approved, and announces every change as an `enrolment`
// event so the CLI and the desktop app follow it without polling.
import { CoreClient, type CoreClientOptions } from '../core-api/core-client.js';
import type { BackoffOptions } from '../core-api/backoff.js';
import { runDeviceEnrolment } from '../core-api/device-enrolment.js';
import type { IdentityStore } from '../identity/agent-identity.js';
import type { AgentLogger } from './agent-logger.js';
import type { EnrolmentView } from './control-protocol.js';
import type { DaemonEvents } from './daemon-events.js';

export interface EnrolmentDeps {
  identityStore: IdentityStore;
  logger: AgentLogger;
  events: DaemonEvents;
  backoff?: BackoffOptions;
  pollMinMs?: number;
  /** HTTPS trust for Core: core_ca_file and where the certificate pin lives. */
  tls(): CoreClientOptions['tls'];
  /** The flow began: the agent is enrolling. */
  onStarted(): void;
  /** Credentials were saved: connect with them. */
  onApproved(): void;
  /** The flow ended without credentials (denied, expired, canceled, error). */
  onEnded(): void;
}

export class RuntimeEnrolment {
  private view: EnrolmentView = { state: 'idle' };
  private abort?: AbortController;

  constructor(private readonly deps: EnrolmentDeps) {}

  get pending(): boolean {
    return this.view.state === 'pending';
  }

  current(): EnrolmentView {
    return { ...this.view };
  }

  private set(view: EnrolmentView): void {
    this.view = view;
    this.deps.events.emit({ type: 'enrolment', enrolment: this.current() });
  }

  /** Starts the device flow; resolves once the user code is known (or the flow failed). */
  async start(coreUrl: string, clientLabel: string): Promise<EnrolmentView> {
    if (this.pending) return this.current();
    const abort = new AbortController();
    this.abort = abort;
    const client = new CoreClient({
      baseUrl: coreUrl,
      tls: this.deps.tls(),
      logger: this.deps.logger,
      ...(this.deps.backoff ? { backoff: this.deps.backoff } : {}),
    });
    this.set({ state: 'pending', message: 'starting device flow' });
    this.deps.onStarted();
    let startedResolve!: () => void;
    const started = new Promise<void>((r) => (startedResolve = r));
    void runDeviceEnrolment(client, {
      clientLabel,
      signal: abort.signal,
      ...(this.deps.pollMinMs !== undefined ? { minIntervalMs: this.deps.pollMinMs } : {}),
      onStarted: (s, core) => {
        this.set({
          state: 'pending',
          userCode: s.user_code,
          verificationUri: s.verification_uri,
          verificationUriComplete: s.verification_uri_complete,
          expiresAt: new Date(Date.now() + s.expires_in * 1000).toISOString(),
          message: 'approve this code in the browser',
          ...(core.certificateSha256 ? { coreCertificateSha256: core.certificateSha256 } : {}),
        });
        startedResolve();
      },
    })
      .then(async (outcome) => {
        if (outcome.status === 'APPROVED') {
          await this.deps.identityStore.saveCredentials({
            clientId: outcome.clientId,
            secretKey: outcome.secretKey,
            coreUrl,
          });
          this.deps.logger.info({ client_id: outcome.clientId }, 'enrolment approved');
          this.set({ state: 'approved', message: 'enrolled' });
          this.deps.onApproved();
          return;
        }
        const state =
          outcome.status === 'DENIED'
            ? 'denied'
            : outcome.status === 'EXPIRED'
              ? 'expired'
              : 'canceled';
        this.set({ state, message: `enrolment ${state}` });
        this.deps.onEnded();
      })
      .catch((err: Error) => {
        this.set({ state: 'error', message: err.message });
        this.deps.onEnded();
      })
      .finally(() => startedResolve());
    await started;
    return this.current();
  }

  /** The flow cannot start (no Core URL, invalid config). */
  refuse(message: string): EnrolmentView {
    this.set({ state: 'error', message });
    return this.current();
  }

  cancel(): EnrolmentView {
    this.abort?.abort();
    return this.current();
  }
}
