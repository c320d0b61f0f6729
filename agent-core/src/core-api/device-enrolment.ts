// Browser-assisted device flow (docs/protocol.md#identity-enrolment-and-signed-writes): start, let a human approve in the browser, poll at
// the server's `interval` (+5 s on SLOW_DOWN, as in RFC 8628), cancel on request. Status is
// driven by the 200 body only. On APPROVED the caller stores client_id + the one-shot secret.
import type { DeviceStartResponse } from '@retaia/protocol';
import { sleep } from './backoff.js';
import { CoreApiError } from './core-api-errors.js';
import type { CoreClient } from './core-client.js';

export type EnrolmentOutcome =
  | { status: 'APPROVED'; clientId: string; secretKey: string }
  | { status: 'DENIED' | 'EXPIRED' | 'CANCELED' };

export interface DeviceEnrolmentOptions {
  clientLabel: string;
  signal?: AbortSignal;
  /**
   * Called once the user code and URL are known (open the browser / print them), with the
   * SHA-256 of Core's TLS certificate pinned by this first contact (https only) to show the user.
   */
  onStarted?(
    start: DeviceStartResponse,
    core: { certificateSha256?: string },
  ): void | Promise<void>;
  /** Floor for the poll interval (tests use a short one; the server's interval wins if larger). */
  minIntervalMs?: number;
}

export async function runDeviceEnrolment(
  client: CoreClient,
  opts: DeviceEnrolmentOptions,
): Promise<EnrolmentOutcome> {
  const start = await client.deviceStart(opts.clientLabel, opts.signal);
  const trust = client.trust();
  const certificateSha256 = trust?.pinned() ?? trust?.presented;
  await opts.onStarted?.(start, certificateSha256 ? { certificateSha256 } : {});
  let intervalMs = Math.max(start.interval * 1000, opts.minIntervalMs ?? 0);
  const deadline = Date.now() + start.expires_in * 1000;
  const cancel = async (): Promise<EnrolmentOutcome> => {
    await client.deviceCancel(start.device_code).catch(() => undefined);
    return { status: 'CANCELED' };
  };
  while (Date.now() < deadline) {
    try {
      await sleep(intervalMs, opts.signal);
    } catch {
      return cancel();
    }
    let res;
    try {
      res = await client.devicePoll(start.device_code, opts.signal);
    } catch (err) {
      if (opts.signal?.aborted) return cancel();
      if (err instanceof CoreApiError && err.status === 429) {
        intervalMs += 5000;
        continue;
      }
      if (err instanceof CoreApiError && err.code === 'EXPIRED_DEVICE_CODE')
        return { status: 'EXPIRED' };
      throw err;
    }
    if (res.status === 'APPROVED')
      return { status: 'APPROVED', clientId: res.client_id, secretKey: res.secret_key };
    if (res.status === 'DENIED' || res.status === 'EXPIRED') return { status: res.status };
    if (res.interval) intervalMs = Math.max(intervalMs, res.interval * 1000);
  }
  return { status: 'EXPIRED' };
}
