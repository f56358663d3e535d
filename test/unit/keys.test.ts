import { experimentKeys, namespaceKey, namespacesKey } from '../../src/store/keys';

/** The Redis Cluster hash tag of a key: the text between the first { and the next }. */
const tag = (key: string) => {
  const open = key.indexOf('{');
  const close = key.indexOf('}', open + 1);
  return open >= 0 && close > open + 1 ? key.slice(open + 1, close) : key;
};

describe('key layout', () => {
  it('puts every key of an experiment under one hash tag', () => {
    const k = experimentKeys('abtest:', 'ns', 'exp');
    const tags = new Set([k.meta, k.variants, k.goals, k.counter('participate', 'a'), k.counter('buy', 'b')].map(tag));
    expect(tags).toEqual(new Set(['ns:exp']));
  });

  it('escapes names so that braces and colons cannot change the slot or collide', () => {
    const evil = experimentKeys('abtest:', 'n}s', 'e{x:p');
    expect(tag(evil.meta)).toBe('n%7Ds:e%7Bx%3Ap');
    expect(experimentKeys('p:', 'a:b', 'c').meta).not.toBe(experimentKeys('p:', 'a', 'b:c').meta);
    expect(experimentKeys('p:', 'n', 'e').counter('a:b', 'c')).not.toBe(
      experimentKeys('p:', 'n', 'e').counter('a', 'b:c'),
    );
  });

  it('keeps the indexes in one slot of their own', () => {
    expect(tag(namespacesKey('abtest:'))).toBe('index');
    expect(tag(namespaceKey('abtest:', 'a{b}'))).toBe('index');
  });
});
