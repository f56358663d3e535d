import {
  apiBase,
  csvFilename,
  DASHBOARD_PAGE,
  experimentView,
  parseResults,
  type ExperimentView,
  type StatsMode,
  statsMode,
} from './model';
import type { ExperimentResults, ResultsMeta, SeriesPeriod } from '../results';
import { seriesCsv, type SeriesResults } from '../csv';
import { type CardContext, chartWidth, experimentCard } from './card';
import { h, pager } from './dom';
import { definitionPanel } from './admin';
import { definitionsApi } from './admin-api';
import { readSettings, saveSettings, type Settings } from './settings';
import type { Definition } from '../experiments/definition';

/**
 * The dashboard page: settings (API URL, key, namespace) from the page's query string, the
 * session, or what `abtest dashboard` embedded; results from the experiments endpoint,
 * drawn per experiment and goal. The key lives in sessionStorage, never in the URL.
 */

const AUTO_REFRESH_MS = 10_000;

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

let settings: Settings;
const controls = new Map<string, string>();
const lastResults = new Map<string, ExperimentResults>();
let timer: ReturnType<typeof setInterval> | null = null;
/** Definitions by experiment (archived included), and the phase chosen per experiment (else the current one). */
let defs = new Map<string, Definition>();
const phases = new Map<string, number>();
/** The period of the trend chosen per experiment (else a day). */
const periods = new Map<string, SeriesPeriod>();
/** The statistics the user picked; null: follow auto-refresh (see statsMode). */
let pickedMode: StatsMode | null = null;
/** The last answer's meta, for redrawing without a request. */
let lastMeta: ResultsMeta | null = null;
/** The first experiment shown: the API answers one bounded page (DASHBOARD_PAGE) at a time. */
const PAGE = DASHBOARD_PAGE;
let offset = 0;
/** The latest load: an older one that answers late draws nothing. */
let latest = 0;

/** Shows one state message (empty, error, setup) in place of the results. */
function showState(
  kind: 'empty' | 'forbidden' | 'wrong-url' | 'unreachable' | 'error' | 'setup',
  title: string,
  ...body: (Node | string)[]
) {
  $('results').replaceChildren(
    h(
      'div',
      {
        class: `state state-${kind}`,
        'data-state': kind,
        role: kind === 'empty' || kind === 'setup' ? 'status' : 'alert',
      },
      h('h2', {}, title),
      h('p', {}, ...body),
    ),
  );
}

const code = (text: string) => h('code', {}, text);
/** Where the URL and key come from, as the page says it. */
const printedBy = () => [code('abtest deploy'), ' or ', code('abtest dev')];

async function request(
  method: string,
  path: string,
  params: Record<string, string>,
  body?: unknown,
): Promise<Response> {
  // encodeURIComponent, not URLSearchParams: a space is %20 and a `+` is %2B, never `+`.
  const query = Object.entries(params)
    .filter(([, v]) => v)
    .map(([k, v]) => `${k}=${encodeURIComponent(v)}`)
    .join('&');
  const url = `${apiBase(settings.api, location.href)}${path}${query ? `?${query}` : ''}`;
  const headers: Record<string, string> = { 'x-api-key': settings.key };
  if (body !== undefined) headers['content-type'] = 'application/json';
  return fetch(url, {
    method,
    headers,
    cache: 'no-store',
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

async function failure(res: Response): Promise<string> {
  try {
    const body = await res.json();
    if (body && typeof body.message === 'string') return body.message;
  } catch {
    // not JSON: the status says enough
  }
  return `HTTP ${res.status} ${res.statusText}`;
}

/** Loads and draws the results. */
async function refresh() {
  const mine = ++latest;
  if (!settings.api && location.protocol === 'file:') {
    showState(
      'setup',
      'Where are your results?',
      'Enter the API URL (printed by ',
      code('abtest deploy'),
      ' or ',
      code('abtest dev'),
      ') and the API key above, then Load.',
    );
    return;
  }
  $('refresh').setAttribute('aria-busy', 'true');
  const base = apiBase(settings.api, location.href);
  try {
    let res: Response;
    try {
      res = await request('GET', '/experiments', {
        namespace: settings.namespace,
        limit: String(PAGE),
        offset: String(offset),
        series: 'day',
      });
    } catch {
      if (mine !== latest) return;
      showState(
        'unreachable',
        'Cannot reach the API',
        'Nothing answered at ',
        code(`${base}/experiments`),
        '. Check the URL, your network, and that the API is deployed (',
        code('abtest deploy'),
        ') or running (',
        code('abtest dev'),
        ').',
      );
      return;
    }
    if (mine !== latest) return;
    const text = res.status === 403 ? await res.clone().text() : '';
    if (/Missing Authentication Token/.test(text)) {
      // API Gateway's (and abtest dev's) answer for a route it does not have: the URL is wrong, not the key.
      showState(
        'wrong-url',
        'No abtest API at this URL',
        code(`${base}/experiments`),
        ' is not a route of the API (403 Missing Authentication Token). Check the URL: the base URL printed by ',
        ...printedBy(),
        ', without a path after the stage.',
      );
      $<HTMLInputElement>('api').focus();
      return;
    }
    if (res.status === 403 || res.status === 401) {
      showState(
        'forbidden',
        'The API key was refused',
        `${base} answered ${res.status}: the key is missing or wrong. Enter the key printed by `,
        ...printedBy(),
        ' above.',
      );
      $<HTMLInputElement>('key').focus();
      return;
    }
    if (!res.ok) {
      showState('error', `The API answered ${res.status}`, await failure(res));
      return;
    }
    let parsed: ReturnType<typeof parseResults>;
    try {
      parsed = parseResults(await res.json());
    } catch (e) {
      if (mine === latest) showState('error', 'Unexpected answer', (e as Error).message);
      return;
    }
    const [found, chosen] = await Promise.all([api.definitions(), api.chosenViews()]);
    if (mine !== latest) return;
    defs = found;
    const experiments = parsed.experiments.map((e) => chosen.get(e.experiment) ?? e);
    // Kept so that switching a control redraws without a request.
    lastResults.clear();
    for (const e of experiments) lastResults.set(e.experiment, e);
    lastMeta = parsed.meta;
    redraw();
  } finally {
    if (mine === latest) {
      $('refresh').removeAttribute('aria-busy');
      $('updated').textContent = `updated ${new Date().toLocaleTimeString()}`;
    }
  }
}

const api = definitionsApi({
  request,
  refresh,
  failure,
  namespace: () => settings.namespace,
  phases,
  periods,
  defs: () => defs,
});
const hooks = api.hooks;

const cardContext: CardContext = {
  results: (name) => lastResults.get(name),
  definition: (name) => defs.get(name),
  onControl: (name, control) => {
    controls.set(name, control);
    $('results')
      .querySelector(`[data-experiment="${CSS.escape(name)}"]`)
      ?.replaceWith(card(experimentView(lastResults.get(name)!, control)));
  },
  onDelete: (name) => void remove(name),
  mode: () => statsMode($<HTMLInputElement>('auto').checked, pickedMode),
  onPeriod: (name, period) => {
    if (period === 'day') periods.delete(name);
    else periods.set(name, period);
    void refresh();
  },
  onDownload: (name) => void download(name),
  hooks,
};
const card = (v: ExperimentView) => experimentCard(v, cardContext);

/** Archived experiments show only with the toggle on. */
const visible = (name: string) => defs.get(name)?.state !== 'archived' || $<HTMLInputElement>('archived').checked;

const RECENT_KEY = 'abtest-dashboard-namespaces';

/** Namespaces loaded before (in this browser), offered by the namespace field. */
function rememberNamespace(namespace?: string) {
  let recent: string[] = [];
  try {
    recent = JSON.parse(localStorage.getItem(RECENT_KEY) || '[]');
    if (namespace) {
      recent = [namespace, ...recent.filter((n) => n !== namespace)].slice(0, 10);
      localStorage.setItem(RECENT_KEY, JSON.stringify(recent));
    }
  } catch {
    // no localStorage: no suggestions
  }
  $('namespaces').replaceChildren(...recent.map((n) => h('option', { value: n })));
}

/** Draws the last results again (a new control or statistics mode needs no request). */
function redraw() {
  for (const input of document.querySelectorAll<HTMLInputElement>('input[name=mode]'))
    input.checked = input.value === cardContext.mode();
  if (lastMeta)
    draw(
      lastMeta,
      [...lastResults.values()].map((e) => experimentView(e, controls.get(e.experiment))),
    );
}

/** Downloads an experiment's counts per day in the phase shown as CSV (src/csv.ts). */
async function download(name: string) {
  const phase = lastResults.get(name)?.series?.phase ?? phases.get(name) ?? 0;
  const params = { namespace: settings.namespace, scope: name, phase: String(phase), series: 'day' };
  let text: string;
  try {
    const res = await request('GET', '/experiments', params);
    if (!res.ok) return void alert(`Could not export “${name}”: ${await failure(res)}`);
    const found = parseResults(await res.json()).experiments[0];
    if (!found?.series) return void alert(`Could not export “${name}”: the API sent no counts over time.`);
    text = seriesCsv([found as SeriesResults]);
  } catch {
    return void alert(`Could not export “${name}”: the API cannot be reached.`);
  }
  const url = URL.createObjectURL(new Blob([text], { type: 'text/csv' }));
  const link = h('a', { href: url, download: csvFilename(lastMeta?.namespace ?? settings.namespace, name, phase) });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

function draw(meta: ResultsMeta, views: ExperimentView[]) {
  $('namespace-shown').textContent = meta.namespace;
  rememberNamespace(meta.namespace);
  if (views.length === 0 && offset > 0) {
    offset = 0; // the page emptied (deletes): back to the first
    void refresh();
    return;
  }
  // Definitions nobody has reached yet (drafts, mostly): listed on the first page.
  const counted = new Set(views.map((v) => v.name));
  const uncounted =
    offset === 0 ? [...defs.values()].filter((d) => !counted.has(d.experiment) && visible(d.experiment)) : [];
  views = views.filter((v) => visible(v.name));
  if (views.length === 0 && uncounted.length === 0) {
    showState(
      'empty',
      `No experiments in namespace \u201c${meta.namespace}\u201d yet`,
      'Experiments appear here once a page with the snippet has a visitor. ',
      'Print the snippet with ',
      code('abtest snippet'),
      '; try it locally with ',
      code('abtest dev'),
      '.',
    );
    return;
  }
  const drafts = uncounted.map((d) =>
    h(
      'section',
      { class: 'experiment', 'data-experiment': d.experiment },
      h('header', {}, h('h2', {}, d.experiment)),
      definitionPanel(d, d.phase, hooks),
      h('p', { class: 'muted no-goals' }, 'No participants yet.'),
    ),
  );
  $('results').replaceChildren(
    ...drafts,
    ...views.map(card),
    pager(meta, views.length, offset, PAGE, (to) => {
      offset = to;
      void refresh();
    }),
  );
}

async function remove(name: string) {
  if (!confirm(`Delete experiment \u201c${name}\u201d and all its counts? This cannot be undone.`)) return;
  try {
    const res = await request('DELETE', '/delete', { namespace: settings.namespace, experiment: name });
    if (!res.ok) {
      alert(`Could not delete \u201c${name}\u201d: ${await failure(res)}`);
      await refresh();
      return;
    }
  } catch {
    alert(`Could not delete \u201c${name}\u201d: the API cannot be reached.`);
    return;
  }
  controls.delete(name);
  await refresh();
}

function setAutoRefresh(on: boolean) {
  if (timer) clearInterval(timer);
  timer = on ? setInterval(() => void refresh(), AUTO_REFRESH_MS) : null;
}

function start() {
  settings = readSettings();
  saveSettings(settings);
  const form = $<HTMLFormElement>('settings');
  const field = (id: keyof Settings) => $<HTMLInputElement>(id);
  field('api').value = settings.api || location.protocol !== 'file:' ? apiBase(settings.api, location.href) : '';
  field('key').value = settings.key;
  field('namespace').value = settings.namespace;
  $('namespace-shown').textContent = settings.namespace || '(default)';
  rememberNamespace();
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    settings = {
      api: field('api').value.trim(),
      key: field('key').value.trim(),
      namespace: field('namespace').value.trim(),
    };
    saveSettings(settings);
    $('namespace-shown').textContent = settings.namespace || '(default)';
    offset = 0;
    void refresh();
  });
  $('refresh').addEventListener('click', () => void refresh());
  $('archived').addEventListener('change', () => void refresh());
  const auto = $<HTMLInputElement>('auto');
  auto.addEventListener('change', () => {
    setAutoRefresh(auto.checked);
    pickedMode = null;
    redraw();
  });
  for (const input of document.querySelectorAll<HTMLInputElement>('input[name=mode]'))
    input.addEventListener('change', () => {
      pickedMode = input.value as StatsMode;
      redraw();
    });
  // The charts are drawn at the page's width: a rotated phone or a resized window redraws them.
  let drawnWidth = chartWidth();
  let resizing: ReturnType<typeof setTimeout> | undefined;
  window.addEventListener('resize', () => {
    clearTimeout(resizing);
    resizing = setTimeout(() => {
      if (chartWidth() === drawnWidth) return;
      drawnWidth = chartWidth();
      redraw();
    }, 200);
  });
  redraw();
  void refresh();
}

start();
