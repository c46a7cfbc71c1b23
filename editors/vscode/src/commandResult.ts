// How the result of `optischema.explain` / `optischema.analyze` is shown.
// Free of the `vscode` module.

/** A document to open beside the editor, or nothing to show. */
export interface Rendered {
  readonly language: 'markdown' | 'json';
  readonly content: string;
}

/**
 * A string result (or an object with a `markdown` string) is Markdown;
 * `null`/`undefined` means the server reports by itself (progress,
 * messages, refreshed diagnostics); anything else is shown as JSON.
 */
export function renderCommandResult(result: unknown): Rendered | undefined {
  if (result === null || result === undefined) {
    return undefined;
  }
  if (typeof result === 'string') {
    return result.trim() === '' ? undefined : { language: 'markdown', content: result };
  }
  if (typeof result === 'object' && !Array.isArray(result)) {
    const markdown = (result as { markdown?: unknown }).markdown;
    if (typeof markdown === 'string') {
      return { language: 'markdown', content: markdown };
    }
  }
  return { language: 'json', content: `${JSON.stringify(result, null, 2)}\n` };
}

/** The arguments the server's statement commands take: `[{uri, position}]`. */
export interface StatementArgument {
  readonly uri: string;
  readonly position: { readonly line: number; readonly character: number };
}
