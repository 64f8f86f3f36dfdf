// Run by scripts/check-nestjs12.sh inside a temporary project that has NestJS 12 and the packed library.
import 'reflect-metadata';
import { Controller, Get, Injectable, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import * as lib from 'nestjs-security-schemes';
import { createRequire } from 'node:module';

const { buildApp } = createRequire(import.meta.url)('./build-app.cjs');
await buildApp({ Controller, Get, Injectable, Module, NestFactory, ...lib }, 'nestjs12');

// The OpenAPI writer against @nestjs/swagger 12.
const apiKey = new lib.APIKeyHeader({ name: 'X-API-Key' });
class DocsController {
  me() {}
}
const descriptor = Object.getOwnPropertyDescriptor(DocsController.prototype, 'me');
Reflect.decorate([Get('me'), lib.Security(apiKey)], DocsController.prototype, 'me', descriptor);
Controller()(DocsController);
class DocsModule {}
const keyValidator = { validate: (key) => (key === 'smoke' ? { key } : null) };
Module({
  imports: [lib.SecuritySchemesModule.forRoot({ schemes: [{ scheme: apiKey, validator: keyValidator }] })],
  controllers: [DocsController],
})(DocsModule);
const app = await NestFactory.create(DocsModule, { logger: false });
const document = lib.applySecurityToDocument(app, SwaggerModule.createDocument(app, new DocumentBuilder().build()));
console.log(JSON.stringify({ schemes: document.components.securitySchemes, security: document.paths['/me'].get.security }));
await app.close();
