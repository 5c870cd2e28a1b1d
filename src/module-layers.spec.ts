import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

/**
 * The module graph is layered (see the README's architecture section): a module may import its own layer's
 * foundations and anything below it, never above. Modules that must react to a higher one do it through domain
 * events (src/common/events), which the higher module declares and the lower one never imports.
 */
const LAYERS: string[][] = [
  ['ml', 'config', 'types'], // plain code: the learners know no Nest and no I/O; the configuration class
  ['common'], // errors, HTTP plumbing, auth, logging, the domain-event bus
  ['metrics', 'database', 'cluster'], // infrastructure every domain module reports through or stores in
  ['definitions'],
  ['data'],
  ['training'],
  ['registry'],
  ['health'],
  ['prediction'],
  ['monitoring'],
  ['retraining'],
  ['dashboard'],
  ['cli', '.'], // the applications: the CLI module, AppModule, main.ts
];
const SRC = __dirname;
const rank = new Map(LAYERS.flatMap((modules, i) => modules.map((m) => [m, i] as const)));

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'public' ? [] : sources(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.spec.ts') ? [path] : [];
  });
}

/** `src/<module>/...` → `<module>`; a file directly in src → `.`. */
const moduleOf = (file: string): string => {
  const parts = relative(SRC, file).split('/');
  return parts.length > 1 ? parts[0] : '.';
};

/** Every relative import or re-export of a file, type-only ones included (the design is about knowledge). */
function imports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const found = [...text.matchAll(/^\s*(?:import|export)\b[^;]*?\bfrom\s+'(\.{1,2}\/[^']+)'/gms)].map((m) => m[1]);
  const bare = [...text.matchAll(/^\s*import\s+'(\.{1,2}\/[^']+)'/gm)].map((m) => m[1]);
  return [...found, ...bare].map((spec) => resolve(dirname(file), spec));
}

describe('module layers', () => {
  const files = sources(SRC);

  it('places every module folder of src in a layer', () => {
    const modules = new Set(files.map(moduleOf));
    expect([...modules].filter((m) => !rank.has(m))).toEqual([]);
    expect(files.length).toBeGreaterThan(100);
  });

  it('has no import from a lower layer into a higher one', () => {
    const upward: string[] = [];
    for (const file of files) {
      const from = moduleOf(file);
      for (const target of imports(file)) {
        const to = moduleOf(target);
        if (to !== from && (rank.get(to) ?? Infinity) > (rank.get(from) ?? -1)) {
          upward.push(`${relative(SRC, file)} (${from}) imports ${relative(SRC, target)} (${to})`);
        }
      }
    }
    expect(upward).toEqual([]);
  });

  it('keeps src/ml a plain library: no Nest, no I/O, nothing from the service', () => {
    const outside: string[] = [];
    for (const file of files.filter((f) => moduleOf(f) === 'ml')) {
      const text = readFileSync(file, 'utf8');
      for (const m of text.matchAll(/\bfrom\s+'([^']+)'/g)) {
        const spec = m[1];
        const local = spec.startsWith('./');
        if (!local) outside.push(`${relative(SRC, file)}: ${spec}`);
      }
    }
    expect(outside).toEqual([]);
  });
});
