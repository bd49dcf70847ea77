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
  return specifiers.map((s) =>
    relative(ROOT, resolve(file, '..', s))
      .split(sep)
      .join('/'),
  );
}

const offending = (dir: string, forbidden: string[]): string[] =>
  tsFiles(dir).flatMap((file) =>
    importsOf(file)
      .filter((target) => forbidden.some((f) => target === f || target.startsWith(`${f}/`)))
      .map((target) => `${relative(ROOT, file)} imports ${target}`),
  );

/** Static value imports (not `import type`, not dynamic `import()`) of a file: what loading it loads. */
function staticImportsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(/^\s*(?:import|export)\s+(?!type\b)(?:[^'";]*?\sfrom\s*)?['"]([^'"]+)['"]/gm)].map((m) => m[1]!);
}

/** Every module `tourniquet --help` loads, from cli/main.ts through static imports: packages and repository files. */
function helpLoads(): { packages: Set<string>; files: Set<string> } {
  const packages = new Set<string>();
  const files = new Set<string>();
  const queue = [join(ROOT, 'cli', 'main.ts')];
  for (let file = queue.pop(); file !== undefined; file = queue.pop()) {
    const path = relative(ROOT, file).split(sep).join('/');
    if (files.has(path)) continue;
    files.add(path);
    for (const specifier of staticImportsOf(file)) {
      if (specifier.startsWith('.')) queue.push(resolve(file, '..', specifier).replace(/\.js$/, '.ts'));
      else packages.add(specifier);
    }
  }
  return { packages, files };
}

describe('module layering', () => {
  it('finds the imports it checks (the scan itself works)', () => {
    expect(importsOf(join(ROOT, 'cli', 'commands', 'drill-action.ts'))).toContain('drill/runner.js');
  });

  it('drill/ never imports cli/ (no cli ↔ drill cycle)', () => {
    expect(offending('drill', ['cli'])).toEqual([]);
  });

  it('`tourniquet --help` loads only command registrations: no SDK, drill or Lambda code (actions load on use)', () => {
    const { packages, files } = helpLoads();
    expect(files).toContain('cli/commands/resolve.ts');
    expect([...packages]).toEqual(['commander']);
    const heavy = [...files].filter((f) => !(f === 'cli/main.ts' || (f.startsWith('cli/commands/') && !f.endsWith('-action.ts')) || f === 'lambdas/operations/defaults.ts'));
    expect(heavy).toEqual([]);
  });

  it('lambdas/ imports neither cli/ nor drill/', () => {
    expect(offending('lambdas', ['cli', 'drill'])).toEqual([]);
  });
});
