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
      // shapes (its own examples pass object literals); the rule would forbid every manifest.
      '@typescript-eslint/no-unsafe-class-instance-assignment': 'off',
      // Numbers and booleans read fine in messages; objects and unions with undefined do not.
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true, allowBoolean: true }],
      '@typescript-eslint/no-confusing-void-expression': ['error', { ignoreArrowShorthand: true }],
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
);
