import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';

import { resolveExecutable } from '../executable';

describe('resolveExecutable (POSIX)', { skip: process.platform === 'win32' }, () => {
  let root: string;
  let binDir: string;
  let otherDir: string;

  before(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'optischema-exe-'));
    binDir = path.join(root, 'bin');
    otherDir = path.join(root, 'other');
    fs.mkdirSync(binDir);
    fs.mkdirSync(otherDir);
    fs.mkdirSync(path.join(root, 'target', 'debug'), { recursive: true });
    fs.writeFileSync(path.join(binDir, 'optischema'), '#!/bin/sh\n', { mode: 0o755 });
    fs.writeFileSync(path.join(otherDir, 'optischema'), 'not executable\n', { mode: 0o644 });
    fs.writeFileSync(path.join(root, 'target', 'debug', 'optischema'), '#!/bin/sh\n', { mode: 0o755 });
  });

  after(() => fs.rmSync(root, { recursive: true, force: true }));

  it('finds a bare name on PATH, skipping files that are not executable', () => {
    const resolved = resolveExecutable('optischema', {
      env: { PATH: `${otherDir}:${binDir}` },
      platform: 'linux',
    });
    assert.deepEqual(resolved, { found: true, path: path.join(binDir, 'optischema') });
  });

  it('lists every place it tried when the name is not on PATH', () => {
    const resolved = resolveExecutable('optischema', {
      env: { PATH: `${otherDir}::${root}` },
      platform: 'linux',
    });
    assert.deepEqual(resolved, {
      found: false,
      searched: [path.join(otherDir, 'optischema'), path.join(root, 'optischema')],
    });
  });

  it('resolves a relative path with a directory against the workspace folder', () => {
    const resolved = resolveExecutable('target/debug/optischema', {
      baseDir: root,
      env: {},
      platform: 'linux',
    });
    assert.deepEqual(resolved, { found: true, path: path.join(root, 'target', 'debug', 'optischema') });
  });

  it('expands ~/ to the home directory', () => {
    const resolved = resolveExecutable('~/bin/optischema', { env: {}, platform: 'linux', homeDir: root });
    assert.deepEqual(resolved, { found: true, path: path.join(binDir, 'optischema') });
  });

  it('uses an absolute path as is', () => {
    const missing = path.join(root, 'missing', 'optischema');
    assert.deepEqual(resolveExecutable(missing, { env: { PATH: binDir }, platform: 'linux' }), {
      found: false,
      searched: [missing],
    });
  });

  it('does not accept a directory', () => {
    const resolved = resolveExecutable('bin', { env: { PATH: root }, platform: 'linux' });
    assert.equal(resolved.found, false);
  });
});
