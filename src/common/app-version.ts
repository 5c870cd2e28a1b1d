import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The service's version, from package.json (two folders up from both src/common and dist/common). */
export const APP_VERSION: string = (
  JSON.parse(readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8')) as { version: string }
).version;
