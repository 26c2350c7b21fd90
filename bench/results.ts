/**
 * Shared by the benchmarks: replaces one `## ` section of bench/RESULTS.md
 * (or appends it), keeping everything else, including a notes block that
 * starts with `<!-- KEY notes -->` inside the section when `keepNotes` names it.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const RESULTS_FILE = fileURLToPath(new URL('./RESULTS.md', import.meta.url));

export function writeSection(title: string, section: string, keepNotes?: string): void {
  let text = existsSync(RESULTS_FILE) ? readFileSync(RESULTS_FILE, 'utf8') : '# weft benchmark results\n';
  const start = text.indexOf(`${title}\n`);
  if (start < 0) {
    text = `${text.trimEnd()}\n\n${section.trimEnd()}\n`;
  } else {
    const next = text.indexOf('\n## ', start + title.length);
    const end = next < 0 ? text.length : next + 1;
    const notesAt = keepNotes ? text.indexOf(`\n<!-- ${keepNotes} notes -->`, start) : -1;
    const notes = notesAt >= 0 && notesAt < end ? text.slice(notesAt + 1, end) : '';
    text =
      text.slice(0, start) + section.trimEnd() + '\n' + (notes ? `\n${notes.trimEnd()}\n` : '') + (next < 0 ? '' : `\n${text.slice(end)}`);
  }
  writeFileSync(RESULTS_FILE, text);
}
