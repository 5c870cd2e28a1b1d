import { Counter, Histogram, Registry } from 'prom-client';
import { collectFolded, FoldedCounter, FoldedHistogram } from './folded-metrics';

const BUCKETS = [0.25, 0.5, 1, 2.5, 5];
const LABELS = ['model', 'version'] as const;

/** The same histogram and counter twice: one written through the folded classes, one with direct prom-client calls. */
function pair() {
  const folded = new Registry();
  const direct = new Registry();
  const histogram = (registry: Registry, collect?: typeof collectFolded) =>
    new Histogram({ name: 'value', help: 'v', labelNames: LABELS, buckets: BUCKETS, registers: [registry], collect });
  const counter = (registry: Registry, collect?: typeof collectFolded) =>
    new Counter({ name: 'rows_total', help: 'r', labelNames: LABELS, registers: [registry], collect });
  const foldedHistogram = histogram(folded, collectFolded);
  const foldedCounter = counter(folded, collectFolded);
  return {
    folded,
    direct,
    foldedHistogram,
    values: new FoldedHistogram(foldedHistogram, LABELS, BUCKETS),
    rows: new FoldedCounter(foldedCounter, LABELS),
    directValues: histogram(direct),
    directRows: counter(direct),
  };
}

/** Values that land on bounds, between them, above the last one, below zero, and sums that round. */
const VALUES = [0.1, 0.2, 0.25, 0.3, 0.5, 0.7, 1, 1.1, 2.5, 3.3, 5, 7.77, -1.5, 1e-9, 0.1 + 0.2, 4.999999, 123.456];

describe('FoldedHistogram and FoldedCounter', () => {
  it('export the text that direct observe() and inc() calls give, read after read', async () => {
    const p = pair();
    for (let round = 0; round < 3; round++) {
      for (const [i, value] of VALUES.entries()) {
        const version = String(1 + ((i + round) % 2));
        p.values.labels('housing', version).observe(value * (round + 1));
        p.directValues.labels('housing', version).observe(value * (round + 1));
        p.rows.labels('housing', version).inc(i);
        p.directRows.labels('housing', version).inc(i);
      }
      p.values.labels('iris', '7').observeAll(Float64Array.from(VALUES));
      for (const value of VALUES) p.directValues.labels('iris', '7').observe(value);
      // Read between rounds: the sums continue across folds without re-rounding.
      expect(await p.folded.metrics()).toBe(await p.direct.metrics());
    }
    expect(await p.folded.metrics()).toContain('value_bucket{le="0.25",model="housing",version="1"}');
  });

  it('pins the prom-client internals they write: counts and sums equal those of observe(), bit for bit', async () => {
    const p = pair();
    const values = Array.from({ length: 1000 }, (_, i) => Math.sin(i) * 3 + 2.5);
    p.values.labels('m', '1').observeAll(values);
    for (const value of values) p.directValues.observe({ model: 'm', version: '1' }, value);
    const [folded, direct] = await Promise.all([p.foldedHistogram.get(), p.directValues.get()]);
    expect(folded.values).toEqual(direct.values);
    expect(folded.values.find((v) => v.metricName === 'value_sum')?.value).toBe(values.reduce((s, v) => s + v, 0));
    expect(folded.values.find((v) => v.metricName === 'value_count')?.value).toBe(1000);
  });

  it('are folded by every way the registry is read, each read on its own', async () => {
    type Sample = { metricName?: string; value: number };
    const fromText = (text: string) => Number(/^value_count\{model="m",version="1"\} (\S+)$/m.exec(text)?.[1]);
    const fromValues = (values: Sample[]) => values.find((v) => v.metricName === 'value_count')?.value;
    const reads: [string, (p: ReturnType<typeof pair>) => Promise<number | undefined>][] = [
      ['metrics()', async (p) => fromText(await p.folded.metrics())],
      ['getSingleMetricAsString()', async (p) => fromText(await p.folded.getSingleMetricAsString('value'))],
      [
        'getMetricsAsJSON()',
        async (p) => fromValues((await p.folded.getMetricsAsJSON()).find((m) => m.name === 'value')?.values ?? []),
      ],
      ['metric.get()', async (p) => fromValues((await p.foldedHistogram.get()).values)],
    ];
    for (const [name, read] of reads) {
      const p = pair();
      p.values.labels('m', '1').observe(0.4);
      p.values.labels('m', '1').observe(9);
      expect([name, await read(p)]).toEqual([name, 2]);
      p.values.labels('m', '1').observe(1);
      expect([name, await read(p)]).toEqual([name, 3]);
    }
    const p = pair();
    p.values.labels('m', '1').observe(0.4);
    p.values.labels('m', '1').observe(9);
    expect(await p.folded.getSingleMetricAsString('value')).toBe(
      [
        '# HELP value v',
        '# TYPE value histogram',
        'value_bucket{le="0.25",model="m",version="1"} 0',
        'value_bucket{le="0.5",model="m",version="1"} 1',
        'value_bucket{le="1",model="m",version="1"} 1',
        'value_bucket{le="2.5",model="m",version="1"} 1',
        'value_bucket{le="5",model="m",version="1"} 1',
        'value_bucket{le="+Inf",model="m",version="1"} 2',
        'value_sum{model="m",version="1"} 9.4',
        'value_count{model="m",version="1"} 2',
      ].join('\n'),
    );
    p.rows.labels('m', '1').inc(3);
    expect((await p.folded.getMetricsAsJSON()).find((m) => m.name === 'rows_total')?.values).toEqual([
      { value: 3, labels: { model: 'm', version: '1' } },
    ]);
  });

  it('export a series from its first touch, in the order first touched, and an inc(0) as a 0', async () => {
    const p = pair();
    p.rows.labels('b', '1'); // looked up, never touched: not exported
    p.rows.labels('c', '1').inc(0);
    p.rows.labels('a', '1').inc(2);
    p.rows.labels('c', '1').inc(1);
    expect(await p.folded.getSingleMetricAsString('rows_total')).toBe(
      [
        '# HELP rows_total r',
        '# TYPE rows_total counter',
        'rows_total{model="c",version="1"} 1',
        'rows_total{model="a",version="1"} 2',
      ].join('\n'),
    );
  });

  it("refuse what prom-client refuses, keeping the values observed before (as prom-client's calls would)", async () => {
    const p = pair();
    expect(() => p.values.labels('m', '1').observeAll([1, 2, NaN, 3])).toThrow(
      new TypeError('Value is not a valid number: NaN'),
    );
    expect(() => p.directValues.labels('m', '1').observe(Infinity)).toThrow(TypeError);
    expect(() => p.values.labels('m', '1').observe(Infinity)).toThrow('Value is not a valid number: Infinity');
    expect(() => p.rows.labels('m', '1').inc(-1)).toThrow('It is not possible to decrease a counter');
    expect(await p.folded.getSingleMetricAsString('value')).toContain('value_count{model="m",version="1"} 2');
  });

  it('share a metric with other writers (another instance, direct calls) without losing counts', async () => {
    const p = pair();
    const second = new FoldedHistogram(p.foldedHistogram, LABELS, BUCKETS);
    p.values.labels('m', '1').observe(0.5);
    second.labels('m', '1').observe(1);
    p.foldedHistogram.observe({ model: 'm', version: '1' }, 2);
    await p.folded.metrics();
    p.values.labels('m', '1').observe(4);
    second.labels('m', '1').observe(8);
    second.flush();
    second.detach();
    second.labels('m', '1').observe(100); // detached: never folded
    const text = await p.folded.getSingleMetricAsString('value');
    expect(text).toContain('value_bucket{le="2.5",model="m",version="1"} 3');
    expect(text).toContain('value_bucket{le="+Inf",model="m",version="1"} 5');
    expect(text).toContain('value_sum{model="m",version="1"} 15.5');
    expect(text.match(/value_count/g)).toHaveLength(1);
  });

  it('start again from the next observation after the registry is reset', async () => {
    const p = pair();
    p.values.labels('m', '1').observe(1);
    p.rows.labels('m', '1').inc(1);
    await p.folded.metrics();
    p.folded.resetMetrics();
    expect(await p.folded.getSingleMetricAsString('value')).not.toContain('value_count');
    p.values.labels('m', '1').observe(2);
    p.rows.labels('m', '1').inc(5);
    expect(await p.folded.metrics()).toContain('value_sum{model="m",version="1"} 2\n');
    expect(await p.folded.metrics()).toContain('rows_total{model="m",version="1"} 5\n');
  });
});
