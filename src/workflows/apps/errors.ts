/** The typed errors of the app registry. */
import { JobfuturesError } from '../../util/errors.js';

/**
 * A launch named an app (or a calc type) nobody registered. Thrown by `AppRegistry.launch` before
 * anything is submitted.
 */
export class UnknownAppError extends JobfuturesError {
  /** The name asked for (an app name, or `calcType:<type>`). */
  readonly app: string;
  /** The names that are registered. */
  readonly registered: readonly string[];

  constructor(app: string, registered: readonly string[], what = 'app') {
    super(
      'ERR_UNKNOWN_APP',
      `unknown ${what} '${app}': registered ${registered.length === 0 ? 'none (call register() first)' : registered.map((n) => `'${n}'`).join(', ')}`,
    );
    this.app = app;
    this.registered = registered;
  }
}
