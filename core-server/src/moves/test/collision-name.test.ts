import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import {
  MAX_COLLISION_ATTEMPTS,
  MAX_NAME_BYTES,
  collisionNonce,
  collisionStem,
  findFreeStem,
  splitFileName,
  truncateUtf8,
} from '../collision-name.js';
import { NameCollisionExhaustedError } from '../move-errors.js';

/** Independent base36 of a hex digest by schoolbook long division (no BigInt). */
function base36ByDivision(hex: string): string {
  let digits = [...hex].map((c) => parseInt(c, 16));
  let out = '';
  while (digits.some((d) => d !== 0)) {
    let rem = 0;
    const next: number[] = [];
    for (const d of digits) {
      const cur = rem * 16 + d;
      next.push(Math.floor(cur / 36));
      rem = cur % 36;
    }
    out = '0123456789abcdefghijklmnopqrstuvwxyz'[rem] + out;
    digits = next;
  }
  return out;
}

test('nonce6 = first 6 base36 chars of sha256(uuid + target_dir + attempt)', () => {
  const uuid = '0b0e3c55-5b8e-4c47-9f3e-1d2a3b4c5d6e';
  for (const attempt of [1, 2, 10]) {
    const hex = createHash('sha256').update(`${uuid}ARCHIVE/2024${attempt}`).digest('hex');
    const expected = base36ByDivision(hex).slice(0, 6);
    assert.equal(collisionNonce(uuid, 'ARCHIVE/2024', attempt), expected);
    assert.match(expected, /^[1-9a-z][0-9a-z]{5}$/);
  }
  assert.notEqual(collisionNonce(uuid, 'ARCHIVE', 1), collisionNonce(uuid, 'REJECTS', 1));
  assert.equal(collisionStem('clip', uuid, 'ARCHIVE', 0), 'clip');
  assert.equal(
    collisionStem('clip', uuid, 'ARCHIVE', 3),
    `clip__${collisionNonce(uuid, 'ARCHIVE', 3)}`,
  );
});

test('splitFileName keeps the last extension', () => {
  assert.deepEqual(splitFileName('clip.MP4'), { stem: 'clip', ext: '.MP4' });
  assert.deepEqual(splitFileName('a.b.wav'), { stem: 'a.b', ext: '.wav' });
  assert.deepEqual(splitFileName('README'), { stem: 'README', ext: '' });
});

test('findFreeStem tries the name, then attempts 1..10, then gives up with 409', async () => {
  const uuid = 'u-1';
  const seen: string[] = [];
  const free = await findFreeStem({
    assetUuid: uuid,
    targetDir: 'ARCHIVE',
    stem: 'clip',
    isTaken: (s) => {
      seen.push(s);
      return seen.length <= 3;
    },
  });
  assert.equal(free.attempt, 3);
  assert.equal(free.stem, `clip__${collisionNonce(uuid, 'ARCHIVE', 3)}`);
  assert.equal(free.taken.length, 3);

  let calls = 0;
  await assert.rejects(
    findFreeStem({
      assetUuid: uuid,
      targetDir: 'ARCHIVE',
      stem: 'clip',
      isTaken: () => {
        calls++;
        return true;
      },
    }),
    (err: unknown) =>
      err instanceof NameCollisionExhaustedError &&
      err.code === 'NAME_COLLISION_EXHAUSTED' &&
      err.httpStatus === 409,
  );
  assert.equal(calls, MAX_COLLISION_ATTEMPTS + 1);
});

test('a stem too long for the collision suffix is shortened at a character boundary, within 255 bytes', () => {
  const uuid = '0b0e3c55-5b8e-4c47-9f3e-1d2a3b4c5d6e';
  // 1 + 123 × 2 = 247 bytes: the original name (+ ".jpg") fits, the suffixed one would not.
  const stem = `a${'é'.repeat(123)}`;
  const short = collisionStem(stem, uuid, 'ARCHIVE', 1, Buffer.byteLength('.jpg'));
  const name = `${short}.jpg`;
  assert.ok(Buffer.byteLength(name) <= MAX_NAME_BYTES, `${Buffer.byteLength(name)} bytes`);
  assert.ok(Buffer.byteLength(name) >= MAX_NAME_BYTES - 1, 'shortened no more than needed');
  assert.match(short, /^aé+__[0-9a-z]{6}$/u, 'no character cut in half');
  assert.equal(Buffer.from(name, 'utf8').toString('utf8'), name);
  // Decomposed (macOS) accents and emoji sequences are kept whole.
  assert.equal(truncateUtf8('e\u0301e\u0301', 4), 'e\u0301');
  assert.equal(truncateUtf8('ab👩‍👩‍👧', 10), 'ab');
  assert.equal(truncateUtf8('short', 255), 'short');
  assert.throws(
    () => collisionStem('x', uuid, 'ARCHIVE', 1, 250),
    NameCollisionExhaustedError,
    'an extension that leaves no room is refused with a reason',
  );
});
