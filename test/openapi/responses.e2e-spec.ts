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

const unauthorized = (challenge: string) => ({
  description: 'Not authenticated: the credentials are missing or were refused.',
  headers: {
    'WWW-Authenticate': { description: 'The challenge of each scheme the route accepts.', schema: { type: 'string', example: challenge } },
  },
  content: errorBody(401, 'Not authenticated', 'Unauthorized'),
});

const insufficientScope = (scopes: string) => ({
  description: 'Not enough permissions: the credentials lack a required scope (insufficient_scope).',
  headers: {
    'WWW-Authenticate': {
      description: 'An insufficient_scope challenge naming the required scopes (RFC 6750).',
      schema: { type: 'string', example: `Bearer error="insufficient_scope", scope="${scopes}"` },
    },
  },
  content: errorBody(403, 'Not enough permissions', 'Forbidden'),
});

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
      '401': unauthorized('Bearer'),
      '403': insufficientScope('read'),
    });
  });

  it('names every scope the route requires, after the success status the route answers', () => {
    expect(responses('/api/v1/reports', 'post')).toStrictEqual({
      '200': { description: '' },
      '401': unauthorized('Bearer'),
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

  it('documents no 401 on an optional-only route', () => {
    expect(responses('/api/v1/reports/optional')).toStrictEqual({ '200': { description: '' } });
  });

  it('adds nothing to routes it does not govern', () => {
    expect(responses('/api/v1/reports/public')).toStrictEqual({ '200': { description: '' } });
    expect(responses('/api/legacy/bearer')).toStrictEqual({ '200': { description: '' } });
  });
});

describe.each(PLATFORMS)('401 and 403 answers next to the default success status (%s)', (platform) => {
  it('keeps 201 on a POST and lists every challenge of the alternatives', async () => {
    const t = await createTestApp(platform, docsAppMetadata);
    try {
      expect(buildDocument(t.app).paths['/docs/items/{id}'].post!.responses).toStrictEqual({
        '201': { description: '' },
        '401': unauthorized('APIKey, Bearer'),
        '403': insufficientScope('read'),
      });
    } finally {
      await t.close();
    }
  });
});
