import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { snippet } from '../../cli/snippet';
import cases from '../unit/assign.cases.json';
import { closeAllProfiles, eventually, openProfile, outputDir, startDev, type DevFixture } from '../helpers/browser';

/**
 * Pages on another origin than the API, as on a real site: the printed snippet, and the
 * Alephbet library with its GimelAdapter (GET /track with `+` for spaces), both counted by
 * `abtest dev` (HyperLogLog counting here) and shown by the dashboard.
 */

jest.setTimeout(60_000);

let fx: DevFixture;
let site: http.Server;
let siteUrl: string;

const alephbetFile = path.join(path.dirname(require.resolve('alephbet/package.json')), 'dist', 'alephbet.min.js');

function pages(): Record<string, () => string> {
  return {
    '/alephbet.min.js': () => fs.readFileSync(alephbetFile, 'utf8'),
    '/alephbet.html': () => `<!doctype html><html><head><script src="/alephbet.min.js"></script></head><body>
<button id="signup">Sign up</button>
<script>
  var adapter = new AlephBet.GimelAdapter(${JSON.stringify(fx.dev.trackUrl)}, ${JSON.stringify(fx.namespace)});
  var exp = new AlephBet.Experiment({
    name: 'alephbet test',
    tracking_adapter: adapter,
    variants: {
      'red one': { activate: function () { document.body.dataset.variant = 'red one'; } },
      'blue one': { activate: function () { document.body.dataset.variant = 'blue one'; } }
    }
  });
  var goal = new AlephBet.Goal('signed up');
  goal.add_experiment(exp);
  document.getElementById('signup').onclick = function () { goal.complete(); };
</script></body></html>`,
    '/snippet.html':
      () => `<!doctype html><html><head>${snippet({ trackUrl: fx.dev.trackUrl, namespace: fx.namespace })}</head><body>
<button id="buy">Buy</button>
<script>
  var e = abtest.experiment({ name: 'price tag', variants: { low: { weight: 1, activate: function (v) { document.body.dataset.variant = v; } }, high: { weight: 3, activate: function (v) { document.body.dataset.variant = v; } } } });
  document.getElementById('buy').onclick = function () { abtest.complete('bought', { unique: false }); };
</script></body></html>`,
  };
}

beforeAll(async () => {
  fx = await startDev({ counting: 'hll' });
  const routes = pages();
  site = http.createServer((req, res) => {
    const page = routes[req.url ?? ''];
    if (!page) return void res.writeHead(404).end();
    res
      .writeHead(200, { 'Content-Type': req.url!.endsWith('.js') ? 'text/javascript' : 'text/html; charset=utf-8' })
      .end(page());
  });
  await new Promise<void>((resolve) => site.listen(0, '127.0.0.1', () => resolve()));
  // Another port is another origin: the API answers with CORS, as API Gateway does.
  siteUrl = `http://127.0.0.1:${(site.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await closeAllProfiles();
  await new Promise<void>((resolve) => (site ? site.close(() => resolve()) : resolve()));
  await fx?.stop();
});

test('the printed snippet tracks from another origin without preflight, non-unique goals every time', async () => {
  const p = await openProfile();
  const methods: string[] = [];
  p.page.on('request', (r) => {
    if (r.url().startsWith(fx.dev.url)) methods.push(r.method());
  });
  await p.page.goto(`${siteUrl}/snippet.html`);
  await p.page.waitForSelector('body[data-variant]');
  const variant = (await p.page.getAttribute('body', 'data-variant'))!;
  await p.page.click('#buy');
  await p.page.waitForTimeout(50);
  await p.page.click('#buy');
  const c = await eventually(
    () => fx.counts('price tag'),
    (x) => x?.goals.bought?.[variant] === 2,
  );
  expect(c).toEqual({ participants: { [variant]: 1 }, goals: { bought: { [variant]: 2 } } });
  expect(methods).not.toContain('OPTIONS');
  await p.close();
});

test('Alephbet with its GimelAdapter shows up in the dashboard', async () => {
  const p = await openProfile();
  await p.page.goto(`${siteUrl}/alephbet.html`);
  await p.page.waitForSelector('body[data-variant]');
  const variant = (await p.page.getAttribute('body', 'data-variant'))!;
  await p.page.click('#signup');
  const c = await eventually(
    () => fx.counts('alephbet test'),
    (x) => x?.goals['signed up']?.[variant] === 1,
  );
  expect(c).toEqual({ participants: { [variant]: 1 }, goals: { 'signed up': { [variant]: 1 } } });
  // Alephbet's queue is empty once every GET got its 200.
  expect(
    await eventually(
      () => p.page.evaluate(() => JSON.parse(localStorage.getItem('alephbet') || '{}')._gimel_queue),
      (q) => q === '[]',
    ),
  ).toBe('[]');

  await p.page.goto(`${fx.dev.url}/dashboard`);
  await p.page.waitForSelector('[data-experiment="alephbet test"]');
  const row = `[data-experiment="alephbet test"] [data-goal="signed up"] tr[data-variant="${variant}"]`;
  expect(await p.page.textContent(`${row} td[data-col="conversions"]`)).toBe('\u22481');
  expect(await p.page.textContent('[data-experiment="alephbet test"] .badge')).toBe(
    'HLL counts, error \u2264 \u00b10.81%',
  );
  await p.page.screenshot({ path: path.join(outputDir(), 'dashboard-hll.png'), fullPage: true });
  await p.close();
});

test('the built client assigns users as the versioned table of src/assign cases says', async () => {
  const p = await openProfile();
  await p.page.goto(`${siteUrl}/snippet.html`);
  const got = await p.page.evaluate(
    ({ list, url }) => {
      const w = window as unknown as {
        abtest: { init(o: unknown): void; experiment(o: unknown): { variant: string | null; tracked: boolean } };
      };
      return list.map((c) => {
        // Code only: the table is about the code's assignment (no wait for server definitions),
        // each case on a fresh device (a visitor keeps a variant once given, whatever the weights).
        localStorage.clear();
        w.abtest.init({ url, namespace: 'assign-cases', userId: c.visitor, config: false });
        const variants = Object.fromEntries(
          c.variants.map((v) => [v.label, { weight: (v as { weight?: number }).weight }]),
        );
        const e = w.abtest.experiment({ name: c.experiment, variants, sample: c.sample });
        return { variant: e.variant, inSample: e.tracked };
      });
    },
    { list: cases.assign, url: fx.dev.trackUrl },
  );
  expect(got).toEqual(cases.assign.map((c) => ({ variant: c.variant, inSample: c.inSample })));
  await p.close();
});
