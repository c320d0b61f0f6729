import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { CONTRACT_PATH, loadContractValidator } from './contract-validator.js';

test('the vendored contract is the upstream contract file (sha256 9e2c7c3c…c6f9)', () => {
  const digest = createHash('sha256').update(readFileSync(CONTRACT_PATH)).digest('hex');
  assert.ok(digest.startsWith('9e2c7c3c') && digest.endsWith('c6f9'), digest);
});

test('validator accepts a conformant Job and rejects unknown fields and bad nullables', () => {
  const v = loadContractValidator();
  const job = {
    job_id: 'j1',
    job_type: 'extract_facts',
    status: 'pending',
    asset_uuid: 'a1',
    source: { storage_id: 's', original_relative: 'INBOX/a.mp4', sidecars_relative: [] },
    required_capabilities: ['media.facts@1'],
    lock_token: null,
    fencing_token: null,
    locked_until: null,
  };
  assert.deepEqual(v.schemaErrors('Job', job), []);
  assert.notDeepEqual(v.schemaErrors('Job', { ...job, extra: 1 }), []);
  assert.notDeepEqual(v.schemaErrors('Job', { ...job, job_type: 'nope' }), []);
  assert.deepEqual(v.responseErrors('GET', '/jobs', 200, [job]), []);
  assert.notDeepEqual(
    v.responseErrors('POST', '/jobs/{job_id}/heartbeat', 200, { fencing_token: 0 }),
    [],
  );
  assert.ok(v.hasResponseSchema('GET', '/app/policy', 200));
});
