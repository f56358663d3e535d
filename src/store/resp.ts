import net from 'node:net';
import tls from 'node:tls';

/*
 * A lean Redis client for the hot path: one connection, every command of a tick written in one
 * string, replies read by a small incremental RESP2 parser into a FIFO of callbacks. ioredis
 * spends several times its CPU per script call (command objects, auto-pipelining pipelines,
 * promise chains, reply conversion); the handlers of /track, /participate and /convert call
 * one script per request, so that cost is a large share of theirs. Everything else (Cluster,
 * results, definitions, deletes) stays on ioredis (src/store/redis.ts).
 */

/** A reply: a string (simple or bulk), an integer, null (nil), or an array of them. */
export type Reply = string | number | null | Reply[];

/** Where and how to connect; the callbacks report each failure and each successful (re)connect. */
export interface RespOptions {
  host: string;
  port: number;
  /** TLS options of a `rediss://` URL, else undefined. */
  tls?: tls.ConnectionOptions;
  username?: string;
  password?: string;
  /** Selected once per connection when not 0. */
  db: number;
  connectTimeoutMs: number;
  /** The delay before reconnect attempt `times` (1, 2, …) after a drop or a failed connect. */
  retryDelay(times: number): number;
  onError(e: Error): void;
  onReady(): void;
}

type Callback = (e: Error | null, reply: Reply) => void;

/**
 * A failure of this client, which `guard()` (src/store/redis.ts) turns into an UnavailableError
 * or passes on, as it does ioredis's: an error Redis answered with is named `ReplyError`, as
 * ioredis names them; the connection's own are `ConnectionError` (Node's socket errors pass as
 * they are).
 */
export class RespError extends Error {
  constructor(
    message: string,
    name: 'ReplyError' | 'ConnectionError',
    readonly code?: string,
  ) {
    super(message);
    this.name = name;
  }
}

const closedError = (): RespError => new RespError('Connection is closed', 'ConnectionError');

/** Writes a non-negative integer's decimal digits at `at`; returns the offset after them. */
function writeDigits(buf: Buffer, at: number, n: number): number {
  if (n < 10) {
    buf[at] = 48 + n;
    return at + 1;
  }
  let end = at + 1;
  for (let m = n; m >= 10; m = Math.floor(m / 10)) end++;
  for (let i = end - 1; i >= at; i--, n = Math.floor(n / 10)) buf[i] = 48 + (n % 10);
  return end;
}

/** One command: its first arguments and the rest (kept apart, so that no call joins them in a new array). */
type Command = { head: readonly string[]; tail: readonly string[] };

/** Where commands are encoded before their one copy goes out: grown as needed, reused by every flush. */
let scratch = Buffer.allocUnsafe(16 * 1024);

/**
 * Writes one argument as a RESP bulk string at `at`; returns the offset after it. An ASCII
 * argument (the usual case) is copied by a loop, which beats Buffer#write's argument checks for
 * strings this short; one that is not is written again as UTF-8 with its byte length.
 */
function writeBulk(buf: Buffer, at: number, a: string): number {
  const start = at;
  const n = a.length;
  buf[at] = 36; // '$'
  at = writeDigits(buf, at + 1, n);
  buf[at++] = 13;
  buf[at++] = 10;
  let j = 0;
  for (; j < n; j++) {
    const c = a.charCodeAt(j);
    if (c > 127) break;
    buf[at + j] = c;
  }
  if (j === n) at += n;
  else {
    const bytes = Buffer.byteLength(a);
    at = writeDigits(buf, start + 1, bytes);
    buf[at++] = 13;
    buf[at++] = 10;
    at += buf.write(a, at, bytes, 'utf8');
  }
  buf[at++] = 13;
  buf[at++] = 10;
  return at;
}

/**
 * Encodes commands as RESP arrays of bulk strings into one buffer, with no string built on
 * the way (every command of a tick goes out in one write; this is most of what a call costs).
 */
function encode(commands: readonly Command[]): Buffer {
  // At most 3 bytes per UTF-16 unit, plus each header ('*' or '$', up to 13 digits, CRLF) and CRLF.
  let size = 0;
  for (const { head, tail } of commands) {
    size += 16;
    for (const a of head) size += 3 * a.length + 18;
    for (const a of tail) size += 3 * a.length + 18;
  }
  if (scratch.length < size) scratch = Buffer.allocUnsafe(Math.max(size, 2 * scratch.length));
  const buf = scratch;
  let at = 0;
  for (const { head, tail } of commands) {
    buf[at] = 42; // '*'
    at = writeDigits(buf, at + 1, head.length + tail.length);
    buf[at++] = 13;
    buf[at++] = 10;
    for (const a of head) at = writeBulk(buf, at, a);
    for (const a of tail) at = writeBulk(buf, at, a);
  }
  // A copy of its own for the socket (which may hold it until written); scratch is reused.
  return Buffer.from(buf.subarray(0, at));
}

/**
 * A connection that connects on first use, queues commands while it connects, sends AUTH and
 * SELECT first, and after a drop rejects the commands in flight at once and reconnects in the
 * background with backoff (so a Redis that comes back needs no restart). Commands issued while
 * it reconnects wait for that attempt and fail with it. The socket keeps the process alive only
 * while commands are pending, so a forgotten client never holds a process open.
 */
export class RespClient {
  private socket: net.Socket | null = null;
  private state: 'idle' | 'connecting' | 'ready' | 'waiting' | 'closed' = 'idle';
  /** Callbacks of commands written, in order; `head` is the next reply's. */
  private sent: Callback[] = [];
  private head = 0;
  /** Commands of this tick not yet written (all of them while connecting). */
  private out: Command[] = [];
  private outCallbacks: Callback[] = [];
  private flushing = false;
  private attempts = 0;
  private timer: NodeJS.Timeout | null = null;
  private parser = new Parser();

  constructor(private readonly options: RespOptions) {}

  /**
   * Sends one command (`head`, then `tail`: the arguments as two lists, so that callers need
   * not join them); resolves with its reply, rejects with a ReplyError or the connection's failure.
   */
  call(head: readonly string[], tail: readonly string[] = NONE): Promise<Reply> {
    return new Promise((resolve, reject) => this.send({ head, tail }, (e, reply) => (e ? reject(e) : resolve(reply))));
  }

  /** Drops the connection for good; pending commands fail. */
  close(): void {
    this.state = 'closed';
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.drop(closedError());
  }

  private send(command: Command, cb: Callback): void {
    if (this.state === 'closed') return cb(closedError(), null);
    this.out.push(command);
    this.outCallbacks.push(cb);
    if (this.state === 'idle') this.connect();
    else if (this.state === 'ready' && !this.flushing) {
      this.flushing = true;
      setImmediate(this.flush);
    }
  }

  /** Writes the commands of this tick in one write (pipelining). */
  private readonly flush = (): void => {
    this.flushing = false;
    if (this.state !== 'ready' || !this.socket || this.outCallbacks.length === 0) return;
    if (this.head === this.sent.length) this.socket.ref();
    for (const cb of this.outCallbacks) this.sent.push(cb);
    this.outCallbacks = [];
    this.socket.write(encode(this.out));
    this.out = [];
  };

  private connect(): void {
    const { options } = this;
    this.state = 'connecting';
    this.timer = null;
    const socket = options.tls
      ? tls.connect({ host: options.host, port: options.port, ...options.tls })
      : net.connect({ host: options.host, port: options.port });
    this.socket = socket;
    this.parser = new Parser();
    socket.setNoDelay(true);
    socket.setKeepAlive(true);
    const timeout = setTimeout(() => {
      socket.destroy(new RespError('connect ETIMEDOUT', 'ConnectionError', 'ETIMEDOUT'));
    }, options.connectTimeoutMs);
    let failure: Error | null = null;
    socket.on(options.tls ? 'secureConnect' : 'connect', () => this.handshake(socket, timeout));
    socket.on('data', (chunk: Buffer) => this.read(chunk));
    socket.on('error', (e) => {
      failure = e;
    });
    socket.on('close', () => {
      clearTimeout(timeout);
      if (this.socket === socket) this.closed(failure ?? closedError());
    });
  }

  /** AUTH and SELECT ahead of the queued commands; ready when both succeeded. */
  private handshake(socket: net.Socket, timeout: NodeJS.Timeout): void {
    const { username, password, db } = this.options;
    const first: Command[] = [];
    if (password) first.push({ head: username ? ['AUTH', username, password] : ['AUTH', password], tail: NONE });
    if (db !== 0) first.push({ head: ['SELECT', String(db)], tail: NONE });
    let left = first.length;
    const ready = () => {
      clearTimeout(timeout);
      this.state = 'ready';
      this.attempts = 0;
      this.options.onReady();
      this.flush();
    };
    if (left === 0) return ready();
    socket.ref();
    socket.write(encode(first));
    for (let i = 0; i < first.length; i++) {
      this.sent.push((e) => {
        if (e) socket.destroy(e);
        else if (--left === 0) ready();
      });
    }
  }

  private read(chunk: Buffer): void {
    const parser = this.parser;
    parser.push(chunk);
    for (;;) {
      let reply: Reply | Error | undefined;
      try {
        reply = parser.next();
      } catch (e) {
        // Out of step with the stream: no later reply can be matched to its command.
        this.socket?.destroy(e as Error);
        return;
      }
      if (reply === undefined) break;
      const cb = this.sent[this.head];
      this.sent[this.head++] = noop;
      if (this.head === this.sent.length) {
        this.sent = [];
        this.head = 0;
        this.socket?.unref();
      } else if (this.head >= 1024) {
        // Under steady load the FIFO may never run empty: drop the answered part now and then.
        this.sent = this.sent.slice(this.head);
        this.head = 0;
      }
      if (reply instanceof Error) cb(reply, null);
      else cb(null, reply);
    }
  }

  /** The socket closed: fail what was sent (and what waited for this connection), then retry later. */
  private closed(e: Error): void {
    this.socket = null;
    this.drop(e);
    if (this.state === 'closed') return;
    this.options.onError(e);
    this.state = 'waiting';
    this.timer = setTimeout(() => this.connect(), this.options.retryDelay(++this.attempts));
    this.timer.unref();
  }

  /** Fails every pending command with `e` and destroys the socket. */
  private drop(e: Error): void {
    const pending = [...this.sent.slice(this.head), ...this.outCallbacks];
    this.sent = [];
    this.head = 0;
    this.out = [];
    this.outCallbacks = [];
    this.socket?.destroy();
    this.socket = null;
    for (const cb of pending) cb(e, null);
  }
}

const noop: Callback = () => {};
const NONE: readonly string[] = [];

/** An incremental RESP2 parser: `push` chunks, `next` yields whole replies (undefined: need more). */
class Parser {
  private buf: Buffer = Buffer.alloc(0);
  private pos = 0;

  push(chunk: Buffer): void {
    this.buf = this.pos < this.buf.length ? Buffer.concat([this.buf.subarray(this.pos), chunk]) : chunk;
    this.pos = 0;
  }

  /** The next whole reply (an Error for an error reply), or undefined when it has not all arrived. */
  next(): Reply | Error | undefined {
    const start = this.pos;
    const reply = this.value();
    if (reply === undefined) this.pos = start;
    return reply;
  }

  private value(): Reply | Error | undefined {
    const { buf } = this;
    if (this.pos >= buf.length) return undefined;
    const type = buf[this.pos];
    const end = buf.indexOf(13, this.pos + 1);
    if (end < 0 || end + 1 >= buf.length) return undefined;
    const line = buf.toString('utf8', this.pos + 1, end);
    this.pos = end + 2;
    switch (type) {
      case 43: // +
        return line;
      case 45: // -
        return new RespError(line, 'ReplyError');
      case 58: // :
        return Number(line);
      case 36: {
        // $
        const n = Number(line);
        if (n < 0) return null;
        if (this.pos + n + 2 > buf.length) return undefined;
        const s = buf.toString('utf8', this.pos, this.pos + n);
        this.pos += n + 2;
        return s;
      }
      case 42: {
        // *
        const n = Number(line);
        if (n < 0) return null;
        const items: Reply[] = [];
        for (let i = 0; i < n; i++) {
          const item = this.value();
          if (item === undefined) return undefined;
          // An error inside an array (a failed command of a transaction) is kept as its text.
          items.push(item instanceof Error ? item.message : item);
        }
        return items;
      }
      default:
        throw new RespError(
          `protocol error: unexpected reply type ${JSON.stringify(String.fromCharCode(type))}`,
          'ConnectionError',
        );
    }
  }
}
