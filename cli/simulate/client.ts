import { AbtestError } from '../../src/errors';
import type { Planned, Send } from './traffic';

/** One experiment as `GET /experiments` answers it: the part the simulation reads. */
export interface Counts {
  experiment: string;
  counting: string;
  standard_error: number;
  variants: { label: string; participants: number }[];
  goals: { goal: string; results: { label: string; successes: number; trials: number }[] }[];
}

/** HTTP to abtest: tracking with retries, results and delete with the API key. */
export class Client {
  readonly tally = { sent: 0, duplicates: 0, lostAndRetried: 0, retries: 0, failed: 0 };
  readonly problems: string[] = [];

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
        if (this.problems.length < 5) {
          this.problems.push(`a track request failed (${status || 'network'}): ${text.slice(0, 200)}`);
        }
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
      throw new AbtestError('simulate', `cannot reach ${this.url}: ${(e as Error).message}`, {
        hint: 'start it with abtest dev, or pass the right --url',
        cause: e,
      });
    }
    const text = await res.text();
    const route = `${this.url}${path.split('?')[0]}`;
    if (res.status === 401 || res.status === 403) {
      throw new AbtestError('simulate', `${route} refused the API key (${res.status})`, {
        hint: 'pass the key abtest dev or abtest deploy printed with --api-key',
      });
    }
    try {
      return { status: res.status, body: JSON.parse(text) };
    } catch {
      const start = text.slice(0, 200);
      throw new AbtestError('simulate', `${route} answered ${res.status} with something that is not JSON: ${start}`);
    }
  }

  /** Deletes an experiment's counters; one that does not exist is fine. */
  async remove(namespace: string, experiment: string): Promise<void> {
    const { status, body } = await this.admin('DELETE', `/delete?${new URLSearchParams({ namespace, experiment })}`);
    if (status !== 200 && status !== 404) {
      throw new AbtestError('simulate', `deleting "${experiment}" failed (${status}): ${JSON.stringify(body)}`);
    }
  }

  /** The counts of the named experiments in a namespace. */
  async results(namespace: string, names: string[]): Promise<Counts[]> {
    const query = new URLSearchParams({ namespace, scope: names.join(',') });
    const { status, body } = await this.admin('GET', `/experiments?${query}`);
    if (status !== 200 || !Array.isArray(body)) {
      throw new AbtestError('simulate', `reading results failed (${status}): ${JSON.stringify(body).slice(0, 200)}`);
    }
    return body.slice(1) as Counts[];
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
