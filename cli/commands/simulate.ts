import { assign, eventUuid } from '../../src/assign';
import { AbtestError, ConfigError, InputError } from '../../src/errors';
import { chiSquareSurvival, goalStats, sampleRatioCheck, type GoalStats, type SrmResult } from '../../src/stats';
import { commandConfig, type GlobalOptions } from '../context';
import { prng, type Prng } from '../simulate/prng';

/** One simulated experiment: variants with weights and the true conversion rate of each. */
export interface SimExperiment {
  name: string;
  goal: string;
  variants: { label: string; weight: number; rate: number }[];
}

export interface SimulateOptions extends GlobalOptions {
  /** Base URL of a running abtest (`abtest dev`, or a deployed stage). @default none: start `abtest dev` here */
  url?: string;
  /** Key of the experiments and delete routes. @default the config's api_key (or the one `abtest dev` made) */
  apiKey?: string;
  /** Counting mode of the `abtest dev` started here (a given URL keeps its own). @default the config's */
  counting?: 'hll' | 'exact';
  /** Namespace the experiments are tracked in; they are deleted there first. @default "simulate" */
  namespace?: string;
  /** Distinct visitors. @default 10000 */
  visitors?: number;
  /** Seed of the generator: the same seed sends the same traffic. @default 1 */
  seed?: number;
  /** Requests in flight at once. @default 8 */
  concurrency?: number;
  /** Share of requests sent twice (a resend by the page). @default 0.05 */
  duplicates?: number;
  /** Share of requests whose first attempt is cut off in flight and retried. @default 0.03 */
  lost?: number;
  /** The experiments. @default {@link DEFAULT_EXPERIMENTS} */
  experiments?: SimExperiment[];
}

/** Two concurrent experiments: an even two-way test and a weighted three-way test. */
export const DEFAULT_EXPERIMENTS: SimExperiment[] = [
  { name: 'button', goal: 'click', variants: [{ label: 'red', weight: 1, rate: 0.1 }, { label: 'green', weight: 1, rate: 0.12 }] },
  { name: 'pricing', goal: 'buy', variants: [{ label: 'low', weight: 2, rate: 0.05 }, { label: 'mid', weight: 1, rate: 0.04 }, { label: 'high', weight: 1, rate: 0.03 }] },
];

export interface SimVariantReport {
  label: string;
  weight: number;
  expectedShare: number;
  /** Distinct visitors sent into the variant, and the count the server reports. */
  sentParticipants: number;
  participants: number;
  share: number;
  trueRate: number;
  sentConversions: number;
  conversions: number;
  /** The reported rate and its 95% interval (widened for counting error in HLL mode). */
  rate: number;
  interval: [number, number];
  trueRateInInterval: boolean;
}

export interface SimExperimentReport {
  name: string;
  goal: string;
  counting: string;
  standardError: number;
  variants: SimVariantReport[];
  srm: SrmResult;
  stats: GoalStats;
}

export interface IndependenceReport {
  experiments: [string, string];
  /** Joint share of visitors in (a, b) against the product of the two marginal shares. */
  cells: { a: string; b: string; joint: number; product: number }[];
  chiSquare: number;
  df: number;
  pValue: number;
}

export interface SimulateResult {
  url: string;
  /** How the server was found: started here (`abtest dev` on a private or configured Redis) or given. */
  server: 'started' | 'given';
  namespace: string;
  visitors: number;
  seed: number;
  concurrency: number;
  requests: { sent: number; duplicates: number; lostAndRetried: number; retries: number; failed: number };
  seconds: number;
  experiments: SimExperimentReport[];
  independence: IndependenceReport[];
  /** What did not hold: a counter off in exact mode, an HLL counter beyond 5 standard errors, a failed request. */
  problems: string[];
}

/** A request to send: a GET of one event or a POST of a visitor's events. */
type Send = { kind: 'get'; event: Event } | { kind: 'post'; events: Event[] };
type Event = { namespace: string; experiment: string; variant: string; event: string; uuid: string };

/** What was sent: distinct visitors and conversions per variant, and joint assignments per pair. */
interface Truth {
  participants: number[][];
  conversions: number[][];
  joint: Map<string, number[][]>;
}

/**
 * `abtest simulate`: sends a reproducible stream of visitors as real HTTP traffic to abtest
 * (a given URL, or an `abtest dev` started here), with duplicate sends and retries mixed in,
 * then reads the results back and compares them with what was sent: the split against the
 * weights, each rate against the true rate, the sample-ratio check, and the independence of
 * the experiments' splits.
 */
export async function run(opts: SimulateOptions, env: NodeJS.ProcessEnv = process.env): Promise<SimulateResult> {
  const experiments = opts.experiments ?? DEFAULT_EXPERIMENTS;
  const visitors = opts.visitors ?? 10_000;
  const seed = opts.seed ?? 1;
  const concurrency = opts.concurrency ?? 8;
  const namespace = opts.namespace ?? 'simulate';
  checkExperiments(experiments);

  let url = opts.url?.replace(/\/+$/, '');
  let apiKey = opts.apiKey;
  let stop: (() => Promise<void>) | null = null;
  if (!url) {
    const dev = await import('./dev');
    // abtest dev runs the Lambda bundles in this process; they read their config from the environment.
    if (opts.counting) env.ABTEST_COUNTING = opts.counting;
    const server = await dev.run({ config: opts.config, port: 0 }, env);
    url = server.url;
    apiKey ??= server.apiKey;
    stop = server.stop;
  } else {
    apiKey ??= commandConfig(opts, env).config.api_key ?? undefined;
    if (!apiKey) throw new ConfigError('--api-key', `no API key to read results from ${url}`, 'pass --api-key, or set api_key in the config');
  }

  try {
    const client = new Client(url, apiKey!);
    for (const e of experiments) await client.remove(namespace, e.name);
    const started = Date.now();
    const { truth, requests } = plan(experiments, namespace, visitors, seed, { duplicates: opts.duplicates ?? 0.05, lost: opts.lost ?? 0.03 });
    await send(client, requests, concurrency);
    const seconds = (Date.now() - started) / 1000;
    const counts = await client.results(namespace, experiments.map((e) => e.name));
    const reports = experiments.map((e, i) => report(e, truth.participants[i], truth.conversions[i], counts.find((c) => c.experiment === e.name)));
    const problems = [...client.problems, ...reports.flatMap(countingProblems)];
    return {
      url,
      server: stop ? 'started' : 'given',
      namespace,
      visitors,
      seed,
      concurrency,
      requests: client.tally,
      seconds,
      experiments: reports,
      independence: independence(experiments, truth),
      problems,
    };
  } finally {
    await stop?.();
  }
}

/** The shares of requests sent twice and of requests cut off in flight before they are resent. */
interface Faults {
  duplicates: number;
  lost: number;
}

/** One request of the plan and the faults it meets. */
interface Planned {
  send: Send;
  duplicate: boolean;
  lost: boolean;
}

/**
 * The visitors' requests, in order, deterministic for a seed; `truth` fills in as the
 * generator runs. Each visitor is assigned with src/assign.ts (as the browser client does) and
 * converts with the variant's true rate.
 */
function plan(experiments: SimExperiment[], namespace: string, visitors: number, seed: number, faults: Faults): { truth: Truth; requests: Generator<Planned> } {
  const random = prng(seed);
  const truth: Truth = {
    participants: experiments.map((e) => e.variants.map(() => 0)),
    conversions: experiments.map((e) => e.variants.map(() => 0)),
    joint: new Map(),
  };
  function* requests(): Generator<Planned> {
    for (let v = 0; v < visitors; v++) {
      const visitor = visitorId(random);
      const events: Event[] = [];
      const chosen = experiments.map((e, i) => {
        const { index, variant } = assign(e.name, visitor, e.variants);
        truth.participants[i][index]++;
        events.push({ namespace, experiment: e.name, variant, event: 'participate', uuid: eventUuid(namespace, e.name, 'participate', visitor) });
        if (random.next() < e.variants[index].rate) {
          truth.conversions[i][index]++;
          events.push({ namespace, experiment: e.name, variant, event: e.goal, uuid: eventUuid(namespace, e.name, e.goal, visitor) });
        }
        return index;
      });
      for (let a = 0; a < experiments.length; a++) {
        for (let b = a + 1; b < experiments.length; b++) {
          const key = `${a},${b}`;
          if (!truth.joint.has(key)) truth.joint.set(key, experiments[a].variants.map(() => experiments[b].variants.map(() => 0)));
          truth.joint.get(key)![chosen[a]][chosen[b]]++;
        }
      }
      // Half the visitors send each event as a GET (Alephbet's GimelAdapter), half batch them in one POST.
      const sends: Send[] = random.next() < 0.5 ? events.map((event) => ({ kind: 'get', event })) : [{ kind: 'post', events }];
      for (const s of sends) yield { send: s, duplicate: random.next() < faults.duplicates, lost: random.next() < faults.lost };
    }
  }
  return { truth, requests: requests() };
}

/** 64 random bits as hex: a visitor id like the browser client's. */
const visitorId = (random: Prng): string => random.uint32().toString(16).padStart(8, '0') + random.uint32().toString(16).padStart(8, '0');

/** Sends the plan with `concurrency` requests in flight at most; resolves when all are answered. */
async function send(client: Client, requests: Iterator<Planned>, concurrency: number): Promise<void> {
  const worker = async () => {
    for (let next = requests.next(); !next.done; next = requests.next()) {
      const { send: s, duplicate, lost } = next.value;
      if (lost) await client.sendCut(s);
      await client.send(s);
      if (duplicate) {
        client.tally.duplicates++;
        await client.send(s);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, concurrency) }, worker));
}

interface Counts {
  experiment: string;
  counting: string;
  standard_error: number;
  variants: { label: string; participants: number }[];
  goals: { goal: string; results: { label: string; successes: number; trials: number }[] }[];
}

/** HTTP to abtest: tracking with retries, results and delete with the API key. */
class Client {
  readonly tally = { sent: 0, duplicates: 0, lostAndRetried: 0, retries: 0, failed: 0 };
  readonly problems: string[] = [];

  constructor(private readonly url: string, private readonly apiKey: string) {}

  private request(s: Send, signal?: AbortSignal): Promise<Response> {
    if (s.kind === 'get') {
      const q = new URLSearchParams(s.event);
      return fetch(`${this.url}/track?${q}`, { signal });
    }
    // text/plain, as sendBeacon sends it
    return fetch(`${this.url}/track`, { method: 'POST', body: JSON.stringify(s.events), headers: { 'Content-Type': 'text/plain' }, signal });
  }

  /** Sends, retrying network failures and 5xx answers with backoff; a 4xx is a problem. */
  async send(s: Send): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      this.tally.sent++;
      let status = 0;
      let text = '';
      try {
        const res = await this.request(s);
        status = res.status;
        text = await res.text();
      } catch (e) {
        text = (e as Error).message;
      }
      if (status === 200) return;
      if ((status >= 400 && status < 500) || attempt === 4) {
        this.tally.failed++;
        if (this.problems.length < 5) this.problems.push(`a track request failed (${status || 'network'}): ${text.slice(0, 200)}`);
        return;
      }
      this.tally.retries++;
      await new Promise((r) => setTimeout(r, 20 * 2 ** attempt));
    }
  }

  /** A first attempt cut off right after it leaves: the server may or may not have counted it. */
  async sendCut(s: Send): Promise<void> {
    const abort = new AbortController();
    this.tally.sent++;
    this.tally.lostAndRetried++;
    const pending = this.request(s, abort.signal).then((r) => r.text());
    setImmediate(() => abort.abort());
    await pending.catch(() => undefined);
  }

  private async admin(method: string, path: string): Promise<{ status: number; body: unknown }> {
    let res: Response;
    try {
      res = await fetch(`${this.url}${path}`, { method, headers: { 'x-api-key': this.apiKey } });
    } catch (e) {
      throw new AbtestError('simulate', `cannot reach ${this.url}: ${(e as Error).message}`, { hint: 'start it with abtest dev, or pass the right --url', cause: e });
    }
    const text = await res.text();
    if (res.status === 401 || res.status === 403) throw new AbtestError('simulate', `${this.url}${path.split('?')[0]} refused the API key (${res.status})`, { hint: 'pass the key abtest dev or abtest deploy printed with --api-key' });
    try {
      return { status: res.status, body: JSON.parse(text) };
    } catch {
      throw new AbtestError('simulate', `${this.url}${path.split('?')[0]} answered ${res.status} with something that is not JSON: ${text.slice(0, 200)}`);
    }
  }

  async remove(namespace: string, experiment: string): Promise<void> {
    const { status, body } = await this.admin('DELETE', `/delete?${new URLSearchParams({ namespace, experiment })}`);
    if (status !== 200 && status !== 404) throw new AbtestError('simulate', `deleting "${experiment}" failed (${status}): ${JSON.stringify(body)}`);
  }

  async results(namespace: string, names: string[]): Promise<Counts[]> {
    const { status, body } = await this.admin('GET', `/experiments?${new URLSearchParams({ namespace, scope: names.join(',') })}`);
    if (status !== 200 || !Array.isArray(body)) throw new AbtestError('simulate', `reading results failed (${status}): ${JSON.stringify(body).slice(0, 200)}`);
    return body.slice(1) as Counts[];
  }
}

function report(e: SimExperiment, sentParticipants: number[], sentConversions: number[], counts: Counts | undefined): SimExperimentReport {
  const standardError = counts?.standard_error ?? 0;
  const participants = e.variants.map((v) => counts?.variants.find((x) => x.label === v.label)?.participants ?? 0);
  const goal = counts?.goals.find((g) => g.goal === e.goal);
  const conversions = e.variants.map((v) => goal?.results.find((r) => r.label === v.label)?.successes ?? 0);
  const total = participants.reduce((a, b) => a + b, 0);
  const srm = sampleRatioCheck(participants, { weights: e.variants.map((v) => v.weight), standardError });
  const stats = goalStats(e.variants.map((v, i) => ({ label: v.label, successes: conversions[i], trials: participants[i] })), { standardError });
  return {
    name: e.name,
    goal: e.goal,
    counting: counts?.counting ?? 'none',
    standardError,
    srm,
    stats,
    variants: e.variants.map((v, i) => {
      const s = stats.variants[i];
      return {
        label: v.label,
        weight: v.weight,
        expectedShare: srm.expectedShares[i],
        sentParticipants: sentParticipants[i],
        participants: participants[i],
        share: total === 0 ? 0 : participants[i] / total,
        trueRate: v.rate,
        sentConversions: sentConversions[i],
        conversions: conversions[i],
        rate: s.rate,
        interval: s.interval,
        trueRateInInterval: s.interval[0] <= v.rate && v.rate <= s.interval[1],
      };
    }),
  };
}

/** Exact counters must equal what was sent; HLL counters must be within 5 standard errors. */
function countingProblems(r: SimExperimentReport): string[] {
  const out: string[] = [];
  for (const v of r.variants) {
    for (const [what, counted, sent] of [['participants', v.participants, v.sentParticipants], ['conversions', v.conversions, v.sentConversions]] as const) {
      const off = r.standardError === 0 ? counted !== sent : Math.abs(counted - sent) > 5 * r.standardError * sent + 1;
      if (off) out.push(`${r.name}/${v.label}: ${counted} ${what} counted, ${sent} distinct sent (${r.counting})`);
    }
  }
  return out;
}

/** Pearson's χ² test of independence of each pair of experiments' splits, from the visitors sent. */
function independence(experiments: SimExperiment[], truth: Truth): IndependenceReport[] {
  const out: IndependenceReport[] = [];
  for (let a = 0; a < experiments.length; a++) {
    for (let b = a + 1; b < experiments.length; b++) {
      const table = truth.joint.get(`${a},${b}`)!;
      const n = table.flat().reduce((x, y) => x + y, 0);
      const rows = table.map((r) => r.reduce((x, y) => x + y, 0));
      const cols = table[0].map((_, j) => table.reduce((x, r) => x + r[j], 0));
      const cells: IndependenceReport['cells'] = [];
      let chiSquare = 0;
      table.forEach((row, i) =>
        row.forEach((count, j) => {
          const expected = (rows[i] * cols[j]) / n;
          if (expected > 0) chiSquare += (count - expected) ** 2 / expected;
          cells.push({ a: experiments[a].variants[i].label, b: experiments[b].variants[j].label, joint: count / n, product: (rows[i] / n) * (cols[j] / n) });
        }),
      );
      const df = (rows.length - 1) * (cols.length - 1);
      out.push({ experiments: [experiments[a].name, experiments[b].name], cells, chiSquare, df, pValue: chiSquareSurvival(chiSquare, df) });
    }
  }
  return out;
}

function checkExperiments(experiments: SimExperiment[]): void {
  if (experiments.length === 0) throw new InputError('--experiment', 'simulate needs at least one experiment');
  const names = new Set<string>();
  for (const e of experiments) {
    if (names.has(e.name)) throw new InputError('--experiment', `experiment "${e.name}" is given twice`);
    names.add(e.name);
    if (e.variants.length < 2) throw new InputError('--experiment', `experiment "${e.name}" needs at least two variants`);
  }
}

/**
 * Parses `--experiment name[/goal]:label=weight@rate,label=weight@rate,...`, e.g.
 * `button/click:red=1@0.10,green=1@0.12`. The goal defaults to "convert".
 */
export function parseExperiment(text: string): SimExperiment {
  const m = /^([^:/]+)(?:\/([^:]+))?:(.+)$/.exec(text.trim());
  const hint = 'write it as name[/goal]:label=weight@rate,label=weight@rate, e.g. button/click:red=1@0.10,green=1@0.12';
  if (!m) throw new InputError('--experiment', `cannot read --experiment "${text}": ${hint}`);
  const variants = m[3].split(',').map((part) => {
    const v = /^([^=@]+)=([0-9.]+)@([0-9.]+)$/.exec(part.trim());
    const weight = Number(v?.[2]);
    const rate = Number(v?.[3]);
    if (!v || !(weight > 0) || !(rate >= 0 && rate <= 1)) throw new InputError('--experiment', `cannot read variant "${part}" of --experiment "${text}" (weight > 0, rate from 0 to 1): ${hint}`);
    return { label: v[1], weight, rate };
  });
  return { name: m[1], goal: m[2] ?? 'convert', variants };
}

const pct = (x: number, digits = 2) => `${(100 * x).toFixed(digits)}%`;
const int = (x: number) => x.toLocaleString('en-US');

/** The lines `abtest simulate` prints. */
export function formatSimulation(r: SimulateResult): string[] {
  const lines: string[] = [];
  const q = r.requests;
  lines.push(`abtest simulate: ${int(r.visitors)} visitors, seed ${r.seed}, ${r.experiments.length} experiments, namespace "${r.namespace}" → ${r.url}${r.server === 'started' ? ' (abtest dev started for this run)' : ''}`);
  lines.push(`  ${int(q.sent)} requests in ${r.seconds.toFixed(1)} s, ${r.concurrency} at a time: ${int(q.duplicates)} duplicate sends, ${int(q.lostAndRetried)} cut off in flight and resent, ${int(q.retries)} retries, ${int(q.failed)} failed`);
  for (const e of r.experiments) {
    lines.push('');
    lines.push(`${e.name} (goal ${e.goal}), counting ${e.counting}${e.standardError > 0 ? ` (relative error up to ${pct(e.standardError)} per counter)` : ''}`);
    const rows = [['variant', 'weight', 'expected', 'share', 'participants', 'sent', 'conversions', 'sent', 'rate [95% interval]', 'true rate', 'true rate is']];
    for (const v of e.variants) {
      rows.push([
        v.label, String(v.weight), pct(v.expectedShare), pct(v.share), int(v.participants), int(v.sentParticipants), int(v.conversions), int(v.sentConversions),
        `${pct(v.rate)} [${pct(v.interval[0])}, ${pct(v.interval[1])}]`, pct(v.trueRate), v.trueRateInInterval ? 'inside' : 'outside',
      ]);
    }
    lines.push(...table(rows).map((l) => '  ' + l));
    const s = e.srm;
    lines.push(`  sample ratio: χ² = ${s.chiSquare.toFixed(2)}, df ${s.df}, p = ${s.pValue.toPrecision(3)} → ${s.mismatch ? 'MISMATCH (p < 0.001)' : 'no mismatch'}`);
    for (const v of e.stats.variants.slice(1)) {
      lines.push(`  ${v.label} vs ${e.stats.control}: uplift ${pct(v.uplift?.value ?? 0, 1)}, p = ${v.pValue!.toPrecision(3)}, P(beats control) = ${pct(v.probBeatControl!, 1)}, P(best) = ${pct(v.probBest, 1)}`);
    }
  }
  for (const d of r.independence) {
    lines.push('');
    lines.push(`independence of ${d.experiments[0]} × ${d.experiments[1]} (joint share of the visitors sent against the product of the marginal shares)`);
    lines.push(...table([['cell', 'joint', 'product', 'difference'], ...d.cells.map((c) => [`${c.a} × ${c.b}`, pct(c.joint), pct(c.product), `${c.joint >= c.product ? '+' : ''}${pct(c.joint - c.product)}`])]).map((l) => '  ' + l));
    lines.push(`  χ² = ${d.chiSquare.toFixed(2)}, df ${d.df}, p = ${d.pValue.toPrecision(3)} → ${d.pValue < 0.001 ? 'DEPENDENT (p < 0.001)' : 'independent'}`);
  }
  lines.push('');
  const variants = r.experiments.flatMap((e) => e.variants);
  lines.push(`true rate inside its 95% interval for ${variants.filter((v) => v.trueRateInInterval).length} of ${variants.length} variants (about 1 in 20 falls outside by chance)`);
  const exact = r.experiments.every((e) => e.standardError === 0);
  if (r.problems.length === 0) lines.push(exact ? '✔ every counter equals the distinct visitors sent' : '✔ every counter is within 5 standard errors of the distinct visitors sent');
  else for (const p of r.problems) lines.push(`✖ ${p}`);
  return lines;
}

function table(rows: string[][]): string[] {
  const widths = rows[0].map((_, j) => Math.max(...rows.map((r) => r[j].length)));
  return rows.map((r) => r.map((cell, j) => (j === 0 ? cell.padEnd(widths[j]) : cell.padStart(widths[j]))).join('  ').trimEnd());
}
