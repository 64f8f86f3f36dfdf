import type { DynamicModule } from '@nestjs/common';
import type { ModuleRef } from '@nestjs/core';

// SecuritySchemesModule is global and registers one set of schemes, one registry and one global guard.
// A second `forRoot()` (a feature module registering its own schemes) would give the application two of
// each, and used to fail later with a message about "another instance" of a scheme. Each dynamic module
// `forRoot()`/`forRootAsync()` returns is marked, and at start-up the registry looks for the marked
// modules in every module's imports.

/** The method that made a SecuritySchemesModule dynamic module. */
const REGISTRATION = Symbol('nestjs-security-schemes:registration');

type Registration = 'forRoot' | 'forRootAsync';

/** Marks a dynamic module made by `forRoot`/`forRootAsync` (a non-enumerable key: Nest's module token ignores it). */
export function markRegistration<T extends DynamicModule>(module: T, registration: Registration): T {
  Object.defineProperty(module, REGISTRATION, { value: registration });
  return module;
}

/** The parts of Nest's container read here (`NestContainer`, not a public type). */
interface ContainerView {
  getModules(): Map<string, { token: string; name: string; metatype: Function }>;
  getDynamicMetadataByToken?(token: string, key: 'imports'): unknown[] | undefined;
}

/**
 * Throws when the application imports more than one SecuritySchemesModule made by `forRoot`/`forRootAsync`,
 * naming each call and the module that imports it. The same dynamic module object imported by several modules
 * is one registration (Nest makes one module of it).
 */
export function checkSingleRegistration(moduleRef: ModuleRef): void {
  const container = (moduleRef as unknown as { container?: Partial<ContainerView> }).container;
  if (typeof container?.getModules !== 'function') return;
  const found = new Map<object, { registration: Registration; importer: string }>();
  for (const module of container.getModules().values()) {
    const imports = [
      ...((Reflect.getMetadata('imports', module.metatype) as unknown[] | undefined) ?? []),
      ...(container.getDynamicMetadataByToken?.(module.token, 'imports') ?? []),
    ];
    for (const entry of imports) {
      const registration = typeof entry === 'object' && entry !== null ? (entry as { [REGISTRATION]?: Registration })[REGISTRATION] : undefined;
      if (registration && !found.has(entry as object)) found.set(entry as object, { registration, importer: module.name });
    }
  }
  if (found.size < 2) return;
  const calls = [...found.values()].map(({ registration, importer }) => `${registration}() in ${importer}`);
  const times = found.size === 2 ? 'twice' : `${found.size} times`;
  throw new Error(
    `SecuritySchemesModule.forRoot() (or forRootAsync()) was called ${times}: ${calls.slice(0, -1).join(', ')} and ${calls.at(-1)}. ` +
      'Call it once, in the root module: the module is global, so its schemes, registry and guard reach every module. ' +
      'Register all schemes there, and refer to them from feature modules with @Security(scheme) or @Security(\'schemeName\').',
  );
}
