// Lint rules for the whole project: typescript-eslint's strict, type-aware set. Formatting is
// Prettier's job (.prettierrc.json), so no stylistic rules here. Where a rule is tuned, the
// comment says why.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'coverage/', '.ci/', 'ai-conformance-*/'] },
  js.configs.recommended,
  ...tseslint.configs.strictTypeChecked,
  {
    languageOptions: {
      parserOptions: { project: './tsconfig.test.json', tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      // client-node models Kubernetes objects as classes that are only ever used as plain JSON
      // shapes (its own examples pass object literals); the rule would forbid every manifest,
      // and spreading one (to add a label, say) loses no prototype, for there is none.
      '@typescript-eslint/no-unsafe-class-instance-assignment': 'off',
      '@typescript-eslint/no-misused-spread': [
        'error',
        { allow: [{ from: 'package', package: '@kubernetes/client-node', name: ['V1ObjectMeta', 'V1ConfigMap'] }] },
      ],
      // An abort rejects with its signal's reason, as the platform's own APIs do, and a caught
      // error is passed on as it was caught: both are typed any/unknown, and wrapping them would
      // change what callers see. Rejecting or throwing anything else that is not an Error is an error.
      '@typescript-eslint/prefer-promise-reject-errors': ['error', { allowThrowingAny: true, allowThrowingUnknown: true }],
      '@typescript-eslint/only-throw-error': ['error', { allowThrowingAny: true, allowThrowingUnknown: true }],
      // Numbers and booleans read fine in messages; objects and unions with undefined do not.
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true, allowBoolean: true }],
      '@typescript-eslint/no-confusing-void-expression': ['error', { ignoreArrowShorthand: true }],
      // `async` without `await` marks a function that fulfils a Promise-returning contract (check
      // and step bodies, cluster providers, fetch and client stand-ins): it turns a throw into the
      // rejection the caller handles. Dropping it would change behaviour, so the rule only adds noise.
      '@typescript-eslint/require-await': 'off',
      // Objects whose keys are data (JSON documents in the fake API server, process.env) lose keys
      // by `delete`: that is how JSON merge patch and field pruning are defined, and a Map is not JSON.
      '@typescript-eslint/no-dynamic-delete': 'off',
      // A leading underscore marks a binding kept on purpose, as tsc's noUnusedParameters allows:
      // a key left out of a rest copy, a parameter an interface passes.
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_', ignoreRestSiblings: true },
      ],
    },
  },
  {
    // Tests index fixtures they just built; a wrong guess fails the test at once.
    files: ['__tests__/**'],
    rules: { '@typescript-eslint/no-non-null-assertion': 'off' },
  },
  {
    files: ['**/*.js', '**/*.mjs'],
    ...tseslint.configs.disableTypeChecked,
  },
  {
    // The .mjs scripts run under Node, outside the TypeScript project that declares its globals.
    files: ['**/*.mjs'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly', Buffer: 'readonly' } },
  },
);
