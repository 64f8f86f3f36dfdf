import { HttpException, Logger, type ExecutionContext } from '@nestjs/common';
import type { RefusalReason } from './refusal-reason.js';
import type { SecurityScheme } from '../schemes/security-scheme.js';
import { SecurityHttpException } from './security.exception.js';

/**
 * One refused request, as the `onRefusal` hook receives it. It never carries the token or any
 * credentials: only why, where, and with what status the request was refused.
 */
export interface SecurityRefusal {
  /** Why the credentials were refused. */
  readonly reason: RefusalReason;
  /** The status the client gets (401, 403, or a validator's own, e.g. 503). */
  readonly status: number;
  /**
   * The schemes of the answered refusal: the scheme whose credentials were refused, or, when every
   * alternative lacked its credentials (`credentials_missing`), the first missing scheme of each.
   */
  readonly schemes: readonly string[];
  /** `Controller.method` (or `Resolver.field`, `Gateway.handler`) of the refused route. */
  readonly handler: string;
  /** Nest's context of the refused call: `getType()` is `http`, `graphql` or `ws`. */
  readonly context: ExecutionContext;
}

/** Called for every refused request; it must not throw (a throw is caught and logged once). */
export type RefusalHook = (refusal: SecurityRefusal) => void;

/** An error the guard is about to answer with, and why. Made only when refusing. */
export class Refusal {
  constructor(
    readonly error: unknown,
    readonly reason: RefusalReason,
    readonly schemes: readonly SecurityScheme[],
  ) {}
}

/** The refusal of a scheme's credentials with `error`: the reason it carries, else `fallback`. */
export function refusalOf(error: unknown, fallback: RefusalReason, scheme: SecurityScheme): Refusal {
  const carried = error instanceof SecurityHttpException ? error.reason : undefined;
  return new Refusal(error, carried ?? fallback, [scheme]);
}

/**
 * Tells the application about refusals: one debug line through Nest's logger, and the `onRefusal`
 * hook. Nothing here runs unless a request is refused.
 */
export class RefusalReporter {
  private readonly logger = new Logger('SecurityGuard');
  private hookFailed = false;

  constructor(private readonly hook: RefusalHook | undefined) {}

  report(refusal: Refusal, handler: string, context: ExecutionContext): void {
    const status = refusal.error instanceof HttpException ? refusal.error.getStatus() : 500;
    const schemes = refusal.schemes.map((scheme) => scheme.schemeName);
    // Built on every refusal: Logger.isLevelEnabled() cannot see the levels of a custom logger (pino, winston...).
    const names = schemes.map((name) => JSON.stringify(name)).join(', ');
    this.logger.debug(
      `Refused ${describeCall(context)} (${handler}) with ${status}, scheme${schemes.length > 1 ? 's' : ''} ${names}: ${refusal.reason}${detailOf(refusal)}`,
    );
    if (!this.hook) return;
    try {
      const result: unknown = this.hook({ reason: refusal.reason, status, schemes, handler, context });
      if (typeof (result as PromiseLike<unknown> | undefined)?.then === 'function') {
        (result as Promise<unknown>).then(undefined, (error: unknown) => this.hookThrew(error));
      }
    } catch (error) {
      this.hookThrew(error);
    }
  }

  /** A failing hook never changes the answer; it is reported once, by its error's type only. */
  private hookThrew(error: unknown): void {
    if (this.hookFailed) return;
    this.hookFailed = true;
    const type = error instanceof Error ? error.name : typeof error;
    this.logger.warn(`The onRefusal hook threw ${type}; refusals are answered as usual. (Said once.)`);
  }
}

/**
 * The refused call, for the log: `GET /items` (the path without its query string, which may carry an
 * API key), `GraphQL Query.items`, `WebSocket message "events"` or `WebSocket connection`.
 */
function describeCall(context: ExecutionContext): string {
  const type = context.getType<string>();
  if (type === 'http') {
    const request = context.switchToHttp().getRequest<{ method?: string; originalUrl?: string; url?: string }>();
    const url = request.originalUrl ?? request.url ?? '';
    const query = url.indexOf('?');
    return `${request.method} ${query < 0 ? url : url.slice(0, query)}`;
  }
  if (type === 'graphql') {
    const info = context.getArgs()[3] as { parentType?: { name?: string }; fieldName?: string } | undefined;
    return `GraphQL ${info?.parentType?.name ?? '?'}.${info?.fieldName ?? '?'}`;
  }
  if (type === 'ws') {
    const pattern = context.getArgs()[2];
    return typeof pattern === 'string' ? `WebSocket message ${JSON.stringify(pattern)}` : 'WebSocket connection';
  }
  return type;
}

/** The exception's detail in parentheses, when it says more than the reason (`expired` is not repeated). */
function detailOf(refusal: Refusal): string {
  const detail = refusal.error instanceof SecurityHttpException ? refusal.error.detail : undefined;
  if (!detail || detail === refusal.reason.replace(/_/g, ' ')) return '';
  return ` (${detail})`;
}
