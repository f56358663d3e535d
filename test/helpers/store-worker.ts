// A separate process with its own Redis client and store, driven by its parent over IPC:
// each message {id, op, events | namespace+experiment} is answered with {id, ok, value | error}.
import { validateConfig } from '../../src/config';
import { createRedis, RedisCounterStore } from '../../src/store';

const config = validateConfig(JSON.parse(process.env.STORE_WORKER_CONFIG ?? '{}'), 'worker');
const store = new RedisCounterStore(createRedis(config), config);

process.on(
  'message',
  async (m: { id: number; op: 'track' | 'delete'; events?: never[]; namespace?: string; experiment?: string }) => {
    try {
      const value =
        m.op === 'track'
          ? await store.track(m.events ?? [])
          : await store.deleteExperiment(m.namespace ?? '', m.experiment ?? '');
      process.send?.({ id: m.id, ok: true, value });
    } catch (e) {
      process.send?.({ id: m.id, ok: false, error: (e as Error).message });
    }
  },
);
process.send?.({ id: 0, ok: true, value: 'ready' });
