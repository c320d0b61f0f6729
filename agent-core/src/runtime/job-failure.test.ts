import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SourceResolutionError } from '../config/storage-mount.js';
import { CoreApiError } from '../core-api/core-api-errors.js';
import { ProcessingError } from '../processing/processor.js';
import { classifyJobFailure } from './job-failure.js';

test('a result Core refuses as invalid or too large fails for good, not as an upload problem', () => {
  const refused = classifyJobFailure(
    new CoreApiError(422, 'VALIDATION_FAILED', 'facts_patch lacks width, height', false),
  );
  assert.deepEqual(refused, {
    code: 'RESULT_REFUSED',
    message: "Core refused this job's result: facts_patch lacks width, height",
    retryable: false,
  });
  assert.equal(
    classifyJobFailure(new CoreApiError(413, 'HTTP_ERROR', 'too big', false)).retryable,
    false,
  );
});

test('transport trouble and a busy Core stay retryable; processor verdicts pass through', () => {
  for (const status of [0, 429, 500, 503]) {
    const f = classifyJobFailure(new CoreApiError(status, 'HTTP_ERROR', 'socket hang up', true));
    assert.deepEqual([f.code, f.retryable], ['UPLOAD_FAILED', true], String(status));
  }
  const mislabelled = new ProcessingError(
    'MEDIA_MISLABELLED',
    'This is a JPEG image named .mov',
    false,
  );
  assert.deepEqual(classifyJobFailure(mislabelled), {
    code: 'MEDIA_MISLABELLED',
    message: 'This is a JPEG image named .mov',
    retryable: false,
  });
  const missing = new SourceResolutionError('SOURCE_NOT_FOUND', 'gone', false);
  assert.equal(classifyJobFailure(missing).code, 'SOURCE_NOT_FOUND');
  assert.deepEqual(classifyJobFailure(new Error('boom')), {
    code: 'AGENT_ERROR',
    message: 'boom',
    retryable: true,
  });
});
