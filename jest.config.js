/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: '<rootDir>/test/utils/test-environment.ts',
  roots: ['<rootDir>/test'],
  testRegex: '\\.(spec|e2e-spec)\\.ts$',
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json' }] },
  moduleNameMapper: {
    '^nestjs-security-schemes$': '<rootDir>/lib/index.ts',
    '^(\\.{1,2}/.*)\\.js$': '$1',
  },
  // Hooks that start real processes (OpenID providers, the sample, Chromium) get the same time as tests.
  testTimeout: 60000,
};
