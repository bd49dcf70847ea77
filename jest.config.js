/** ESM + ts-jest: tests import `jest` from '@jest/globals'. */
export default {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: {
    '^(\\.{1,2}/.*)\\.js$': '$1',
  },
  transform: {
    '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: 'tsconfig.json', diagnostics: { ignoreCodes: [151002] } }],
  },
  testMatch: ['<rootDir>/test/**/*.test.ts'],
  // `npm run build` output: never a test, never a module to resolve instead of the sources.
  modulePathIgnorePatterns: ['<rootDir>/dist/'],
  setupFiles: ['<rootDir>/test/setup-env.ts'],
  // One DynamoDB Local for the whole run; its endpoint reaches the workers as TOURNIQUET_TEST_DYNAMODB_ENDPOINT.
  globalSetup: '<rootDir>/test/global-setup.mjs',
  globalTeardown: '<rootDir>/test/global-teardown.mjs',
  testTimeout: 120000,
  // Every core: jest's default (cores - 1) is one worker on a 2-core machine. The suites share one DynamoDB Local
  // (global setup) with a table each and run on virtual time, so they do not contend; 2 workers: 3:45 → 2:12 here.
  maxWorkers: '100%',
};
