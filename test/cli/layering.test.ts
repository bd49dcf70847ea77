import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from '@jest/globals';

/**
 * The CLI runs drills, so drill/ must not import cli/ (that would be an import cycle, and would load
 * CLI code into every drill); the Lambda code imports neither. Shared use cases live in
 * lambdas/operations/. Checked on the source text: static imports, re-exports and dynamic import().
 */

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

function tsFiles(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.ts'))
    .map((entry) => join(entry.parentPath, entry.name));
}

/** Every relative module specifier of a file, resolved to a repository path such as `cli/commands/resolve.js`. */
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const specifiers = [...text.matchAll(/(?:\bfrom\s*|\bimport\s*\(\s*|^\s*import\s+)['"](\.{1,2}\/[^'"]+)['"]/gm)].map((m) => m[1]!);
  return specifiers.map((s) => relative(ROOT, resolve(file, '..', s)).split(sep).join('/'));
}

const offending = (dir: string, forbidden: string[]): string[] =>
  tsFiles(dir).flatMap((file) =>
    importsOf(file)
      .filter((target) => forbidden.some((f) => target === f || target.startsWith(`${f}/`)))
      .map((target) => `${relative(ROOT, file)} imports ${target}`),
  );

describe('module layering', () => {
  it('finds the imports it checks (the scan itself works)', () => {
    expect(importsOf(join(ROOT, 'cli', 'commands', 'drill-action.ts'))).toContain('drill/runner.js');
  });

  it('drill/ never imports cli/ (no cli ↔ drill cycle)', () => {
    expect(offending('drill', ['cli'])).toEqual([]);
  });

  it('lambdas/ imports neither cli/ nor drill/', () => {
    expect(offending('lambdas', ['cli', 'drill'])).toEqual([]);
  });
});
