import { validateConfig } from '../../src/config';
import { InputError } from '../../src/errors';
import { parseTrack as parseRequest } from '../../src/events';
import { MAX_BATCH, nameProblem } from '../../src/protocol';
import { proxyEvent } from '../helpers/events';

const config = validateConfig({ max_name_length: 20, allowed_experiments: null });
const ev = { experiment: 'e', variant: 'v', event: 'participate', uuid: 'u' };
/** The accepted events of a request. */
const parseTrack = (...args: Parameters<typeof parseRequest>) => parseRequest(...args).accepted.map((a) => a.event);

describe('parseTrack', () => {
  it('reads a GET query string, + is a space, namespace defaults', () => {
    const plus = parseTrack(proxyEvent('GET', '/track', { query: { ...ev, experiment: 'my+test' } }), config);
    const pct = parseTrack(proxyEvent('GET', '/track', { query: { ...ev, experiment: 'my test' } }), config);
    expect(plus).toEqual([
      { namespace: 'alephbet', experiment: 'my test', variant: 'v', event: 'participate', uuid: 'u' },
    ]);
    expect(pct).toEqual(plus);
  });

  it('ignores unknown query parameters such as cache busters', () => {
    expect(parseTrack(proxyEvent('GET', '/track', { query: { ...ev, _: '123' } }), config)).toHaveLength(1);
  });

  it('reads one JSON object, an array, text/plain and base64 bodies', () => {
    const one = parseTrack(
      proxyEvent('POST', '/track', {
        body: JSON.stringify({ ...ev, namespace: 'n' }),
        headers: { 'Content-Type': 'application/json' },
      }),
      config,
    );
    expect(one).toEqual([{ ...ev, namespace: 'n' }]);
    const many = parseTrack(
      proxyEvent('POST', '/track', {
        body: JSON.stringify([ev, { ...ev, event: 'buy' }]),
        headers: { 'content-type': 'text/plain;charset=UTF-8' },
      }),
      config,
    );
    expect(many.map((e) => e.event)).toEqual(['participate', 'buy']);
    const b64 = parseTrack(proxyEvent('POST', '/track', { body: JSON.stringify(ev), base64: true }), config);
    expect(b64[0].uuid).toBe('u');
  });

  const invalidUtf8Body = {
    ...proxyEvent('POST', '/track'),
    isBase64Encoded: true,
    body: Buffer.concat([
      Buffer.from('{"experiment":"a'),
      Buffer.from([0xff]),
      Buffer.from('","variant":"v","event":"e","uuid":"u"}'),
    ]).toString('base64'),
  };
  const post = (body: string, headers: Record<string, string> = {}) => proxyEvent('POST', '/track', { body, headers });
  it.each([
    [
      'missing field',
      proxyEvent('GET', '/track', { query: { experiment: 'e', variant: 'v', event: 'participate' } }),
      'uuid',
      /uuid is missing/,
    ],
    [
      'too long',
      proxyEvent('GET', '/track', { query: { ...ev, variant: 'x'.repeat(21) } }),
      'variant',
      /variant is longer than 20 characters/,
    ],
    [
      'control character',
      proxyEvent('GET', '/track', { query: { ...ev, experiment: 'a\nb' } }),
      'experiment',
      /experiment contains a control character/,
    ],
    ['bad JSON', post('{"experiment":'), 'body', /not valid JSON/],
    ['empty body', post(''), 'body', /body is empty/],
    ['empty array', post('[]'), 'body', /empty array/],
    ['too many', post(JSON.stringify(Array(MAX_BATCH + 1).fill(ev))), 'body', /101 events; at most 100/],
    ['not an object', post('1'), 'body', /an event must be an object/],
    ['number field', post(JSON.stringify({ ...ev, uuid: 5 })), 'uuid', /uuid must be a string/],
    [
      'lone surrogate in JSON',
      post('{"experiment":"a\\ud800","variant":"v","event":"e","uuid":"u"}'),
      'experiment',
      /not valid Unicode/,
    ],
    [
      'lone low surrogate in a query',
      proxyEvent('GET', '/track', { query: { ...ev, variant: '\udfffx' } }),
      'variant',
      /not valid Unicode/,
    ],
    [
      'U+FFFD (bytes that were not UTF-8) in a query',
      proxyEvent('GET', '/track', { query: { ...ev, event: 'a\ufffd' } }),
      'event',
      /not valid Unicode/,
    ],
    ['invalid UTF-8 in a base64 body', invalidUtf8Body, 'experiment', /not valid Unicode/],
    [
      'unknown field',
      post(JSON.stringify({ ...ev, experiement: 'x' })),
      'experiement',
      /experiement is not a known field/,
    ],
    [
      'wrong content type',
      post(JSON.stringify(ev), { 'Content-Type': 'application/x-www-form-urlencoded' }),
      'content-type',
      /content-type application\/x-www-form-urlencoded is not accepted/,
    ],
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
    expect(() => parseTrack(proxyEvent('GET', '/track', { query: { ...ev, experiment: 'other' } }), allow)).toThrow(
      /"other" is not in allowed_experiments/,
    );
    expect(parseTrack(proxyEvent('GET', '/track', { query: { ...ev, experiment: 'ok' } }), allow)).toHaveLength(1);
  });

  it('judges each event of an array on its own: the others are accepted with their position', () => {
    const allow = validateConfig({ max_name_length: 20, allowed_experiments: ['ok'] });
    const batch = [
      { ...ev, experiment: 'ok' },
      { ...ev, experiment: 'other' },
      7,
      { ...ev, experiment: 'ok', variant: 'x'.repeat(21) },
      { ...ev, experiment: 'ok', colour: 'red' },
      { ...ev, experiment: 'ok', uuid: 'u2' },
    ];
    const out = parseRequest(proxyEvent('POST', '/track', { body: JSON.stringify(batch) }), allow);
    expect(out.batch).toBe(true);
    expect(out.accepted.map((a) => [a.index, a.event.uuid])).toEqual([
      [0, 'u'],
      [5, 'u2'],
    ]);
    expect(out.rejected).toEqual([
      { index: 1, field: 'experiment', message: 'experiment "other" is not in allowed_experiments' },
      { index: 2, field: 'body', message: 'an event must be an object' },
      { index: 3, field: 'variant', message: 'variant is longer than 20 characters' },
      { index: 4, field: 'colour', message: expect.stringMatching(/colour is not a known field/) },
    ]);
  });
});

describe('nameProblem (the wire rules the client and the server share)', () => {
  it.each([
    ['c++ x', null],
    ['e \ud83d\ude00', null],
    ['', 'is missing'],
    [5, 'must be a string'],
    ['x'.repeat(11), 'is longer than 10 characters'],
    ['tab\there', 'contains a control character'],
    ['\ud800', /not valid Unicode/],
    ['a\udfff', /not valid Unicode/],
    ['\udbff\udbff\udc00', /not valid Unicode/],
    ['\ufffd', /not valid Unicode/],
  ])('%j: %s', (name, problem) => {
    if (problem instanceof RegExp) expect(nameProblem(name, 10)).toMatch(problem);
    else expect(nameProblem(name, 10)).toBe(problem);
  });
});
