import { BadRequestException, createParamDecorator, type ExecutionContext, type PipeTransform } from '@nestjs/common';
import { SWAGGER_API_CONSUMES, SWAGGER_API_PARAMETERS } from '../security.swagger-metadata.js';
import { FORM_HANDLERS, MULTIPART, readFormFields, URLENCODED, type FormFields } from './form-body.js';
import { OAuth2PasswordRequestForm, OAuth2PasswordRequestFormStrict } from './oauth2-password-request-form.js';

export interface OAuth2PasswordFormOptions {
  /** Require `grant_type` (`OAuth2PasswordRequestFormStrict`). Default false. */
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

/** Validates the fields; every failing field is reported, in declaration order, without its value. */
function toForm(fields: FormFields, strict: boolean): OAuth2PasswordRequestForm {
  const errors: string[] = [];
  const read = (name: string, required = false): string | null => {
    const value = singleValue(Object.hasOwn(fields, name) ? fields[name] : undefined);
    if (value === INVALID) errors.push(`${name} must be a single value`);
    else if (value === undefined && required) errors.push(`${name} should not be empty`);
    return typeof value === 'string' ? value : null;
  };

  const grantType = read('grant_type', strict);
  if (grantType !== null && grantType !== 'password') errors.push('grant_type must be "password"');
  const username = read('username', true);
  const password = read('password', true);
  const scope = read('scope') ?? '';
  const clientId = read('client_id');
  const clientSecret = read('client_secret');
  if (errors.length > 0) throw new BadRequestException(errors);

  const init = { grantType, username: username!, password: password!, scope, clientId, clientSecret };
  return strict ? new OAuth2PasswordRequestFormStrict({ ...init, grantType: grantType! }) : new OAuth2PasswordRequestForm(init);
}

/** Reads the request's form (it may have to stream the body, hence a pipe) and validates it. */
class OAuth2PasswordFormPipe implements PipeTransform {
  constructor(
    private readonly strict: boolean,
    readonly accepted: readonly string[],
  ) {}

  async transform(request: Parameters<typeof readFormFields>[0]): Promise<OAuth2PasswordRequestForm> {
    return toForm(await readFormFields(request, this.accepted), this.strict);
  }
}

const WITH_MULTIPART = [URLENCODED, MULTIPART] as const;
const PIPES = {
  permissive: new OAuth2PasswordFormPipe(false, WITH_MULTIPART),
  strict: new OAuth2PasswordFormPipe(true, WITH_MULTIPART),
  permissiveUrlencoded: new OAuth2PasswordFormPipe(false, [URLENCODED]),
  strictUrlencoded: new OAuth2PasswordFormPipe(true, [URLENCODED]),
};

const RequestParam = createParamDecorator((_data: unknown, context: ExecutionContext) => context.switchToHttp().getRequest());

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
  const pipe =
    options.multipart === false
      ? strict ? PIPES.strictUrlencoded : PIPES.permissiveUrlencoded
      : strict ? PIPES.strict : PIPES.permissive;
  return (target, key, index) => {
    const descriptor = key === undefined ? undefined : Object.getOwnPropertyDescriptor(target, key);
    if (key === undefined || typeof descriptor?.value !== 'function') {
      throw new Error('@OAuth2PasswordForm() decorates a parameter of a route handler method.');
    }
    RequestParam(undefined, pipe)(target, key, index);
    FORM_HANDLERS.add(descriptor.value);
    documentRequestBody(descriptor.value, pipe.accepted, oauth2PasswordFormSchema(strict));
  };
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
