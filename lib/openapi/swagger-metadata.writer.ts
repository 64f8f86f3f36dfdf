import { Injectable } from '@nestjs/common';
import { SecurityRegistry } from '../core/registry/security.registry.js';
import { writeSwaggerMetadata } from './security.swagger-metadata.js';

/**
 * Writes every compiled route into @nestjs/swagger's metadata once the registry has compiled them (at
 * start-up, before the application can call `SwaggerModule.createDocument`): the document reads the same
 * compiled routes the guard enforces.
 */
@Injectable()
export class SwaggerMetadataWriter {
  constructor(registry: SecurityRegistry) {
    for (const route of registry.compiledRoutes()) writeSwaggerMetadata(registry, route);
  }
}
