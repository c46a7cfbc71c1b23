import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';

import { JsonValue, SettingValue, buildServerSettings, serverSettingKeys, toJson } from '../settings';

const packageJson: unknown = JSON.parse(
  fs.readFileSync(path.join(__dirname, '..', '..', 'package.json'), 'utf8'),
);

interface Property {
  readonly default?: unknown;
  readonly description?: string;
  readonly markdownDescription?: string;
}

function contributedProperties(): Map<string, Property> {
  const configuration = (
    packageJson as { contributes: { configuration: { properties: Record<string, Property> }[] } }
  ).contributes.configuration;
  const properties = new Map<string, Property>();
  for (const group of configuration) {
    for (const [name, property] of Object.entries(group.properties)) {
      properties.set(name, property);
    }
  }
  return properties;
}

/** The server's settings (server/config) and their defaults; empty string: no default. */
const SERVER_DEFAULTS: Record<string, unknown> = {
  'database.url': '',
  'sandbox.url': '',
  'stats.intervalSeconds': 10,
  'stats.catalogRefreshSeconds': 60,
  'stats.historyDir': '',
  'thresholds.slowMeanMs': 100,
  'thresholds.hotSharePercent': 20,
  'thresholds.regressionPercent': 50,
  'thresholds.regressionMinCalls': 20,
  'thresholds.tempBlocksPerCall': 0,
  'thresholds.cacheHitPercent': 90,
  'thresholds.largeTableRows': 100000,
  rules: {},
  'ai.baseUrl': '',
  'ai.model': '',
  'ai.apiKeyEnv': 'OPENAI_API_KEY',
  'ai.sendLiterals': false,
  'ai.timeoutSeconds': 60,
  'ai.maxRequestsPerMinute': 20,
  'migrations.dir': 'migrations',
  'migrations.inCurrentFile': false,
  'advisor.minImprovementPercent': 50,
};

/** A reader over plain data: keys in `explicit` count as set by the user. */
function reader(explicit: Record<string, unknown>): (key: string) => SettingValue {
  return (key) =>
    key in explicit
      ? { explicit: true, value: explicit[key] }
      : { explicit: false, value: SERVER_DEFAULTS[key] };
}

describe('package.json settings', () => {
  it('contributes exactly the server settings, with the server defaults', () => {
    const keys = serverSettingKeys(packageJson);
    assert.deepEqual([...keys].sort(), Object.keys(SERVER_DEFAULTS).sort());
    const properties = contributedProperties();
    for (const key of keys) {
      assert.deepEqual(properties.get(`optischema.${key}`)?.default, SERVER_DEFAULTS[key], key);
    }
  });

  it('documents every setting', () => {
    for (const [name, property] of contributedProperties()) {
      const text = property.markdownDescription ?? property.description ?? '';
      assert.ok(text.length > 20, `${name} needs a description`);
      assert.ok('default' in property, `${name} needs a default`);
    }
  });

  it('keeps client-only settings out of the server keys', () => {
    const properties = contributedProperties();
    for (const clientKey of [
      'optischema.server.path',
      'optischema.server.args',
      'optischema.server.env',
      'optischema.trace.server',
    ]) {
      assert.ok(properties.has(clientKey), clientKey);
    }
    const keys = serverSettingKeys(packageJson);
    assert.ok(
      keys.every((key) => !key.startsWith('server.') && !key.startsWith('trace.')),
      keys.join(),
    );
    assert.equal(properties.get('optischema.server.path')?.default, 'optischema');
  });
});

describe('buildServerSettings', () => {
  const keys = serverSettingKeys(packageJson);

  it('sends nothing when nothing was set, so optischema.toml stays in force', () => {
    assert.deepEqual(buildServerSettings(keys, reader({})), {});
  });

  it('nests explicitly set values by their dotted keys', () => {
    const settings = buildServerSettings(
      keys,
      reader({
        'database.url': 'postgresql://app@db/app',
        'thresholds.slowMeanMs': 250,
        'thresholds.cacheHitPercent': 95,
        rules: { 'select-star': 'off', 'slow-statement': 'error' },
        'ai.sendLiterals': false,
        'migrations.dir': 'db/migrations',
      }),
    );
    assert.deepEqual(settings, {
      database: { url: 'postgresql://app@db/app' },
      thresholds: { slowMeanMs: 250, cacheHitPercent: 95 },
      rules: { 'select-star': 'off', 'slow-statement': 'error' },
      ai: { sendLiterals: false },
      migrations: { dir: 'db/migrations' },
    });
  });

  it('sends a value set explicitly to its default (it must beat optischema.toml)', () => {
    assert.deepEqual(buildServerSettings(keys, reader({ 'stats.intervalSeconds': 10 })), {
      stats: { intervalSeconds: 10 },
    });
  });

  it('treats empty strings and null as unset', () => {
    assert.deepEqual(
      buildServerSettings(keys, reader({ 'database.url': '', 'sandbox.url': null, 'ai.model': '' })),
      {},
    );
  });

  it('never sends client-only keys, even when listed', () => {
    const settings = buildServerSettings(
      [...keys, 'server.path', 'trace.server'],
      reader({
        'server.path': '/opt/optischema',
        'trace.server': 'verbose',
        'advisor.minImprovementPercent': 30,
      }),
    );
    assert.deepEqual(settings, { advisor: { minImprovementPercent: 30 } });
  });
});

describe('toJson', () => {
  it('copies plain data and drops what JSON cannot carry', () => {
    const input = { a: 1, b: [true, 'x', undefined], c: { d: Number.NaN, e: () => 1, f: null } };
    const expected: JsonValue = { a: 1, b: [true, 'x', null], c: { f: null } };
    assert.deepEqual(toJson(input), expected);
  });
});
