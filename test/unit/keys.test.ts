import { dayField, experimentKeys, namespaceKey, namespacesKey, parseDayField, keysCache } from '../../src/store/keys';

/** The Redis Cluster hash tag of a key: the text between the first { and the next }. */
const tag = (key: string) => {
  const open = key.indexOf('{');
  const close = key.indexOf('}', open + 1);
  return open >= 0 && close > open + 1 ? key.slice(open + 1, close) : key;
};

describe('key layout', () => {
  it('puts every key of an experiment under one hash tag', () => {
    const k = experimentKeys('abtest:', 'ns', 'exp');
    const p2 = experimentKeys('abtest:', 'ns', 'exp', 2);
    const all = [k.meta, k.variants, k.goals, k.counter('participate', 'a'), k.counter('buy', 'b'), k.days, p2.days];
    expect(new Set(all.map(tag))).toEqual(new Set(['ns:exp']));
    expect(p2.days).not.toBe(k.days);
  });

  it('escapes names so that braces and colons cannot change the slot or collide', () => {
    const evil = experimentKeys('abtest:', 'n}s', 'e{x:p');
    expect(tag(evil.meta)).toBe('n%7Ds:e%7Bx%3Ap');
    expect(experimentKeys('p:', 'a:b', 'c').meta).not.toBe(experimentKeys('p:', 'a', 'b:c').meta);
    expect(experimentKeys('p:', 'n', 'e').counter('a:b', 'c')).not.toBe(
      experimentKeys('p:', 'n', 'e').counter('a', 'b:c'),
    );
  });

  it('names a day bucket by day, event and variant, and reads the names back', () => {
    const field = dayField('2026-03-01', 'a:b', '%{c}');
    expect(field).toBe('2026-03-01:a%3Ab:%25%7Bc%7D');
    expect(parseDayField(field)).toEqual({ day: '2026-03-01', event: 'a:b', variant: '%{c}' });
    expect(dayField('2026-03-01', 'a:b', 'c')).not.toBe(dayField('2026-03-01', 'a', 'b:c'));
    expect(parseDayField('2026-03-01:x')).toBeNull();
  });

  it('keeps the indexes in one slot of their own', () => {
    expect(tag(namespacesKey('abtest:'))).toBe('index');
    expect(tag(namespaceKey('abtest:', 'a{b}'))).toBe('index');
  });
});

describe('keysCache', () => {
  it('answers what experimentKeys does, remembers it, and forgets all past its size', () => {
    const keysOf = keysCache('p:', 2);
    const a = keysOf('ns', 'a:{x}');
    expect({ ...a, counter: a.counter('e', 'v') }).toEqual({
      ...experimentKeys('p:', 'ns', 'a:{x}'),
      counter: experimentKeys('p:', 'ns', 'a:{x}').counter('e', 'v'),
    });
    expect(keysOf('ns', 'a:{x}')).toBe(a);
    expect(keysOf('other', 'a:{x}').meta).toBe(experimentKeys('p:', 'other', 'a:{x}').meta);
    keysOf('ns', 'b'); // a third experiment: the cache starts again
    expect(keysOf('ns', 'a:{x}')).not.toBe(a);
    expect(keysOf('ns', 'a:{x}').meta).toBe(a.meta);
  });
});
