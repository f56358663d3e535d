import { AbtestError } from '../../src/errors';
import type { Definition, State, Variant } from '../../src/experiments/definition';
import { adminRequest } from './http';

export { STATES, type Definition, type Phase, type State, type Variant } from '../../src/experiments/definition';

/** What PUT /definition takes: a new definition, or a draft's replacement. */
export interface DraftBody {
  description?: string;
  variants: Variant[];
  sample?: number;
  fallback?: string;
}

/** What POST /definition/state takes. */
export interface StateBody {
  state: State;
  winner?: string;
  restart?: boolean;
}

/** The admin routes of experiment definitions on a running abtest (`abtest dev` or deployed). */
export class DefinitionsApi {
  /** The version a change expects (sent as `If-Match`; a 412 when it changed since), or null for any. */
  ifMatch: number | null = null;

  constructor(
    private readonly base: string,
    private readonly apiKey: string,
  ) {}

  private async call(method: string, route: string, query: Record<string, string>, body?: unknown) {
    const target = { base: this.base, apiKey: this.apiKey, code: 'experiment' as const };
    const ifMatch: Record<string, string> = this.ifMatch === null ? {} : { 'If-Match': `"${this.ifMatch}"` };
    const answer = await adminRequest(target, method, `${route}?${new URLSearchParams(query)}`, body, ifMatch);
    const { status } = answer;
    const b = answer.body as { status?: string; message?: string; field?: string; definition?: Definition };
    if (status >= 200 && status < 300) return { status, body: b };
    const name = query.experiment ? `"${query.experiment}" in namespace "${query.namespace}"` : `"${query.namespace}"`;
    if (status === 404 && query.experiment) {
      throw new AbtestError('not-found', `experiment ${name} is not defined`, {
        status,
        hint: 'abtest experiment list shows the defined ones; abtest experiment create defines one',
      });
    }
    if (status === 412) {
      throw new AbtestError('changed', `experiment ${name} changed since it was read (412)`, {
        status,
        hint: 'someone else changed it meanwhile: look at it again (abtest experiment show) and retry',
      });
    }
    const field = b?.field ? ` (field ${b.field})` : '';
    const message = b?.message ?? JSON.stringify(b).slice(0, 200);
    const code = status === 409 ? 'conflict' : 'refused';
    throw new AbtestError(code, `${method} ${route} of ${name}: ${message}${field}`, { status });
  }

  /** The definitions of a namespace; archived ones only with `archived`. */
  async list(namespace: string, archived = false): Promise<Definition[]> {
    const query: Record<string, string> = archived ? { namespace, archived: '1' } : { namespace };
    const { body } = await this.call('GET', '/definitions', query);
    return (body as { definitions: Definition[] }).definitions;
  }

  /** One definition, or null when the experiment has none. */
  async get(namespace: string, experiment: string): Promise<Definition | null> {
    try {
      return (await this.call('GET', '/definition', { namespace, experiment })).body.definition!;
    } catch (e) {
      if (e instanceof AbtestError && e.code === 'not-found') return null;
      throw e;
    }
  }

  /** Creates a definition (a draft), or replaces a draft; `created` tells which. */
  async put(namespace: string, experiment: string, body: DraftBody) {
    const r = await this.call('PUT', '/definition', { namespace, experiment }, body);
    return { created: r.status === 201, definition: r.body.definition! };
  }

  /** Moves a definition to another state (a 409 names the allowed ones). */
  async setState(namespace: string, experiment: string, body: StateBody): Promise<Definition> {
    return (await this.call('POST', '/definition/state', { namespace, experiment }, body)).body.definition!;
  }

  /** New weights (one per variant, in order) and sample; a running experiment starts a new phase. */
  async setWeights(namespace: string, experiment: string, body: { weights: number[]; sample?: number }) {
    return (await this.call('POST', '/definition/weights', { namespace, experiment }, body)).body.definition!;
  }

  /** A new description. */
  async describe(namespace: string, experiment: string, description: string): Promise<Definition> {
    const query = { namespace, experiment };
    return (await this.call('POST', '/definition/describe', query, { description })).body.definition!;
  }
}
