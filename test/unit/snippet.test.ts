import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import vm from 'node:vm';
import { buildBrowser, CLIENT_GZIP_LIMIT } from '../../cli/build/browser';
import { run } from '../../cli/commands/snippet';
import { snippet } from '../../cli/snippet';
import { apiBaseOf } from '../../cli/target';

/** `abtest snippet`: the printed block, its inlined client, and where the URL comes from. */

let dir: string;
let config: string;

beforeAll(async () => {
  const files = await buildBrowser();
  for (const f of files) expect(f.gzipBytes).toBeLessThan(CLIENT_GZIP_LIMIT);
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'abtest-snippet-'));
  config = path.join(dir, 'config.json');
  fs.writeFileSync(config, JSON.stringify({ namespace: 'site' }));
});

afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** The inline scripts of an HTML text. */
const scripts = (html: string) => [...html.matchAll(/<script>([\s\S]*?)<\/script>/g)].map((m) => m[1]);

test('the block inlines the client, starts it with the URL and namespace, and shows a commented example', () => {
  const html = snippet({ trackUrl: 'https://abc.execute-api.eu-west-1.amazonaws.com/prod/track', namespace: 'site' });
  expect(html).not.toMatch(/<script[^>]+src=/);
  expect(html).toContain(
    'abtest.init({"url":"https://abc.execute-api.eu-west-1.amazonaws.com/prod/track","namespace":"site"',
  );
  expect(html).toContain('abtest.experiment({');
  expect(html).toContain('abtest.complete("bought")');
  expect(scripts(html)).toHaveLength(2);
  // The example runs once its first and last comment lines are deleted.
  const example = scripts(html)[1].trim().split('\n').slice(1, -1).join('\n');
  expect(() => new Function(example)).not.toThrow();
});

test('running the block defines window.abtest and sends to the track URL as text/plain', async () => {
  const html = snippet({ trackUrl: 'https://api.example/prod/track', namespace: 'site' });
  const sent: { url: string; init: RequestInit }[] = [];
  const context = vm.createContext({
    URLSearchParams,
    Uint8Array,
    crypto: globalThis.crypto,
    console: { warn: () => undefined },
    setTimeout,
    fetch: async (url: string, init: RequestInit) => {
      sent.push({ url, init });
      return { status: 200, text: async () => '{"namespace":"site","experiments":[]}' };
    },
  });
  for (const code of scripts(html)) vm.runInContext(code, context);
  // A first visit decides once the definitions (none here) have come: read the variant in `ready`.
  vm.runInContext(
    'var e = abtest.experiment({ name: "e", variants: { a: {}, b: {} } }); abtest.ready(function () { globalThis.v = e.variant; });',
    context,
  );
  await new Promise((r) => setTimeout(r, 20));
  expect(['a', 'b']).toContain(context.v);
  expect(sent.map((x) => x.url)).toEqual([
    'https://api.example/prod/config?namespace=site',
    'https://api.example/prod/track',
  ]);
  expect(sent[0].init).toMatchObject({ cache: 'no-cache', credentials: 'omit' });
  expect(sent[1].init).toMatchObject({ method: 'POST', keepalive: true, headers: { 'Content-Type': 'text/plain' } });
  expect(JSON.parse(sent[1].init.body as string)).toEqual([
    expect.objectContaining({ namespace: 'site', experiment: 'e', event: 'participate', variant: context.v }),
  ]);
});

test('a URL or namespace cannot end the script element', () => {
  const html = snippet({ trackUrl: 'https://x.example/</script><script>alert(1)</script>', namespace: '<!--' });
  expect(html.match(/<\/script>/g)).toHaveLength(2);
  expect(html).not.toContain('<!--"');
});

test('the track URL: --url (base or route), --dev, else an error that names the fix', async () => {
  expect((await run({ config, url: 'https://abc.example/prod/experiments' })).trackUrl).toBe(
    'https://abc.example/prod/track',
  );
  expect((await run({ config, url: 'https://abc.example/prod/' })).trackUrl).toBe('https://abc.example/prod/track');
  const dev = await run({ config, dev: true, namespace: 'other' });
  expect(dev).toMatchObject({ trackUrl: 'http://127.0.0.1:8787/track', namespace: 'other', source: 'dev' });
  expect(dev.html).toContain('"namespace":"other"');
  expect((await run({ config, url: 'https://abc.example/prod' })).namespace).toBe('site');
  const deployed = await run(
    { config, region: 'eu-west-1' },
    {
      describe: async (o) => {
        expect(o).toMatchObject({ region: 'eu-west-1', config: expect.objectContaining({ namespace: 'site' }) });
        return { baseUrl: 'https://abc.execute-api.eu-west-1.amazonaws.com/prod', apiKey: 'k' };
      },
    },
  );
  expect(deployed).toMatchObject({
    trackUrl: 'https://abc.execute-api.eu-west-1.amazonaws.com/prod/track',
    source: 'deployed',
  });
  await expect(
    run({ config }, { describe: async () => Promise.reject(new Error('AWS region is missing')) }),
  ).rejects.toMatchObject({
    message: 'cannot look up the deployed API: AWS region is missing',
    hint: expect.stringContaining('--dev'),
  });
  await expect(run({ config }, { describe: async () => null })).rejects.toMatchObject({
    message: expect.stringContaining('no deployed API'),
    hint: expect.stringContaining('--url'),
  });
  expect(() => apiBaseOf('ftp://x')).toThrow(/http/);
  expect(() => apiBaseOf('not a url')).toThrow(/not a URL/);
});
