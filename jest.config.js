// Jest runs two projects: unit specs beside the code, e2e specs in test/. `npm test` runs both.
const { readdirSync, readFileSync } = require('node:fs');
const { join } = require('node:path');

/**
 * NestJS 12 and some of its dependencies are published as pure ES modules. Node 20 runs them through require(esm),
 * but Jest's module runtime cannot on Node < 24.9, so Jest compiles those packages to CommonJS with Babel. The list
 * is read from node_modules (every package with "type": "module"), so it stays right as dependencies change.
 */
function esmPackages() {
  const root = join(__dirname, 'node_modules');
  const names = [];
  const visit = (name) => {
    try {
      const pkg = JSON.parse(readFileSync(join(root, name, 'package.json'), 'utf8'));
      if (pkg.type === 'module') names.push(name);
    } catch {
      // not a package folder
    }
  };
  for (const entry of readdirSync(root)) {
    if (entry.startsWith('.')) continue;
    if (entry.startsWith('@')) for (const scoped of readdirSync(join(root, entry))) visit(`${entry}/${scoped}`);
    else visit(entry);
  }
  return names;
}

const escape = (s) => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
const transformIgnorePatterns = [`/node_modules/(?!(${esmPackages().map(escape).join('|')})/)`];

const tsJest = [
  'ts-jest',
  {
    tsconfig: '<rootDir>/tsconfig.json',
    // Same @nestjs/swagger CLI plugin as `nest build`, so tests see the same OpenAPI metadata.
    astTransformers: { before: [{ path: '<rootDir>/test/support/swagger-plugin-transformer.js' }] },
    // The project compiles to CommonJS under `module: nodenext`; ts-jest warns about that mode needlessly.
    diagnostics: { ignoreCodes: [151002] },
  },
];
const esmToCjs = [
  'babel-jest',
  {
    babelrc: false,
    configFile: false,
    plugins: [
      join(__dirname, 'test/support/babel-import-meta-cjs.js'),
      '@babel/plugin-transform-dynamic-import',
      '@babel/plugin-transform-modules-commonjs',
    ],
  },
];

const project = (displayName, testMatch, extra = {}) => ({
  displayName,
  rootDir: __dirname,
  testEnvironment: 'node',
  testMatch,
  transform: { '^.+\\.ts$': tsJest, '^.+\\.[cm]?js$': esmToCjs },
  transformIgnorePatterns,
  setupFiles: ['<rootDir>/test/support/quiet-logger.ts'],
  ...extra,
});

/** @type {import('jest').Config} */
module.exports = {
  testTimeout: 60000,
  projects: [project('unit', ['<rootDir>/src/**/*.spec.ts']), project('e2e', ['<rootDir>/test/**/*.e2e-spec.ts'])],
};
