// The OptiSchema extension: starts `optischema lsp` for SQL files, keeps its
// settings in sync and adds the statement commands.

import * as vscode from 'vscode';
import {
  DidChangeConfigurationNotification,
  ExecuteCommandRequest,
  LanguageClient,
  LanguageClientOptions,
  ResponseError,
  ServerOptions,
  State,
} from 'vscode-languageclient/node';

import { StatementArgument, renderCommandResult } from './commandResult';
import { resolveExecutable } from './executable';
import { JsonObject, SECTION, buildServerSettings, serverSettingKeys, toJson } from './settings';

const CLIENT_ID = 'optischema';
const CLIENT_NAME = 'OptiSchema';

/** Server-side commands (`workspace/executeCommand`). */
const SERVER_COMMANDS = {
  explain: 'optischema.explain',
  analyze: 'optischema.analyze',
} as const;

let server: ServerController | undefined;

export function activate(context: vscode.ExtensionContext): void {
  const output = vscode.window.createOutputChannel(CLIENT_NAME);
  const controller = new ServerController(serverSettingKeys(context.extension.packageJSON), output);
  server = controller;
  context.subscriptions.push(
    output,
    controller,
    vscode.commands.registerCommand('optischema.restartServer', () => controller.restart()),
    vscode.commands.registerCommand('optischema.showOutput', () => output.show(true)),
    vscode.commands.registerCommand('optischema.explainStatement', () =>
      controller.runStatementCommand(SERVER_COMMANDS.explain, 'Explaining statement'),
    ),
    vscode.commands.registerCommand('optischema.analyzeStatement', () =>
      controller.runStatementCommand(SERVER_COMMANDS.analyze, 'Analyzing statement'),
    ),
    vscode.workspace.onDidChangeConfiguration((event) => {
      // The server re-reads its own settings; only the process itself needs a restart.
      if (event.affectsConfiguration(`${SECTION}.server`)) {
        void controller.restart();
      }
    }),
  );
  // Not awaited: activation (and with it our commands) must not wait for the
  // server to initialize; start failures are reported by the controller.
  void controller.start();
}

export async function deactivate(): Promise<void> {
  await server?.stop();
  server = undefined;
}

/** Owns the language client; `restart` replaces it with a fresh one. */
class ServerController implements vscode.Disposable {
  private client: LanguageClient | undefined;
  /** Serializes start/stop so a burst of setting changes restarts once at a time. */
  private pending: Promise<void> = Promise.resolve();

  constructor(
    private readonly serverKeys: readonly string[],
    private readonly output: vscode.OutputChannel,
  ) {}

  start(): Promise<void> {
    return this.enqueue(() => this.startNow());
  }

  stop(): Promise<void> {
    return this.enqueue(() => this.stopNow());
  }

  restart(): Promise<void> {
    return this.enqueue(async () => {
      await this.stopNow();
      await this.startNow();
    });
  }

  dispose(): void {
    void this.stop();
  }

  /** The settings object for the server, built from explicitly set `optischema.*` values. */
  serverSettings(scope?: vscode.Uri): JsonObject {
    const configuration = vscode.workspace.getConfiguration(SECTION, scope ?? null);
    return buildServerSettings(this.serverKeys, (key) => {
      const inspected = configuration.inspect(key);
      const explicit =
        inspected !== undefined &&
        [
          inspected.globalValue,
          inspected.workspaceValue,
          inspected.workspaceFolderValue,
          inspected.globalLanguageValue,
          inspected.workspaceLanguageValue,
          inspected.workspaceFolderLanguageValue,
        ].some((value) => value !== undefined);
      return { explicit, value: configuration.get(key) };
    });
  }

  async runStatementCommand(command: string, title: string): Promise<void> {
    const editor = vscode.window.activeTextEditor;
    if (editor === undefined || editor.document.languageId !== 'sql') {
      void vscode.window.showWarningMessage(
        'OptiSchema: open a SQL file and put the cursor in a statement first.',
      );
      return;
    }
    const client = this.client;
    if (client === undefined || client.state !== State.Running) {
      const choice = await vscode.window.showErrorMessage(
        'OptiSchema: the language server is not running.',
        'Restart Server',
        'Show Output',
      );
      if (choice === 'Restart Server') {
        await this.restart();
      } else if (choice === 'Show Output') {
        this.output.show(true);
      }
      return;
    }
    const argument: StatementArgument = {
      uri: client.code2ProtocolConverter.asUri(editor.document.uri),
      position: client.code2ProtocolConverter.asPosition(editor.selection.active),
    };
    let result: unknown;
    try {
      result = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: `OptiSchema: ${title}…`, cancellable: true },
        (_progress, token) =>
          client.sendRequest(ExecuteCommandRequest.type, { command, arguments: [argument] }, token),
      );
    } catch (error) {
      if (error instanceof vscode.CancellationError) {
        return;
      }
      const message =
        error instanceof ResponseError || error instanceof Error ? error.message : String(error);
      this.output.appendLine(`${command} failed: ${message}`);
      void vscode.window.showErrorMessage(`OptiSchema: ${message}`);
      return;
    }
    await showCommandResult(result);
  }

  private enqueue(action: () => Promise<void>): Promise<void> {
    const next = this.pending.then(action, action);
    this.pending = next.catch(() => undefined);
    return next;
  }

  private async startNow(): Promise<void> {
    const configuration = vscode.workspace.getConfiguration(SECTION);
    const configuredPath = configuration.get<string>('server.path', 'optischema');
    const extraArgs = stringArray(configuration.get<unknown>('server.args', []));
    const extraEnv = stringRecord(configuration.get<unknown>('server.env', {}));
    const baseDir = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;

    const resolved = resolveExecutable(configuredPath === '' ? 'optischema' : configuredPath, {
      baseDir,
      env: process.env,
      platform: process.platform,
    });
    if (!resolved.found) {
      this.output.appendLine(
        `Cannot find the OptiSchema server "${configuredPath}". Tried:\n  ${resolved.searched.join('\n  ')}`,
      );
      this.reportStartFailure(
        `OptiSchema: cannot find the language server "${configuredPath}". ` +
          'Install it (`cargo install --path .` in the OptiSchema repository) or set "optischema.server.path".',
      );
      return;
    }

    const serverOptions: ServerOptions = {
      command: resolved.path,
      args: ['lsp', ...extraArgs],
      options: {
        env: { ...process.env, ...extraEnv },
        ...(baseDir !== undefined ? { cwd: baseDir } : {}),
      },
    };
    const clientOptions: LanguageClientOptions = {
      documentSelector: [
        { scheme: 'file', language: 'sql' },
        { scheme: 'untitled', language: 'sql' },
      ],
      outputChannel: this.output,
      initializationOptions: () => this.serverSettings(),
      // Sends workspace/didChangeConfiguration when `optischema.*` changes;
      // the middleware below replaces the raw section with the server's shape.
      synchronize: { configurationSection: SECTION },
      middleware: {
        // A code lens runs `optischema.explain` through the client's own
        // handler, which would drop the plan it answers with: show it.
        executeCommand: async (command, args, next) => {
          const result: unknown = await next(command, args);
          if (command === SERVER_COMMANDS.explain) {
            await showCommandResult(result);
          }
          return result;
        },
        workspace: {
          configuration: async (params, token, next) => {
            const answers = await next(params, token);
            if (answers instanceof ResponseError) {
              return answers;
            }
            return params.items.map((item, index) =>
              item.section === SECTION
                ? this.serverSettings(item.scopeUri ? vscode.Uri.parse(item.scopeUri) : undefined)
                : answers[index],
            );
          },
          didChangeConfiguration: async (sections, next) => {
            if (sections === undefined || !sections.includes(SECTION)) {
              return next(sections);
            }
            await client.sendNotification(DidChangeConfigurationNotification.type, {
              settings: { [SECTION]: this.serverSettings() },
            });
          },
        },
      },
    };
    const client = new LanguageClient(CLIENT_ID, CLIENT_NAME, serverOptions, clientOptions);
    this.client = client;
    this.output.appendLine(`Starting ${resolved.path} ${['lsp', ...extraArgs].join(' ')}`);
    try {
      await client.start();
    } catch (error) {
      this.client = undefined;
      await client.dispose().catch(() => undefined);
      const message = error instanceof Error ? error.message : String(error);
      this.reportStartFailure(
        `OptiSchema: the language server "${resolved.path}" could not be started: ${message}`,
      );
    }
  }

  private async stopNow(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    if (client === undefined) {
      return;
    }
    try {
      await client.dispose(5000);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      this.output.appendLine(`Stopping the server failed: ${message}`);
    }
  }

  /** Shows the failure without waiting for the user, so start/restart can finish. */
  private reportStartFailure(message: string): void {
    this.output.appendLine(message);
    void vscode.window.showErrorMessage(message, 'Open Settings', 'Show Output').then((choice) => {
      if (choice === 'Open Settings') {
        void vscode.commands.executeCommand('workbench.action.openSettings', `${SECTION}.server`);
      } else if (choice === 'Show Output') {
        this.output.show(true);
      }
    });
  }
}

/** `optischema.server.args` as strings only (anything else is dropped). */
function stringArray(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : [];
}

/** `optischema.server.env` as string values only (anything else is dropped). */
function stringRecord(value: unknown): Record<string, string> {
  const json = toJson(value);
  const result: Record<string, string> = {};
  if (typeof json === 'object' && json !== null && !Array.isArray(json)) {
    for (const [key, item] of Object.entries(json)) {
      if (typeof item === 'string') {
        result[key] = item;
      }
    }
  }
  return result;
}

/** Opens a server command's Markdown or JSON answer beside the editor. */
async function showCommandResult(result: unknown): Promise<void> {
  const rendered = renderCommandResult(result);
  if (rendered === undefined) {
    return;
  }
  const document = await vscode.workspace.openTextDocument({
    language: rendered.language,
    content: rendered.content,
  });
  await vscode.window.showTextDocument(document, {
    viewColumn: vscode.ViewColumn.Beside,
    preserveFocus: true,
    preview: true,
  });
}
