// The desktop main process checks every executable path the renderer can set before it reaches
// the daemon, which would run it for each job. A compromised or buggy renderer must not be able
// to make the agent execute a script it dropped somewhere: the path must be absolute and name a
// native executable (ELF, Mach-O or PE — not a `#!` script), owned by root or the current user,
// writable by neither group nor others, in no directory that others can rewrite. The same idea
// as OpenSSH's safe-path check. See docs/agent-trust.md.
import { open, realpath, stat } from 'node:fs/promises';
import { dirname, isAbsolute } from 'node:path';
import type { ConfigFieldProblem } from '@retaia/agent-core/config/config-schema.js';

/** Config fields holding a program the daemon executes. */
export const EXEC_PATH_FIELDS = ['ffmpeg_path', 'ffprobe_path'] as const;

const NATIVE_MAGIC: readonly Buffer[] = [
  Buffer.from([0x7f, 0x45, 0x4c, 0x46]), // ELF
  Buffer.from([0xcf, 0xfa, 0xed, 0xfe]), // Mach-O 64
  Buffer.from([0xce, 0xfa, 0xed, 0xfe]), // Mach-O 32
  Buffer.from([0xca, 0xfe, 0xba, 0xbe]), // Mach-O universal
  Buffer.from([0x4d, 0x5a]), // PE (MZ)
];

async function head(path: string): Promise<Buffer> {
  const fh = await open(path, 'r');
  try {
    const buf = Buffer.alloc(4);
    const { bytesRead } = await fh.read(buf, 0, 4, 0);
    return buf.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}

export interface ExecCheckOptions {
  platform?: NodeJS.Platform;
  /** The user the daemon runs as (default: this process's). */
  uid?: number;
}

/** Why `path` must not be saved as a program to run, or undefined when it is acceptable. */
export async function execPathProblem(
  path: string,
  opts: ExecCheckOptions = {},
): Promise<string | undefined> {
  const platform = opts.platform ?? process.platform;
  const uid = opts.uid ?? process.getuid?.() ?? -1;
  if (path.includes('\0')) return 'must not contain a NUL character';
  if (!isAbsolute(path)) return 'must be an absolute path';
  let real: string;
  try {
    real = await realpath(path);
  } catch (err) {
    return `does not exist or cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'})`;
  }
  const st = await stat(real);
  if (!st.isFile()) return 'is not a regular file';
  let magic: Buffer;
  try {
    magic = await head(real);
  } catch (err) {
    return `cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'})`;
  }
  if (magic.subarray(0, 2).toString('latin1') === '#!')
    return 'is a script: point it at the ffmpeg/ffprobe program itself';
  if (!NATIVE_MAGIC.some((m) => magic.subarray(0, m.length).equals(m)))
    return 'is not a native program (no ELF, Mach-O or PE header)';
  if (platform === 'win32') return undefined; // NTFS ACLs are not expressed in mode bits.
  if ((st.mode & 0o111) === 0) return 'is not executable';
  const trustedOwner = (owner: number) => owner === 0 || owner === uid;
  if (!trustedOwner(st.uid)) return `belongs to another user (uid ${st.uid})`;
  if (st.mode & 0o022) return 'can be modified by other users (group/other write permission)';
  // Every directory above must not let others swap the file (a sticky world-writable
  // directory such as /tmp is fine only for entries we own).
  let child = real;
  for (let dir = dirname(real); ; dir = dirname(dir)) {
    const d = await stat(dir);
    const othersWrite = (d.mode & 0o002) !== 0;
    const sticky = (d.mode & 0o1000) !== 0;
    if (othersWrite && !sticky) return `lies in ${dir}, which any user can modify`;
    if (othersWrite && sticky && !trustedOwner((await stat(child)).uid))
      return `lies in ${dir}, which any user can write to, under an entry someone else owns`;
    if ((d.mode & 0o020) !== 0 && !trustedOwner(d.uid))
      return `lies in ${dir}, which another user's group can modify`;
    if (!trustedOwner(d.uid)) return `lies in ${dir}, which belongs to another user`;
    if (dir === dirname(dir)) break;
    child = dir;
  }
  return undefined;
}

/**
 * Problems with the executable paths in a config coming from the renderer. Values equal to the
 * ones already saved (e.g. set with the CLI) are left to the user who set them.
 */
export async function execPathProblems(
  config: unknown,
  saved: unknown,
  opts: ExecCheckOptions = {},
): Promise<ConfigFieldProblem[]> {
  const next = (config ?? {}) as Record<string, unknown>;
  const prev = (saved ?? {}) as Record<string, unknown>;
  const problems: ConfigFieldProblem[] = [];
  for (const field of EXEC_PATH_FIELDS) {
    const value = next[field];
    if (value === undefined || value === null || value === prev[field]) continue;
    if (typeof value !== 'string') continue; // the shared schema reports the type
    const problem = await execPathProblem(value.trim(), opts);
    if (problem) problems.push({ field, message: `${field} ${value}: ${problem}` });
  }
  return problems;
}
