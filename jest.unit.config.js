/** Fast loop: only the unit specs of pure modules (no database). `npm test` runs everything. */
const base = require('./jest.config');
module.exports = { ...base, testMatch: ['<rootDir>/src/**/*.spec.ts'], globalSetup: undefined, globalTeardown: undefined };
