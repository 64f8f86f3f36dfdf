import {
  HttpException,
  Inject,
  Injectable,
  Logger,
  type ExecutionContext,
  type OnModuleInit,
  type Type,
} from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { HTTPAuthorizationCredentials, HTTPBasicCredentials } from '../schemes/models.js';
import type { SecurityValidator } from '../core/security-options.interface.js';

/**
 * The actions passport gives a strategy for one attempt. A strategy's `authenticate(req, options)`
 * ends by calling exactly one of them, synchronously or later.
 */
export interface PassportActions {
  success(user: unknown, info?: unknown): void;
  fail(challenge?: unknown, status?: number): void;
  error(error: unknown): void;
  pass(): void;
  redirect(url: string, status?: number): void;
}

/** Any passport strategy (`passport-http-bearer`, `passport-jwt`, a `PassportStrategy(...)` class...). */
export interface PassportStrategyLike {
  name?: string;
  authenticate(request: any, options?: any): unknown;
}

/** A passport `Authenticator` (`import passport from 'passport'`), where `passport.use(name, ...)` registers strategies. */
export interface PassportLike {
  use(...args: any[]): unknown;
}

/** How passport itself finds a strategy by name (`Authenticator.prototype._strategy`, untyped in @types/passport). */
type StrategyLookup = { _strategy?(name: string): PassportStrategyLike | undefined };

/**
 * Which strategy to run: a strategy class that is a Nest provider (e.g. made with `@nestjs/passport`'s
 * `PassportStrategy`), a strategy instance, or the name it was registered under in `options.passport`.
 */
export type PassportStrategyRef = Type<PassportStrategyLike> | PassportStrategyLike | string;

export interface PassportValidatorOptions<TPrincipal = unknown> {
  /** The passport instance (`import passport from 'passport'`); needed only when the strategy is given by name. */
  passport?: PassportLike;
  /** Passed as the second argument of `strategy.authenticate(request, options)`. Default `{ session: false }`. */
  authenticateOptions?: Record<string, unknown>;
  /**
   * Builds the principal from what the strategy passed to `success(user, info)`; by default the user.
   * Use it to carry granted scopes, e.g. `(user, info) => ({ ...user, scope: info.scope })`.
   */
  principal?: (user: any, info: any) => TPrincipal;
}

/**
 * Makes a passport strategy the validator of a security scheme:
 *
 * ```ts
 * export class BearerValidator extends PassportValidator(BearerStrategy) {}
 * SecuritySchemesModule.forRoot({ schemes: [{ scheme: bearer, validator: BearerValidator }] })
 * // and add BearerStrategy and BearerValidator to a module's providers
 * ```
 *
 * The scheme still extracts the credentials (no credentials: the scheme's 401 without running the
 * strategy), sends its own challenges, checks scopes and documents itself; the strategy only decides
 * who the caller is, reading the request itself. Its outcome becomes:
 * - `success(user, info)`: the principal (`options.principal(user, info)`, or `user`);
 * - `fail()`, `pass()` or `redirect()`: the scheme's 401;
 * - `error(err)` or a throw: the scheme's 401, logged with the credentials masked. An `HttpException`
 *   passes through unchanged, as it does from any validator.
 * Works on Express and Fastify (the strategy gets the platform's request object).
 */
export function PassportValidator<TPrincipal = unknown>(
  strategy: PassportStrategyRef,
  options: PassportValidatorOptions<TPrincipal> = {},
): Type<SecurityValidator<unknown, TPrincipal | null> & OnModuleInit> {
  const label = describeRef(strategy);
  const lookup = options.passport as StrategyLookup | undefined;
  if (typeof strategy === 'string' && typeof lookup?._strategy !== 'function') {
    throw new Error(
      `PassportValidator('${strategy}'): a strategy given by name needs the passport instance it is registered in: ` +
        `PassportValidator('${strategy}', { passport }) with \`import passport from 'passport'\`, or pass the strategy class.`,
    );
  }
  if (typeof strategy !== 'string' && typeof strategy !== 'function' && typeof strategy?.authenticate !== 'function') {
    throw new Error(`PassportValidator: ${String(strategy)} is not a passport strategy, a strategy class or a strategy name.`);
  }
  const authenticateOptions = options.authenticateOptions ?? { session: false };
  const toPrincipal = options.principal ?? ((user: unknown) => user as TPrincipal);

  @Injectable()
  class PassportStrategyValidator implements SecurityValidator<unknown, TPrincipal | null>, OnModuleInit {
    private readonly logger = new Logger('PassportValidator');
    private resolved?: PassportStrategyLike;

    constructor(@Inject(ModuleRef) private readonly moduleRef: ModuleRef) {}

    /** Finds the strategy at start-up, so that a missing one is a start-up error. */
    onModuleInit(): void {
      this.resolved ??= this.resolveStrategy();
    }

    validate(credentials: unknown, _scopes: unknown, context: ExecutionContext): Promise<TPrincipal | null> {
      const strategyObject = (this.resolved ??= this.resolveStrategy());
      const request = context.switchToHttp().getRequest();
      return new Promise<TPrincipal | null>((resolve, reject) => {
        let settled = false;
        const settle = (outcome: () => void) => {
          if (settled) return;
          settled = true;
          outcome();
        };
        const onError = (error: unknown) => {
          if (error instanceof HttpException) return reject(error);
          this.logError(error, credentials);
          resolve(null);
        };
        // Passport's way: a fresh object per attempt, inheriting the strategy, with the actions added.
        const attempt = Object.create(strategyObject) as PassportStrategyLike & PassportActions;
        attempt.success = (user, info) =>
          settle(() => {
            try {
              resolve(user ? toPrincipal(user, info) : null);
            } catch (error) {
              onError(error);
            }
          });
        attempt.fail = () => settle(() => resolve(null));
        attempt.pass = () => settle(() => resolve(null));
        attempt.redirect = () =>
          settle(() => {
            this.logger.warn(`Passport strategy ${label} asked for a redirect, which an API scheme cannot follow; answering 401.`);
            resolve(null);
          });
        attempt.error = (error) => settle(() => onError(error));
        try {
          attempt.authenticate(request, authenticateOptions);
        } catch (error) {
          settle(() => onError(error));
        }
      });
    }

    private resolveStrategy(): PassportStrategyLike {
      if (typeof strategy === 'string') {
        const found = lookup!._strategy!(strategy);
        if (!found) throw new Error(`PassportValidator: no passport strategy is registered as "${strategy}".`);
        return found;
      }
      if (typeof strategy !== 'function') return strategy;
      let found: PassportStrategyLike | undefined;
      try {
        found = this.moduleRef.get(strategy, { strict: false });
      } catch {
        found = undefined;
      }
      if (typeof found?.authenticate !== 'function') {
        throw new Error(`PassportValidator: the strategy ${strategy.name} is not a provider. Add it to the providers of a module.`);
      }
      return found;
    }

    /** Logs a strategy's error without the credentials that were sent. */
    private logError(error: unknown, credentials: unknown): void {
      const secrets = secretsOf(credentials);
      const text = (value: string) => secrets.reduce((out, secret) => out.split(secret).join('[redacted]'), value);
      const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      this.logger.error(
        `Passport strategy ${label} failed with an error; answering 401. ${text(message)}`,
        error instanceof Error && error.stack ? text(error.stack) : undefined,
      );
    }
  }
  Object.defineProperty(PassportStrategyValidator, 'name', { value: `PassportValidator(${label})` });
  return PassportStrategyValidator;
}

function describeRef(strategy: PassportStrategyRef): string {
  if (typeof strategy === 'string') return `"${strategy}"`;
  if (typeof strategy === 'function') return strategy.name;
  return strategy?.name ? `"${strategy.name}"` : 'instance';
}

/** The secret strings of the extracted credentials: a key or token, a raw header and its token, a user name and password. */
function secretsOf(credentials: unknown): string[] {
  let values: unknown[] = [];
  if (typeof credentials === 'string') values = [credentials, credentials.slice(credentials.lastIndexOf(' ') + 1)];
  else if (credentials instanceof HTTPAuthorizationCredentials) values = [credentials.credentials];
  else if (credentials instanceof HTTPBasicCredentials) values = [credentials.username, credentials.password];
  else if (credentials !== null && typeof credentials === 'object') values = Object.values(credentials);
  // Longest first, so that a token inside a longer header value is masked as a whole.
  return values.filter((value): value is string => typeof value === 'string' && value.length > 0).sort((a, b) => b.length - a.length);
}
