import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { documentationFiles, ROOT } from './code-blocks';

// The Markdown files link to each other's sections: every relative link must name a file that exists and,
// with a #fragment, a heading of that file (GitHub's anchors: lower case, punctuation dropped, spaces as "-").

const FILES = [...documentationFiles(), ...['CONTRIBUTING.md', 'sample/README.md', 'bench/README.md'].map((f) => join(ROOT, f))];

/** The anchors GitHub gives the headings of a Markdown text. */
function anchors(markdown: string): Set<string> {
  const found = new Set<string>();
  const seen = new Map<string, number>();
  let fenced = false;
  for (const line of markdown.split('\n')) {
    if (/^\s*(```|~~~)/.test(line)) fenced = !fenced;
    const heading = !fenced && /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (!heading) continue;
    const slug = heading[1].toLowerCase().replace(/[^\p{L}\p{N}\s_-]/gu, '').replace(/\s/g, '-');
    const count = seen.get(slug) ?? 0;
    seen.set(slug, count + 1);
    found.add(count === 0 ? slug : `${slug}-${count}`);
  }
  return found;
}

/** The relative links of a Markdown text (outside code), with their line numbers. */
function links(markdown: string): { line: number; target: string }[] {
  const found: { line: number; target: string }[] = [];
  let fenced = false;
  markdown.split('\n').forEach((text, index) => {
    if (/^\s*(```|~~~)/.test(text)) fenced = !fenced;
    if (fenced) return;
    const code = /`[^`]*`/g;
    for (const match of text.replace(code, '').matchAll(/\]\(([^)\s]+)\)|<img src="([^"]+)"/g)) {
      const target = match[1] ?? match[2];
      if (!/^[a-z]+:/i.test(target)) found.push({ line: index + 1, target });
    }
  });
  return found;
}

describe('links between the Markdown files', () => {
  it('name files that exist and headings they have', () => {
    const broken: string[] = [];
    for (const file of FILES) {
      const markdown = readFileSync(file, 'utf8');
      for (const { line, target } of links(markdown)) {
        const [path, fragment] = target.split('#');
        const linked = path ? join(dirname(file), path) : file;
        const where = `${relative(ROOT, file)}:${line}: ${target}`;
        if (!existsSync(linked)) broken.push(`${where} (no such file)`);
        else if (fragment !== undefined && linked.endsWith('.md') && !anchors(readFileSync(linked, 'utf8')).has(fragment)) {
          broken.push(`${where} (no such heading)`);
        }
      }
    }
    expect(broken).toEqual([]);
  });
});
