// ESLint flat config: `npm run lint` checks, `npm run format` fixes (Prettier owns the layout).
import js from '@eslint/js';
import { defineConfig } from 'eslint/config';
import prettier from 'eslint-config-prettier';
import simpleImportSort from 'eslint-plugin-simple-import-sort';
import tseslint from 'typescript-eslint';

export default defineConfig(
  { ignores: ['node_modules/', 'cdk.out/', 'coverage/', '.drill/', 'dist/'] },
  js.configs.recommended,
  tseslint.configs.recommended,
  {
    plugins: { 'simple-import-sort': simpleImportSort },
    rules: {
      'simple-import-sort/imports': 'error',
      'simple-import-sort/exports': 'error',
    },
  },
  {
    rules: {
      // `_`-prefixed names are deliberately unused (interface-shaped callbacks, destructuring a field away).
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_', ignoreRestSiblings: true }],
      // Untrusted text (alarm names, reasons, SNS subjects) is cleaned of control characters on purpose.
      'no-control-regex': 'off',
      // `interface X extends Pick<Y, …> {}` names a view of a type; keep allowing that.
      '@typescript-eslint/no-empty-object-type': ['error', { allowInterfaces: 'with-single-extends' }],
      // A few best-effort readers of untrusted shapes use `any` knowingly: visible, not fatal.
      '@typescript-eslint/no-explicit-any': 'warn',
    },
  },
  {
    // Tests poke at raw JSON, CDK templates and SDK inputs; `any` is the honest type there.
    files: ['test/**'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  {
    // The few plain JS files (configs, bin, jest global setup) run on Node.
    files: ['**/*.js', '**/*.mjs'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly' } },
  },
  prettier,
);
