import { Logger, type CanActivate, type INestApplication, type Provider, type Type } from '@nestjs/common';
import { APP_GUARD, ModuleRef } from '@nestjs/core';
import { ExpressAdapter } from '@nestjs/platform-express';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import fc from 'fast-check';
import {
  APIKeyHeader,
  grant,
  SchemeGuard,
  SecurityGuard,
  SecurityRegistry,
  SecuritySchemesModule,
  type SchemeEntry,
  type SchemeRequirement,
  type SecurityValidator,
} from 'nestjs-security-schemes';
import request from 'supertest';
import type { Platform } from '../utils/platforms';
import { fallThroughController, singleRouteController, type TargetDeclaration } from '../utils/guarded-controllers';

// Issue 26, "fail closed, always": random applications (how the security guard is registered, global and
// local SchemeGuards, schemes with a validator, with `validatedBy: 'handler'` or with neither,
// defaultSecurity, class and handler levels, @SkipSecurity(), optional, Express next() fall-through pairs)
// and random requests, sent in concurrent batches whose validators return ONE shared user object per user
// name through grant(user, { scopes }).
//
// 1. No request gets a 2xx that the declarations refuse: every level in force of every route the request
//    passed through must be met by what it sent (checked level by level, straight from the declarations),
//    and the exact answer (status, user) is the one the oracle's normal form gives.
// 2. Every configuration the oracle calls unenforced or unchecked fails at start-up, with the reason the
//    oracle gives; every other configuration starts.
//
// The oracle reads the generated declarations only; it shares no code with lib/ (compiler, registry or guard).
// Routes that no security guard runs for start only with allowUnguardedRoutes: true, and are then open:
// the oracle expects them open (the application said it enforces them another way).

const NAMES = ['A', 'B', 'C'] as const;
type Name = (typeof NAMES)[number];
/** C has `autoError: false`: it is optional wherever it is required (absent credentials never fail it). */
const schemes: Record<Name, APIKeyHeader> = {
  A: new APIKeyHeader({ name: 'X-A', schemeName: 'A' }),
  B: new APIKeyHeader({ name: 'X-B', schemeName: 'B' }),
  C: new APIKeyHeader({ name: 'X-C', schemeName: 'C', autoError: false }),
};
const SCOPES = ['s1', 's2'];
const USERS = ['alice', 'bob'] as const;

/** How a scheme is registered: a validator (sync or async), `validatedBy: 'handler'`, or bare (no validator). */
type Registration = 'sync' | 'async' | 'handler' | 'none';
interface Declared {
  scheme: Name;
  scopes: string[];
  optional: boolean;
}
/** An alternative: every scheme in it is required together (`@SecurityAll`, or `@Security` for one). */
type Alternative = Declared[];
interface Target {
  alternatives: Alternative[];
  skip: boolean;
  /** `@UseGuards(SecurityGuard)` on this target. */
  securityGuard: boolean;
  /** `@UseGuards(SchemeGuard(scheme, scopes))` on this target (never on base classes here). */
  schemeGuard: { scheme: Name; scopes: string[] } | null;
}
interface ControllerSpec {
  base: Target;
  controller: Target;
  /** One handler (`GET /cN`), or two (Express only): `GET /cN/:name` falls through with next() to `GET /cN/fixed`. */
  handlers: Target[];
}
/**
 * How the security guard is registered: by the module (default), `globalGuard: false` with an APP_GUARD
 * provider (useExisting or useClass), with `app.useGlobalGuards(app.get(SecurityGuard))`, or only where
 * `@UseGuards` puts it.
 */
type GuardMode = 'module' | 'app-guard-existing' | 'app-guard-class' | 'use-global-guards' | 'use-guards-only';
interface GlobalSchemeGuard {
  via: 'app-guard' | 'use-global-guards';
  scheme: Name;
  scopes: string[];
}
/** Per scheme: not sent, a value its validator refuses, or a user's credentials granting these scopes. */
type Sent = 'absent' | 'bad' | { user: (typeof USERS)[number]; scopes: string[]; delay: number };
interface Req {
  target: number;
  /** For a fall-through pair: `/cN/fixed` (both routes) or `/cN/other` (the first route only, then 404). */
  path: 'fixed' | 'other';
  sent: Record<Name, Sent>;
}
interface Config {
  platform: Platform;
  registrations: Record<Name, Registration>;
  defaults: Alternative[];
  mode: GuardMode;
  globalSchemeGuard: GlobalSchemeGuard | null;
  allowUnguardedRoutes: boolean;
  controllers: ControllerSpec[];
  /** Each batch is sent concurrently. */
  batches: Req[][];
}

// ---- generators ----

/** `value` about once in `n` draws, else `otherwise`. */
const onceIn = <T>(n: number, value: fc.Arbitrary<T>, otherwise: fc.Arbitrary<T>) =>
  fc.oneof({ arbitrary: otherwise, weight: n - 1 }, { arbitrary: value, weight: 1 });
const chance = (n: number) => onceIn(n, fc.constant(true), fc.constant(false));

const name = fc.constantFrom(...NAMES);
const scopes = fc.subarray(SCOPES);
const declared = fc.record({ scheme: name, scopes, optional: chance(5) });
const alternatives = fc.array(fc.array(declared, { minLength: 1, maxLength: 2 }), { maxLength: 2 });
const schemeGuard = onceIn(4, fc.record({ scheme: name, scopes }), fc.constant(null));
const target = (withSchemeGuard: boolean): fc.Arbitrary<Target> =>
  fc.record({
    alternatives,
    skip: chance(7),
    securityGuard: chance(4),
    schemeGuard: withSchemeGuard ? schemeGuard : fc.constant(null),
  });
const controller = (pairs: boolean): fc.Arbitrary<ControllerSpec> =>
  fc.record({
    base: target(false),
    controller: target(true),
    handlers: fc.array(target(true), { minLength: 1, maxLength: pairs ? 2 : 1 }),
  });
const registration = fc.oneof(
  { arbitrary: fc.constantFrom<Registration>('sync', 'async', 'async', 'handler'), weight: 15 },
  { arbitrary: fc.constant<Registration>('none'), weight: 1 },
);
const sent: fc.Arbitrary<Sent> = fc.oneof(
  { arbitrary: fc.constant('absent' as const), weight: 3 },
  { arbitrary: fc.constant('bad' as const), weight: 1 },
  {
    // Mostly alice, so that concurrent requests of one user with different scopes share her user object.
    arbitrary: fc.record({ user: fc.constantFrom('alice', 'alice', 'alice', 'bob'), scopes, delay: fc.integer({ min: 0, max: 3 }) }),
    weight: 4,
  },
);
const req = fc.record({
  target: fc.nat(),
  path: fc.constantFrom<Req['path']>('fixed', 'fixed', 'other'),
  sent: fc.record({ A: sent, B: sent, C: sent }),
});

function configs(platform: Platform): fc.Arbitrary<Config> {
  return fc
    .record({
      platform: fc.constant(platform),
      registrations: fc.record({ A: registration, B: registration, C: registration }),
      defaults: alternatives,
      mode: fc.constantFrom<GuardMode>(
        'module',
        'app-guard-existing',
        'app-guard-class',
        'use-global-guards',
        'use-guards-only',
        'use-guards-only',
      ),
      globalSchemeGuard: onceIn(
        10,
        fc.record({ via: fc.constantFrom<GlobalSchemeGuard['via']>('app-guard', 'use-global-guards'), scheme: name, scopes }),
        fc.constant(null),
      ),
      allowUnguardedRoutes: chance(5),
      controllers: fc.array(controller(platform === 'express'), { minLength: 1, maxLength: 3 }),
      batches: fc.array(fc.array(req, { minLength: 1, maxLength: 5 }), { minLength: 1, maxLength: 4 }),
    })
    .filter(withinLimits);
}

// ---- the oracle ----

interface Level {
  alternatives: Alternative[];
  skip: boolean;
}
interface OracleRoute {
  /** `Controller.method`, as start-up errors name it. */
  id: string;
  /** Outermost first: defaultSecurity, base class, controller, controller's SchemeGuard, handler, handler's SchemeGuard. */
  levels: Level[];
  /** `@UseGuards` puts SecurityGuard or a SchemeGuard on its base class, controller or handler. */
  guardedLocally: boolean;
}

const controllerName = (i: number) => `C${i}Controller`;
const isPair = (c: ControllerSpec) => c.handlers.length === 2;

function routesOf(config: Config, i: number): OracleRoute[] {
  const c = config.controllers[i];
  const guardLevel = ({ schemeGuard: g }: Target): Level[] =>
    g ? [{ alternatives: [[{ scheme: g.scheme, scopes: g.scopes, optional: false }]], skip: false }] : [];
  const methods = isPair(c) ? ['first', 'second'] : ['handle'];
  return c.handlers.map((h, k) => ({
    id: `${controllerName(i)}.${methods[k]}`,
    levels: [
      { alternatives: config.defaults, skip: false },
      { alternatives: c.base.alternatives, skip: c.base.skip },
      { alternatives: c.controller.alternatives, skip: c.controller.skip },
      ...guardLevel(c.controller),
      { alternatives: h.alternatives, skip: h.skip },
      ...guardLevel(h),
    ],
    guardedLocally: c.base.securityGuard || c.controller.securityGuard || !!c.controller.schemeGuard || h.securityGuard || !!h.schemeGuard,
  }));
}

const allRoutes = (config: Config) => config.controllers.flatMap((_, i) => routesOf(config, i));

/** The levels a route must meet: from the innermost `@SkipSecurity()` on, those that declare something. */
function inForce(levels: Level[]): Level[] {
  let from = 0;
  levels.forEach((level, index) => {
    if (level.skip) from = index;
  });
  return levels.slice(from).filter((level) => level.alternatives.length > 0);
}

const isOptional = (d: Declared) => d.optional || d.scheme === 'C';

/** The security guard runs on every route: registered by the module, as APP_GUARD, or with useGlobalGuards. */
const globalSecurityGuard = (config: Config) => config.mode !== 'use-guards-only';

const enforced = (config: Config, route: OracleRoute) =>
  inForce(route.levels).length > 0 && (globalSecurityGuard(config) || route.guardedLocally);

type StartUp =
  | { starts: true }
  | { starts: false; reason: 'no-validator'; schemes: Name[] }
  | { starts: false; reason: 'global-scheme-guard'; scheme: Name }
  | { starts: false; reason: 'unguarded'; routes: string[] };

/**
 * In the order the library checks: routes are compiled when the module is built (a required scheme with
 * neither a validator nor `validatedBy: 'handler'`), guards are known at bootstrap (a global SchemeGuard,
 * then routes no security guard runs for).
 */
function startUp(config: Config): StartUp {
  const reached = new Set(
    allRoutes(config).flatMap((route) => inForce(route.levels).flatMap((level) => level.alternatives.flat().map((d) => d.scheme))),
  );
  const unchecked = NAMES.filter((n) => reached.has(n) && config.registrations[n] === 'none');
  if (unchecked.length > 0) return { starts: false, reason: 'no-validator', schemes: unchecked };
  if (config.globalSchemeGuard) return { starts: false, reason: 'global-scheme-guard', scheme: config.globalSchemeGuard.scheme };
  const unguarded = allRoutes(config).filter(
    (route) => inForce(route.levels).length > 0 && !globalSecurityGuard(config) && !route.guardedLocally,
  );
  if (unguarded.length > 0 && !config.allowUnguardedRoutes) {
    return { starts: false, reason: 'unguarded', routes: unguarded.map((route) => route.id) };
  }
  return { starts: true };
}

/** The scopes a sent credential shows, or 'refused'. `validatedBy: 'handler'`: any value passes, with no scopes (no grant). */
function shownScopes(registration: Registration, s: Exclude<Sent, 'absent'>): string[] | 'refused' {
  if (registration === 'handler') return [];
  if (s === 'bad') return 'refused';
  return s.scopes;
}

/** Property 1's check, read straight from the declarations: every level in force has an alternative the request meets. */
function meets(config: Config, route: OracleRoute, r: Req): boolean {
  return inForce(route.levels).every((level) =>
    level.alternatives.some((alternative) =>
      alternative.every((d) => {
        const s = r.sent[d.scheme];
        if (s === 'absent') return isOptional(d);
        const shown = shownScopes(config.registrations[d.scheme], s);
        return shown !== 'refused' && d.scopes.every((scope) => shown.includes(scope));
      }),
    ),
  );
}

/** One term of the normal form: schemes in order of first declaration, scopes unioned, optional only if every declaration is. */
type Term = { scheme: Name; scopes: Set<string>; optional: boolean }[];

function normalForm(levels: Level[]): Term[] {
  let terms: Term[] = [[]];
  for (const level of inForce(levels)) {
    terms = terms.flatMap((term) =>
      level.alternatives.map((alternative) => {
        const merged: Term = term.map((e) => ({ scheme: e.scheme, scopes: new Set(e.scopes), optional: e.optional }));
        for (const d of alternative) {
          const existing = merged.find((e) => e.scheme === d.scheme);
          if (!existing) merged.push({ scheme: d.scheme, scopes: new Set(d.scopes), optional: isOptional(d) });
          else {
            d.scopes.forEach((scope) => existing.scopes.add(scope));
            existing.optional &&= isOptional(d);
          }
        }
        return merged;
      }),
    );
  }
  return terms.length === 1 && terms[0].length === 0 ? [] : terms;
}

/** Routes whose form the library refuses at start-up (over 32 alternatives, counted here without dedupe) are not generated. */
function withinLimits(config: Config): boolean {
  return allRoutes(config).every((route) => {
    const terms = normalForm(route.levels);
    return terms.length <= 32 && terms.reduce((n, term) => n + 2 ** term.filter((e) => e.optional).length, 0) <= 32;
  });
}

type Decision = { status: 200; user: string | null } | { status: 401 | 403 | 404 };

/** The user a passing credential makes: the validator's user, or the raw value when the handler validates. */
function userOf(registration: Registration, s: Exclude<Sent, 'absent'>): string {
  return registration === 'handler' ? headerValue(s) : (s as { user: string }).user;
}

/**
 * The guard's answer: terms in order, the first that passes wins (its first presented scheme is the user);
 * else the first refusal; else anonymous when a term has only optional schemes and nothing sent; else 401.
 */
function decide(config: Config, terms: Term[], r: Req): Decision {
  let refusal: Decision | undefined;
  let anonymous = false;
  for (const term of terms) {
    if (term.some((e) => r.sent[e.scheme] === 'absent' && !e.optional)) continue;
    if (term.every((e) => r.sent[e.scheme] === 'absent')) {
      anonymous = true;
      continue;
    }
    let failed: Decision | undefined;
    for (const e of term) {
      const s = r.sent[e.scheme];
      if (s === 'absent') continue;
      const shown = shownScopes(config.registrations[e.scheme], s);
      if (shown === 'refused') failed = { status: 401 };
      else if (![...e.scopes].every((scope) => shown.includes(scope))) failed = { status: 403 };
      if (failed) break;
    }
    if (!failed) {
      const primary = term.find((e) => r.sent[e.scheme] !== 'absent')!;
      return { status: 200, user: userOf(config.registrations[primary.scheme], r.sent[primary.scheme] as Exclude<Sent, 'absent'>) };
    }
    refusal ??= failed;
  }
  if (refusal) return refusal;
  if (anonymous) return { status: 200, user: null };
  return { status: 401 };
}

/**
 * What the request should get, and whether the declarations let it in at all. A fall-through request
 * meets the first route's requirement, then the second's on its own. The principal shown is the one the
 * last route's own check made: a route that requires nothing (or that no guard runs for, allowed by
 * allowUnguardedRoutes) shows none, not the one a route before it let in.
 */
function expected(config: Config, r: Req): { decision: Decision; declaredOpen: boolean } {
  const i = r.target % config.controllers.length;
  const routes = routesOf(config, i);
  const chain = isPair(config.controllers[i]) && r.path === 'other' ? routes.slice(0, 1) : routes;
  let user: string | null = null;
  let declaredOpen = true;
  for (const route of chain) {
    if (!enforced(config, route)) continue;
    declaredOpen &&= meets(config, route, r);
    const decision = decide(config, normalForm(route.levels), r);
    if (decision.status !== 200) return { decision, declaredOpen: false };
    user = route === chain[chain.length - 1] ? decision.user : null;
  }
  if (chain.length < routes.length) return { decision: { status: 404 }, declaredOpen: false };
  return { decision: { status: 200, user }, declaredOpen };
}

const pathOf = (config: Config, r: Req) => {
  const i = r.target % config.controllers.length;
  return isPair(config.controllers[i]) ? `/c${i}/${r.path}` : `/c${i}`;
};

// ---- the applications ----

/** `alice.s1+s2.3`: user, granted scopes, and how many event-loop turns the async validator waits. */
function headerValue(s: Exclude<Sent, 'absent'>): string {
  return s === 'bad' ? 'bad' : `${s.user}.${s.scopes.join('+') || '-'}.${s.delay}`;
}

function headersOf(r: Req): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const n of NAMES) {
    const s = r.sent[n];
    if (s !== 'absent') headers[`X-${n}`] = headerValue(s);
  }
  return headers;
}

const turns = async (n: number) => {
  for (let i = 0; i < n; i++) await new Promise((resolve) => setImmediate(resolve));
};

interface User {
  sub: string;
  /** Every scope: the grant's scopes, not these, are what a request may use. */
  scopes: string[];
}

/** ONE user object per user name, shared by every request and scheme of the application. */
function makeValidator(kind: 'sync' | 'async', users: Map<string, User>): SecurityValidator<string> {
  return {
    validate(raw: string) {
      const [sub, granted, delay] = raw.split('.');
      const user = users.get(sub);
      if (!user) return null;
      const scopesOfToken = granted === '-' ? [] : granted.split('+');
      if (kind === 'sync') return grant(user, { scopes: scopesOfToken });
      return turns(Number(delay)).then(() => grant(user, { scopes: scopesOfToken }));
    },
  };
}

const toRequirement = (alternative: Alternative): SchemeRequirement[] =>
  alternative.map((d) => ({ scheme: schemes[d.scheme], scopes: d.scopes, optional: d.optional }));

function declarationOf(t: Target): TargetDeclaration {
  return {
    alternatives: t.alternatives.map(toRequirement),
    skip: t.skip,
    guards: [
      ...(t.securityGuard ? [SecurityGuard] : []),
      ...(t.schemeGuard ? [SchemeGuard(schemes[t.schemeGuard.scheme], t.schemeGuard.scopes)] : []),
    ],
  };
}

function controllersOf(config: Config): Type[] {
  return config.controllers.map((c, i) => {
    const outer = { base: declarationOf(c.base), controller: declarationOf(c.controller) };
    return isPair(c)
      ? fallThroughController(`c${i}`, controllerName(i), {
          ...outer,
          first: declarationOf(c.handlers[0]),
          second: declarationOf(c.handlers[1]),
        })
      : singleRouteController(`c${i}`, controllerName(i), { ...outer, handler: declarationOf(c.handlers[0]) });
  });
}

interface Running {
  send(path: string, headers: Record<string, string>): Promise<{ status: number; body: { user?: unknown } }>;
  close(): Promise<void>;
}

async function start(config: Config): Promise<Running> {
  const users = new Map(USERS.map((sub): [string, User] => [sub, { sub, scopes: [...SCOPES] }]));
  const entries: SchemeEntry[] = NAMES.map((n) => {
    const registration = config.registrations[n];
    if (registration === 'none') return schemes[n];
    if (registration === 'handler') return { scheme: schemes[n], validatedBy: 'handler' as const };
    return { scheme: schemes[n], validator: makeValidator(registration, users) };
  });
  const global = config.globalSchemeGuard;
  const providers: Provider[] = [
    ...(config.mode === 'app-guard-existing' ? [{ provide: APP_GUARD, useExisting: SecurityGuard }] : []),
    ...(config.mode === 'app-guard-class' ? [{ provide: APP_GUARD, useClass: SecurityGuard }] : []),
    ...(global?.via === 'app-guard' ? [{ provide: APP_GUARD, useClass: SchemeGuard(schemes[global.scheme], global.scopes) }] : []),
  ];
  const moduleRef = await Test.createTestingModule({
    imports: [
      SecuritySchemesModule.forRoot({
        schemes: entries,
        defaultSecurity: config.defaults.map(toRequirement),
        ...(config.mode !== 'module' && { globalGuard: false }),
        ...(config.allowUnguardedRoutes && { allowUnguardedRoutes: true }),
      }),
    ],
    controllers: controllersOf(config),
    providers,
  }).compile();
  const app: INestApplication = moduleRef.createNestApplication(
    config.platform === 'express' ? new ExpressAdapter() : new FastifyAdapter(),
    { logger: false },
  );
  try {
    if (config.mode === 'use-global-guards') app.useGlobalGuards(app.get(SecurityGuard));
    if (global?.via === 'use-global-guards') {
      const Guard = SchemeGuard(schemes[global.scheme], global.scopes) as new (registry: SecurityRegistry, ref: ModuleRef) => CanActivate;
      app.useGlobalGuards(new Guard(app.get(SecurityRegistry), app.get(ModuleRef)));
    }
    await app.init();
    if (config.platform === 'fastify') {
      const fastify = app.getHttpAdapter().getInstance();
      await fastify.ready();
      return {
        async send(path, headers) {
          const response = await fastify.inject({ method: 'GET', url: path, headers });
          return { status: response.statusCode, body: response.statusCode === 200 ? response.json() : {} };
        },
        close: () => app.close(),
      };
    }
    await app.listen(0, '127.0.0.1');
    const http = request(app.getHttpServer());
    return {
      async send(path, headers) {
        const response = await http.get(path).set(headers);
        return { status: response.status, body: response.body };
      },
      close: () => app.close(),
    };
  } catch (error) {
    await app.close().catch(() => undefined);
    throw error;
  }
}

// ---- the properties ----

function emptyStats() {
  return {
    configurations: 0,
    started: 0,
    refusedAtStartUp: { 'no-validator': 0, 'global-scheme-guard': 0, unguarded: 0 },
    requests: 0,
    concurrentBatches: 0,
    /** Concurrent batches where one user sends one scheme credentials of different scopes (one shared user object). */
    sharedPrincipalBatches: 0,
    answered2xx: 0,
    /** Requests through an Express next() pair, to its second route. */
    fallThrough: 0,
    seconds: 0,
  };
}
const totals: Record<Platform, ReturnType<typeof emptyStats>> = { fastify: emptyStats(), express: emptyStats() };

function sharesPrincipal(batch: Req[]): boolean {
  return NAMES.some((n) => {
    const sent = batch.map((r) => r.sent[n]).filter((s): s is Extract<Sent, object> => typeof s === 'object');
    return sent.some((a) => sent.some((b) => a.user === b.user && a.scopes.join() !== b.scopes.join()));
  });
}

/** The start-up error is the one the oracle expects: its reason, and what it names (not its exact wording). */
function expectStartUpError(prediction: Exclude<StartUp, { starts: true }>, error: unknown): void {
  const message = error instanceof Error ? error.message : String(error);
  const named = (pattern: RegExp) => [...new Set([...message.matchAll(pattern)].map((match) => match[1]))].sort();
  const seen = { reason: prediction.reason, message };
  switch (prediction.reason) {
    case 'no-validator': {
      // The first route compiled names one of the schemes, and the fix.
      const schemes = named(/requires scheme "(\w+)"/g);
      const oneOfThem = schemes.length === 1 && prediction.schemes.includes(schemes[0] as Name);
      expect({ ...seen, named: oneOfThem, fix: message.includes("validatedBy: 'handler'") }).toEqual({ ...seen, named: true, fix: true });
      return;
    }
    case 'global-scheme-guard':
      expect({ ...seen, named: named(/(SchemeGuard\(\w+\))/g), fix: message.includes('defaultSecurity') })
        .toEqual({ ...seen, named: [`SchemeGuard(${prediction.scheme})`], fix: true });
      return;
    case 'unguarded':
      // Every route no security guard runs for, and only those; and the opt-out.
      expect({ ...seen, routes: named(/\b(C\d+Controller\.\w+)/g), optOut: message.includes('allowUnguardedRoutes') })
        .toEqual({ ...seen, routes: [...new Set(prediction.routes)].sort(), optOut: true });
  }
}

async function check(config: Config): Promise<void> {
  const stats = totals[config.platform];
  stats.configurations++;
  const prediction = startUp(config);
  let running: Running | undefined;
  let failure: unknown;
  try {
    running = await start(config);
  } catch (error) {
    failure = error;
  }
  if (!prediction.starts) {
    if (running) {
      await running.close();
      throw new Error(`STARTED, but the oracle expects a start-up error (${prediction.reason}: ${JSON.stringify(prediction)})`);
    }
    expectStartUpError(prediction, failure);
    stats.refusedAtStartUp[prediction.reason]++;
    return;
  }
  if (!running) {
    throw new Error(`FAILED AT START-UP, but the oracle expects it to start: ${(failure as Error)?.message ?? String(failure)}`);
  }
  const app = running;
  stats.started++;
  try {
    for (const batch of config.batches) {
      if (batch.length > 1) stats.concurrentBatches++;
      if (sharesPrincipal(batch)) stats.sharedPrincipalBatches++;
      const answers = await Promise.all(batch.map((r) => app.send(pathOf(config, r), headersOf(r))));
      batch.forEach((r, k) => {
        const answer = answers[k];
        const path = pathOf(config, r);
        const { decision, declaredOpen } = expected(config, r);
        stats.requests++;
        if (path.endsWith('/fixed')) stats.fallThrough++;
        if (answer.status >= 200 && answer.status < 300) {
          stats.answered2xx++;
          // Property 1: a 2xx only where every level in force of every route passed is met.
          if (!declaredOpen) {
            throw new Error(
              `ESCALATION: GET ${path} ${JSON.stringify(headersOf(r))} answered ${answer.status} ${JSON.stringify(answer.body)}, ` +
                `but the declarations refuse it (the oracle expects ${JSON.stringify(decision)})`,
            );
          }
        }
        const got = answer.status === 200 ? { status: 200, user: answer.body.user } : { status: answer.status };
        expect({ path, headers: headersOf(r), got }).toEqual({ path, headers: headersOf(r), got: decision });
      });
    }
  } finally {
    await app.close();
  }
}

describe('fail closed: random applications and concurrent requests (issue 26)', () => {
  beforeAll(() => Logger.overrideLogger(false));
  afterAll(() => {
    console.log(`fail-closed property, per platform: ${JSON.stringify(totals, null, 1)}`);
  });

  // Fastify answers in-process through inject; Express over HTTP with supertest, with the next() pairs.
  it.each([
    ['fastify', 1200],
    ['express', 600],
  ] as [Platform, number][])('on %s: %i configurations', async (platform, numRuns) => {
    const began = performance.now();
    try {
      await fc.assert(fc.asyncProperty(configs(platform), check), { numRuns });
    } finally {
      totals[platform].seconds = Math.round(performance.now() - began) / 1000;
    }
  }, 120_000);
});
