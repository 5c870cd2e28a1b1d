import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { APP_VERSION } from './app-version';

describe('the service version', () => {
  const root = join(__dirname, '..', '..');
  const changelog = readFileSync(join(root, 'CHANGELOG.md'), 'utf8');

  it('is package.json’s, and CHANGELOG.md has a dated section for it under Unreleased', () => {
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string };
    expect(APP_VERSION).toBe(pkg.version);
    const sections = [...changelog.matchAll(/^## \[([^\]]+)\](?: - (\d{4}-\d{2}-\d{2}))?$/gm)];
    expect(sections[0]?.[1]).toBe('Unreleased');
    const released = sections.slice(1);
    // The newest released section is the current version, each one dated.
    expect(released[0]?.[1]).toBe(APP_VERSION);
    for (const section of released) expect(section[2]).toMatch(/^\d{4}-\d{2}-\d{2}$/);
  });

  it('labels the image: the Dockerfile’s APP_VERSION default (its org.opencontainers.image.version) is it', () => {
    const dockerfile = readFileSync(join(root, 'Dockerfile'), 'utf8');
    expect(/^ARG APP_VERSION=(\S+)$/m.exec(dockerfile)?.[1]).toBe(APP_VERSION);
    expect(dockerfile).toContain('org.opencontainers.image.version="${APP_VERSION}"');
  });
});
