import { makeHandler } from '../src/handler';
import { sixpack } from '../src/sixpack/route';

export const handler = makeHandler(sixpack);
