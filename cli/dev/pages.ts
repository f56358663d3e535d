import type { Config, Wiring } from '../../src/config';
import type { Page } from './server';

/**
 * The pages `abtest dev` serves besides the API: the demo page at `/` and the dashboard at
 * `/dashboard` (filled in by the browser-client and dashboard work).
 */
export function devPages(_ctx: { config: Config; wiring: Wiring; root: string }): Record<string, Page> {
  return {};
}
