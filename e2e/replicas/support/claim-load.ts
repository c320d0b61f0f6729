// Signed agents claiming and submitting extract_facts jobs through several replicas, moving to
// the next replica when theirs stops answering (as a client behind a load balancer would be
// moved). Records every acknowledged claim and submit so callers can prove none was lost or
// doubled. Used by the replica e2e test and bench/core-server-replicas.ts.
import { CAPABILITIES, RequestSigner } from '@retaia/protocol';
import { TestAgent, testKey } from '../../../core-server/test/support/signed-test-client.js';
import type { Endpoint, ReplicaSet } from './replicas.js';

export interface AckedClaim {
  job_id: string;
  fencing_token: number;
  agent: string;
  replica: number;
  /** performance.now() when the answer arrived. */
  at: number;
}

export interface LoadRecord {
  claims: AckedClaim[];
  /** Jobs whose submit was answered 200, with how many times (must be 1 each). */
  submitted: Map<string, number>;
  /** Submits answered 200 after a retry on another replica, or refused after one (in doubt). */
  retriedSubmits: number;
  /** Claims answered by a replica other than the one the job was listed on (409 etc.). */
  lostRaces: number;
  /** Times an agent's replica stopped answering and it moved on. */
  failovers: number;
  claimMs: number[];
  submitMs: number[];
  seconds: number;
}

/** A signed agent whose replica can change under it. */
export interface ReplicaAgent {
  agent: TestAgent;
  endpoint: Endpoint;
  replica: number;
}

/** Enrols `count` agents (facts capability), spread round-robin over the replicas. */
export async function enrolAgents(set: ReplicaSet, count: number): Promise<ReplicaAgent[]> {
  const key = await testKey();
  const out: ReplicaAgent[] = [];
  for (let i = 0; i < count; i++) {
    const replica = i % set.replicas.length;
    const endpoint = set.endpoint(replica);
    const agent = await TestAgent.enrol(endpoint as never, {
      capabilities: [CAPABILITIES.facts],
      key,
    });
    agent.signer = await RequestSigner.fromArmored(agent.agentId, key.privateKeyArmored);
    out.push({ agent, endpoint, replica });
  }
  return out;
}

/** A fetch that threw: the replica is gone or cut the connection (not an HTTP answer). */
const isNetworkError = (err: unknown) =>
  err instanceof TypeError || (err as Error)?.name === 'AbortError';

export async function runClaimLoad(opts: {
  set: ReplicaSet;
  agents: ReplicaAgent[];
  /** How many jobs are not completed yet (read from the database). */
  remaining(): Promise<number>;
  deadlineMs: number;
  /** Called after each completed job (e.g. to kill a replica part way). */
  onCompleted?(completed: number): void;
}): Promise<LoadRecord> {
  const { set, agents } = opts;
  const rec: LoadRecord = {
    claims: [],
    submitted: new Map(),
    retriedSubmits: 0,
    lostRaces: 0,
    failovers: 0,
    claimMs: [],
    submitMs: [],
    seconds: 0,
  };
  const moveOn = (a: ReplicaAgent) => {
    const n = set.replicas.length;
    for (let step = 1; step <= n; step++) {
      const next = set.replicas[(a.replica + step) % n]!;
      if (next.alive || step === n) {
        a.replica = next.index;
        a.endpoint.apiUrl = next.apiUrl;
        break;
      }
    }
    rec.failovers++;
  };
  /** fn on the agent's replica; on a network error, on the next one (up to every replica). */
  const onSomeReplica = async <T>(a: ReplicaAgent, fn: () => Promise<T>) => {
    for (let tries = 0; ; tries++) {
      try {
        return { value: await fn(), retried: tries > 0 };
      } catch (err) {
        if (!isNetworkError(err) || tries >= set.replicas.length) throw err;
        moveOn(a);
      }
    }
  };
  // At most one database query at a time and one per 200 ms, however many agents ask.
  let remainingCache = { at: -Infinity, n: Promise.resolve(Infinity) };
  const remaining = () => {
    if (performance.now() - remainingCache.at > 200) {
      remainingCache = { at: performance.now(), n: opts.remaining() };
    }
    return remainingCache.n;
  };
  const started = performance.now();
  await Promise.all(
    agents.map(async (a) => {
      while (performance.now() - started < opts.deadlineMs) {
        const list = await onSomeReplica(a, () => a.agent.get('/jobs?limit=50'));
        const jobs = (list.value.status === 200 ? list.value.body : []) as { job_id: string }[];
        if (jobs.length === 0) {
          // Nothing offered: done, or jobs whose claim answer was lost wait for their lease.
          if ((await remaining()) === 0) return;
          await new Promise((r) => setTimeout(r, 250));
          continue;
        }
        const id = jobs[Math.floor(Math.random() * jobs.length)]!.job_id;
        let t = performance.now();
        let claim;
        try {
          claim = await a.agent.claim(id);
        } catch (err) {
          // In doubt: the claim may have been taken. Its lease expires and another agent gets it.
          if (!isNetworkError(err)) throw err;
          moveOn(a);
          continue;
        }
        rec.claimMs.push(performance.now() - t);
        if (claim.status !== 200) {
          rec.lostRaces++;
          continue;
        }
        rec.claims.push({
          job_id: id,
          fencing_token: Number(claim.body.fencing_token),
          agent: a.agent.agentId,
          replica: a.replica,
          at: performance.now(),
        });
        t = performance.now();
        const submit = await onSomeReplica(a, () =>
          a.agent.submit(id, {
            lock_token: claim.body.lock_token,
            fencing_token: claim.body.fencing_token,
            job_type: 'extract_facts',
            result: { facts_patch: { media_format: 'jpeg', width: 1, height: 1 } },
          }),
        );
        rec.submitMs.push(performance.now() - t);
        if (submit.retried) rec.retriedSubmits++;
        if (submit.value.status === 200) {
          rec.submitted.set(id, (rec.submitted.get(id) ?? 0) + 1);
          opts.onCompleted?.(rec.submitted.size);
        } else if (!submit.retried) {
          throw new Error(
            `submit of ${id} refused without any replica failing: ${submit.value.status} ${JSON.stringify(submit.value.body)}`,
          );
        }
      }
      throw new Error(`agents still working after ${opts.deadlineMs} ms`);
    }),
  );
  rec.seconds = (performance.now() - started) / 1000;
  return rec;
}

export const percentile = (xs: number[], p: number) => {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
};
