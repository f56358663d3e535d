import { InputError } from '../errors';

/** A refused change (409): an illegal transition, an archived experiment, a concurrent change. */
export class ConflictError extends InputError {
  constructor(field: string, message: string) {
    super(field, message, 409);
  }
}

/** An experiment without a definition (404). */
export class NotFoundError extends InputError {
  constructor(namespace: string, experiment: string) {
    super('experiment', `experiment "${experiment}" has no definition in namespace "${namespace}"`, 404);
  }
}
