import type { ExecutionContext } from '@nestjs/common';
import { SecurityHttpException, type RefusalReason, type SecurityScopes, type SecurityValidator } from 'nestjs-security-schemes';

/**
 * Wraps a validator and records the `reason` of every `SecurityHttpException` it throws, then rethrows it
 * unchanged (the response is the validator's own).
 */
export function recordingReasons<C, P>(validator: SecurityValidator<C, P>): { validator: SecurityValidator<C, P>; reasons: RefusalReason[] } {
  const reasons: RefusalReason[] = [];
  const record = (error: unknown): never => {
    if (error instanceof SecurityHttpException && error.reason !== undefined) reasons.push(error.reason);
    throw error;
  };
  return {
    reasons,
    validator: {
      validate(credentials: C, scopes: SecurityScopes, context: ExecutionContext) {
        try {
          const result = validator.validate(credentials, scopes, context);
          return result instanceof Promise ? result.catch(record) : result;
        } catch (error) {
          return record(error);
        }
      },
    },
  };
}
