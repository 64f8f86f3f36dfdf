/** Injection token for the options given to `SecuritySchemesModule.forRoot`/`forRootAsync`. */
export const SECURITY_MODULE_OPTIONS = Symbol('SECURITY_MODULE_OPTIONS');

/** Injection token: whether `SecurityGuard` is registered globally. */
export const SECURITY_GLOBAL_GUARD = Symbol('SECURITY_GLOBAL_GUARD');

/** Static property that marks `SecurityGuard` and its subclasses. */
export const SECURITY_GUARD_MARKER = Symbol.for('security-schemes:guard');

/** Metadata key under which `@Security`/`@SecurityAll` store requirements on a class or handler. */
export const SECURITY_REQUIREMENTS_METADATA = 'security-schemes:requirements';

/** Metadata key set by `@SkipSecurity()`. */
export const SKIP_SECURITY_METADATA = 'security-schemes:skip';

/** Nest's own metadata keys (`@nestjs/common/constants`), repeated here to avoid a deep import. */
export const NEST_PATH_METADATA = 'path';
export const NEST_GUARDS_METADATA = '__guards__';
