import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { closeAllProfiles, openProfile, outputDir, startDev, type DevFixture } from '../helpers/browser';

/**
 * Sixpack's browser client (npm sixpack-client 2.1.0, unmodified) on a page of another origin:
 * it calls `/participate` and `/convert` through `<script>` tags (JSONP, `callback=sixpack.callbackN`),
 * and `abtest dev` counts what it sends.
 */

jest.setTimeout(60_000);

let fx: DevFixture;
let site: http.Server;
let siteUrl: string;

const clientFile = require.resolve('sixpack-client/sixpack.js');

const page = () => `<!doctype html><html><head><meta charset="utf-8"><script src="/sixpack.js"></script></head>
<body><h1>Sixpack over JSONP</h1><p id="variant">…</p><p id="converted">…</p><button id="buy">Buy</button>
<script>
  var session = new sixpack.Session({ base_url: ${JSON.stringify(fx.dev.url)}, timeout: 5000 });
  session.participate('button-color', ['red', 'blue'], function (err, res) {
    document.getElementById('variant').textContent = err ? 'error ' + err : res.status + ' ' + res.alternative.name;
    document.body.dataset.variant = res.alternative.name;
  });
  document.getElementById('buy').onclick = function () {
    session.convert('button-color', 'purchase', function (err, res) {
      document.getElementById('converted').textContent = err ? 'error ' + err : res.status + ' kpi ' + res.conversion.kpi;
    });
  };
</script></body></html>`;

beforeAll(async () => {
  fx = await startDev({ counting: 'exact' });
  site = http.createServer((req, res) => {
    if (req.url === '/sixpack.js')
      return void res.writeHead(200, { 'Content-Type': 'text/javascript' }).end(fs.readFileSync(clientFile));
    if (req.url === '/') return void res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' }).end(page());
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => site.listen(0, '127.0.0.1', () => resolve()));
  siteUrl = `http://127.0.0.1:${(site.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await closeAllProfiles();
  await new Promise<void>((resolve) => (site ? site.close(() => resolve()) : resolve()));
  await fx?.stop();
});

it('participates and converts through <script> tags; the same visitor keeps its alternative; counted once', async () => {
  const requests: string[] = [];
  const profile = await openProfile();
  profile.page.on('request', (r) => {
    if (r.url().startsWith(fx.dev.url)) requests.push(r.url());
  });
  await profile.page.goto(`${siteUrl}/`);
  await profile.page.waitForFunction(() => document.body.dataset.variant);
  const variant = await profile.page.evaluate(() => document.body.dataset.variant!);
  expect(['red', 'blue']).toContain(variant);
  expect(await profile.page.textContent('#variant')).toBe(`ok ${variant}`);
  await profile.page.click('#buy');
  await profile.page.waitForFunction(() => document.getElementById('converted')!.textContent !== '…');
  expect(await profile.page.textContent('#converted')).toBe('ok kpi purchase');
  await profile.page.screenshot({ path: path.join(outputDir(), 'sixpack-jsonp.png') });
  // JSONP: a callback in the query, no fetch/XHR (so no CORS preflight).
  expect(requests.some((u) => /\/participate\?.*callback=sixpack\.callback1/.test(u))).toBe(true);
  expect(requests.some((u) => /\/convert\?.*callback=sixpack\.callback2/.test(u))).toBe(true);

  // The cookie keeps the client id: a reload shows the same alternative and counts nothing new.
  await profile.page.reload();
  await profile.page.waitForFunction(() => document.body.dataset.variant);
  expect(await profile.page.evaluate(() => document.body.dataset.variant)).toBe(variant);
  const counts = await fx.counts('button-color');
  expect(counts?.participants[variant]).toBe(1);
  expect(counts?.goals.purchase[variant]).toBe(1);
});
