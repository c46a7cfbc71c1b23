// Finds the server executable the way a shell would, so a missing binary is
// reported before a process is spawned. Free of the `vscode` module.

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export interface ResolveOptions {
  /** Base for relative paths with a directory part; usually the first workspace folder. */
  readonly baseDir?: string | undefined;
  /** The `PATH` (and on Windows `PATHEXT`) to search for bare names. */
  readonly env: NodeJS.ProcessEnv;
  readonly platform: NodeJS.Platform;
  readonly homeDir?: string;
}

export type Resolved =
  | { readonly found: true; readonly path: string }
  | { readonly found: false; readonly searched: readonly string[] };

/**
 * Resolves the configured server command:
 * - `~/…` starts in the home directory;
 * - an absolute path is used as is;
 * - a relative path with a directory part is taken from `baseDir`;
 * - a bare name is looked up on `PATH` (with `PATHEXT` on Windows).
 * Returns the executable, or every place that was tried.
 */
export function resolveExecutable(command: string, options: ResolveOptions): Resolved {
  const windows = options.platform === 'win32';
  const pathApi = windows ? path.win32 : path.posix;
  let expanded = command.trim();
  if (expanded === '~' || expanded.startsWith('~/') || (windows && expanded.startsWith('~\\'))) {
    expanded = pathApi.join(options.homeDir ?? os.homedir(), expanded.slice(1));
  }
  const extensions = windows ? windowsExtensions(expanded, options.env) : [''];
  const hasDirectory = expanded.includes('/') || (windows && expanded.includes('\\'));
  let directories: string[];
  if (pathApi.isAbsolute(expanded)) {
    directories = [''];
  } else if (hasDirectory) {
    directories = [options.baseDir ?? process.cwd()];
  } else {
    const searchPath = envValue(options.env, 'PATH', windows) ?? '';
    directories = searchPath
      .split(windows ? ';' : ':')
      .filter((directory) => directory !== '')
      .map((directory) => (windows ? directory.replace(/^"(.*)"$/, '$1') : directory));
  }
  const searched: string[] = [];
  for (const directory of directories) {
    for (const extension of extensions) {
      const candidate =
        directory === '' ? expanded + extension : pathApi.resolve(directory, expanded + extension);
      searched.push(candidate);
      if (isExecutableFile(candidate, windows)) {
        return { found: true, path: candidate };
      }
    }
  }
  return { found: false, searched };
}

function windowsExtensions(command: string, env: NodeJS.ProcessEnv): string[] {
  if (path.win32.extname(command) !== '') {
    return [''];
  }
  const pathExt = envValue(env, 'PATHEXT', true) ?? '.COM;.EXE;.BAT;.CMD';
  return pathExt.split(';').filter((extension) => extension !== '');
}

/** Environment variable names are case-insensitive on Windows. */
function envValue(env: NodeJS.ProcessEnv, name: string, windows: boolean): string | undefined {
  if (!windows) {
    return env[name];
  }
  const key = Object.keys(env).find((candidate) => candidate.toUpperCase() === name);
  return key === undefined ? undefined : env[key];
}

function isExecutableFile(candidate: string, windows: boolean): boolean {
  try {
    if (!fs.statSync(candidate).isFile()) {
      return false;
    }
    if (!windows) {
      fs.accessSync(candidate, fs.constants.X_OK);
    }
    return true;
  } catch {
    return false;
  }
}
