import { SECURITY_REQUIREMENTS_METADATA, SKIP_SECURITY_METADATA } from './security.constants.js';
import { SecurityScheme } from '../schemes/security-scheme.js';
import { toClaimRequirements, type ClaimRequirement } from './claim-checks.js';
import { toStepUp, type StepUpRequirement } from './step-up.js';
import type {
  SchemeRef,
  SchemeRequirement,
  SecurityOptions,
  SecurityRequirementInput,
} from './security-options.interface.js';

/** One scheme as the decorators store it. */
export interface DeclaredScheme {
  readonly scheme: SchemeRef;
  readonly scopes: readonly string[];
  readonly optional: boolean;
  readonly claims?: readonly ClaimRequirement[];
  readonly stepUp?: StepUpRequirement;
}

/** What the decorators store: one alternative, whose entries must all pass. */
export type DeclaredRequirement = readonly DeclaredScheme[];

/**
 * Requires `scheme` (an instance or a registered scheme name), with `scopes`, on a controller or a handler.
 * Several `@Security` on one target are alternatives (OR), tried in the order written. Requirements at
 * different levels (module, base class, controller, handler) must all be met (AND): an inner level only
 * narrows access. `{ optional: true }`: a request without these credentials passes with a null principal.
 */
export function Security(scheme: SchemeRef, options?: SecurityOptions): ClassDecorator & MethodDecorator;
export function Security(
  scheme: SchemeRef,
  scopes: readonly string[],
  options?: Omit<SecurityOptions, 'scopes'>,
): ClassDecorator & MethodDecorator;
export function Security(
  scheme: SchemeRef,
  scopesOrOptions: readonly string[] | SecurityOptions = [],
  options: Omit<SecurityOptions, 'scopes'> = {},
): ClassDecorator & MethodDecorator {
  const given = Array.isArray(scopesOrOptions)
    ? { ...options, scopes: scopesOrOptions }
    : (scopesOrOptions as SecurityOptions | null) ?? {};
  if (typeof given !== 'object') throw new Error('@Security: the second argument must be a scopes array or { scopes, optional }.');
  return declare([normalize({ ...given, scheme }, '@Security')]);
}

/** Requires every listed scheme together (AND) as one alternative. */
export function SecurityAll(...requirements: SchemeRequirement[]): ClassDecorator & MethodDecorator {
  if (requirements.length === 0) throw new Error('@SecurityAll needs at least one scheme.');
  if (requirements.some(Array.isArray)) {
    throw new Error('@SecurityAll takes each scheme as its own argument: @SecurityAll({ scheme: a }, { scheme: b }), not an array.');
  }
  return declare(requirements.map((requirement) => normalize(requirement, '@SecurityAll')));
}

/**
 * Drops inherited requirements (module defaults, base classes, and the controller's when used on a
 * handler). Requirements declared on the same target still apply: `@SkipSecurity() @Security(apiKey)`
 * replaces what the route inherits.
 */
export function SkipSecurity(): ClassDecorator & MethodDecorator {
  return (target: object, _key?: string | symbol, descriptor?: PropertyDescriptor) => {
    Reflect.defineMetadata(SKIP_SECURITY_METADATA, true, descriptor ? descriptor.value : target);
  };
}

/** Checks and normalizes one alternative given as a scheme, `{ scheme, scopes }` or a list of those (AND). */
export function toDeclaredRequirement(input: SecurityRequirementInput, where: string): DeclaredRequirement {
  const entries = Array.isArray(input) ? input : [input];
  if (entries.length === 0) throw new Error(`${where}: an AND requirement needs at least one scheme.`);
  return entries.map((entry: SchemeRef | SchemeRequirement) =>
    typeof entry === 'string' || entry instanceof SecurityScheme ? normalize({ scheme: entry }, where) : normalize(entry, where),
  );
}

function declare(requirement: DeclaredRequirement): ClassDecorator & MethodDecorator {
  return (target: object, _key?: string | symbol, descriptor?: PropertyDescriptor) => {
    const holder = descriptor ? descriptor.value : target;
    const existing: DeclaredRequirement[] = Reflect.getOwnMetadata(SECURITY_REQUIREMENTS_METADATA, holder) ?? [];
    // Decorators run bottom-up; prepend so alternatives keep the order they are written in.
    Reflect.defineMetadata(SECURITY_REQUIREMENTS_METADATA, [requirement, ...existing], holder);
  };
}

function normalize(requirement: SchemeRequirement, decorator: string): DeclaredScheme {
  const { scheme, scopes = [], optional = false, claims, acrValues, maxAge } = requirement ?? ({} as SchemeRequirement);
  if (!(scheme instanceof SecurityScheme) && (typeof scheme !== 'string' || scheme.length === 0)) {
    throw new Error(`${decorator} needs a security scheme instance or a registered scheme name, got ${String(scheme)}.`);
  }
  if (!Array.isArray(scopes) || !scopes.every((scope) => typeof scope === 'string')) {
    throw new Error(`${decorator}: scopes must be an array of strings.`);
  }
  if (typeof optional !== 'boolean') throw new Error(`${decorator}: optional must be true or false.`);
  const declared: DeclaredScheme = { scheme, scopes: [...scopes], optional };
  const where = `${decorator}(${typeof scheme === 'string' ? JSON.stringify(scheme) : scheme.schemeName})`;
  const claimRequirements = toClaimRequirements(claims, where);
  const stepUp = toStepUp(acrValues, maxAge, where);
  return { ...declared, ...(claimRequirements.length > 0 && { claims: claimRequirements }), ...(stepUp && { stepUp }) };
}
