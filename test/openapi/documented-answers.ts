import type { OpenAPIObject } from '@nestjs/swagger';
import type { Platform, TestApp } from '../utils/platforms';

// What the property tests of "every answer of the guard is one the document lists" share: sending a request
// on either platform, and comparing its answer with what the document lists for the operation.

/** What the guard answered. */
export interface Answer {
  status: number;
  challenge: string | undefined;
  message: unknown;
}

/** A GET request to `path` with `headers`, answered by the app on `platform`. */
export async function send(t: TestApp, platform: Platform, path: string, headers: Record<string, string>): Promise<Answer> {
  if (platform === 'fastify') {
    const response = await t.app.getHttpAdapter().getInstance().inject({ method: 'GET', url: path, headers });
    return { status: response.statusCode, challenge: response.headers['www-authenticate'] as string | undefined, message: response.json().message };
  }
  const response = await t.http.get(path).set(headers);
  return { status: response.status, challenge: response.headers['www-authenticate'], message: response.body.message };
}

type Schema = { enum?: unknown[]; example?: unknown };
export interface DocumentedResponse {
  headers?: Record<string, { schema?: Schema }>;
  content?: Record<string, { schema?: { properties?: Record<string, Schema> } }>;
}
export interface DocumentedOperation {
  responses: Record<string, DocumentedResponse>;
}
const valuesOf = (schema: Schema | undefined) => schema?.enum ?? (schema && 'example' in schema ? [schema.example] : []);

/** Why `answer` is not one the document lists for the operation, or undefined when it is. */
export function disagreement(operation: DocumentedOperation, answer: Answer): string | undefined {
  const documented = operation.responses[String(answer.status)];
  if (!documented) return `status ${answer.status} is not documented (documented: ${Object.keys(operation.responses).join(', ')})`;
  if (answer.status < 400) return undefined;
  const challenges = valuesOf(documented.headers?.['WWW-Authenticate']?.schema);
  if (answer.challenge !== undefined && !challenges.includes(answer.challenge)) {
    return `WWW-Authenticate ${JSON.stringify(answer.challenge)} is not documented for ${answer.status} (documented: ${JSON.stringify(challenges)})`;
  }
  const messages = valuesOf(documented.content?.['application/json']?.schema?.properties?.message);
  if (!messages.includes(answer.message)) return `message ${JSON.stringify(answer.message)} is not documented (documented: ${JSON.stringify(messages)})`;
  return undefined;
}

/** The example the document gives for the operation's 401 challenge (what a request without credentials gets). */
export function documented401Example(operation: DocumentedOperation): unknown {
  return operation.responses['401']?.headers?.['WWW-Authenticate']?.schema?.example;
}

/**
 * Sends each kept route (`/p/<i>`) a request without credentials and its own random requests, and expects every
 * answer to be one the document lists for the operation, the credential-less 401 being the documented example.
 * Records each `<status> <challenge>` seen in `seen`, for the run's coverage check.
 */
export async function expectDocumentedAnswers<R>(
  t: TestApp,
  platform: Platform,
  document: OpenAPIObject,
  routes: { kept: readonly number[]; requestsOf: (i: number) => readonly R[]; nothing: R },
  headersOf: (request: R, path: string) => Record<string, string>,
  seen: Set<string>,
): Promise<void> {
  for (const i of routes.kept) {
    const path = `/p/${i}`;
    const operation = document.paths[path].get as unknown as DocumentedOperation;
    for (const req of [routes.nothing, ...routes.requestsOf(i)]) {
      const answer = await send(t, platform, path, headersOf(req, path));
      seen.add(`${answer.status} ${answer.challenge ?? ''}`);
      expect({ route: i, request: req, answer, problem: disagreement(operation, answer) }).toEqual({ route: i, request: req, answer, problem: undefined });
      if (req === routes.nothing && answer.status === 401) {
        expect({ route: i, nothingSent: answer.challenge }).toEqual({ route: i, nothingSent: documented401Example(operation) });
      }
    }
  }
}
