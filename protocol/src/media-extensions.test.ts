import { test } from 'node:test';
import assert from 'node:assert/strict';
import { extensionOf, mediaTypeFromExtension } from './media-extensions.js';

test('media type by extension: case-insensitive, RAW and HEIF are photos, unknown and dot-files none', () => {
  assert.equal(mediaTypeFromExtension('INBOX/day1/A001.MOV'), 'VIDEO');
  assert.equal(mediaTypeFromExtension('IMG_0001.HEIC'), 'PHOTO');
  assert.equal(mediaTypeFromExtension('_MG_1.cr3'), 'PHOTO');
  assert.equal(mediaTypeFromExtension('take.BWF'), 'AUDIO');
  assert.equal(mediaTypeFromExtension('notes.txt'), undefined);
  assert.equal(mediaTypeFromExtension('.mp4'), undefined);
  assert.equal(extensionOf('a.b/c'), '');
  assert.equal(extensionOf('dir.x/clip.Mp4'), '.mp4');
});
