import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { isInside, linkTarget, markdownFiles, markdownLinks } from './doc-links';

/** A fenced block of a Markdown document: its language, its `file=<name>` if it names one, its text and line. */
export interface DocBlock {
  doc: string;
  line: number;
  language: string;
  file?: string;
  text: string;
}

/** The documented service address the examples talk to. */
export const DOCUMENTED_BASE = 'localhost:8000';

/** Every fenced block of a Markdown file, in order. */
export function fencedBlocks(path: string, name = path): DocBlock[] {
  const lines = readFileSync(path, 'utf8').split('\n');
  const blocks: DocBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(\S*)(.*)$/.exec(lines[i]);
    if (!open) continue;
    const start = i;
    const body: string[] = [];
    for (i++; i < lines.length && !lines[i].startsWith('```'); i++) body.push(lines[i]);
    const file = /\bfile=(\S+)/.exec(open[2])?.[1];
    blocks.push({ doc: name, line: start + 1, language: open[1], file, text: body.join('\n') });
  }
  return blocks;
}

/** A document of the documentation: its name (relative to the repository) and path. */
export interface DocPage {
  name: string;
  path: string;
}

/** The documentation, in reading order, and what the index names that does not exist, or does not name. */
export interface Documentation {
  /** README.md, docs/README.md (the index), then every page the index links to, in the order of its links. */
  pages: DocPage[];
  /** Pages the index links to that do not exist (yet). */
  missing: string[];
  /** Markdown files under docs/ that the index does not link to. */
  unlinked: string[];
}

/**
 * README.md and the docs/ tree in reading order: the pages are those docs/README.md links to (relative links to
 * Markdown files under docs/, each once, in the order of their first link).
 */
export function documentation(root: string): Documentation {
  const docs = join(root, 'docs');
  const index = join(docs, 'README.md');
  const page = (path: string): DocPage => ({ name: relative(root, path), path });
  const linked: string[] = [];
  if (existsSync(index)) {
    for (const link of markdownLinks(readFileSync(index, 'utf8'))) {
      const file = linkTarget(index, link.target, root)?.file;
      if (file && file !== index && file.endsWith('.md') && isInside(file, docs) && !linked.includes(file)) {
        linked.push(file);
      }
    }
  }
  const present = markdownFiles(docs).filter((file) => file !== index);
  return {
    pages: [join(root, 'README.md'), index, ...linked].filter((file) => existsSync(file)).map(page),
    missing: linked.filter((file) => !existsSync(file)).map((file) => relative(root, file)),
    unlinked: present.filter((file) => !linked.includes(file)).map((file) => relative(root, file)),
  };
}

/**
 * The files the documents ask the reader to save (```yaml file=diabetes.yaml), by name: a name saved twice must
 * have the same text both times.
 */
export function docFiles(blocks: readonly DocBlock[]): Map<string, string> {
  const files = new Map<string, string>();
  const from = new Map<string, string>();
  for (const block of blocks) {
    if (!block.file) continue;
    const where = `${block.doc}:${block.line}`;
    if (files.has(block.file) && files.get(block.file) !== block.text) {
      throw new Error(`${where} saves ${block.file} with another text than ${from.get(block.file)}`);
    }
    files.set(block.file, block.text);
    from.set(block.file, where);
  }
  return files;
}

/** How many curl commands a block holds (each `curl` word at a command position). */
export const curlCount = (text: string): number => (text.match(/(^|[\s($|])curl\s/gm) ?? []).length;

/** The shell blocks that talk to the service: curl calls to its documented address. */
export const serviceExamples = (blocks: DocBlock[]): DocBlock[] =>
  blocks.filter(
    (b) => ['bash', 'sh', 'shell'].includes(b.language) && b.text.includes(DOCUMENTED_BASE) && curlCount(b.text) > 0,
  );

/**
 * Inside the example's shell, `curl` fails on an HTTP error (exit 22 with the body shown) unless the example
 * already chose how to fail (`-f`, `-sf`, `--fail`: a polling loop), and every call is counted in CURL_LOG.
 */
const CURL_WRAPPER = `
curl() {
  printf '%s\\n' "$*" >> "$CURL_LOG"
  local arg
  for arg in "$@"; do
    case "$arg" in --fail|--fail-with-body|-[a-zA-Z]*f*) command curl --show-error "$@"; return;; esac
  done
  command curl --show-error --fail-with-body "$@"
}
`;

export interface ExampleRun {
  code: number | null;
  stdout: string;
  stderr: string;
  curls: number;
}

/**
 * Runs a block as a user would paste it into bash (with `set -euo pipefail`, so a failing command, HTTP error or
 * pipeline fails the block), in `cwd`, against `base` instead of the documented address.
 */
export function runExample(
  block: DocBlock,
  options: { cwd: string; base: string; env: Record<string, string>; timeoutMs: number },
): Promise<ExampleRun> {
  const log = join(options.cwd, `.curl-${block.doc.replace(/[^\w.-]/g, '_')}-${block.line}.log`);
  writeFileSync(log, '');
  const script = `set -euo pipefail\n${CURL_WRAPPER}\n${block.text.replaceAll(DOCUMENTED_BASE, options.base)}\n`;
  return new Promise((resolve) => {
    const child = spawn('bash', ['-c', script], {
      cwd: options.cwd,
      env: { PATH: process.env.PATH ?? '', HOME: options.cwd, CURL_LOG: log, ...options.env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      const curls = readFileSync(log, 'utf8').split('\n').filter(Boolean).length;
      resolve({ code, stdout, stderr, curls });
    });
  });
}
