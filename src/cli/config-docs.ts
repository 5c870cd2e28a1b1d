import 'reflect-metadata';
import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { configTableMarkdown, withConfigTable } from '../config/config-docs';

/**
 * `npm run config:docs` prints the configuration table; `-- --write` puts it into README.md; `-- --check` fails
 * when README.md's table differs from the schema (part of `npm run check`).
 */
const readmePath = resolve(__dirname, '..', '..', 'README.md');
const mode = process.argv[2];
if (mode === '--write' || mode === '--check') {
  const readme = readFileSync(readmePath, 'utf8');
  const updated = withConfigTable(readme);
  if (mode === '--write') {
    writeFileSync(readmePath, updated);
    console.log(`Updated the configuration table in ${readmePath}`);
  } else if (updated !== readme) {
    console.error(
      'README.md configuration table is out of date with src/config/app-config.ts: run `npm run config:docs -- --write`.',
    );
    process.exit(1);
  } else {
    console.log('README.md configuration table matches the schema.');
  }
} else {
  console.log(configTableMarkdown());
}
