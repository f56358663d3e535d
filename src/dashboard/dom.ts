import type { ResultsMeta } from '../results';

/** The dashboard's DOM helpers: building elements, the pager. */

/** Builds an element: `h('td', { class: 'num' }, 'text', child)`. */
export function h(
  tag: string,
  attrs: Record<string, string | undefined> = {},
  ...children: (Node | string | null)[]
): HTMLElement {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) if (v !== undefined) el.setAttribute(k, v);
  for (const c of children) if (c !== null) el.append(c);
  return el;
}

/**
 * "experiments 21–40 of 57" with previous and next buttons when there is more than one page;
 * `go` is called with the offset to show.
 */
export function pager(
  meta: ResultsMeta,
  shown: number,
  offset: number,
  page: number,
  go: (offset: number) => void,
): HTMLElement {
  const nav = h('nav', { class: 'pager', 'aria-label': 'pages' });
  const total = meta.total ?? shown;
  if (total <= shown) return nav;
  const prev = h('button', { type: 'button', class: 'prev' }, '\u2190 Previous') as HTMLButtonElement;
  prev.disabled = offset === 0;
  prev.addEventListener('click', () => go(Math.max(0, offset - page)));
  const next = h('button', { type: 'button', class: 'next' }, 'Next \u2192') as HTMLButtonElement;
  next.disabled = meta.next == null;
  next.addEventListener('click', () => go(meta.next ?? offset));
  nav.append(
    prev,
    h('span', { class: 'muted', 'data-pages': '' }, ` experiments ${offset + 1}\u2013${offset + shown} of ${total} `),
    next,
  );
  return nav;
}
