// The contract's RelativeStoragePath rule, shared so Core never emits and the agent never
// accepts a path that could escape its root: not absolute, no `..` segment, no NUL byte.

export class UnsafePathError extends Error {
  constructor(
    readonly path: string,
    readonly reason: string,
  ) {
    super(`unsafe relative path ${JSON.stringify(path)}: ${reason}`);
    this.name = 'UnsafePathError';
  }
}

/** Returns the reason `p` is not a safe relative storage path, or undefined when it is. */
export function relativePathProblem(p: string): string | undefined {
  if (p.length === 0) return 'empty path';
  if (p.includes('\0')) return 'contains a NUL byte';
  if (p.startsWith('/') || p.startsWith('\\')) return 'absolute path';
  if (/^[a-zA-Z]:/.test(p)) return 'absolute (drive-letter) path';
  if (p.split(/[\\/]/).some((seg) => seg === '..')) return 'contains a ".." segment';
  return undefined;
}

export function assertSafeRelativePath(p: string): string {
  const problem = relativePathProblem(p);
  if (problem) throw new UnsafePathError(p, problem);
  return p;
}
