// Core's `server_policy.quiet_hours` is an open object in the contract. We understand
// `{start: "HH:MM", end: "HH:MM"}` in the agent's local time (a window may wrap midnight) and
// ignore anything else rather than guessing.
export function isWithinQuietHours(
  quietHours: Record<string, unknown> | undefined,
  now = new Date(),
): boolean {
  if (!quietHours || quietHours.enabled === false) return false;
  const parse = (v: unknown): number | undefined => {
    if (typeof v !== 'string') return undefined;
    const m = /^(\d{1,2}):(\d{2})$/.exec(v);
    if (!m) return undefined;
    const h = Number(m[1]);
    const min = Number(m[2]);
    return h < 24 && min < 60 ? h * 60 + min : undefined;
  };
  const start = parse(quietHours.start);
  const end = parse(quietHours.end);
  if (start === undefined || end === undefined || start === end) return false;
  const minutes = now.getHours() * 60 + now.getMinutes();
  return start < end ? minutes >= start && minutes < end : minutes >= start || minutes < end;
}
