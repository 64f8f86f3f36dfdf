export * from './passport-validator.js';
