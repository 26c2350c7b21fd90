/**
 * Portable task ids: how a client and a node on another machine agree on a task.
 *
 * A task's URL (`file:///home/ann/app/dist/tasks.js`) differs from machine to
 * machine; the project does not. The id is the nearest package.json's name, the
 * module's path inside that package, and the export:
 *
 *     file:///home/ann/app/dist/tasks.js  +  fib   ->   my-app/dist/tasks.js#fib
 *
 * so the same project deployed anywhere resolves the same task.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TaskDefinitionError } from '../core/errors.js';
import type { TaskRef } from '../core/tasks.js';

const moduleIds = new Map<string, string>();

/** The nearest enclosing package.json that has a name: its directory and name. */
function packageOf(file: string): { dir: string; name: string } | undefined {
  for (let dir = dirname(file); ; ) {
    const pj = join(dir, 'package.json');
    if (existsSync(pj)) {
      try {
        const name = (JSON.parse(readFileSync(pj, 'utf8')) as { name?: unknown }).name;
        if (typeof name === 'string' && name !== '') return { dir, name };
      } catch {
        /* an unreadable package.json: look further up */
      }
    }
    const up = dirname(dir);
    if (up === dir) return undefined;
    dir = up;
  }
}

/**
 * The portable id of a module: `package-name/path/inside/package.js`.
 * @throws TaskDefinitionError for a module that is not a file or has no named package.json above it.
 */
export function moduleId(url: string): string {
  let id = moduleIds.get(url);
  if (id !== undefined) return id;
  if (!url.startsWith('file:')) {
    throw new TaskDefinitionError(`A cluster task must live in a file of a package deployed on every node; ${url} is not a file`);
  }
  const file = fileURLToPath(url);
  const pkg = packageOf(file);
  if (pkg === undefined) {
    throw new TaskDefinitionError(
      `No package.json with a "name" encloses ${file}: a cluster task is named by its package, ` +
        'so that every node resolves it (add a package.json with a name to the project)',
    );
  }
  id = `${pkg.name}/${relative(pkg.dir, file).split(sep).join('/')}`;
  moduleIds.set(url, id);
  return id;
}

/** The portable id of a task ref: `package-name/path/inside/package.js#export`. */
export function taskId(ref: TaskRef): string {
  return `${moduleId(ref.module)}#${ref.taskName}`;
}
