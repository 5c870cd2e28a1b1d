import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

/**
 * The module graph is layered (see docs/architecture.md): a module may import its own layer's
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
  ['retention'], // reads what the registry and the retraining queue reference
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

  describe('the architecture page (docs/architecture.md)', () => {
    const section = readFileSync(join(SRC, '..', 'docs', 'architecture.md'), 'utf8');
    const classOf = (text: string, at: number): string =>
      [...text.slice(0, at).matchAll(/export class (\w+)/g)].pop()?.[1] ?? '?';

    it('lists every module folder, lowest layer first', () => {
      const tree = section.slice(section.indexOf('```'), section.indexOf('```', section.indexOf('```') + 3));
      const listed = [...tree.matchAll(/^ {2}([a-z]+)\/[ ,]/gm)].map((m) => m[1]);
      const modules = [...new Set(files.map(moduleOf))].filter((m) => m !== '.' && m !== 'types');
      expect([...listed].sort()).toEqual([...modules].sort());
      const ranks = listed.map((m) => rank.get(m) ?? -1);
      expect(ranks).toEqual([...ranks].sort((a, b) => a - b));
    });

    it('has one row per domain event with its payload, emitters and handlers as the code has them', () => {
      const declared = new Map<string, string>();
      const handlers = new Map<string, Set<string>>();
      const emitters = new Map<string, Set<string>>();
      const add = (map: Map<string, Set<string>>, key: string, value: string) =>
        map.set(key, new Set([...(map.get(key) ?? []), value]));
      for (const file of files) {
        const text = readFileSync(file, 'utf8');
        for (const block of text.matchAll(/declare module '[^']*domain-events' \{([\s\S]*?)\n\}/g)) {
          for (const m of block[1].matchAll(/'([a-z.]+)': (\w+);/g)) declared.set(m[1], m[2]);
        }
        for (const m of text.matchAll(/@OnDomainEvent\('([a-z.]+)'\)/g)) add(handlers, m[1], classOf(text, m.index));
        for (const m of text.matchAll(/events\.emit\(\s*'([a-z.]+)'/g)) add(emitters, m[1], classOf(text, m.index));
      }
      const rows = new Map(
        [...section.matchAll(/^\| `([a-z.]+)` +\| `(\w+)` +\|([^|]*)\|([^|]*)\|$/gm)].map((m) => [
          m[1],
          { payload: m[2], emitted: m[3], handled: new Set([...m[4].matchAll(/`(\w+)`/g)].map((c) => c[1])) },
        ]),
      );
      expect(declared.size).toBeGreaterThanOrEqual(7);
      expect(Object.fromEntries([...rows].map(([name, row]) => [name, row.payload]))).toEqual(
        Object.fromEntries(declared),
      );
      for (const [name, row] of rows) {
        expect({ name, handled: [...row.handled].sort() }).toEqual({
          name,
          handled: [...(handlers.get(name) ?? [])].sort(),
        });
        for (const emitter of emitters.get(name) ?? [])
          expect({ name, emitted: row.emitted }).toEqual({ name, emitted: expect.stringContaining(`\`${emitter}\``) });
      }
    });
  });
});
