import type { MitigationAdapters } from '../../lambdas/mitigations/ports.js';

/** The catalogue's adapters with only the ones a test provides; any other fails loudly when a mitigation asks for it. */
export function fakeAdapters(given: Partial<Record<keyof MitigationAdapters, object>>): MitigationAdapters {
  return new Proxy({} as MitigationAdapters, {
    get: (_target, name: string) => async () => {
      const adapter = given[name as keyof MitigationAdapters];
      if (!adapter) throw new Error(`the ${name} adapter is not expected in this test`);
      return adapter;
    },
  });
}
