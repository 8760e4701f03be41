/** Tests are TypeScript ESM, compiled by ts-jest; integration tests drive the built CLI in dist/. */
export default {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: {
    '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: 'tsconfig.json', diagnostics: false }],
  },
  testMatch: ['<rootDir>/src/**/*.test.ts', '<rootDir>/test/**/*.test.ts'],
  testTimeout: 60000,
  // The end-to-end suites mostly wait on child processes and HTTP: two workers on a 2-core machine halve the wall time.
  maxWorkers: 2,
};
