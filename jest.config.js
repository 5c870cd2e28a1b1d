// Jest runs two projects: unit specs beside the code, e2e specs in test/. `npm test` runs both.
const { readdirSync, readFileSync } = require('node:fs');
const { join } = require('node:path');

/**
 * NestJS 12 and some of its dependencies are published as pure ES modules. Node 20 runs them through require(esm),
 * but Jest's module runtime cannot on Node < 24.9, so Jest compiles those packages to CommonJS with Babel. The list
 * is read from node_modules (every package with "type": "module"), so it stays right as dependencies change.
 */
function esmPackages() {
  const names = new Set();
  const visitFolder = (nodeModules) => {
    let entries;
    try {
      entries = readdirSync(nodeModules);
    } catch {
      return;
    }
    for (const entry of entries) {
      if (entry.startsWith('.')) continue;
      const scoped = entry.startsWith('@');
      for (const name of scoped ? readdirSync(join(nodeModules, entry)).map((s) => `${entry}/${s}`) : [entry]) {
        const folder = join(nodeModules, name);
        try {
          if (JSON.parse(readFileSync(join(folder, 'package.json'), 'utf8')).type === 'module') names.add(name);
        } catch {
          // not a package folder
        }
        visitFolder(join(folder, 'node_modules'));
      }
    }
  };
  visitFolder(join(__dirname, 'node_modules'));
  return [...names];
}

const escape = (s) => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
// Ignore a node_modules file unless the package it belongs to (the last node_modules/<name>/ in its path) is ESM.
const esm = esmPackages().map(escape).join('|');
const transformIgnorePatterns = [`^(?!.*/node_modules/(${esm})/(?!.*/node_modules/)).*/node_modules/`];

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
