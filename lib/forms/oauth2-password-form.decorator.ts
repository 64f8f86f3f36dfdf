import { BadRequestException, createParamDecorator, type ExecutionContext, type PipeTransform } from '@nestjs/common';
import { SWAGGER_API_CONSUMES, SWAGGER_API_PARAMETERS } from '../openapi/security.swagger-metadata.js';
import { FORM_HANDLERS, MULTIPART, readFormFields, URLENCODED, type FormFields, type FormResponse } from './form-body.js';
import { OAuth2PasswordRequestForm, OAuth2PasswordRequestFormStrict } from './oauth2-password-request-form.js';
import { OAuth2RefreshTokenRequestForm } from './oauth2-refresh-token-request-form.js';
import type { OAuth2TokenRequestForm } from './oauth2-token-request-form.js';

export interface OAuth2PasswordFormOptions {
  /** Require `grant_type` (`OAuth2PasswordRequestFormStrict` for the password grant). Default false. */
  strict?: boolean;
  /**
   * Also read `multipart/form-data` bodies, as FastAPI does. Default true. RFC 6749 needs only
   * `application/x-www-form-urlencoded`: `false` answers multipart with 415 and documents url-encoded only.
   */
  multipart?: boolean;
}

const INVALID = Symbol('invalid');

/**
 * A form field's one text value: `undefined` when absent, empty or a file, `INVALID` when sent more
 * than once or not as text. Understands `@fastify/multipart`'s `attachFieldsToBody` field objects.
 */
function singleValue(value: unknown): string | undefined | typeof INVALID {
  if (value === undefined || value === '' || Buffer.isBuffer(value)) return undefined;
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) {
    const values = value.map(singleValue).filter((item) => item !== undefined);
    return values.length === 0 ? undefined : values.length === 1 ? values[0] : INVALID;
  }
  if (value !== null && typeof value === 'object') {
    const part = value as { type?: unknown; value?: unknown };
    if (part.type === 'file') return undefined;
    if (part.type === 'field' && typeof part.value === 'string') return singleValue(part.value);
  }
  return INVALID;
}

/** Which grants a form takes: the password grant only, or the password and refresh-token grants. */
type Grants = 'password' | 'password-or-refresh';

/** Reads one field's single text value, recording an error when it is repeated, or missing and required. */
function fieldReader(fields: FormFields, errors: string[]) {
  return (name: string, required = false): string | null => {
    const value = singleValue(Object.hasOwn(fields, name) ? fields[name] : undefined);
    if (value === INVALID) errors.push(`${name} must be a single value`);
    else if (value === undefined && required) errors.push(`${name} should not be empty`);
    return typeof value === 'string' ? value : null;
  };
}

/** Validates the fields; every failing field is reported, in declaration order, without its value. */
function toForm(fields: FormFields, strict: boolean, grants: Grants): OAuth2TokenRequestForm {
  const errors: string[] = [];
  const read = fieldReader(fields, errors);

  const grantType = read('grant_type', strict);
  if (grants === 'password-or-refresh' && grantType === 'refresh_token') return toRefreshForm(read, errors);
  if (grantType !== null && grantType !== 'password') {
    errors.push(grants === 'password' ? 'grant_type must be "password"' : 'grant_type must be "password" or "refresh_token"');
  }
  const username = read('username', true);
  const password = read('password', true);
  const scope = read('scope') ?? '';
  const clientId = read('client_id');
  const clientSecret = read('client_secret');
  if (errors.length > 0) throw new BadRequestException(errors);

  const init = { grantType, username: username!, password: password!, scope, clientId, clientSecret };
  return strict ? new OAuth2PasswordRequestFormStrict({ ...init, grantType: grantType! }) : new OAuth2PasswordRequestForm(init);
}

/** The refresh-token grant's fields (RFC 6749 section 6); `username` and `password` are not read. */
function toRefreshForm(read: ReturnType<typeof fieldReader>, errors: string[]): OAuth2RefreshTokenRequestForm {
  const refreshToken = read('refresh_token', true);
  const scope = read('scope') ?? '';
  const clientId = read('client_id');
  const clientSecret = read('client_secret');
  if (errors.length > 0) throw new BadRequestException(errors);
  return new OAuth2RefreshTokenRequestForm({ refreshToken: refreshToken!, scope, clientId, clientSecret });
}

/** Reads the request's form (it may have to stream the body, hence a pipe) and validates it. */
class OAuth2FormPipe implements PipeTransform {
  constructor(
    private readonly strict: boolean,
    readonly accepted: readonly string[],
    readonly grants: Grants,
  ) {}

  async transform({ request, response }: RequestAndResponse): Promise<OAuth2TokenRequestForm> {
    return toForm(await readFormFields(request, response, this.accepted), this.strict, this.grants);
  }
}

const WITH_MULTIPART = [URLENCODED, MULTIPART] as const;

/** One pipe per combination of options, made once. */
const PIPES = new Map<string, OAuth2FormPipe>();
function pipeFor(strict: boolean, multipart: boolean, grants: Grants): OAuth2FormPipe {
  const key = `${strict}:${multipart}:${grants}`;
  let pipe = PIPES.get(key);
  if (!pipe) PIPES.set(key, (pipe = new OAuth2FormPipe(strict, multipart ? WITH_MULTIPART : [URLENCODED], grants)));
  return pipe;
}

interface RequestAndResponse {
  request: Parameters<typeof readFormFields>[0];
  /** To close the connection when a body is refused unread. */
  response: FormResponse;
}

const RequestParam = createParamDecorator((_data: unknown, context: ExecutionContext): RequestAndResponse => {
  const http = context.switchToHttp();
  return { request: http.getRequest(), response: http.getResponse() };
});

/** The request body's schema, as FastAPI documents its password form (OpenAPI 3.0, so without `null`). */
function oauth2PasswordFormSchema(strict = false) {
  return {
    type: 'object',
    properties: {
      grant_type: { type: 'string', pattern: '^password$' },
      username: { type: 'string' },
      password: { type: 'string', format: 'password' },
      scope: { type: 'string', default: '' },
      client_id: { type: 'string' },
      client_secret: { type: 'string', format: 'password' },
    },
    required: strict ? ['grant_type', 'username', 'password'] : ['username', 'password'],
  };
}

/** The refresh-token grant's body (RFC 6749 section 6). */
function oauth2RefreshTokenFormSchema() {
  return {
    title: 'Refresh token grant (RFC 6749 section 6)',
    type: 'object',
    properties: {
      grant_type: { type: 'string', enum: ['refresh_token'] },
      refresh_token: { type: 'string', format: 'password' },
      scope: { type: 'string', default: '', description: 'At most the scopes granted before; empty for all of them.' },
      client_id: { type: 'string' },
      client_secret: { type: 'string', format: 'password' },
    },
    required: ['grant_type', 'refresh_token'],
  };
}

/** Either grant: exactly one of the two schemas matches a valid body (they differ in `grant_type`). */
function oauth2TokenFormSchema(strict: boolean) {
  return {
    oneOf: [{ title: 'Password grant (RFC 6749 section 4.3.2)', ...oauth2PasswordFormSchema(strict) }, oauth2RefreshTokenFormSchema()],
  };
}

/** Parameter decorator shared by both forms. */
function formParameter(name: string, pipe: OAuth2FormPipe, schema: object): ParameterDecorator {
  return (target, key, index) => {
    const descriptor = key === undefined ? undefined : Object.getOwnPropertyDescriptor(target, key);
    if (key === undefined || typeof descriptor?.value !== 'function') {
      throw new Error(`@${name}() decorates a parameter of a route handler method.`);
    }
    RequestParam(undefined, pipe)(target, key, index);
    FORM_HANDLERS.add(descriptor.value);
    documentRequestBody(descriptor.value, pipe.accepted, schema);
  };
}

/**
 * Injects the OAuth2 password form (`OAuth2PasswordRequestForm`, or `OAuth2PasswordRequestFormStrict`
 * with `{ strict: true }`) read from an `application/x-www-form-urlencoded` or (unless `multipart: false`)
 * `multipart/form-data` body; any other body is a 415. Missing, empty or invalid fields give a 400 that
 * lists them; secrets are never echoed.
 * It also documents the route's request body for `@nestjs/swagger`.
 *
 * ```ts
 * @Post('token')
 * login(@OAuth2PasswordForm() form: OAuth2PasswordRequestForm) { ... }
 * ```
 */
export function OAuth2PasswordForm(options: OAuth2PasswordFormOptions = {}): ParameterDecorator {
  const strict = options.strict === true;
  const pipe = pipeFor(strict, options.multipart !== false, 'password');
  return formParameter('OAuth2PasswordForm', pipe, oauth2PasswordFormSchema(strict));
}

/**
 * Injects the form of a token endpoint that takes the password grant and the refresh-token grant
 * (RFC 6749 sections 4.3.2 and 6): an `OAuth2PasswordRequestForm` (`OAuth2PasswordRequestFormStrict` with
 * `{ strict: true }`), or an `OAuth2RefreshTokenRequestForm` when `grant_type` is `refresh_token`. Bodies,
 * limits and errors as `@OAuth2PasswordForm()`; a refresh form without `refresh_token` is a 400
 * `refresh_token should not be empty`. The OpenAPI request body documents both grants (`oneOf`).
 *
 * ```ts
 * @Post('token')
 * token(@OAuth2TokenForm() form: OAuth2TokenRequestForm) {
 *   if (form instanceof OAuth2RefreshTokenRequestForm) return this.tokens.refresh(form.refreshToken, form.scopes);
 *   return this.auth.login(form.username, form.password, form.scopes);
 * }
 * ```
 */
export function OAuth2TokenForm(options: OAuth2PasswordFormOptions = {}): ParameterDecorator {
  const strict = options.strict === true;
  const pipe = pipeFor(strict, options.multipart !== false, 'password-or-refresh');
  return formParameter('OAuth2TokenForm', pipe, oauth2TokenFormSchema(strict));
}

/**
 * What `@ApiConsumes(...accepted)` and `@ApiBody({ required: true, schema })` record, written
 * by their metadata keys so the library never loads @nestjs/swagger (an optional peer): without it the
 * metadata is inert.
 */
function documentRequestBody(handler: Function, accepted: readonly string[], schema: object): void {
  const consumes: string[] = Reflect.getMetadata(SWAGGER_API_CONSUMES, handler) ?? [];
  Reflect.defineMetadata(SWAGGER_API_CONSUMES, [...consumes, ...accepted], handler);
  const parameters: object[] = Reflect.getMetadata(SWAGGER_API_PARAMETERS, handler) ?? [];
  Reflect.defineMetadata(SWAGGER_API_PARAMETERS, [...parameters, { type: String, required: true, in: 'body', schema }], handler);
}
