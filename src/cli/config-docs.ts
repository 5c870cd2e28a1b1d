import 'reflect-metadata';
import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { CONFIG_TABLE_DOC, configTableMarkdown, withConfigTable } from '../config/config-docs';

/**
 * `npm run config:docs` prints the configuration table; `-- --write` puts it into docs/configuration.md;
 * `-- --check` fails when that page's table differs from the schema (part of `npm run check`).
 */
const pagePath = resolve(__dirname, '..', '..', CONFIG_TABLE_DOC);
const mode = process.argv[2];
if (mode === '--write' || mode === '--check') {
  const page = readFileSync(pagePath, 'utf8');
  const updated = withConfigTable(page);
  if (mode === '--write') {
    writeFileSync(pagePath, updated);
    console.log(`Updated the configuration table in ${pagePath}`);
  } else if (updated !== page) {
    console.error(
      `${CONFIG_TABLE_DOC}: the configuration table is out of date with src/config/app-config.ts: run \`npm run config:docs -- --write\`.`,
    );
    process.exit(1);
  } else {
    console.log(`${CONFIG_TABLE_DOC}: the configuration table matches the schema.`);
  }
} else {
  console.log(configTableMarkdown());
}
