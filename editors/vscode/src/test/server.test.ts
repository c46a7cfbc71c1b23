// The settings object this extension builds, sent to the real server: it
// must be accepted (the server rejects unknown keys) and take effect, both as
// initializationOptions and through workspace/configuration after a
// workspace/didChangeConfiguration. Needs the built server: `cargo build`
// at the repository root, or OPTISCHEMA_SERVER=/path/to/optischema.

import * as assert from 'node:assert/strict';
import * as cp from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, describe, it } from 'node:test';
import {
  ConfigurationRequest,
  Diagnostic,
  DiagnosticSeverity,
  DidChangeConfigurationNotification,
  DidOpenTextDocumentNotification,
  ExitNotification,
  InitializeRequest,
  InitializedNotification,
  LogMessageNotification,
  ProtocolConnection,
  PublishDiagnosticsNotification,
  PublishDiagnosticsParams,
  ShowMessageNotification,
  ShutdownRequest,
  StreamMessageReader,
  StreamMessageWriter,
  createProtocolConnection,
} from 'vscode-languageserver-protocol/node';

import { JsonObject, SECTION, buildServerSettings, serverSettingKeys } from '../settings';

const REPO_ROOT = path.resolve(__dirname, '..', '..', '..', '..');
const SERVER = process.env['OPTISCHEMA_SERVER'] ?? path.join(REPO_ROOT, 'target', 'debug', 'optischema');
const MISSING_SERVER = fs.existsSync(SERVER)
  ? false
  : `server binary not found at ${SERVER}: run \`cargo build\` in ${REPO_ROOT} or set OPTISCHEMA_SERVER`;
const TIMEOUT_MS = 30_000;

describe('settings against the real server', { skip: MISSING_SERVER }, () => {
  let workspace: string;
  let server: cp.ChildProcessWithoutNullStreams;
  let connection: ProtocolConnection;
  let stderr = '';
  const messages: string[] = [];
  const published: PublishDiagnosticsParams[] = [];
  const waiters: (() => void)[] = [];
  let configurationAnswer: JsonObject = {};

  /** Every setting the extension contributes, set to a harmless value. */
  function everySettingExplicitly(syntaxErrorSeverity: string): JsonObject {
    const samples: Record<string, unknown> = {
      'database.url': `postgresql:///app?host=${path.join(workspace, 'no-socket')}`,
      'sandbox.url': `postgresql:///sandbox?host=${path.join(workspace, 'no-socket')}`,
      'stats.intervalSeconds': 30,
      'stats.catalogRefreshSeconds': 120,
      'stats.historyDir': path.join(workspace, 'history'),
      'thresholds.slowMeanMs': 100,
      'thresholds.hotSharePercent': 20,
      'thresholds.regressionPercent': 50,
      'thresholds.regressionMinCalls': 20,
      'thresholds.tempBlocksPerCall': 0,
      'thresholds.cacheHitPercent': 90,
      'thresholds.largeTableRows': 100000,
      rules: { 'syntax-error': syntaxErrorSeverity },
      'ai.baseUrl': 'http://127.0.0.1:9/v1',
      'ai.model': 'test-model',
      'ai.apiKeyEnv': 'OPTISCHEMA_TEST_KEY',
      'ai.sendLiterals': false,
      'ai.timeoutSeconds': 5,
      'ai.maxRequestsPerMinute': 1,
      'migrations.dir': 'db/migrations',
      'migrations.inCurrentFile': true,
      'advisor.minImprovementPercent': 40,
    };
    const keys = serverSettingKeys(
      JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'package.json'), 'utf8')),
    );
    assert.deepEqual([...keys].sort(), Object.keys(samples).sort(), 'a sample value for every setting');
    return buildServerSettings(keys, (key) => ({ explicit: true, value: samples[key] }));
  }

  function waitFor<T>(what: string, probe: () => T | undefined): Promise<T> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(
          new Error(`timed out waiting for ${what}\nmessages: ${messages.join('\n')}\nstderr:\n${stderr}`),
        );
      }, TIMEOUT_MS);
      const check = (): boolean => {
        const value = probe();
        if (value === undefined) {
          return false;
        }
        clearTimeout(timer);
        resolve(value);
        return true;
      };
      if (!check()) {
        const waiter = (): void => {
          if (check()) {
            waiters.splice(waiters.indexOf(waiter), 1);
          }
        };
        waiters.push(waiter);
      }
    });
  }

  function syntaxError(uri: string, severity: DiagnosticSeverity): Promise<Diagnostic> {
    return waitFor(`a syntax-error diagnostic with severity ${severity}`, () =>
      published
        .filter((params) => params.uri === uri)
        .at(-1)
        ?.diagnostics.find(
          (diagnostic) => diagnostic.code === 'syntax-error' && diagnostic.severity === severity,
        ),
    );
  }

  before(async () => {
    workspace = fs.mkdtempSync(path.join(os.tmpdir(), 'optischema-vscode-'));
    const env: NodeJS.ProcessEnv = {
      PATH: process.env['PATH'],
      HOME: workspace,
      XDG_CACHE_HOME: path.join(workspace, 'cache'),
    };
    server = cp.spawn(SERVER, ['lsp'], { cwd: workspace, env });
    server.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    connection = createProtocolConnection(
      new StreamMessageReader(server.stdout),
      new StreamMessageWriter(server.stdin),
    );
    connection.onRequest(ConfigurationRequest.type, (params) =>
      params.items.map((item) => (item.section === SECTION ? configurationAnswer : null)),
    );
    connection.onNotification(ShowMessageNotification.type, (params) => messages.push(params.message));
    connection.onNotification(LogMessageNotification.type, (params) => messages.push(params.message));
    connection.onNotification(PublishDiagnosticsNotification.type, (params) => {
      published.push(params);
      [...waiters].forEach((waiter) => waiter());
    });
    connection.listen();
  });

  after(async () => {
    if (connection !== undefined) {
      await connection.sendRequest(ShutdownRequest.type).catch(() => undefined);
      await connection.sendNotification(ExitNotification.type).catch(() => undefined);
      connection.dispose();
    }
    server?.kill();
    fs.rmSync(workspace, { recursive: true, force: true });
  });

  it('accepts every setting and applies them', async () => {
    const initial = everySettingExplicitly('warning');
    configurationAnswer = initial;
    const rootUri = pathToFileURL(workspace).href;
    await connection.sendRequest(InitializeRequest.type, {
      processId: process.pid,
      rootUri,
      workspaceFolders: [{ uri: rootUri, name: 'workspace' }],
      capabilities: {
        workspace: { configuration: true, didChangeConfiguration: { dynamicRegistration: true } },
      },
      initializationOptions: initial,
    });
    await connection.sendNotification(InitializedNotification.type, {});

    const uri = pathToFileURL(path.join(workspace, 'q.sql')).href;
    await connection.sendNotification(DidOpenTextDocumentNotification.type, {
      textDocument: { uri, languageId: 'sql', version: 1, text: 'SELECT * FORM users;\n' },
    });
    const warning = await syntaxError(uri, DiagnosticSeverity.Warning);
    assert.deepEqual(warning.range.start, { line: 0, character: 9 });

    // What the extension does on a settings change: notify, then answer the pull.
    configurationAnswer = everySettingExplicitly('error');
    await connection.sendNotification(DidChangeConfigurationNotification.type, {
      settings: { [SECTION]: configurationAnswer },
    });
    await syntaxError(uri, DiagnosticSeverity.Error);

    const rejected = messages.filter((message) => /invalid|ignored/i.test(message));
    assert.deepEqual(rejected, [], 'the server rejected settings');
    assert.doesNotMatch(stderr, /invalid initializationOptions/);
  });
});
