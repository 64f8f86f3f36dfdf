import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import * as ts from 'typescript';

// lib/'s folders are its architecture (CONTRIBUTING.md, "Where things are"). These rules keep them so:
// no import circle between files (type-only imports included), and the core (what a route requires, how a
// request is decided) knows nothing of tokens: validators reach the guard through the SecurityValidator
// contract and what `validate` returns.

const LIB = resolve(__dirname, '../../lib');

function libFiles(dir = LIB): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? libFiles(path) : path.endsWith('.ts') ? [path] : [];
  });
}

/** Every file of lib/ with the lib/ files it imports or re-exports (relative specifiers, `import type` included). */
function importGraph(): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of libFiles()) {
    const { importedFiles } = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
    const targets = importedFiles
      .map(({ fileName }) => fileName)
      .filter((name) => name.startsWith('.'))
      .map((name) => {
        const base = resolve(dirname(file), name).replace(/\.js$/, '');
        for (const candidate of [`${base}.ts`, join(base, 'index.ts')]) {
          try {
            if (statSync(candidate).isFile()) return candidate;
          } catch {
            // try the next form
          }
        }
        throw new Error(`${relative(LIB, file)} imports ${name}, which is not a file of lib/`);
      });
    graph.set(file, targets);
  }
  return graph;
}

/** The import circles (strongly connected components of more than one file, or a file importing itself). */
function circles(graph: Map<string, string[]>): string[][] {
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (file: string): void => {
    index.set(file, next);
    low.set(file, next++);
    stack.push(file);
    onStack.add(file);
    for (const target of graph.get(file) ?? []) {
      if (!index.has(target)) {
        visit(target);
        low.set(file, Math.min(low.get(file)!, low.get(target)!));
      } else if (onStack.has(target)) {
        low.set(file, Math.min(low.get(file)!, index.get(target)!));
      }
    }
    if (low.get(file) !== index.get(file)) return;
    const component: string[] = [];
    let member: string;
    do {
      member = stack.pop()!;
      onStack.delete(member);
      component.push(relative(LIB, member));
    } while (member !== file);
    if (component.length > 1 || (graph.get(file) ?? []).includes(file)) found.push(component.sort());
  };
  for (const file of graph.keys()) if (!index.has(file)) visit(file);
  return found;
}

const folderOf = (file: string) => relative(LIB, file).split('/')[0];

describe('lib/ architecture', () => {
  const graph = importGraph();

  it('finds the files and their imports', () => {
    expect(graph.size).toBeGreaterThan(80);
    expect(graph.get(join(LIB, 'core/security.guard.ts'))).toContain(join(LIB, 'core/registry/security.registry.ts'));
  });

  it('has no import circle', () => {
    expect(circles(graph)).toEqual([]);
  });

  it('sees a circle when there is one (the check itself)', () => {
    const a = join(LIB, 'a.ts');
    const b = join(LIB, 'b.ts');
    expect(circles(new Map([[a, [b]], [b, [a]]]))).toEqual([['a.ts', 'b.ts']]);
  });

  it('keeps core/ free of tokens/, testing/ and passport/; only the module (the composition root) reaches openapi/ and forms/', () => {
    const offending: string[] = [];
    for (const [file, targets] of graph) {
      if (folderOf(file) !== 'core') continue;
      for (const target of targets) {
        const folder = folderOf(target);
        const rootOnly = folder === 'openapi' || folder === 'forms';
        if (['tokens', 'testing', 'passport'].includes(folder) || (rootOnly && relative(LIB, file) !== 'core/security.module.ts')) {
          offending.push(`${relative(LIB, file)} -> ${relative(LIB, target)}`);
        }
      }
    }
    expect(offending).toEqual([]);
  });

  it('leaves no source file loose at the top of lib/ but the public entry point', () => {
    const loose = readdirSync(LIB).filter((name) => statSync(join(LIB, name)).isFile());
    expect(loose).toEqual(['index.ts']);
  });
});
