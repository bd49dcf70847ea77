import { readFileSync } from 'node:fs';
import * as path from 'node:path';

import { describe, expect, it } from '@jest/globals';

import { compose } from '../../../lambdas/runtime/compose/index.js';
import { FUNCTION_MANIFEST } from '../../../lambdas/runtime/manifest.js';
import { COMMON_ENVIRONMENT } from '../../../lib/constructs/handler-function.js';
import { HANDLER_NAMES } from '../../../lib/handlers.js';
import { functionsByHandler, ROOT, sampleConfig, templateFor } from '../../lib/support.js';

/** The manifest is the one source of each function's environment: the stack sets exactly it, the handler reads exactly it. */
describe('the per-function manifest', () => {
  it('has an entry and a composition for every function the stack deploys, and nothing else', () => {
    expect(Object.keys(FUNCTION_MANIFEST).sort()).toEqual([...HANDLER_NAMES].sort());
    expect(Object.keys(compose).sort()).toEqual([...HANDLER_NAMES].sort());
  });

  it('sets on each deployed function exactly the variables its manifest entry names (besides the shared Powertools ones)', () => {
    const functions = functionsByHandler(templateFor(sampleConfig()));
    for (const name of HANDLER_NAMES) {
      const variables = Object.keys(functions[name]!.Properties.Environment?.Variables ?? {}).filter((v) => !(v in COMMON_ENVIRONMENT));
      expect({ name, variables: variables.sort() }).toEqual({ name, variables: [...FUNCTION_MANIFEST[name].env].sort() });
    }
  });

  it('has each handler read its environment through its own entry (composedHandler with its own name)', () => {
    for (const name of HANDLER_NAMES) {
      const source = readFileSync(path.join(ROOT, 'lambdas/handlers', `${name}.ts`), 'utf8');
      expect({ name, composed: source.includes(`composedHandler('${name}',`) }).toEqual({ name, composed: true });
      expect({ name, readsEnvDirectly: /process\.env|readEnv\(/.test(source) }).toEqual({ name, readsEnvDirectly: false });
    }
  });
});
