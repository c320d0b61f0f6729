// The implementation behind `window.retaia`: forwards to the daemon's control API and adds the
// few shell-only services. Used by the IPC registration in the app and, unchanged, by the test
// bridge that drives the renderer in Chromium, so both paths run the same code.
import { approvalUrlProblem } from '@retaia/agent-core/core-api/approval-url.js';
import {
  type ConfigFieldProblem,
  validateAgentConfig,
} from '@retaia/agent-core/config/config-schema.js';
import { isAbsolute } from 'node:path';
import { acceptCoreCertificate, loadCaFile } from '@retaia/agent-core/core-api/core-tls.js';
import type { ConfigValidation } from '@retaia/agent-core/runtime/control-protocol.js';
import type {
  AppPreferences,
  BridgeEvent,
  BridgeHandlers,
  PickedFolder,
} from '../shared/bridge-api.js';
import type { DaemonControl } from '@retaia/agent-core/runtime/control-protocol.js';
import { execPathProblems } from './exec-path-check.js';
import { createModelHandlers } from './model-handlers.js';
import { redactSecrets, restoreRedacted } from './secret-redaction.js';

export interface ShellServices {
  pickFolder(): Promise<PickedFolder>;
  copyToClipboard(text: string): Promise<void>;
  /** Opens a URL in the default browser. */
  openExternal(url: string): Promise<void>;
  getPreferences(): AppPreferences;
  setPreferences(patch: unknown): Promise<AppPreferences>;
  /** Attaches to the daemon again, starting one when none answers. */
  restartDaemon(): Promise<void>;
  /** The daemon's data dir, where Core's certificate pin and the whisper models are kept. */
  agentDataDir(): string;
  /** The native open dialog for a whisper model file; undefined when canceled. */
  pickModelFile(): Promise<string | undefined>;
  /** Pushes an event to the window (model download progress). */
  sendEvent(event: BridgeEvent): void;
}

export class BridgeInputError extends Error {
  readonly retryable = false;
  constructor(message: string) {
    super(message);
    this.name = 'BridgeInputError';
  }
}

const MAX_CLIPBOARD_CHARS = 1_000_000;

function requireString(value: unknown, what: string): string {
  if (typeof value !== 'string' || value.length === 0)
    throw new BridgeInputError(`${what} must be a non-empty string`);
  return value;
}

/** A new core_ca_file must hold a PEM certificate now, not at the daemon's next connection. */
function caFileProblems(config: unknown): ConfigFieldProblem[] {
  const caFile = (config as { core_ca_file?: unknown } | null)?.core_ca_file;
  if (typeof caFile !== 'string' || !isAbsolute(caFile)) return []; // the schema says why
  try {
    loadCaFile(caFile);
    return [];
  } catch (err) {
    return [{ field: 'core_ca_file', message: (err as Error).message }];
  }
}

export function createBridgeHandlers(
  daemon: () => DaemonControl,
  shell: ShellServices,
): BridgeHandlers {
  // The unredacted config last read from the daemon, so secrets can be put back on save.
  let lastRawConfig: unknown;
  const withSecrets = (config: unknown): unknown =>
    lastRawConfig === undefined ? config : restoreRedacted(config, lastRawConfig);
  // Programs the daemon would execute are vetted here, before the daemon ever sees them.
  const refusedPrograms = async (config: unknown): Promise<ConfigValidation | undefined> => {
    const problems = [
      ...(await execPathProblems(config, lastRawConfig)),
      ...caFileProblems(config),
    ];
    if (problems.length === 0) return undefined;
    const schema = validateAgentConfig(config);
    return { ok: false, problems: [...schema.problems, ...problems] };
  };

  const openEnrolmentPage = async (): Promise<void> => {
    const view = await daemon().enrolment();
    const url = view.verificationUriComplete ?? view.verificationUri;
    // Only ever open the URL the daemon got from the Core, never one the renderer supplies,
    // and only when it is a web page on the configured Core's own origin.
    if (view.state !== 'pending' || !url) return;
    const config = validateAgentConfig((await daemon().getConfig()).config);
    const problem = approvalUrlProblem(url, config.ok ? config.config.core_url : undefined);
    if (problem)
      throw new BridgeInputError(
        `Not opening the approval page: ${problem}. Check the address before visiting it.`,
      );
    await shell.openExternal(url);
  };

  return {
    // async everywhere so "daemon unreachable" is a rejection, never a synchronous throw.
    status: async () => daemon().status(),
    jobs: async () => daemon().jobs(),
    pause: async () => daemon().pause('user'),
    resume: async () => daemon().resume('user'),
    refresh: async () => daemon().refresh(),
    refreshCapabilities: async () => daemon().refreshCapabilities(),
    models: async () => daemon().models(),
    ...createModelHandlers({
      agentDataDir: () => shell.agentDataDir(),
      daemon,
      pickModelFile: () => shell.pickModelFile(),
      send: (event) => shell.sendEvent(event),
    }),
    getConfig: async () => {
      const view = await daemon().getConfig();
      lastRawConfig = view.config;
      return redactSecrets(view);
    },
    validateConfig: async (config) =>
      redactSecrets(
        (await refusedPrograms(withSecrets(config))) ??
          (await daemon().validateConfig(withSecrets(config))),
      ),
    saveConfig: async (config) =>
      redactSecrets(
        (await refusedPrograms(withSecrets(config))) ??
          (await daemon().saveConfig(withSecrets(config))),
      ),
    validateMount: async (storageId, path) =>
      daemon().validateMount(
        requireString(storageId, 'storage id'),
        requireString(path, 'mount path'),
      ),
    pickFolder: () => shell.pickFolder(),
    startEnrolment: async (clientLabel) => {
      const view = await daemon().startEnrolment(
        typeof clientLabel === 'string' ? clientLabel : undefined,
      );
      await openEnrolmentPage().catch(() => undefined);
      return view;
    },
    cancelEnrolment: async () => daemon().cancelEnrolment(),
    enrolment: async () => daemon().enrolment(),
    openEnrolmentPage,
    diagnostics: async () => daemon().diagnostics(),
    restartDaemon: () => shell.restartDaemon(),
    acceptCoreCertificate: async (fingerprint) => {
      const wanted = requireString(fingerprint, 'certificate fingerprint');
      const config = validateAgentConfig((await daemon().getConfig()).config);
      const coreUrl = config.ok ? config.config.core_url : undefined;
      if (!coreUrl?.startsWith('https:'))
        throw new BridgeInputError(
          'Core is not reached over https: there is no certificate to trust',
        );
      // The main process connects itself and pins only what Core presents AND the user saw.
      const accepted = await acceptCoreCertificate(
        {
          coreUrl,
          dataDir: shell.agentDataDir(),
          ...(config.ok && config.config.core_ca_file
            ? { caFile: config.config.core_ca_file }
            : {}),
        },
        wanted,
      );
      await daemon()
        .refresh()
        .catch(() => undefined);
      return accepted;
    },
    copyToClipboard: async (text) => {
      if (typeof text !== 'string') throw new BridgeInputError('clipboard text must be a string');
      if (text.length > MAX_CLIPBOARD_CHARS)
        throw new BridgeInputError('clipboard text is too large');
      await shell.copyToClipboard(text);
    },
    getPreferences: async () => shell.getPreferences(),
    setPreferences: (patch) => shell.setPreferences(patch),
  };
}
