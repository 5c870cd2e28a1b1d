import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';

/** A link of a Markdown document: where it is (1-based line) and its target as written. */
export interface DocLink {
  line: number;
  target: string;
}

const FENCE = /^ {0,3}(```|~~~)/;
const ATX_HEADING = /^ {0,3}#{1,6}\s+(.*?)(\s+#+)?\s*$/;
const SETEXT_UNDERLINE = /^ {0,3}(=+|-+)\s*$/;

/** The lines of a document with fenced code blanked (so nothing inside a code block counts), by index. */
function proseLines(text: string): string[] {
  let fence: string | undefined;
  return text.split('\n').map((line) => {
    const marker = FENCE.exec(line)?.[1];
    if (fence) {
      if (marker === fence) fence = undefined;
      return '';
    }
    if (marker) {
      fence = marker;
      return '';
    }
    return line;
  });
}

const withoutCodeSpans = (line: string): string =>
  line.replace(/(`+)(?:(?!\1).)+?\1/g, (span) => ' '.repeat(span.length));

/** Every link target of a document outside code: inline links and images, reference definitions, href/src. */
export function markdownLinks(text: string): DocLink[] {
  const links: DocLink[] = [];
  proseLines(text).forEach((raw, i) => {
    const line = withoutCodeSpans(raw);
    const add = (target: string) => links.push({ line: i + 1, target });
    for (const m of line.matchAll(/!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) add(m[1]);
    const definition = /^ {0,3}\[[^\]]+\]:\s*<?([^\s>]+)>?/.exec(line);
    if (definition) add(definition[1]);
    for (const m of line.matchAll(/\b(?:href|src)\s*=\s*"([^"]+)"/g)) add(m[1]);
  });
  return links;
}

/** A heading's text as GitHub renders it: links and images by their text, code and emphasis markers and HTML gone. */
function renderedText(heading: string): string {
  return heading
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/<[^>]+>/g, '')
    .replace(/`/g, '')
    .replace(/(\*\*|__|\*)(.+?)\1/g, '$2')
    .replace(/(^|[^\p{L}\p{N}])_(.+?)_(?=[^\p{L}\p{N}]|$)/gu, '$1$2');
}

/**
 * GitHub's anchor of a heading: lowercase, every character but letters, digits, connector punctuation (`_`), `-`
 * and spaces dropped, spaces turned into `-`.
 */
export const githubSlug = (heading: string): string =>
  renderedText(heading)
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '')
    .replace(/ /g, '-');

/**
 * The anchors a document offers: one per heading (ATX or setext; a repeated slug gets `-1`, `-2`, … as on GitHub),
 * and the names and ids of HTML elements.
 */
export function documentAnchors(text: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  const addHeading = (heading: string) => {
    const slug = githubSlug(heading);
    const count = seen.get(slug) ?? 0;
    seen.set(slug, count + 1);
    anchors.add(count === 0 ? slug : `${slug}-${count}`);
  };
  const lines = proseLines(text);
  lines.forEach((line, i) => {
    const atx = ATX_HEADING.exec(line);
    if (atx) addHeading(atx[1]);
    else if (SETEXT_UNDERLINE.test(line) && i > 0 && lines[i - 1].trim() && !ATX_HEADING.test(lines[i - 1])) {
      addHeading(lines[i - 1]);
    }
    for (const m of withoutCodeSpans(line).matchAll(/<[a-z][^>]*\s(?:name|id)\s*=\s*"([^"]+)"/gi)) anchors.add(m[1]);
  });
  return anchors;
}

/** Where a relative link points: the file (absolute) and the anchor; undefined for an address elsewhere. */
export function linkTarget(from: string, target: string, root: string): { file: string; anchor?: string } | undefined {
  if (/^[a-z][a-z\d+.-]*:/i.test(target) || target.startsWith('//')) return undefined;
  const [path, anchor] = target.split('#', 2) as [string, string | undefined];
  const decoded = decodeURIComponent(path);
  const file = decoded === '' ? from : decoded.startsWith('/') ? join(root, decoded) : resolve(dirname(from), decoded);
  return { file, anchor: anchor === undefined ? undefined : decodeURIComponent(anchor) };
}

/**
 * The relative links of `files` that do not resolve: a file or folder that does not exist, or an anchor that the
 * Markdown file it names does not have. Each problem names the document and line.
 */
export function brokenLinks(files: readonly string[], root: string): string[] {
  const anchors = new Map<string, Set<string>>();
  const anchorsOf = (file: string) => {
    if (!anchors.has(file)) anchors.set(file, documentAnchors(readFileSync(file, 'utf8')));
    return anchors.get(file)!;
  };
  const problems: string[] = [];
  for (const file of files) {
    for (const link of markdownLinks(readFileSync(file, 'utf8'))) {
      const to = linkTarget(file, link.target, root);
      if (!to) continue;
      const where = `${relative(root, file)}:${link.line} (${link.target})`;
      if (!existsSync(to.file)) problems.push(`${where}: ${relative(root, to.file)} does not exist`);
      else if (to.anchor && to.file.endsWith('.md') && !anchorsOf(to.file).has(to.anchor)) {
        problems.push(`${where}: ${relative(root, to.file)} has no heading with the anchor #${to.anchor}`);
      }
    }
  }
  return problems;
}

/** Every Markdown file under a folder (recursively), as absolute paths in name order; none when it is absent. */
export function markdownFiles(folder: string): string[] {
  if (!existsSync(folder)) return [];
  return readdirSync(folder, { recursive: true, encoding: 'utf8' })
    .filter((name) => name.endsWith('.md'))
    .map((name) => join(folder, name))
    .sort();
}

/** Whether `file` lies inside `folder`. */
export const isInside = (file: string, folder: string): boolean => file.startsWith(folder + sep);
