/** Which rows a run was trained and scored on: a stored seeded split, or a split file. */
export type SplitLabel = { kind: 'seeded'; seed: number; testFraction: number } | { kind: 'file'; file: string };

/** The run's `split` column: `seed:<n>/test:<fraction>` or `file:<path>`. */
export function formatSplitLabel(split: SplitLabel): string {
  return split.kind === 'file' ? `file:${split.file}` : `seed:${split.seed}/test:${split.testFraction}`;
}

const SEEDED = /^seed:(\d+)\/test:([\d.]+)$/;

/** Reads a run's `split` column back; undefined for a label this service never writes. */
export function parseSplitLabel(label: string): SplitLabel | undefined {
  if (label.startsWith('file:')) return { kind: 'file', file: label.slice('file:'.length) };
  const match = SEEDED.exec(label);
  return match ? { kind: 'seeded', seed: Number(match[1]), testFraction: Number(match[2]) } : undefined;
}
