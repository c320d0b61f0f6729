// Browser-assisted device flow for agent enrolment (docs/protocol.md#identity-enrolment-and-signed-writes). The device code is a bearer-like
// secret, so only its hash is stored; the client secret is generated at the first poll after
// approval, returned once, and stored hashed.
import { randomInt } from 'node:crypto';
import type { DevicePollResponse, DeviceStartResponse } from '@retaia/protocol';
import { CoreError } from '../errors/core-error.js';
import type { CoreContext } from '../server/core-context.js';
import { hashToken, randomSecret } from './secret-hash.js';

/** Approver recorded when the operator CLI (or demo auto-approval) approves a device. */
export const OPERATOR_USER_ID = '00000000-0000-4000-8000-000000000000';

const USER_CODE_ALPHABET = 'BCDFGHJKLMNPQRSTVWXZ';

function isLoopbackAddress(ip: string): boolean {
  return ip === '::1' || ip.startsWith('127.') || ip.startsWith('::ffff:127.');
}

function newUserCode(): string {
  let s = '';
  for (let i = 0; i < 8; i++) s += USER_CODE_ALPHABET[randomInt(USER_CODE_ALPHABET.length)];
  return `${s.slice(0, 4)}-${s.slice(4)}`;
}

export async function startDeviceFlow(
  ctx: CoreContext,
  clientLabel: string | undefined,
  requesterIp: string,
): Promise<DeviceStartResponse> {
  const limits = ctx.options.rateLimits;
  await ctx.limiter.reserve([
    {
      key: `device-start:${requesterIp}`,
      budget: { max: limits.deviceStartsPerWindow, windowMs: limits.windowMs },
    },
  ]);
  const deviceCode = randomSecret('rdc_');
  const userCode = newUserCode();
  const now = ctx.clock();
  await ctx.store.createDeviceFlow({
    device_code_hash: hashToken(deviceCode),
    user_code: userCode,
    client_label: clientLabel ?? null,
    status: 'PENDING',
    interval_s: ctx.options.deviceFlowIntervalSeconds,
    created_at_ms: now,
    expires_at_ms: now + ctx.options.deviceFlowTtlSeconds * 1000,
    last_poll_at_ms: null,
    slow_downs: 0,
    client_id: null,
    approved_at: null,
    approved_by_user_id: null,
    requester_ip: requesterIp,
  });
  // Demo only; start-core-server refuses it unless Core listens on loopback, and a request that
  // came through a proxy from elsewhere is still left for a human.
  if (ctx.demoAutoApproveDeviceFlow && isLoopbackAddress(requesterIp)) {
    await ctx.store.approveDeviceFlow(userCode, OPERATOR_USER_ID, now);
    ctx.logger.warn({ user_code: userCode }, 'device flow auto-approved (demo mode)');
  }
  const verificationUri = `${ctx.baseUrl}/device`;
  return {
    device_code: deviceCode,
    user_code: userCode,
    verification_uri: verificationUri,
    verification_uri_complete: `${verificationUri}?user_code=${userCode}`,
    expires_in: ctx.options.deviceFlowTtlSeconds,
    interval: ctx.options.deviceFlowIntervalSeconds,
  };
}

async function flowFor(ctx: CoreContext, deviceCode: string) {
  const flow = await ctx.store.findDeviceFlow(hashToken(deviceCode));
  if (!flow) throw new CoreError('INVALID_DEVICE_CODE', 400, 'unknown device code');
  return flow;
}

export async function pollDeviceFlow(
  ctx: CoreContext,
  deviceCode: string,
): Promise<DevicePollResponse> {
  const flow = await flowFor(ctx, deviceCode);
  const now = ctx.clock();
  const limits = ctx.options.rateLimits;
  if (flow.slow_downs >= limits.slowDownsBeforeBlock) {
    const retryAfter = Math.max(1, flow.interval_s);
    throw new CoreError(
      'TOO_MANY_ATTEMPTS',
      429,
      'device flow polled too fast too often; wait before polling again',
      true,
      { retry_after_seconds: retryAfter },
      { 'retry-after': String(retryAfter) },
    );
  }
  if (flow.last_poll_at_ms !== null && now - flow.last_poll_at_ms < flow.interval_s * 1000) {
    await ctx.store.recordDevicePoll(flow.device_code_hash, now, true);
    throw new CoreError(
      'SLOW_DOWN',
      429,
      `poll at most every ${flow.interval_s} s`,
      true,
      { interval: flow.interval_s },
      { 'retry-after': String(Math.max(1, flow.interval_s)) },
    );
  }
  await ctx.store.recordDevicePoll(flow.device_code_hash, now, false);
  if (flow.status === 'CONSUMED') {
    throw new CoreError('INVALID_DEVICE_CODE', 400, 'device code already used');
  }
  if (flow.status === 'DENIED') return { status: 'DENIED' };
  if (flow.status === 'CANCELED' || flow.expires_at_ms <= now) {
    return flow.status === 'CANCELED' ? { status: 'DENIED' } : { status: 'EXPIRED' };
  }
  if (flow.status === 'PENDING') return { status: 'PENDING', interval: flow.interval_s };
  const secret = randomSecret('rcs_');
  const client = await ctx.store.consumeDeviceFlow(flow.device_code_hash, hashToken(secret));
  return {
    status: 'APPROVED',
    client_id: client.client_id,
    client_kind: 'AGENT',
    secret_key: secret,
    approved_at: client.approved_at,
    approved_by_user_id: client.approved_by_user_id,
  };
}

export async function cancelDeviceFlow(ctx: CoreContext, deviceCode: string): Promise<void> {
  const flow = await flowFor(ctx, deviceCode);
  if (flow.expires_at_ms <= ctx.clock())
    throw new CoreError('EXPIRED_DEVICE_CODE', 400, 'device code expired');
  if (flow.status !== 'PENDING' && flow.status !== 'APPROVED') {
    throw new CoreError('INVALID_DEVICE_CODE', 400, `device flow is ${flow.status.toLowerCase()}`);
  }
  await ctx.store.cancelDeviceFlow(flow.device_code_hash);
}
