import { AbtestError } from '../../src/errors';
import type { ExperimentResults } from '../../src/results';
import { isRetryable, type Rejection, type TrackAnswer } from '../../src/protocol';
import { adminRequest, type AdminAnswer } from '../experiment/http';
import type { Planned, Send } from './traffic';

/** HTTP to abtest: tracking with retries, results and delete with the API key. */
export class Client {
  /** Requests sent, and how they fared; `rejected` counts events a 200 answer refused (not stored). */
  readonly tally = { sent: 0, duplicates: 0, lostAndRetried: 0, retries: 0, failed: 0, rejected: 0 };
  /** The first few requests that failed: enough to see what went wrong without flooding the report. */
  private readonly failures: string[] = [];
  /** The first event a 200 answer refused. */
  private firstRejection: Rejection | null = null;

  constructor(
    private readonly url: string,
    private readonly apiKey: string,
  ) {}

  private request(s: Send, signal?: AbortSignal): Promise<Response> {
    if (s.kind === 'get') return fetch(`${this.url}/track?${new URLSearchParams(s.event)}`, { signal });
    // text/plain, as sendBeacon sends it
    const headers = { 'Content-Type': 'text/plain' };
    return fetch(`${this.url}/track`, { method: 'POST', body: JSON.stringify(s.events), headers, signal });
  }

  /**
   * Sends, retrying what `isRetryable` says a client retries (no answer, 408, 429, 5xx) with
   * backoff; any other answer but 200 is a problem, and so is each event a 200 lists in `rejected`.
   */
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
      if (status === 200) return this.countRejected(text);
      if (!isRetryable(status) || attempt === 4) {
        this.tally.failed++;
        this.problem(`a track request failed (${status || 'network'}): ${text.slice(0, 200)}`);
        return;
      }
      this.tally.retries++;
      await new Promise((r) => setTimeout(r, 20 * 2 ** attempt));
    }
  }

  /**
   * Counts the events a 200 answer lists in `rejected`: they were refused for good, not stored.
   * An `excluded` answer (this client is a bot or an ignored address to the server) counted
   * nothing: a failure, since no counter can then match.
   */
  private countRejected(text: string): void {
    let rejected: TrackAnswer['rejected'];
    try {
      const answer = JSON.parse(text) as TrackAnswer;
      rejected = answer.rejected;
      if (answer.excluded) {
        this.tally.failed++;
        const why =
          answer.excluded === 'bot' ? 'its user agent matches bot_user_agent_pattern' : 'its address is in ignored_ips';
        this.problem(`the server counts nothing of this client (excluded: ${answer.excluded}): ${why}`);
        return;
      }
    } catch {
      this.tally.failed++;
      this.problem(`a track request answered 200 with something that is not JSON: ${text.slice(0, 200)}`);
      return;
    }
    if (!rejected?.length) return;
    this.tally.rejected += rejected.length;
    this.firstRejection ??= rejected[0];
  }

  private problem(text: string): void {
    if (this.failures.length < 5) this.failures.push(text);
  }

  /** What went wrong in sending: the first failed requests, and the events refused in all. */
  get problems(): string[] {
    const r = this.firstRejection;
    const refused = r ? [`${this.tally.rejected} event(s) refused, not stored: ${r.field}: ${r.message}`] : [];
    return [...this.failures, ...refused];
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

  private admin(method: string, path: string, body?: unknown): Promise<AdminAnswer> {
    return adminRequest({ base: this.url, apiKey: this.apiKey, code: 'simulate' }, method, path, body);
  }

  /** Deletes an experiment's counters; one that does not exist is fine. */
  async remove(namespace: string, experiment: string): Promise<void> {
    const { status, body } = await this.admin('DELETE', `/delete?${new URLSearchParams({ namespace, experiment })}`);
    if (status !== 200 && status !== 404) {
      throw new AbtestError('simulate', `deleting "${experiment}" failed (${status}): ${JSON.stringify(body)}`);
    }
  }

  /** The counts of the named experiments in a namespace. */
  async results(namespace: string, names: string[]): Promise<ExperimentResults[]> {
    const query = new URLSearchParams({ namespace, scope: names.join(',') });
    const { status, body } = await this.admin('GET', `/experiments?${query}`);
    if (status !== 200 || !Array.isArray(body)) {
      throw new AbtestError('simulate', `reading results failed (${status}): ${JSON.stringify(body).slice(0, 200)}`);
    }
    return body.slice(1) as ExperimentResults[];
  }
}

/** Sends the plan with `concurrency` requests in flight at most; resolves when all are answered. */
export async function sendAll(client: Client, requests: Iterator<Planned>, concurrency: number): Promise<void> {
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
