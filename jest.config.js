/** Jest runs two projects: unit specs beside the code, e2e specs in test/. `npm test` runs both. */
const swaggerPlugin = {
  path: '<rootDir>/test/support/swagger-plugin-transformer.js',
};
const tsJest = [
  'ts-jest',
  { tsconfig: '<rootDir>/tsconfig.json', astTransformers: { before: [swaggerPlugin] } },
];

/** @type {import('jest').Config} */
module.exports = {
  projects: [
    {
      displayName: 'unit',
      rootDir: __dirname,
      testEnvironment: 'node',
      testMatch: ['<rootDir>/src/**/*.spec.ts'],
      transform: { '^.+\\.ts$': tsJest },
    },
    {
      displayName: 'e2e',
      rootDir: __dirname,
      testEnvironment: 'node',
      testMatch: ['<rootDir>/test/**/*.e2e-spec.ts'],
      transform: { '^.+\\.ts$': tsJest },
      testTimeout: 60000,
    },
  ],
};
