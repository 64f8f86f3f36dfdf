import { Scope, type Type } from '@nestjs/common';
import type { ModuleRef } from '@nestjs/core';
import { APIKeyCookie } from '../../schemes/api-key.js';
import { checkSchemeName, SecurityScheme } from '../../schemes/security-scheme.js';
import { checkResponseHeaders } from '../header-values.js';
import type { SecuritySchemeRegistration, SecurityValidator } from '../security-options.interface.js';
import { headersOf } from '../security.exception.js';
import type { SchemeBinding } from './compiled-route.js';

const ROUTE_ERROR_HINT = 'Register it in SecuritySchemesModule.forRoot({ schemes: [...] }).';

/**
 * The registered schemes and their validators: registration (checked, one binding per scheme name) and,
 * at module init, the resolution of validator provider classes to their instances.
 */
export class SchemeBindings {
  private readonly bindings = new Map<string, SchemeBinding>();
  /** Names of the schemes whose credentials come from a cookie. */
  private readonly cookieCarried = new Set<string>();

  constructor(entries: readonly (SecurityScheme | SecuritySchemeRegistration)[]) {
    for (const entry of entries) this.register(entry);
  }

  values(): IterableIterator<SchemeBinding> {
    return this.bindings.values();
  }

  names(): string[] {
    return [...this.bindings.keys()];
  }

  /** Its credentials come from a cookie (`APIKeyCookie`, or registered with `credentialsFromCookie: true`). */
  fromCookie(scheme: SecurityScheme): boolean {
    return this.cookieCarried.has(scheme.schemeName);
  }

  /** The binding a route's requirement names (by instance or by name); a start-up error naming the route if none. */
  bindingFor(ref: SecurityScheme | string, route: string): SchemeBinding {
    const name = typeof ref === 'string' ? ref : ref.schemeName;
    const binding = this.bindings.get(name);
    if (!binding) {
      throw new Error(`${route} requires security scheme "${name}", which is not registered. ${ROUTE_ERROR_HINT}`);
    }
    if (typeof ref !== 'string' && binding.scheme !== ref) {
      throw new Error(
        `${route} requires ${describe(ref)}, but the scheme registered as "${name}" is another instance ` +
          `(${describe(binding.scheme)}). Use the registered instance or its name.`,
      );
    }
    return binding;
  }

  /** For the testing kit: the scheme named `schemeName` is validated by `validator` from now on. */
  replaceValidator(schemeName: string, validator: SecurityValidator): void {
    const binding = this.bindings.get(schemeName);
    if (!binding) {
      throw new Error(
        `SecuritySchemesModule: no scheme is registered as "${schemeName}"; registered: ${this.names().join(', ') || '(none)'}.`,
      );
    }
    Object.assign(binding, { validatorType: undefined, validator, requestScoped: false });
  }

  /**
   * Resolves a validator provider class to its instance (request-scoped and transient ones stay classes and
   * are resolved per request by the guard), and lets the validator prepare its scheme.
   */
  resolveValidator(binding: SchemeBinding, moduleRef: ModuleRef): void {
    const type = binding.validatorType;
    if (!type || binding.validator || binding.requestScoped) return;
    let scope: Scope | undefined;
    try {
      scope = moduleRef.introspect(type).scope;
    } catch {
      throw new Error(
        `SecuritySchemesModule: the validator ${type.name} of scheme "${binding.scheme.schemeName}" is not a provider. ` +
          'Add it to the providers of a module.',
      );
    }
    if (typeof type.prototype?.validate !== 'function') {
      throw new Error(`SecuritySchemesModule: the validator ${type.name} has no validate(credentials, securityScopes, context) method.`);
    }
    if (scope === Scope.REQUEST || scope === Scope.TRANSIENT) binding.requestScoped = true;
    else binding.validator = moduleRef.get(type, { strict: false });
    binding.validator?.prepareScheme?.(binding.scheme);
  }

  private register(entry: SecurityScheme | SecuritySchemeRegistration): void {
    const registration = entry instanceof SecurityScheme ? { scheme: entry } : entry;
    const scheme = registration?.scheme;
    if (!(scheme instanceof SecurityScheme)) {
      throw new Error(`SecuritySchemesModule: ${String(scheme)} is not a security scheme (APIKeyHeader, HTTPBearer, ...).`);
    }
    checkSchemeName(`SecuritySchemesModule: scheme ${scheme.constructor.name}`, scheme.schemeName); // a subclass may override schemeName
    checkChallenge(scheme);
    const existing = this.bindings.get(scheme.schemeName);
    if (existing && existing.scheme !== scheme) {
      throw new Error(
        `SecuritySchemesModule: two different schemes share the scheme name "${scheme.schemeName}": ` +
          `${describe(existing.scheme)} and ${describe(scheme)}. Give each a distinct schemeName.`,
      );
    }
    const validator = registration.validator as Type<SecurityValidator> | SecurityValidator | undefined;
    if (validator !== undefined && typeof validator !== 'function' && typeof validator?.validate !== 'function') {
      throw new Error(
        `SecuritySchemesModule: the validator of scheme "${scheme.schemeName}" must be a provider class or an object ` +
          'with a validate(credentials, securityScopes, context) method.',
      );
    }
    const { validatedBy } = registration as SecuritySchemeRegistration;
    if (validatedBy !== undefined && validatedBy !== 'handler') {
      throw new Error(`SecuritySchemesModule: validatedBy of scheme "${scheme.schemeName}" can only be 'handler', got ${JSON.stringify(validatedBy)}.`);
    }
    if (validatedBy !== undefined && validator !== undefined) {
      throw new Error(
        `SecuritySchemesModule: scheme "${scheme.schemeName}" has a validator and validatedBy: 'handler'; give one: ` +
          'the validator checks the credentials, or the handler does.',
      );
    }
    const { credentialsFromCookie } = registration as SecuritySchemeRegistration;
    if (credentialsFromCookie !== undefined && credentialsFromCookie !== true) {
      throw new Error(
        `SecuritySchemesModule: credentialsFromCookie of scheme "${scheme.schemeName}" can only be true, got ${JSON.stringify(credentialsFromCookie)} ` +
          '(to leave routes out of the cross-site check, use crossSite: false or @SkipCrossSiteCheck()).',
      );
    }
    if (credentialsFromCookie || scheme instanceof APIKeyCookie) this.cookieCarried.add(scheme.schemeName);
    const handlerValidates = validatedBy === 'handler' || existing?.handlerValidates === true;
    const previous = existing?.validatorType ?? existing?.validator;
    if (existing && (validator ?? previous) && handlerValidates) {
      throw new Error(
        `SecuritySchemesModule: scheme "${scheme.schemeName}" is registered both with a validator and with validatedBy: 'handler'.`,
      );
    }
    if (existing && validator && previous && previous !== validator) {
      throw new Error(`SecuritySchemesModule: scheme "${scheme.schemeName}" is registered with two different validators.`);
    }
    if (existing && !validator && !handlerValidates) return;
    if (existing && !validator) {
      this.bindings.set(scheme.schemeName, { ...existing, handlerValidates });
      return;
    }
    this.bindings.set(
      scheme.schemeName,
      typeof validator === 'function'
        ? { scheme, validatorType: validator, requestScoped: false, handlerValidates }
        : { scheme, validator, requestScoped: false, handlerValidates },
    );
    // An instance prepares its scheme now, so that the OpenAPI answers compiled next have its challenges.
    if (typeof validator === 'object') validator.prepareScheme?.(scheme);
  }
}

/** A challenge Node cannot send (e.g. from a subclass) fails at start-up, not as a 500 on every request. */
function checkChallenge(scheme: SecurityScheme): void {
  const owner = `SecuritySchemesModule: scheme "${scheme.schemeName}" (${scheme.constructor.name})`;
  checkResponseHeaders(`${owner} makeAuthenticateHeaders()`, scheme.makeAuthenticateHeaders());
  checkResponseHeaders(`${owner} makeNotAuthenticatedError()`, headersOf(scheme.makeNotAuthenticatedError()));
}

function describe(scheme: SecurityScheme): string {
  return `${scheme.constructor.name}(${JSON.stringify(scheme.toOpenAPI())})`;
}
