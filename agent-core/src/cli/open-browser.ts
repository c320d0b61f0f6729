// Opens Core's device-flow approval page in the user's browser, best effort: the caller always
// prints the URL and code too. Only URLs that pass approvalUrlProblem() (http(s), Core's own
// origin) are launched. The launcher gets the URL as ONE argv element and no shell is involved:
// on Windows `cmd /c start "" <url>` re-parses the line, so `&` in a URL ran a second command;
// rundll32's url.dll FileProtocolHandler takes the rest of its command line as the URL and hands
// it to the default browser without a shell. See docs/agent-trust.md.
import { spawn } from 'node:child_process';
import { approvalUrlProblem } from '../core-api/approval-url.js';

export type OpenOutcome = { opened: true } | { opened: false; problem?: string };

/** The program and argv used to open `url` on `platform` (exported for tests). */
export function browserLauncher(
  url: string,
  platform: NodeJS.Platform = process.platform,
): [string, string[]] {
  if (platform === 'darwin') return ['open', [url]];
  if (platform === 'win32') return ['rundll32', ['url.dll,FileProtocolHandler', url]];
  return ['xdg-open', [url]];
}

export function openApprovalPage(url: string, coreUrl: string | undefined): OpenOutcome {
  const problem = approvalUrlProblem(url, coreUrl);
  if (problem) return { opened: false, problem };
  const [cmd, args] = browserLauncher(url);
  try {
    const child = spawn(cmd, args, { detached: true, stdio: 'ignore', shell: false });
    child.on('error', () => undefined);
    child.unref();
    return { opened: true };
  } catch {
    return { opened: false };
  }
}
