import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ASSET_STATES, type AssetState } from '@retaia/protocol';
import {
  ASSET_TRANSITIONS,
  TRANSITION_CAUSES,
  allowedTargets,
  assertTransition,
  canTransition,
  humanPatchCause,
} from '../asset-transitions.js';
import { StateConflictError } from '../move-errors.js';

// docs/asset-states.md restated independently of the module's table, as "from -> to: cause" lines.
const EXPECTED = `
DISCOVERED -> READY: discovery_stable
READY -> PROCESSING_REVIEW: job_claimed
PROCESSING_REVIEW -> REVIEW_PENDING_PROFILE: profile_required
PROCESSING_REVIEW -> PROCESSED: processing_completed
PROCESSING_REVIEW -> READY: processing_replanned
REVIEW_PENDING_PROFILE -> PROCESSED: profile_chosen
REVIEW_PENDING_PROFILE -> READY: profile_chosen
PROCESSED -> DECISION_PENDING: decision_requested
PROCESSED -> READY: reprocess
ARCHIVED -> READY: reprocess
REJECTED -> READY: reprocess
DECISION_PENDING -> DECIDED_KEEP: decision
DECISION_PENDING -> DECIDED_REJECT: decision
DECIDED_KEEP -> DECIDED_REJECT: decision
DECIDED_REJECT -> DECIDED_KEEP: decision
DECIDED_KEEP -> DECISION_PENDING: decision_cancelled
DECIDED_REJECT -> DECISION_PENDING: decision_cancelled
DECIDED_KEEP -> ARCHIVED: move_applied
DECIDED_REJECT -> REJECTED: move_applied
ARCHIVED -> DECISION_PENDING: reopen
REJECTED -> DECISION_PENDING: reopen
REJECTED -> PURGED: purge
`
  .trim()
  .split('\n')
  .map((line) => {
    const m = /^(\w+) -> (\w+): (\w+)$/.exec(line);
    assert.ok(m, line);
    return { from: m[1] as AssetState, to: m[2] as AssetState, cause: m[3]! };
  });

const allowed = (from: AssetState, to: AssetState) =>
  EXPECTED.filter((e) => e.from === from && e.to === to).map((e) => e.cause);

test('the full 11×11 matrix matches docs/asset-states.md (121 pairs, each cause checked)', () => {
  assert.equal(ASSET_STATES.length, 11);
  let allowedPairs = 0;
  for (const from of ASSET_STATES) {
    for (const to of ASSET_STATES) {
      const causes = allowed(from, to);
      assert.equal(canTransition(from, to), causes.length > 0, `${from} -> ${to}`);
      for (const cause of TRANSITION_CAUSES) {
        assert.equal(
          canTransition(from, to, cause),
          causes.includes(cause),
          `${from} -> ${to} by ${cause}`,
        );
      }
      if (causes.length) {
        allowedPairs++;
        assert.doesNotThrow(() => assertTransition(from, to));
      } else {
        assert.throws(
          () => assertTransition(from, to),
          (err: unknown) =>
            err instanceof StateConflictError &&
            err.code === 'STATE_CONFLICT' &&
            err.httpStatus === 409 &&
            err.retryable === false &&
            err.details.from === from &&
            err.details.to === to,
        );
      }
    }
  }
  assert.equal(allowedPairs, 22);
  assert.equal(ASSET_TRANSITIONS.length, EXPECTED.length);
});

test('PURGED is terminal and self-transitions are refused', () => {
  assert.deepEqual(allowedTargets('PURGED'), []);
  assert.throws(() => assertTransition('PURGED', 'READY'), /PURGED is terminal/);
  for (const s of ASSET_STATES) assert.equal(canTransition(s, s), false, s);
});

test('a wrong cause on an allowed pair is a conflict with an actionable message', () => {
  assert.throws(
    () => assertTransition('DECIDED_KEEP', 'ARCHIVED', 'decision'),
    /DECIDED_KEEP to ARCHIVED by decision: from DECIDED_KEEP the asset can go to DECIDED_REJECT, DECISION_PENDING, ARCHIVED/,
  );
});

test('human PATCH causes: decide, switch, cancel, reopen; never ARCHIVED/REJECTED directly', () => {
  assert.equal(humanPatchCause('DECISION_PENDING', 'DECIDED_KEEP'), 'decision');
  assert.equal(humanPatchCause('DECIDED_KEEP', 'DECIDED_REJECT'), 'decision');
  assert.equal(humanPatchCause('DECIDED_REJECT', 'DECISION_PENDING'), 'decision_cancelled');
  assert.equal(humanPatchCause('ARCHIVED', 'DECISION_PENDING'), 'reopen');
  assert.equal(humanPatchCause('DECIDED_KEEP', 'ARCHIVED'), undefined);
  assert.equal(humanPatchCause('PROCESSED', 'DECIDED_KEEP'), undefined);
  assert.equal(humanPatchCause('PURGED', 'DECISION_PENDING'), undefined);
});
