import fs from 'node:fs';
import path from 'node:path';

const root = path.join(__dirname, '..', '..');

/** The .ts files under `dir` (relative to the package), with their text. */
function sources(dir: string): [string, string][] {
  return fs.readdirSync(path.join(root, dir), { withFileTypes: true }).flatMap((e): [string, string][] => {
    const rel = `${dir}/${e.name}`;
    if (e.isDirectory()) return sources(rel);
    return rel.endsWith('.ts') ? [[rel, fs.readFileSync(path.join(root, rel), 'utf8')]] : [];
  });
}

/** The modules a file imports at run time (type-only imports left out). */
const runtimeImports = (text: string): string[] =>
  [...text.matchAll(/^import (?!type )[^;]*? from '([^']+)';/gms)].map((m) => m[1]);

describe('the layers', () => {
  it('src/ imports nothing from cli/, and reads no config file (no home directory, no --config)', () => {
    const offenders = sources('src').filter(
      ([, text]) => /from '(\.\.\/)+cli\//.test(text) || /homedir|abtest\.config\.json/.test(text),
    );
    expect(offenders.map(([f]) => f)).toEqual([]);
  });

  it('the HTTP helpers hold no composition: the config and the Redis client are made in src/handler.ts', () => {
    const http = fs.readFileSync(path.join(root, 'src', 'http.ts'), 'utf8');
    expect(runtimeImports(http).filter((m) => m === './config' || m.startsWith('./store'))).toEqual([]);
    for (const [file, text] of sources('lambdas')) {
      // A route module and the composition root, nothing else.
      const route = { 'lambdas/admin.ts': '../src/experiments/routes', 'lambdas/sixpack.ts': '../src/sixpack/route' }[
        file
      ];
      expect({ file, imports: runtimeImports(text).sort() }).toEqual({
        file,
        imports: [route ?? '../src/api', '../src/handler'].sort(),
      });
    }
  });
});
