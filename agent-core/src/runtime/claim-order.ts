// The order this agent tries one poll's jobs in. Core lists the oldest first, so agents that
// poll at the same moment (a card dump wakes every idle agent) all reach for the same job: one
// wins, and each of the others spends a signed claim on a 409 and moves on to the next job,
// which is the same next job for all of them. core-server spreads its pollers itself; another
// Retaia Core may not. So the agent starts at a random one of the first HEAD_ASSETS assets of
// the list (an asset's jobs stay together: the agent claims them for one shared decode) and
// goes on from there, the skipped head assets last: still oldest first, give or take a few.

export const HEAD_ASSETS = 4;

export function claimOrder<J extends { asset_uuid: string }>(
  jobs: readonly J[],
  random: () => number = Math.random,
  headAssets = HEAD_ASSETS,
): J[] {
  const head: string[] = [];
  for (const job of jobs) {
    if (head.length === headAssets) break;
    if (!head.includes(job.asset_uuid)) head.push(job.asset_uuid);
  }
  const start = Math.min(Math.floor(random() * head.length), head.length - 1);
  if (start <= 0) return [...jobs];
  const rank = new Map([...head.slice(start), ...head.slice(0, start)].map((a, i) => [a, i]));
  const first = [...rank.keys()].flatMap((asset) => jobs.filter((j) => j.asset_uuid === asset));
  return first.concat(jobs.filter((j) => !rank.has(j.asset_uuid)));
}
