// Maps the VS Code settings under `optischema.*` to the object the server
// reads (`initializationOptions` and the `optischema` section of
// `workspace/configuration`). Free of the `vscode` module so it can be tested
// with plain Node.

/** The VS Code configuration section, and the section the server asks for. */
export const SECTION = 'optischema';

/**
 * Keys under `optischema.*` that only the extension reads. The server rejects
 * unknown keys, so these are never sent.
 */
export const CLIENT_ONLY_PREFIXES: readonly string[] = ['server.', 'trace.'];

export type JsonValue = string | number | boolean | null | JsonValue[] | JsonObject;
export interface JsonObject {
  [key: string]: JsonValue;
}

/** One setting as VS Code sees it. */
export interface SettingValue {
  /** Whether the user set it in any scope (user, workspace, folder, language). */
  readonly explicit: boolean;
  /** The effective value (scopes merged, default included). */
  readonly value: unknown;
}

/** Reads one setting, by its key relative to `optischema.`. */
export type ReadSetting = (key: string) => SettingValue;

/** The shape of `contributes.configuration` in package.json. */
interface ConfigurationContribution {
  readonly properties?: Record<string, unknown>;
}

/**
 * The server's setting keys (relative to `optischema.`, e.g.
 * `thresholds.slowMeanMs`), taken from the extension's own
 * `contributes.configuration`, so package.json is the one list to extend.
 */
export function serverSettingKeys(packageJson: unknown): string[] {
  const contributes = (packageJson as { contributes?: { configuration?: unknown } }).contributes;
  const configuration = contributes?.configuration;
  const groups: ConfigurationContribution[] = Array.isArray(configuration)
    ? (configuration as ConfigurationContribution[])
    : configuration !== undefined
      ? [configuration as ConfigurationContribution]
      : [];
  const prefix = `${SECTION}.`;
  const keys: string[] = [];
  for (const group of groups) {
    for (const name of Object.keys(group.properties ?? {})) {
      if (!name.startsWith(prefix)) {
        continue;
      }
      const key = name.slice(prefix.length);
      if (!isClientOnly(key)) {
        keys.push(key);
      }
    }
  }
  return keys;
}

export function isClientOnly(key: string): boolean {
  return CLIENT_ONLY_PREFIXES.some((prefix) => key.startsWith(prefix));
}

/**
 * The settings object for the server: only what the user set explicitly,
 * nested by the dots in the key. Defaults are left out on purpose: the
 * server has the same defaults, and an `optischema.toml` in the workspace
 * must not be overridden by values nobody chose. Empty strings mean "not
 * set" (VS Code's settings editor cannot unset a string), and so do `null`
 * and `undefined`.
 */
export function buildServerSettings(keys: readonly string[], read: ReadSetting): JsonObject {
  const settings: JsonObject = {};
  for (const key of keys) {
    if (isClientOnly(key)) {
      continue;
    }
    const { explicit, value } = read(key);
    if (!explicit) {
      continue;
    }
    const json = toJson(value);
    if (json === undefined || json === null || json === '') {
      continue;
    }
    setPath(settings, key.split('.'), json);
  }
  return settings;
}

function setPath(target: JsonObject, path: readonly string[], value: JsonValue): void {
  let node = target;
  for (const segment of path.slice(0, -1)) {
    const child = node[segment];
    if (isJsonObject(child)) {
      node = child;
    } else {
      const created: JsonObject = {};
      node[segment] = created;
      node = created;
    }
  }
  const last = path[path.length - 1];
  if (last !== undefined) {
    node[last] = value;
  }
}

function isJsonObject(value: JsonValue | undefined): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * A plain JSON copy of a settings value. VS Code hands out proxies for
 * objects, and JSON-RPC must not see functions or non-finite numbers.
 */
export function toJson(value: unknown): JsonValue | undefined {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return value;
    case 'number':
      return Number.isFinite(value) ? value : undefined;
    case 'object': {
      if (value === null) {
        return null;
      }
      if (Array.isArray(value)) {
        return value.map((item) => toJson(item) ?? null);
      }
      const copy: JsonObject = {};
      for (const [key, item] of Object.entries(value)) {
        const json = toJson(item);
        if (json !== undefined) {
          copy[key] = json;
        }
      }
      return copy;
    }
    default:
      return undefined;
  }
}
