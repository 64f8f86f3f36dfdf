import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, relative } from 'node:path';
import ts from 'typescript';

/**
 * Type-checks the ```ts blocks of the documentation against the BUILT package, as a user's code sees it.
 *
 * Each block becomes a module of its own (`.mts`, so a top-level `await` reads as in a bootstrap function) in a
 * temporary directory whose `node_modules` holds `nestjs-security-schemes` (a link to this repository: its
 * package.json `exports` lead to `dist/`) and links to every other installed package. One compiler program
 * checks them all, with the options of a NestJS 11 project (strict, decorators and their metadata,
 * isolatedModules).
 *
 * The convention for fragments:
 * - A block with an `import` is a complete module: it gets nothing but the shared declarations below.
 * - A block without one is a fragment: it is also given the imports of every name it uses from the library,
 *   `@nestjs/common`, `@nestjs/core` and `@nestjs/swagger` (in that order when two export the same name), as a
 *   reader fills them in.
 * - Every block sees `docs/prelude.d.ts`: the few application names the fragments take as given (`oauth2`, a
 *   `User` class, `AppModule`...). A block's own declaration of such a name wins.
 */

export const ROOT = join(__dirname, '..', '..');
export const PRELUDE = join(ROOT, 'docs', 'prelude.d.ts');

/** Where fragments take their imports from, first match first. */
const AUTO_IMPORT_MODULES = ['nestjs-security-schemes', '@nestjs/common', '@nestjs/core', '@nestjs/swagger'];

export interface CodeBlock {
  /** The Markdown file, relative to the repository. */
  file: string;
  /** The 1-based line of the block's first code line in that file. */
  line: number;
  code: string;
}

export interface BlockDiagnostic {
  /** `file:line`, pointing into the Markdown file. */
  where: string;
  message: string;
}

/** The Markdown files whose ```ts blocks must compile: the README and every page under docs/. */
export function documentationFiles(): string[] {
  const files = [join(ROOT, 'README.md')];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith('.md')) files.push(path);
    }
  };
  walk(join(ROOT, 'docs'));
  return files;
}

/** The ```ts (or ```typescript) blocks of a Markdown text, unindented (blocks inside list items are indented). */
export function extractBlocks(markdown: string, file: string): CodeBlock[] {
  const blocks: CodeBlock[] = [];
  const lines = markdown.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const open = /^(\s*)(`{3,}|~{3,})\s*([\w+-]*)\s*$/.exec(lines[i]);
    if (!open) continue;
    const [, indent, fence, lang] = open;
    let end = i + 1;
    while (end < lines.length && !(lines[end].trim().startsWith(fence) && lines[end].trim().replace(/[`~]/g, '') === '')) end++;
    if (lang === 'ts' || lang === 'typescript') {
      const body = lines.slice(i + 1, end).map((l) => (l.startsWith(indent) ? l.slice(indent.length) : l.trimStart()));
      blocks.push({ file, line: i + 2, code: body.join('\n') });
    }
    i = end;
  }
  return blocks;
}

interface Exported {
  module: string;
  isValue: boolean;
}

/** The names a fragment may use without importing them, with where they come from and whether they are values. */
function autoImportable(program: ts.Program, entry: ts.SourceFile): Map<string, Exported> {
  const checker = program.getTypeChecker();
  const names = new Map<string, Exported>();
  for (const statement of entry.statements) {
    if (!ts.isImportDeclaration(statement) || !ts.isStringLiteral(statement.moduleSpecifier)) continue;
    const module = statement.moduleSpecifier.text;
    const symbol = checker.getSymbolAtLocation(statement.moduleSpecifier);
    if (!symbol) throw new Error(`${module} cannot be resolved: is it installed (and the package built: npm run build)?`);
    for (const exported of checker.getExportsOfModule(symbol)) {
      if (names.has(exported.name)) continue;
      const target = exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported;
      names.set(exported.name, { module, isValue: (target.flags & ts.SymbolFlags.Value) !== 0 });
    }
  }
  return names;
}

/** The names a block imports or declares at its top level, and every identifier it uses. */
function namesOf(code: string): { hasImports: boolean; own: Set<string>; used: Set<string> } {
  const source = ts.createSourceFile('block.mts', code, ts.ScriptTarget.ES2022, true, ts.ScriptKind.TS);
  const own = new Set<string>();
  const used = new Set<string>();
  let hasImports = false;
  for (const statement of source.statements) {
    if (ts.isImportDeclaration(statement) || ts.isImportEqualsDeclaration(statement)) {
      hasImports = true;
    } else if (ts.isVariableStatement(statement)) {
      for (const declaration of statement.declarationList.declarations) {
        if (ts.isIdentifier(declaration.name)) own.add(declaration.name.text);
      }
    } else if (
      (ts.isClassDeclaration(statement) || ts.isFunctionDeclaration(statement) || ts.isInterfaceDeclaration(statement) ||
        ts.isTypeAliasDeclaration(statement) || ts.isEnumDeclaration(statement)) && statement.name
    ) {
      own.add(statement.name.text);
    }
  }
  const visit = (node: ts.Node) => {
    if (ts.isIdentifier(node)) used.add(node.text);
    ts.forEachChild(node, visit);
  };
  visit(source);
  return { hasImports, own, used };
}

/** A compiler host that keeps parsed files, so that the second program reuses the first one's. */
function cachingHost(options: ts.CompilerOptions): ts.CompilerHost {
  const host = ts.createCompilerHost(options, true);
  const cache = new Map<string, ts.SourceFile | undefined>();
  const getSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (fileName, languageVersion, onError, shouldCreate) => {
    const key = `${fileName}\0${typeof languageVersion === 'object' ? languageVersion.impliedNodeFormat : ''}`;
    if (!cache.has(key)) cache.set(key, getSourceFile(fileName, languageVersion, onError, shouldCreate));
    return cache.get(key);
  };
  return host;
}

/** Type-checks every block in one program; returns the errors, each pointing at its Markdown line. */
export function checkBlocks(blocks: readonly CodeBlock[]): BlockDiagnostic[] {
  const dir = mkdtempSync(join(tmpdir(), 'docs-code-blocks-'));
  try {
    // node_modules: the package as it is installed (a link to this repository, so its `exports` lead to dist/),
    // and every package this repository has installed.
    const modules = join(dir, 'node_modules');
    mkdirSync(modules);
    for (const entry of readdirSync(join(ROOT, 'node_modules'))) {
      if (!entry.startsWith('.')) symlinkSync(join(ROOT, 'node_modules', entry), join(modules, entry));
    }
    symlinkSync(ROOT, join(modules, 'nestjs-security-schemes'), 'dir');

    const options: ts.CompilerOptions = {
      module: ts.ModuleKind.NodeNext,
      moduleResolution: ts.ModuleResolutionKind.NodeNext,
      target: ts.ScriptTarget.ES2022,
      lib: ['lib.es2022.d.ts'],
      strict: true,
      experimentalDecorators: true,
      emitDecoratorMetadata: true,
      isolatedModules: true,
      esModuleInterop: true,
      skipLibCheck: true,
      noEmit: true,
      types: ['node', 'jest'],
    };
    const host = cachingHost(options);

    const entry = join(dir, 'auto-imports.mts');
    writeFileSync(entry, AUTO_IMPORT_MODULES.map((m, i) => `import * as m${i} from '${m}';\n`).join(''));
    const first = ts.createProgram({ rootNames: [entry], options, host });
    const importable = autoImportable(first, first.getSourceFile(entry)!);

    const files = new Map<string, { block: CodeBlock; headerLines: number }>();
    blocks.forEach((block, index) => {
      const { hasImports, own, used } = namesOf(block.code);
      const header: string[] = [];
      if (!hasImports) {
        for (const module of AUTO_IMPORT_MODULES) {
          const names = [...used]
            .filter((name) => !own.has(name) && importable.get(name)?.module === module)
            .sort()
            .map((name) => (importable.get(name)!.isValue ? name : `type ${name}`));
          if (names.length > 0) header.push(`import { ${names.join(', ')} } from '${module}';`);
        }
      }
      // Every block is a module, even one without imports or exports.
      header.push('export {};');
      const name = `${basename(block.file, '.md').replace(/\W/g, '_')}-${String(index).padStart(3, '0')}.mts`;
      const path = join(dir, name);
      writeFileSync(path, `${header.join('\n')}\n${block.code}\n`);
      files.set(path, { block, headerLines: header.length });
    });
    // .d.mts: its imports resolve as the blocks' do (the package's ESM types), or its types would be other declarations.
    const prelude = join(dir, 'prelude.d.mts');
    writeFileSync(prelude, readFileSync(PRELUDE, 'utf8'));

    const program = ts.createProgram({ rootNames: [prelude, ...files.keys()], options, host, oldProgram: first });
    const diagnostics = ts.getPreEmitDiagnostics(program);
    return diagnostics.map((diagnostic): BlockDiagnostic => {
      const message = `TS${diagnostic.code}: ${ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n')}`;
      const file = diagnostic.file;
      if (!file) return { where: '(program)', message };
      const { line } = file.getLineAndCharacterOfPosition(diagnostic.start ?? 0);
      const origin = files.get(file.fileName);
      if (origin) return { where: `${origin.block.file}:${origin.block.line + line - origin.headerLines}`, message };
      if (file.fileName === prelude) return { where: `${relative(ROOT, PRELUDE)}:${line + 1}`, message };
      return { where: `${file.fileName}:${line + 1}`, message };
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Every ```ts block of the README and docs/, read from disk. */
export function documentationBlocks(): CodeBlock[] {
  return documentationFiles().flatMap((path) => extractBlocks(readFileSync(path, 'utf8'), relative(ROOT, path)));
}
