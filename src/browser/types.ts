/** The public types of the browser client and what it needs from the browser. */

/** What the client needs from the browser. */
export interface ClientEnv {
  /** localStorage, or anything that throws like it does in private mode. */
  storage: { getItem(key: string): string | null; setItem(key: string, value: string): void } | null;
  /** GETs `url` (the definitions); resolves with the answer, status 0 on a network error. Absent: no definitions. */
  get?(url: string): Promise<{ status: number; text: string }>;
  /** POSTs `body` (a JSON array, sent as text/plain); resolves with the answer, status 0 on a network error. */
  post(url: string, body: string): Promise<{ status: number; text: string }>;
  /** Hands `body` to the browser to send after the page is gone; false when it cannot. */
  beacon(url: string, body: string): boolean;
  /** A number in [0, 1). */
  random(): number;
  /** 32 hex digits, unpredictable. */
  randomId(): string;
  /** The page's query string (`location.search`). */
  search: string;
  setTimeout(fn: () => void, ms: number): unknown;
  warn(message: string, detail?: unknown): void;
}

/** Options of `abtest.init`. */
export interface InitOptions {
  /** The track URL, e.g. `https://abc.execute-api.eu-west-1.amazonaws.com/prod/track`. */
  url: string;
  /** @default the server's configured namespace */
  namespace?: string;
  /** A stable user id: the same user gets the same variants on every device. */
  userId?: string | number;
  /**
   * The definitions URL (`GET /config`), or false to use only the code's experiments.
   * @default the track URL with `/track` replaced by `/config`
   */
  config?: string | false;
  /** How long a first visit (no cached definitions) waits for them, in ms, before using the code's. @default 300 */
  wait?: number;
}

/** One experiment as `GET /config` defines it: variants, weights, sample, fallback, state. */
export interface ServerDefinition {
  experiment: string;
  variants: { label: string; weight: number }[];
  sample: number;
  fallback: string;
  state: 'running' | 'paused' | 'rolled_out';
  winner: string | null;
  phase: number;
}

/** A variant: optional weight (relative) and what to do when it is chosen. */
export interface VariantOptions {
  /** @default 1 (all variants equal) */
  weight?: number;
  activate?: (variant: string) => void;
}

/** Options of `abtest.experiment`. */
export interface ExperimentOptions {
  name: string;
  variants: Record<string, VariantOptions>;
  /** Fraction of visitors in the experiment, 0 to 1; the others see the first variant, untracked. @default 1 */
  sample?: number;
  /** Checked until the visitor enters the experiment: false leaves the page untouched. */
  trigger?: () => boolean;
}

/** What `abtest.experiment` returns. */
export interface ExperimentHandle {
  name: string;
  /**
   * The variant shown, or null when the trigger said no (or the options were unusable), or while
   * a first visit waits for the definitions (see `abtest.ready`).
   */
  variant: string | null;
  /** Whether this visitor counts in the experiment (in the sample, not forced by QA). */
  tracked: boolean;
}

/** Options of `abtest.complete`. */
export interface GoalOptions {
  /** Count a visitor once per goal and experiment, however often they complete it. @default true */
  unique?: boolean;
}
