/** The introspection endpoint could not answer (unreachable, timeout, error status, not JSON): answer 503. */
export class IntrospectionUnavailableError extends Error {
  override readonly name = 'IntrospectionUnavailableError';
  constructor(readonly retryAfterSeconds: number) {
    super('the introspection endpoint of the identity provider could not answer');
  }
}
