import { admin } from '../src/experiments/routes';
import { makeHandler } from '../src/handler';

export const handler = makeHandler(admin);
