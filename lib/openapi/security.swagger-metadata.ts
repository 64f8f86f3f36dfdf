import { Logger, type Type } from '@nestjs/common';
import type { CompiledRoute } from '../core/registry/compiled-route.js';
import type { SecurityRequirementObject } from '../core/security.requirements.js';
import { describeClaimRequirement } from '../core/claim-checks.js';
import { describeStepUp } from '../core/step-up.js';
import { routeAnswers, type RouteAnswer } from './route-answers.js';
import { crossSiteDescription } from './cross-site-answers.js';
import { STATUS_CODES } from 'node:http';

// The compiled requirement of each route is written into @nestjs/swagger's own metadata on the handler,
// so `SwaggerModule.createDocument` emits it itself, whatever the operationIds, prefixes, versions,
// aliases or `include` list. Only metadata keys are used: nothing here loads @nestjs/swagger.

/** @nestjs/swagger's metadata keys (`DECORATORS` in `@nestjs/swagger/dist/constants`). */
export const SWAGGER_API_OPERATION = 'swagger/apiOperation';
export const SWAGGER_API_RESPONSE = 'swagger/apiResponse';
export const SWAGGER_API_SECURITY = 'swagger/apiSecurity';
export const SWAGGER_API_CONSUMES = 'swagger/apiConsumes';
export const SWAGGER_API_PARAMETERS = 'swagger/apiParameters';

/** Nest's own metadata keys (`@nestjs/common/constants`), repeated to avoid a deep import. */
const NEST_HTTP_CODE_METADATA = '__httpCode__';
const NEST_METHOD_METADATA = 'method';
const NEST_REQUEST_METHOD_POST = 1;

type Metadata = Record<string, unknown>;

/** What the user's decorators had put on a handler before the library first wrote to it. */
interface UserMetadata {
  operation?: Metadata;
  responses?: Metadata;
}

const userMetadata = new WeakMap<Function, UserMetadata>();
const logger = new Logger('SecuritySchemesModule');

/** What one route documents: `undefined` leaves the user's metadata as it is. */
type Documented = { security: SecurityRequirementObject[]; responses: Metadata; checks?: string } | undefined;

/** Per handler, what each controller that routes to it documents (a handler is shared when inherited). */
const handlerDocs = new WeakMap<Function, { owner: object; byController: Map<Type, Documented> }>();

/** A route's requirement as an OpenAPI `security` list (compiled with the route). */
export function toSecurity(route: CompiledRoute): SecurityRequirementObject[] {
  return route.security.map((requirement) => ({ ...requirement }));
}

/**
 * Writes one compiled route into the Swagger metadata of its handler (`owner` is the registry that
 * compiled it). A governed route gets its `security` (through the operation metadata, which
 * @nestjs/swagger puts over class- and method-level `@ApiSecurity`) and, unless documented, its 401 and
 * 403 answers; a route that `@SkipSecurity()` left without requirement gets `security: []`. A route the
 * library has no say on keeps exactly what its decorators say. It always starts from the user's metadata, so the same controller may be compiled
 * by several apps.
 */
export function writeSwaggerMetadata(owner: object, route: CompiledRoute): void {
  const { handler } = route;
  const name = `${route.controller.name}.${route.methodName}`;
  const handWritten = handWrittenSecurity(route.controller, handler);
  // An opted-out route is public on purpose: `[]`, so a document-level requirement does not claim it.
  const security = route.alternatives.length > 0 ? toSecurity(route) : route.optedOut ? [] : undefined;
  if (security !== undefined && handWritten !== undefined && JSON.stringify(handWritten) !== JSON.stringify(security)) {
    logger.warn(
      `${name} has Swagger security decorators (${JSON.stringify(handWritten)}) that differ from the security it ` +
        `enforces (${JSON.stringify(security)}); the OpenAPI document shows what is enforced.`,
    );
  }

  let docs = handlerDocs.get(handler);
  if (docs?.owner !== owner) handlerDocs.set(handler, (docs = { owner, byController: new Map() }));
  if (security === undefined) {
    docs.byController.set(route.controller, undefined);
  } else {
    const user = saveUserMetadata(handler);
    const checks = checksDescription(route);
    docs.byController.set(route.controller, {
      security,
      responses: documentedResponses(route, handler, user.responses),
      ...(checks !== undefined && { checks }),
    });
  }
  applyDocs(handler, docs.byController);
}

/** Writes a handler's metadata: plain when every controller routing to it documents the same, else per controller. */
function applyDocs(handler: Function, byController: Map<Type, Documented>): void {
  const distinct = new Set([...byController.values()].map((documented) => JSON.stringify(documented ?? null)));
  const user = userMetadata.get(handler);
  if (!user) return;
  if (distinct.size === 1) {
    const documented = byController.values().next().value;
    if (documented === undefined) {
      restoreUserMetadata(handler, user);
      return;
    }
    Reflect.defineMetadata(SWAGGER_API_OPERATION, withSecurity(user.operation, () => documented), handler);
    Reflect.defineMetadata(SWAGGER_API_RESPONSE, documented.responses, handler);
    return;
  }
  // An inherited handler routed by several controllers with different security: @nestjs/swagger reads
  // metadata per function, so the metadata answers for the controller it is exploring (see `exploring`).
  for (const controller of byController.keys()) markExploration(controller);
  const current = (): Documented =>
    byController.has(exploring as Type) ? byController.get(exploring as Type) : [...byController.values()].find(Boolean);
  Reflect.defineMetadata(SWAGGER_API_OPERATION, withSecurity(user.operation, current), handler);
  const status = successStatus(handler);
  Reflect.defineMetadata(
    SWAGGER_API_RESPONSE,
    dynamicObject(() => current()?.responses ?? user.responses ?? { [status]: { description: '' } }),
    handler,
  );
}

/** The controller @nestjs/swagger is exploring, set when it reads the controller's `@ApiExcludeController` metadata. */
let exploring: Function | undefined;
const SWAGGER_API_EXCLUDE_CONTROLLER = 'swagger/apiExcludeController';
const marked = new WeakSet<Function>();
/** The user's `@ApiExcludeController()` metadata behind each flag copy. */
const userFlags = new WeakMap<object, unknown[] | undefined>();

/**
 * `createDocument` reads each controller's `@ApiExcludeController()` flag (`metadata[0]`) before its
 * methods; an own copy of that flag on the controller with a getter at `[0]` tells which controller
 * the next handlers belong to. The flag's value is the user's.
 */
function markExploration(controller: Type): void {
  if (marked.has(controller)) return;
  marked.add(controller);
  const inherited: unknown[] | undefined = Reflect.getMetadata(SWAGGER_API_EXCLUDE_CONTROLLER, controller);
  const user = inherited && userFlags.has(inherited) ? userFlags.get(inherited) : inherited;
  const flag: unknown[] = [];
  userFlags.set(flag, user);
  Object.defineProperty(flag, 0, {
    enumerable: true,
    get: () => {
      exploring = controller;
      return user?.[0];
    },
  });
  Reflect.defineMetadata(SWAGGER_API_EXCLUDE_CONTROLLER, flag, controller);
}

/** An object whose own keys and values are those of `source()` at each read. */
function dynamicObject(source: () => Metadata): Metadata {
  return new Proxy({} as Metadata, {
    ownKeys: () => Reflect.ownKeys(source()),
    getOwnPropertyDescriptor: (_target, key) => {
      const value = source();
      return Object.hasOwn(value, key) ? { value: value[key as string], enumerable: true, configurable: true, writable: true } : undefined;
    },
    get: (_target, key) => source()[key as string],
    has: (_target, key) => key in source(),
  });
}

/**
 * The security @nestjs/swagger would document for a handler from hand-written decorators
 * (`@ApiSecurity`, `@ApiBearerAuth`, `@ApiOAuth2` on the class chain and the method, or
 * `@ApiOperation({ security })`), or undefined when there is none.
 */
function handWrittenSecurity(controller: Type, handler: Function): SecurityRequirementObject[] | undefined {
  const operation = (userMetadata.has(handler) ? userMetadata.get(handler)!.operation : Reflect.getOwnMetadata(SWAGGER_API_OPERATION, handler)) as
    | Metadata
    | undefined;
  if (Array.isArray(operation?.security)) return operation.security as SecurityRequirementObject[];
  const onClass: SecurityRequirementObject[] = Reflect.getMetadata(SWAGGER_API_SECURITY, controller) ?? [];
  const onMethod: SecurityRequirementObject[] = Reflect.getOwnMetadata(SWAGGER_API_SECURITY, handler) ?? [];
  const all = [...onClass, ...onMethod];
  return all.length > 0 ? all : undefined;
}

function saveUserMetadata(handler: Function): UserMetadata {
  let saved = userMetadata.get(handler);
  if (!saved) {
    saved = {
      operation: Reflect.getOwnMetadata(SWAGGER_API_OPERATION, handler),
      responses: Reflect.getOwnMetadata(SWAGGER_API_RESPONSE, handler),
    };
    userMetadata.set(handler, saved);
  }
  return saved;
}

function restoreUserMetadata(handler: Function, saved: UserMetadata): void {
  for (const [key, value] of [
    [SWAGGER_API_OPERATION, saved.operation],
    [SWAGGER_API_RESPONSE, saved.responses],
  ] as const) {
    if (value === undefined) Reflect.deleteMetadata(key, handler);
    else Reflect.defineMetadata(key, value, handler);
  }
}

/**
 * The user's operation metadata with the `security` of `documented()` (the user's own when it gives
 * undefined), and the checks OpenAPI cannot express appended to the user's description.
 * Reading a non-empty `security` tells the library that `SwaggerModule.createDocument` documented a
 * secured route (see `noteDocumented`).
 */
function withSecurity(operation: Metadata | undefined, documented: () => Documented): Metadata {
  const user = { ...operation };
  delete user.security;
  return dynamicObject(() => {
    const current = documented();
    if (current === undefined) return operation ?? {};
    if (current.security.length > 0) noteDocumented();
    const described = current.checks === undefined ? {} : { description: appendDescription(user.description, current.checks) };
    return { ...user, security: structuredClone(current.security), ...described };
  });
}

function appendDescription(own: unknown, checks: string): string {
  return typeof own === 'string' && own.length > 0 ? `${own}\n\n${checks}` : checks;
}

/**
 * The claim and step-up checks of a route, in words (OpenAPI cannot express them), e.g.
 * `Security checks besides scopes:` then `- HTTPBearer: claim "roles" includes "admin"`, one line per
 * scheme that has checks (naming the alternative when the route has several). Undefined when none.
 */
export function checksDescription(route: CompiledRoute): string | undefined {
  const lines: string[] = [];
  route.alternatives.forEach((alternative, index) => {
    for (const scheme of alternative.schemes) {
      const checks = [
        ...(scheme.stepUp ? describeStepUp(scheme.stepUp) : []),
        ...scheme.claimChecks.map(describeClaimRequirement),
      ];
      if (checks.length === 0) continue;
      const which = route.alternatives.length > 1 ? ` (alternative ${index + 1})` : '';
      lines.push(`- ${scheme.scheme.schemeName}${which}: ${checks.join('; ')}`);
    }
  });
  const crossSite = crossSiteDescription(route);
  if (crossSite !== undefined) lines.push(crossSite);
  if (lines.length === 0) return undefined;
  return ['Security checks besides scopes (not expressible in OpenAPI):', ...lines].join('\n');
}

/**
 * The user's responses, plus every refusal the guard can send on this route (401, 403, and 503 for token
 * validators that fetch keys), each status the user did not document themselves. The answers come from
 * `routeAnswers`, which reads the compiled route with the guard's own functions.
 */
function documentedResponses(route: CompiledRoute, handler: Function, user: Metadata | undefined): Metadata {
  const onClass: Metadata = Reflect.getMetadata(SWAGGER_API_RESPONSE, route.controller) ?? {};
  const documented = { ...onClass, ...user };
  // Without method-level responses @nestjs/swagger documents the success status; keep it.
  const responses: Metadata = { ...(user ?? { [successStatus(handler)]: { description: '' } }) };
  const byStatus = new Map<number, RouteAnswer[]>();
  for (const answer of routeAnswers(route)) byStatus.set(answer.status, [...(byStatus.get(answer.status) ?? []), answer]);
  for (const [status, answers] of byStatus) {
    if (!(String(status) in documented)) responses[status] = refusalResponse(status, answers, route);
  }
  return responses;
}

/** The status @nestjs/swagger documents by default: `@HttpCode`, else 201 for POST, else 200. */
function successStatus(handler: Function): number {
  const code = Reflect.getMetadata(NEST_HTTP_CODE_METADATA, handler);
  if (code) return code;
  return Reflect.getMetadata(NEST_METHOD_METADATA, handler) === NEST_REQUEST_METHOD_POST ? 201 : 200;
}

/** The error body the guard sends: `{ statusCode, message, error }`, `message` being one of `messages`. */
function errorBody(statusCode: number, messages: readonly string[]) {
  return {
    type: 'object',
    properties: {
      statusCode: { type: 'integer', example: statusCode },
      message: { type: 'string', ...(messages.length > 1 && { enum: [...messages] }), example: messages[0] },
      error: { type: 'string', example: STATUS_CODES[statusCode] ?? 'Error' },
    },
    required: ['statusCode', 'message', 'error'],
  };
}

/** Each distinct value, in order. */
function distinct<T>(values: readonly T[]): T[] {
  return [...new Set(values)];
}

/**
 * One refusal status: its description, its `WWW-Authenticate` challenges (an `enum` of every value the guard
 * may send, the one for a request without credentials as the example, and in the description when each is
 * sent), `Retry-After` for a 503, and the error body.
 */
function refusalResponse(status: number, answers: readonly RouteAnswer[], route: CompiledRoute): Metadata {
  const headers: Metadata = {};
  const challenges = distinct(answers.flatMap((answer) => (answer.challenge === undefined ? [] : [answer.challenge])));
  if (challenges.length > 0) {
    const lines = challenges.map((challenge) => {
      const when = distinct(answers.filter((answer) => answer.challenge === challenge).flatMap((answer) => answer.when));
      return `- \`${challenge}\`: ${when.join('; ')}`;
    });
    headers['WWW-Authenticate'] = {
      description: [status === 403 ? 'The insufficient_scope challenge sent (RFC 6750), one of:' : 'The challenge sent, one of:', ...lines].join('\n'),
      ...(challenges.length === answers.length && { required: true }),
      schema: { type: 'string', enum: challenges, example: challenges[0] },
    };
  }
  if (answers.some((answer) => answer.retryAfter)) {
    headers['Retry-After'] = { description: 'Seconds to wait before retrying.', required: true, schema: { type: 'integer', example: 30 } };
  }
  return {
    description: refusalDescription(status, route, answers),
    ...(Object.keys(headers).length > 0 && { headers }),
    schema: errorBody(status, distinct(answers.map((answer) => answer.message))),
  };
}

function refusalDescription(status: number, route: CompiledRoute, answers: readonly RouteAnswer[]): string {
  const schemes = route.alternatives.flatMap((alternative) => alternative.schemes);
  if (status === 401) {
    const refused = route.optional ? 'Not authenticated: credentials were sent and refused.' : 'Not authenticated: the credentials are missing or were refused.';
    return schemes.some((scheme) => scheme.stepUp)
      ? `${refused.slice(0, -1)}, or the user must authenticate again, more strongly or more recently (insufficient_user_authentication, RFC 9470).`
      : refused;
  }
  if (status === 403) {
    const permissions = schemes.some((scheme) => scheme.claimChecks.length > 0)
      ? 'Not enough permissions: the credentials lack a required scope or fail a claim check (insufficient_scope).'
      : 'Not enough permissions: the credentials lack a required scope (insufficient_scope).';
    if (route.crossSite === undefined) return permissions;
    const crossSite =
      'Cross-site request refused: a page of another site sent this unsafe request with cookie credentials' +
      (route.crossSite.doubleSubmit ? ` (or Missing or invalid CSRF token: no valid ${route.crossSite.tokenHeader} header).` : '.');
    return schemes.some((scheme) => scheme.scopes.scopes.length > 0 || scheme.claimChecks.length > 0) ? `${permissions} ${crossSite}` : crossSite;
  }
  if (status === 503) return 'The identity provider is unreachable: the token could not be checked. Retry after Retry-After seconds.';
  // A validator's own answer (`documentedRefusals`): its status's name, and when the validator says it is sent.
  const when = distinct(answers.flatMap((answer) => answer.when));
  return `${STATUS_CODES[status] ?? 'Refused'}${when.length > 0 ? `: ${when.join('; ')}` : ''}.`;
}

// `createDocument` cannot write `components.securitySchemes` from metadata, so `applySecurityToDocument`
// has to. When a document with secured routes is made and no `applySecurityToDocument` follows in the
// same turn of the event loop, one warning says so.
let documented = false;
let schemesApplied = false;

function noteDocumented(): void {
  if (documented) return;
  documented = true;
  setImmediate(() => {
    if (!schemesApplied) {
      logger.warn(
        'SwaggerModule.createDocument documented secured routes, but their security schemes are not in ' +
          'components.securitySchemes: call applySecurityToDocument(app, document) before SwaggerModule.setup.',
      );
    }
    documented = false;
    schemesApplied = false;
  }).unref();
}

/** Called by `applySecurityToDocument`: the document being made gets its schemes. */
export function noteSchemesApplied(): void {
  if (documented) schemesApplied = true;
}
