import { validateConfig } from '../../src/config';
import { InputError } from '../../src/errors';
import { MAX_BATCH, parseTrack } from '../../src/events';
import { proxyEvent } from '../helpers/events';

const config = validateConfig({ max_name_length: 20, allowed_experiments: null });
const ev = { experiment: 'e', variant: 'v', event: 'participate', uuid: 'u' };

describe('parseTrack', () => {
  it('reads a GET query string, + is a space, namespace defaults', () => {
    const plus = parseTrack(proxyEvent('GET', '/track', { query: { ...ev, experiment: 'my+test' } }), config);
    const pct = parseTrack(proxyEvent('GET', '/track', { query: { ...ev, experiment: 'my test' } }), config);
    expect(plus).toEqual([{ namespace: 'alephbet', experiment: 'my test', variant: 'v', event: 'participate', uuid: 'u' }]);
    expect(pct).toEqual(plus);
  });

  it('ignores unknown query parameters such as cache busters', () => {
    expect(parseTrack(proxyEvent('GET', '/track', { query: { ...ev, _: '123' } }), config)).toHaveLength(1);
  });

  it('reads one JSON object, an array, text/plain and base64 bodies', () => {
    const one = parseTrack(proxyEvent('POST', '/track', { body: JSON.stringify({ ...ev, namespace: 'n' }), headers: { 'Content-Type': 'application/json' } }), config);
    expect(one).toEqual([{ ...ev, namespace: 'n' }]);
    const many = parseTrack(proxyEvent('POST', '/track', { body: JSON.stringify([ev, { ...ev, event: 'buy' }]), headers: { 'content-type': 'text/plain;charset=UTF-8' } }), config);
    expect(many.map((e) => e.event)).toEqual(['participate', 'buy']);
    const b64 = parseTrack(proxyEvent('POST', '/track', { body: JSON.stringify(ev), base64: true }), config);
    expect(b64[0].uuid).toBe('u');
  });

  const post = (body: string, headers: Record<string, string> = {}) => proxyEvent('POST', '/track', { body, headers });
  it.each([
    ['missing field', proxyEvent('GET', '/track', { query: { experiment: 'e', variant: 'v', event: 'participate' } }), 'uuid', /uuid is missing/],
    ['too long', proxyEvent('GET', '/track', { query: { ...ev, variant: 'x'.repeat(21) } }), 'variant', /variant is longer than 20 characters/],
    ['control character', proxyEvent('GET', '/track', { query: { ...ev, experiment: 'a\nb' } }), 'experiment', /experiment contains a control character/],
    ['bad JSON', post('{"experiment":'), 'body', /not valid JSON/],
    ['empty body', post(''), 'body', /body is empty/],
    ['empty array', post('[]'), 'body', /empty array/],
    ['too many', post(JSON.stringify(Array(MAX_BATCH + 1).fill(ev))), 'body', /101 events; at most 100/],
    ['not an object', post('[1]'), '[0]', /\[0\] must be an event object/],
    ['number field', post(JSON.stringify([ev, { ...ev, uuid: 5 }])), '[1].uuid', /\[1\]\.uuid must be a string/],
    ['unknown field', post(JSON.stringify({ ...ev, experiement: 'x' })), 'experiement', /experiement is not a known field/],
    ['wrong content type', post(JSON.stringify(ev), { 'Content-Type': 'application/x-www-form-urlencoded' }), 'content-type', /content-type application\/x-www-form-urlencoded is not accepted/],
  ])('refuses %s, naming the field', (_name, event, field, message) => {
    let err: unknown;
    try {
      parseTrack(event, config);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(InputError);
    expect((err as InputError).field).toBe(field);
    expect((err as InputError).message).toMatch(message);
  });

  it('holds the allow-list', () => {
    const allow = validateConfig({ allowed_experiments: ['ok'] });
    expect(() => parseTrack(proxyEvent('GET', '/track', { query: { ...ev, experiment: 'other' } }), allow)).toThrow(/"other" is not in allowed_experiments/);
    expect(parseTrack(proxyEvent('GET', '/track', { query: { ...ev, experiment: 'ok' } }), allow)).toHaveLength(1);
  });
});
