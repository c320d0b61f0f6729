// The agent's calls to Core, one method per endpoint it uses: the device-flow enrolment, then
// register, policy, jobs (claim, heartbeat, submit, fail) and derived uploads. How a call travels
// (signing, retries, the shared token) is CoreHttp's (core-http.ts).
import { randomUUID } from 'node:crypto';
import type {
  AgentRegisterRequest,
  AgentRegisterResponse,
  AppPolicyResponse,
  AssetDetail,
  ClaimedJob,
  DevicePollResponse,
  DeviceStartResponse,
  HeartbeatResponse,
  Job,
  JobFailRequest,
  JobSubmitRequest,
  UploadCompleteRequest,
  UploadInitRequest,
  UploadInitResponse,
  UploadPartResponse,
} from '@retaia/protocol';
import { CoreApiError } from './core-api-errors.js';
import { CoreHttp, str, type CallOptions, type StreamBody } from './core-http.js';

export {
  withCoreCallLogger,
  type CallOptions,
  type CoreClientLogger,
  type CoreClientOptions,
  type CoreCredentials,
  type CoreResponse,
  type StreamBody,
} from './core-http.js';

export class CoreClient extends CoreHttp {
  // ---------- enrolment ----------

  async deviceStart(clientLabel: string, signal?: AbortSignal): Promise<DeviceStartResponse> {
    return (
      await this.call<DeviceStartResponse>({
        method: 'POST',
        path: '/auth/clients/device/start',
        json: { client_kind: 'AGENT', client_label: clientLabel },
        signal,
      })
    ).body;
  }

  async devicePoll(deviceCode: string, signal?: AbortSignal): Promise<DevicePollResponse> {
    return (
      await this.call<DevicePollResponse>({
        method: 'POST',
        path: '/auth/clients/device/poll',
        json: { device_code: deviceCode },
        signal,
        retryOn429: false,
      })
    ).body;
  }

  /**
   * Best effort, bounded: the user is leaving (Ctrl-C, Cancel), so an unreachable or wedged Core
   * must not hold them for two 30 s attempts; Core lets an abandoned device code expire anyway.
   */
  async deviceCancel(deviceCode: string, timeoutMs = 5_000): Promise<void> {
    await this.call({
      method: 'POST',
      path: '/auth/clients/device/cancel',
      json: { device_code: deviceCode },
      maxAttempts: 2,
      signal: AbortSignal.timeout(timeoutMs),
    });
  }

  // ---------- runtime ----------

  /** The agent's mutating calls: POST with the bearer token and a signed request; returns the body. */
  private async signedPost<T>(
    path: string,
    o: Omit<CallOptions, 'method' | 'path' | 'bearer' | 'signed'>,
  ): Promise<T> {
    return (await this.call<T>({ ...o, method: 'POST', path, bearer: true, signed: true })).body;
  }

  async register(req: AgentRegisterRequest, signal?: AbortSignal): Promise<AgentRegisterResponse> {
    return this.signedPost<AgentRegisterResponse>('/agents/register', { json: req, signal });
  }

  async getPolicy(signal?: AbortSignal): Promise<AppPolicyResponse> {
    return (
      await this.call<AppPolicyResponse>({
        method: 'GET',
        path: '/app/policy',
        bearer: true,
        signal,
        maxAttempts: 2,
      })
    ).body;
  }

  async listJobs(signal?: AbortSignal): Promise<Job[]> {
    const body = (
      await this.call<Job[]>({ method: 'GET', path: '/jobs', bearer: true, signal, maxAttempts: 2 })
    ).body;
    return Array.isArray(body) ? body : [];
  }

  /** The claimed job, or undefined when someone else won (409). */
  async claimJob(jobId: string, signal?: AbortSignal): Promise<ClaimedJob | undefined> {
    try {
      return await this.signedPost<ClaimedJob>(`/jobs/${encodeURIComponent(jobId)}/claim`, {
        signal,
        maxAttempts: 3,
      });
    } catch (err) {
      if (err instanceof CoreApiError && (err.status === 409 || err.status === 423))
        return undefined;
      throw err;
    }
  }

  async heartbeat(
    jobId: string,
    lease: { lock_token: string; fencing_token: number },
    signal?: AbortSignal,
  ): Promise<HeartbeatResponse> {
    return this.signedPost<HeartbeatResponse>(`/jobs/${encodeURIComponent(jobId)}/heartbeat`, {
      json: lease,
      signal,
      maxAttempts: 2,
    });
  }

  async submitJob(
    jobId: string,
    req: JobSubmitRequest,
    idempotencyKey: string = randomUUID(),
    signal?: AbortSignal,
  ): Promise<void> {
    await this.signedPost(`/jobs/${encodeURIComponent(jobId)}/submit`, {
      json: req,
      idempotencyKey,
      signal,
    });
  }

  async failJob(
    jobId: string,
    req: JobFailRequest,
    idempotencyKey: string = randomUUID(),
    signal?: AbortSignal,
  ): Promise<void> {
    await this.signedPost(`/jobs/${encodeURIComponent(jobId)}/fail`, {
      json: req,
      idempotencyKey,
      signal,
    });
  }

  async getAsset(
    uuid: string,
    signal?: AbortSignal,
  ): Promise<{ etag: string; asset: AssetDetail }> {
    const res = await this.call<AssetDetail>({
      method: 'GET',
      path: `/assets/${encodeURIComponent(uuid)}`,
      bearer: true,
      signal,
    });
    return { etag: str(res.headers.etag) ?? '', asset: res.body };
  }

  async uploadInit(
    uuid: string,
    req: UploadInitRequest,
    etag: string,
    idempotencyKey: string,
    signal?: AbortSignal,
  ): Promise<UploadInitResponse> {
    return this.signedPost<UploadInitResponse>(
      `/assets/${encodeURIComponent(uuid)}/derived/upload/init`,
      { json: req, ifMatch: etag, idempotencyKey, signal },
    );
  }

  async uploadPart(
    uuid: string,
    body: StreamBody,
    etag: string,
    signal?: AbortSignal,
  ): Promise<UploadPartResponse> {
    return this.signedPost<UploadPartResponse>(
      `/assets/${encodeURIComponent(uuid)}/derived/upload/part`,
      { stream: body, ifMatch: etag, signal },
    );
  }

  async uploadComplete(
    uuid: string,
    req: UploadCompleteRequest,
    etag: string,
    idempotencyKey: string,
    signal?: AbortSignal,
  ): Promise<void> {
    await this.signedPost(`/assets/${encodeURIComponent(uuid)}/derived/upload/complete`, {
      json: req,
      ifMatch: etag,
      idempotencyKey,
      signal,
    });
  }
}
