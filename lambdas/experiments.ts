import { experiments } from '../src/api';
import { makeHandler } from '../src/http';

export const handler = makeHandler(experiments);
