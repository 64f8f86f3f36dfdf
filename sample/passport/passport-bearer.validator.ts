import { PassportValidator } from 'nestjs-security-schemes';
import { BearerStrategy } from './bearer.strategy.js';

/**
 * The passport strategy as the validator of passportBearerScheme. The scheme extracts the token,
 * answers 401 with its challenge, checks scopes and documents itself; the strategy decides who the
 * caller is. Its fail() and errors become the scheme's 401 (errors are logged, never a 500).
 */
export class BearerPassportValidator extends PassportValidator(BearerStrategy) {}
