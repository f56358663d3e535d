import { admin } from '../src/experiments/routes';
import { makeHandler } from '../src/http';

export const handler = makeHandler(admin);
