import { apiBase } from '../../src/api-url';
import { validateConfig } from '../../src/config';
import { apiBase as dashboardApiBase } from '../../src/dashboard/model';
import { apiBaseOf, resolveApi } from '../../cli/target';

/** cli/target.ts: which API a command talks to, with the one base-URL normaliser of src/api-url.ts. */

const config = validateConfig({ api_key: 'configured-key-0123456789' });
const deployed = async () => ({ baseUrl: 'https://abc.example/prod/', apiKey: 'deployed-key-0123456789' });

test('the dashboard page and the CLI normalise an API URL with the same function', () => {
  expect(dashboardApiBase).toBe(apiBase);
  for (const url of [
    'https://x.example/prod',
    'https://x.example/prod/',
    'https://x.example/prod/track?experiment=a',
    'https://x.example/prod/experiments#top',
    ' https://x.example/prod/delete ',
    'http://127.0.0.1:8787//',
  ]) {
    expect(apiBaseOf(url)).toBe(apiBase(url, 'http://page.example/dashboard'));
  }
  expect(apiBase(' https://x.example/prod/delete ')).toBe('https://x.example/prod');
  expect(apiBase('../api/experiments', 'http://page.example/site/dashboard')).toBe('http://page.example/api');
});

test('a URL that is not http(s) is refused with the flag named', () => {
  expect(() => apiBaseOf('ftp://x.example/', '--url')).toThrow('--url must be http:// or https://, got ftp://');
  expect(() => apiBaseOf('x.example/prod', '--url')).toThrow('--url x.example/prod is not a URL');
  expect(() => apiBase('nothing absolute')).toThrow(/Invalid URL/);
});

test("the key: --key, else the deployment's, else config api_key", async () => {
  const url = 'https://x.example/prod/track';
  const configured = 'configured-key-0123456789';
  const urlTarget = { base: 'https://x.example/prod', apiKey: configured, source: 'url' };
  expect(await resolveApi({ url }, config)).toEqual(urlTarget);
  expect((await resolveApi({ url, key: 'flag-key' }, config)).apiKey).toBe('flag-key');
  expect(await resolveApi({ dev: true, devPort: 9000, key: 'flag-key' }, config)).toEqual({
    base: 'http://127.0.0.1:9000',
    apiKey: 'flag-key',
    source: 'dev',
  });
  expect(await resolveApi({}, config, deployed)).toEqual({
    base: 'https://abc.example/prod',
    apiKey: 'deployed-key-0123456789',
    source: 'deployed',
  });
  expect((await resolveApi({ key: 'flag-key' }, config, deployed)).apiKey).toBe('flag-key');
  const noKey = async () => ({ baseUrl: 'https://abc.example/prod', apiKey: null });
  expect((await resolveApi({}, config, noKey)).apiKey).toBe(configured);
});
