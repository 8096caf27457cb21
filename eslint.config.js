// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

// Pure cores (DESIGN.md "Layout"): no I/O modules, no adapters, no wall clock, timers or env.
const forbiddenImports = {
  paths: [
    ...['net', 'dgram', 'tls', 'http', 'https', 'fs', 'fs/promises', 'child_process', 'http2', 'cluster', 'worker_threads'].flatMap(
      (m) => [
        { name: `node:${m}`, message: 'Pure core: I/O belongs in src/adapters (DESIGN.md).' },
        { name: m, message: 'Pure core: I/O belongs in src/adapters (DESIGN.md).' },
      ],
    ),
    { name: 'ioredis', message: 'Pure core: state I/O belongs in src/adapters/state.' },
    { name: 'drachtio-srf', message: 'Pure core: drachtio belongs in src/adapters/drachtio.' },
    { name: 'werift', message: 'Pure core: werift belongs in src/adapters/webrtc.' },
  ],
  patterns: [{ group: ['**/adapters/**', 'werift/*'], message: 'Pure core must not import adapters.' }],
};
const forbiddenCalls = [
  { selector: "CallExpression[callee.object.name='Date'][callee.property.name='now']", message: 'Pure core: time comes in as an argument or through a Clock.' },
  { selector: "NewExpression[callee.name='Date'][arguments.length=0]", message: 'Pure core: time comes in as an argument or through a Clock.' },
  { selector: "CallExpression[callee.name=/^(setTimeout|setInterval|setImmediate)$/]", message: 'Pure core: timers belong to adapters; use an injected Clock.' },
  { selector: "MemberExpression[object.name='process'][property.name='env']", message: 'Pure core: library code never reads process.env (DESIGN.md convention 10).' },
  { selector: "MemberExpression[object.name='performance'][property.name='now']", message: 'Pure core: time comes in as an argument or through a Clock.' },
];

export default tseslint.config(
  { ignores: ['node_modules/**', 'dist/**', 'coverage/**', 'src/adapters/http/static/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { ecmaVersion: 2024, sourceType: 'module', globals: { process: 'readonly', console: 'readonly', Buffer: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', setInterval: 'readonly', clearInterval: 'readonly', setImmediate: 'readonly', URL: 'readonly', performance: 'readonly' } },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  {
    files: ['sdp/**/*.ts', 'crypto-policy/**/*.ts', 'src/core/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', forbiddenImports],
      'no-restricted-syntax': ['error', ...forbiddenCalls],
      'no-restricted-globals': ['error', { name: 'process', message: 'Pure core: no process access.' }],
    },
  },
);
