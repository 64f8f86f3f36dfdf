import type { LoggerService } from '@nestjs/common';

/** One line a Nest logger was given. */
export interface LoggedLine {
  level: 'log' | 'error' | 'warn' | 'debug' | 'verbose' | 'fatal';
  message: string;
  context: string | undefined;
}

/**
 * A Nest logger that keeps every line (every level, debug included) instead of printing it.
 * Install it with `app.useLogger(logger)`.
 */
export class CaptureLogger implements LoggerService {
  readonly lines: LoggedLine[] = [];

  log(message: unknown, context?: string) {
    this.keep('log', message, context);
  }
  error(message: unknown, _stack?: string, context?: string) {
    this.keep('error', message, context);
  }
  warn(message: unknown, context?: string) {
    this.keep('warn', message, context);
  }
  debug(message: unknown, context?: string) {
    this.keep('debug', message, context);
  }
  verbose(message: unknown, context?: string) {
    this.keep('verbose', message, context);
  }
  fatal(message: unknown, context?: string) {
    this.keep('fatal', message, context);
  }

  /** The messages logged at `level` by the logger of `context`. */
  messages(level: LoggedLine['level'], context: string): string[] {
    return this.lines.filter((line) => line.level === level && line.context === context).map((line) => line.message);
  }

  clear(): void {
    this.lines.length = 0;
  }

  private keep(level: LoggedLine['level'], message: unknown, context: string | undefined) {
    this.lines.push({ level, message: String(message), context });
  }
}
