import type { OpenAPIObject } from '@nestjs/swagger';
import type { Response, Test } from 'supertest';
import { buildDocument } from '../utils/openapi';
import type { TestApp } from '../utils/platforms';

/** Where a scheme's credentials go on a request. */
export interface Credentials {
  headers?: Record<string, string>;
  query?: Record<string, string>;
  cookies?: Record<string, string>;
}

/**
 * Valid credentials of one scheme. A function gets the scopes the operation lists for that scheme and
 * must return credentials that grant exactly those (the helper also calls it with `[]` to check 403s).
 */
export type CredentialsSource = Credentials | ((scopes: readonly string[]) => Credentials);

export interface AgreementOptions {
  /** Valid credentials for every scheme the document uses, by scheme name. */
  credentials: Record<string, CredentialsSource>;
  /** The document to check. Default: the app's (`createDocument` + `applySecurityToDocument`). */
  document?: OpenAPIObject;
  /** Headers sent with every request, such as a version header. */
  headers?: Record<string, string>;
  /** Values for path parameters, by name. Default: `1`. */
  pathParams?: Record<string, string>;
  /** Tells whether an anonymous request to an optional operation ran with a null user. Default: any 2xx. */
  isAnonymous?: (response: Response) => boolean;
}

export interface AgreementReport {
  /** One line per request sent: `GET /path <credentials>: <expected>`. */
  checked: string[];
  /** One line per disagreement between the document and the answer. */
  failures: string[];
}

type Requirement = Record<string, string[]>;

const METHODS = ['get', 'put', 'post', 'delete', 'patch'] as const;

/**
 * Walks every operation of the document and checks that the app enforces what it documents:
 * - no `security` (or `[]`): answers 2xx without credentials;
 * - a `security` list: 401 with a `WWW-Authenticate` challenge without credentials, or, when `{}` is
 *   listed (optional), runs anonymously; 2xx with the credentials of each listed alternative (every
 *   scheme of an AND together); 403 when a scope-aware source grants none of the listed scopes (unless
 *   another alternative is satisfied by the same credentials).
 * An operation without its own `security` key inherits the document's top-level `security`.
 */
export async function checkAgreement(t: TestApp, options: AgreementOptions): Promise<AgreementReport> {
  const document = options.document ?? buildDocument(t.app);
  const report: AgreementReport = { checked: [], failures: [] };
  const declared = Object.keys(document.components?.securitySchemes ?? {});

  for (const [template, item] of Object.entries(document.paths)) {
    const path = template.replace(/\{([^}]+)\}/g, (_m, param: string) =>
      encodeURIComponent(options.pathParams?.[param] ?? '1'),
    );
    for (const method of METHODS) {
      const operation = item[method];
      if (!operation) continue;
      const check: OperationCheck = {
        name: `${method.toUpperCase()} ${template}`,
        security: operation.security ?? document.security ?? [],
        send: (credentials) => withCredentials(t.http[method](path).set(options.headers ?? {}), credentials),
      };
      await checkAnonymous(check, options, report);
      for (const requirement of check.security) {
        if (Object.keys(requirement).length > 0) await checkRequirement(check, requirement, declared, options, report);
      }
    }
  }
  return report;
}

interface OperationCheck {
  name: string;
  security: Requirement[];
  send(credentials: Credentials): Promise<Response>;
}

/** Without credentials: 2xx when open or optional (`{}` listed), else 401 with a challenge. */
async function checkAnonymous({ name, security, send }: OperationCheck, options: AgreementOptions, report: AgreementReport) {
  const optional = security.some((requirement) => Object.keys(requirement).length === 0);
  const answer = await send({});
  if (security.length === 0 || optional) {
    report.checked.push(`${name} without credentials: 2xx`);
    const ranAnonymously = !optional || (options.isAnonymous ?? (() => true))(answer);
    if (!isSuccess(answer) || !ranAnonymously) {
      const documented = optional ? 'optional' : 'open';
      report.failures.push(`${name} is documented as ${documented} but answered ${summary(answer)} without credentials`);
    }
  } else {
    report.checked.push(`${name} without credentials: 401`);
    if (answer.status !== 401 || !answer.headers['www-authenticate']) {
      report.failures.push(`${name} is documented as secured but answered ${summary(answer)} without credentials`);
    }
  }
}

/**
 * One alternative: 2xx with its credentials; 403 with the same credentials granting none of its
 * scopes, unless another alternative needs only schemes these credentials carry.
 */
async function checkRequirement(
  { name, security, send }: OperationCheck,
  requirement: Requirement,
  declared: string[],
  options: AgreementOptions,
  report: AgreementReport,
) {
  const schemes = Object.keys(requirement);
  const label = schemes.map((scheme) => scheme + (requirement[scheme].length ? `[${requirement[scheme].join(' ')}]` : '')).join(' + ');
  const unknown = schemes.filter((scheme) => !declared.includes(scheme));
  if (unknown.length) {
    report.failures.push(`${name} lists ${unknown.join(', ')}, missing from components.securitySchemes`);
    return;
  }
  const missing = schemes.filter((scheme) => !(scheme in options.credentials));
  if (missing.length) {
    report.failures.push(`${name}: no credentials given for ${missing.join(', ')}`);
    return;
  }
  const credentialsFor = (scopesOf: (scheme: string) => readonly string[]) =>
    combine(schemes.map((scheme) => resolve(options.credentials[scheme], scopesOf(scheme))));

  report.checked.push(`${name} with ${label}: 2xx`);
  const answer = await send(credentialsFor((scheme) => requirement[scheme]));
  if (!isSuccess(answer)) report.failures.push(`${name} answered ${summary(answer)} with the credentials of ${label}`);

  const scoped = schemes.filter((scheme) => requirement[scheme].length > 0 && typeof options.credentials[scheme] === 'function');
  const covered = security.some((other) => {
    const otherSchemes = Object.keys(other);
    return other !== requirement && otherSchemes.length > 0 && otherSchemes.every((scheme) => schemes.includes(scheme));
  });
  if (scoped.length === 0 || covered) return;
  report.checked.push(`${name} with ${label} lacking scopes: 403`);
  const refused = await send(credentialsFor((scheme) => (scoped.includes(scheme) ? [] : requirement[scheme])));
  if (refused.status !== 403) {
    report.failures.push(`${name} answered ${summary(refused)} with the credentials of ${label} but none of its scopes`);
  }
}

/** Runs `checkAgreement` and fails the test on any disagreement, or when nothing was checked. */
export async function expectAgreement(t: TestApp, options: AgreementOptions): Promise<AgreementReport> {
  const report = await checkAgreement(t, options);
  expect(report.failures).toEqual([]);
  expect(report.checked.length).toBeGreaterThan(0);
  return report;
}

function resolve(source: CredentialsSource, scopes: readonly string[]): Credentials {
  return typeof source === 'function' ? source(scopes) : source;
}

/** Merges the credentials of an AND; two schemes that need the same header cannot be combined. */
function combine(all: Credentials[]): Credentials {
  const merged: Required<Credentials> = { headers: {}, query: {}, cookies: {} };
  for (const credentials of all) {
    for (const part of ['headers', 'query', 'cookies'] as const) {
      for (const [key, value] of Object.entries(credentials[part] ?? {})) {
        const sameKey = (k: string) => (part === 'headers' ? k.toLowerCase() === key.toLowerCase() : k === key);
        const existing = Object.keys(merged[part]).find(sameKey);
        if (existing !== undefined && merged[part][existing] !== value) {
          throw new Error(`checkAgreement: two schemes of one requirement both need ${part} "${key}".`);
        }
        merged[part][key] = value;
      }
    }
  }
  return merged;
}

function withCredentials(request: Test, { headers = {}, query = {}, cookies = {} }: Credentials): Test {
  const cookie = Object.entries(cookies)
    .map(([key, value]) => `${key}=${value}`)
    .join('; ');
  return request
    .set(cookie ? { ...headers, Cookie: cookie } : headers)
    .query(query)
    .ok(() => true);
}

function isSuccess(response: Response): boolean {
  return response.status >= 200 && response.status < 300;
}

function summary(response: Response): string {
  const challenge = response.headers['www-authenticate'];
  return `${response.status}${challenge ? ` (WWW-Authenticate: ${challenge})` : ''}`;
}
