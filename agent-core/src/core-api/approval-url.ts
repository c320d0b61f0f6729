// Which device-flow approval URLs the agent may open in a browser. The URL comes from Core's
// answer, so a hostile or compromised Core (or anything in between on plain http) chooses it:
// only an http(s) page on the very origin the agent was configured with is ever launched.
// Everything else is printed for the user to judge, never opened. Kept free of `node:` imports
// so the desktop app's main process and renderer apply the same rule. See docs/agent-trust.md.

/** Why `url` must not be opened automatically, or undefined when it may be. */
export function approvalUrlProblem(url: string, coreUrl: string | undefined): string | undefined {
  let page: URL;
  try {
    page = new URL(url);
  } catch {
    return 'Core returned an approval address that is not a URL';
  }
  if (page.protocol !== 'https:' && page.protocol !== 'http:')
    return `Core returned a ${page.protocol} address instead of a web page`;
  if (page.username || page.password)
    return 'Core returned an approval address that carries a user name or password';
  if (!coreUrl) return 'no core_url is configured to compare the approval address with';
  let core: URL;
  try {
    core = new URL(coreUrl);
  } catch {
    return 'the configured core_url is not a URL';
  }
  // URL.origin normalises scheme, host case, IDN and default ports, so equal origins are equal.
  if (page.origin !== core.origin)
    return `the approval page ${page.origin} is not on the configured Core ${core.origin}`;
  return undefined;
}
