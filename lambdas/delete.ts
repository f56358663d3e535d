import { remove } from '../src/api';
import { makeHandler } from '../src/handler';

export const handler = makeHandler(remove);
