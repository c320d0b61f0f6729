// `npm run soak` (not in CI): a bounded chaos run of the whole system. A real core-server and two
// real agent daemons (child processes, real ffmpeg) process a library of small generated media
// while agents are killed with SIGKILL at random moments and core-server is restarted; then it
// checks from Core's own records and the storage root that every job completed exactly once,
// every derived file was published once, every source file is where its asset says, and no
// asset is stuck. Prints the figures; exits 1 when a check fails.
//   npm run soak -- [--assets 102] [--kills 20] [--core-restarts 3] [--timeout-min 20]
import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { auditJobs, waitJobsFinished } from '../e2e/support/job-audit.js';
import { makeSmallMedia, fillInbox } from '../e2e/support/small-media.js';
import { countBy, SETTLED_STATES, sleep, System, type AgentHandle } from '../e2e/support/system.js';

const { values: args } = parseArgs({
  options: {
    assets: { type: 'string', default: '102' },
    kills: { type: 'string', default: '20' },
    'core-restarts': { type: 'string', default: '3' },
    'timeout-min': { type: 'string', default: '20' },
    seed: { type: 'string', default: String(Date.now() % 100_000) },
  },
});
const wantedAssets = Number(args.assets);
const wantedKills = Number(args.kills);
const wantedRestarts = Number(args['core-restarts']);
const deadline = Date.now() + Number(args['timeout-min']) * 60_000;

// Seeded PRNG so a failing run can be replayed with --seed.
let state = Number(args.seed) >>> 0 || 1;
const random = () => {
  state = (state + 0x6d2b79f5) >>> 0;
  let t = state;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};
const say = (msg: string) => console.log(`[soak ${new Date().toISOString().slice(11, 19)}] ${msg}`);

async function main(): Promise<number> {
  const started = Date.now();
  // A short lease so a job whose hand-back was lost with its process comes back soon; attempts
  // are plentiful because the kills here are deliberate, not the media's fault.
  const sys = await System.start({ leaseTtlSeconds: 15, maxAttempts: 1000 });
  try {
    const media = await makeSmallMedia(join(sys.root, 'media'));
    const total = await fillInbox(sys.inbox, media, Math.ceil(wantedAssets / 3));
    say(`seed ${args.seed}; ${total} assets in INBOX; starting 2 agents`);
    const names = ['a', 'b'];
    const alive = new Map<string, AgentHandle>();
    for (const n of names) alive.set(n, await sys.spawnAgent(n));

    let kills = 0;
    let restarts = 0;
    const respawns: Promise<void>[] = [];
    const restartAt = new Set(
      Array.from({ length: wantedRestarts }, (_, i) =>
        Math.floor(((i + 1) * wantedKills) / (wantedRestarts + 1)),
      ),
    );
    while ((kills < wantedKills || restarts < wantedRestarts) && Date.now() < deadline) {
      await sleep(500 + random() * 2500);
      if (restartAt.has(kills) && restarts < wantedRestarts) {
        restartAt.delete(kills);
        const downMs = Math.floor(random() * 2000);
        say(`restarting core-server (down ${downMs} ms)`);
        await sys.restartServer(downMs);
        restarts++;
        continue;
      }
      const candidates = [...alive.keys()];
      if (!candidates.length || kills >= wantedKills) continue;
      const name = candidates[Math.floor(random() * candidates.length)]!;
      const agent = alive.get(name)!;
      alive.delete(name);
      const running = (await agent.control.jobs().catch(() => ({ current: [] }))).current.length;
      await agent.kill9();
      kills++;
      say(`kill -9 agent ${name} (#${kills}, ${running} job(s) running)`);
      respawns.push(
        sleep(random() * 1500)
          .then(() => sys.spawnAgent(name))
          .then((h) => void alive.set(name, h)),
      );
    }
    await Promise.all(respawns);
    say(`chaos done: ${kills} kills, ${restarts} core restarts; waiting for the work to finish`);
    await waitJobsFinished(sys, total, Math.max(60_000, deadline - Date.now()));
    const assets = await sys.waitSettled(total, Math.max(60_000, deadline - Date.now()));

    // ---- checks, from Core's records and the storage root ----
    const problems: string[] = [];
    const audit = await auditJobs(sys);
    if (audit.completedTwice.length)
      problems.push(`${audit.completedTwice.length} job(s) completed more than once`);
    if (audit.completed !== audit.jobs)
      problems.push(`${audit.jobs - audit.completed} of ${audit.jobs} jobs not completed`);
    const store = sys.server.context.store;
    let derivedFiles = 0;
    let handedBack = 0;
    for (const asset of await store.listAssets({ limit: 100_000, offset: 0 })) {
      if (!existsSync(join(sys.storageRoot, asset.relative_path)))
        problems.push(`${asset.name}: source missing at ${asset.relative_path}`);
      const derived = await store.listDerived(asset.uuid);
      derivedFiles += derived.length;
      const keys = derived.map((d) => `${d.kind}#${d.idx}`);
      if (new Set(keys).size !== keys.length)
        problems.push(`${asset.name}: a derived file was recorded twice (${keys.join(', ')})`);
      const onDisk = await readdir(join(sys.storageRoot, '.derived', asset.uuid)).catch(
        () => [] as string[],
      );
      const recorded = new Set(derived.map((d) => d.relative_path.split('/').pop()));
      const orphans = onDisk.filter((f) => !recorded.has(f));
      const missing = [...recorded].filter((f) => f && !onDisk.includes(f));
      if (orphans.length || missing.length)
        problems.push(
          `${asset.name}: published files differ from the records (extra ${orphans.join(', ') || '-'}, missing ${missing.join(', ') || '-'})`,
        );
      for (const job of await store.listAssetJobs(asset.uuid))
        for (const c of await store.listJobClaims(job.job_id))
          if (c.error_code === 'AGENT_RESTARTED') handedBack++;
    }
    const stuck = assets.filter((a) => !SETTLED_STATES.has(a.state));
    if (stuck.length) problems.push(`${stuck.length} asset(s) not settled`);

    const minutes = (Date.now() - started) / 60_000;
    console.log(`
  soak figures (seed ${args.seed})
    assets            ${assets.length} (${JSON.stringify(countBy(assets.map((a) => a.state)))})
    jobs              ${audit.jobs}, completed ${audit.completed}, failed ${audit.failed}, completed twice ${audit.completedTwice.length}
    claims            ${Object.values(audit.claimsByAgent).reduce((a, b) => a + b, 0)} by outcome ${JSON.stringify(audit.outcomes)}
    handed back       ${handedBack} lease(s) of killed processes, by their restarted process
    derived files     ${derivedFiles} published, each once
    chaos             ${kills} SIGKILLs of agent daemons, ${restarts} core-server restarts
    duration          ${minutes.toFixed(1)} min
    result            ${problems.length ? `FAILED\n      - ${problems.join('\n      - ')}` : 'all checks passed'}
`);
    return problems.length ? 1 : 0;
  } finally {
    await sys.stop();
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(`[soak] failed: ${err instanceof Error ? err.stack : String(err)}`);
    process.exit(1);
  },
);
