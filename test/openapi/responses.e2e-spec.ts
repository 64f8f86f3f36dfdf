import { VersioningType } from '@nestjs/common';
import { buildDocument } from '../utils/openapi';
import { createTestApp, PLATFORMS, type TestApp } from '../utils/platforms';
import { docsAppMetadata } from './docs-app';
import { swaggerAppDocument, swaggerAppMetadata } from './swagger-app';

/** The guard's error body: `{ statusCode, message, error }`. */
const errorBody = (statusCode: number, message: string, error: string) => ({
  'application/json': {
    schema: {
      type: 'object',
      properties: {
        statusCode: { type: 'integer', example: statusCode },
        message: { type: 'string', example: message },
        error: { type: 'string', example: error },
      },
      required: ['statusCode', 'message', 'error'],
    },
  },
});

/** A `WWW-Authenticate` header that may take each of `values` ([challenge, when it is sent]); the first is the example. */
const challengeHeader = (intro: string, values: [string, string][]) => ({
  description: [intro, ...values.map(([challenge, when]) => `- \`${challenge}\`: ${when}`)].join('\n'),
  required: true,
  schema: { type: 'string', enum: values.map(([challenge]) => challenge), example: values[0][0] },
});

const unauthorized = (values: [string, string][], description = 'Not authenticated: the credentials are missing or were refused.') => ({
  description,
  headers: { 'WWW-Authenticate': challengeHeader('The challenge sent, one of:', values) },
  content: errorBody(401, 'Not authenticated', 'Unauthorized'),
});

const insufficientScope = (scopes: string, scheme = 'OAuth2PasswordBearer') => ({
  description: 'Not enough permissions: the credentials lack a required scope (insufficient_scope).',
  headers: {
    'WWW-Authenticate': challengeHeader('The insufficient_scope challenge sent (RFC 6750), one of:', [
      [`Bearer error="insufficient_scope", scope="${scopes}"`, `${scheme}: a required scope (${scopes}) is not granted`],
    ]),
  },
  content: errorBody(403, 'Not enough permissions', 'Forbidden'),
});

/** The bearer scheme of the swagger app: absent or refused, the same challenge. */
const bearerOnly: [string, string][] = [['Bearer', 'no credentials; the OAuth2PasswordBearer credentials are refused']];

describe.each(PLATFORMS)('401 and 403 answers in the document (%s)', (platform) => {
  let t: TestApp;
  let responses: (path: string, method?: 'get' | 'post') => Record<string, unknown>;
  beforeAll(async () => {
    t = await createTestApp(platform, swaggerAppMetadata, (app) => {
      app.setGlobalPrefix('api');
      app.enableVersioning({ type: VersioningType.URI });
    });
    const document = swaggerAppDocument(t.app);
    responses = (path, method = 'get') => document.paths[path][method]!.responses as Record<string, unknown>;
  });
  afterAll(() => t.close());

  it('documents 401 with the error body and WWW-Authenticate, and 403 insufficient_scope on a scoped route', () => {
    expect(responses('/api/v1/reports')).toStrictEqual({
      '200': { description: '' },
      '401': unauthorized(bearerOnly),
      '403': insufficientScope('read'),
    });
  });

  it('names every scope the route requires, after the success status the route answers', () => {
    expect(responses('/api/v1/reports', 'post')).toStrictEqual({
      '200': { description: '' },
      '401': unauthorized(bearerOnly),
      '403': insufficientScope('read write'),
    });
  });

  it('keeps a status documented on the controller, and documents no 403 when the route requires no scope', () => {
    expect(responses('/api/admin')).toStrictEqual({ '200': { description: '' }, '401': { description: 'Admin key missing' } });
  });

  it('keeps a status the user documented (and, as @nestjs/swagger does, no default success status then)', () => {
    expect(responses('/api/v1/reports/custom-401')).toStrictEqual({
      '401': { description: 'Token missing or expired' },
      '403': insufficientScope('read'),
    });
  });

  it('documents the 401 of refused credentials on an optional-only route (and no missing-credentials challenge)', () => {
    expect(responses('/api/v1/reports/optional')).toStrictEqual({
      '200': { description: '' },
      '401': unauthorized([['APIKey', 'the Session credentials are refused']], 'Not authenticated: credentials were sent and refused.'),
    });
  });

  it('adds nothing to routes it does not govern', () => {
    expect(responses('/api/v1/reports/public')).toStrictEqual({ '200': { description: '' } });
    expect(responses('/api/legacy/bearer')).toStrictEqual({ '200': { description: '' } });
  });
});

describe.each(PLATFORMS)('401 and 403 answers next to the default success status (%s)', (platform) => {
  it('keeps 201 on a POST; an AND route lists the first missing scheme\'s challenge of each request, not "APIKey, Bearer"', async () => {
    const t = await createTestApp(platform, docsAppMetadata);
    try {
      expect(buildDocument(t.app).paths['/docs/items/{id}'].post!.responses).toStrictEqual({
        '201': { description: '' },
        '401': unauthorized([
          ['APIKey', 'no credentials; the APIKeyHeader credentials are missing; the APIKeyHeader credentials are refused'],
          ['Bearer', 'the OAuth2PasswordBearer credentials are missing; the OAuth2PasswordBearer credentials are refused'],
        ]),
        '403': insufficientScope('read'),
      });
    } finally {
      await t.close();
    }
  });
});
