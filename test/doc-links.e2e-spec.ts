import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { documentation } from './support/doc-examples';
import { brokenLinks, documentAnchors, githubSlug, markdownFiles, markdownLinks } from './support/doc-links';
import { REPO_ROOT } from './support/housing-data';

/** No service: reads README.md and docs/ only. */
describe('documentation links', () => {
  it('resolves every relative link and #anchor of README.md and docs/', () => {
    const files = [join(REPO_ROOT, 'README.md'), ...markdownFiles(join(REPO_ROOT, 'docs'))];
    expect(brokenLinks(files, REPO_ROOT)).toEqual([]);
  });

  it('names each link to a missing file or anchor with its document and line', () => {
    const root = mkdtempSync(join(tmpdir(), 'nest-mlops-links-'));
    try {
      mkdirSync(join(root, 'docs'));
      writeFileSync(join(root, 'README.md'), '# Title\n\n[docs](docs/README.md) [up](#title) [gone](#nowhere)\n');
      writeFileSync(
        join(root, 'docs', 'README.md'),
        '# Index\n\n[serving](serving.md#errors)\n[absent](absent.md)\n[home](../README.md#title) [web](https://x.org/a.md)\n',
      );
      writeFileSync(join(root, 'docs', 'serving.md'), '# Serving\n\n## Error model\n');
      const files = [join(root, 'README.md'), ...markdownFiles(join(root, 'docs'))];
      expect(brokenLinks(files, root)).toEqual([
        'README.md:3 (#nowhere): README.md has no heading with the anchor #nowhere',
        'docs/README.md:3 (serving.md#errors): docs/serving.md has no heading with the anchor #errors',
        'docs/README.md:4 (absent.md): docs/absent.md does not exist',
      ]);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('reads the documentation in the order of the index: missing pages noted, unlinked pages named', () => {
    const root = mkdtempSync(join(tmpdir(), 'nest-mlops-links-'));
    try {
      mkdirSync(join(root, 'docs', 'guides'), { recursive: true });
      writeFileSync(join(root, 'README.md'), '# Title\n');
      const index =
        '- [Serving](serving.md#errors)\n- [Models](./models.md)\n- [Later](later.md)\n- [Again](serving.md)\n';
      writeFileSync(join(root, 'docs', 'README.md'), `${index}- [Home](../README.md) [site](https://x.org/y.md)\n`);
      for (const page of ['serving.md', 'models.md', 'stray.md', 'guides/deep.md']) {
        writeFileSync(join(root, 'docs', page), '# Page\n');
      }
      const docs = documentation(root);
      expect(docs.pages.map((page) => page.name)).toEqual([
        'README.md',
        'docs/README.md',
        'docs/serving.md',
        'docs/models.md',
      ]);
      expect(docs.missing).toEqual(['docs/later.md']);
      expect(docs.unlinked).toEqual(['docs/guides/deep.md', 'docs/stray.md']);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it("makes anchors by GitHub's rules", () => {
    expect(githubSlug('Bring your own model')).toBe('bring-your-own-model');
    expect(githubSlug('`POST /predict/{name}`: one row')).toBe('post-predictname-one-row');
    expect(githubSlug('Errors (one body shape) & status codes')).toBe('errors-one-body-shape--status-codes');
    expect(githubSlug('MAX_BATCH_ROWS and [the limits](x.md)')).toBe('max_batch_rows-and-the-limits');
    expect(githubSlug('**Open** Inference Protocol / KServe V2')).toBe('open-inference-protocol--kserve-v2');
    expect(githubSlug('Déploiement: étape 1.2')).toBe('déploiement-étape-12');
  });

  it('reads headings outside code only, numbers repeated ones and keeps HTML anchors', () => {
    const text = [
      '# Serving',
      '## Errors',
      '```bash',
      '# not a heading',
      '```',
      '## Errors',
      'Setext heading',
      '---',
      '<a name="custom-anchor"></a>',
    ].join('\n');
    expect([...documentAnchors(text)]).toEqual(['serving', 'errors', 'errors-1', 'setext-heading', 'custom-anchor']);
  });

  it('finds inline, image, reference and HTML links outside code', () => {
    const text = [
      'See [serving](serving.md#errors) and ![plot](img/plot.png "The plot").',
      '`[not](a-link.md)` and',
      '```',
      '[nor](this.md)',
      '```',
      '[ref]: ../README.md',
      '<img src="docs/shot.png">',
    ].join('\n');
    expect(markdownLinks(text)).toEqual([
      { line: 1, target: 'serving.md#errors' },
      { line: 1, target: 'img/plot.png' },
      { line: 6, target: '../README.md' },
      { line: 7, target: 'docs/shot.png' },
    ]);
  });
});
