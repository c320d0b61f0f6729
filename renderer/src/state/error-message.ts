// What the window shows for a failed call: the message main wrote (the bridge strips Electron's
// own prefix), or the value itself when something other than an Error was thrown.
export const errorMessage = (err: unknown): string =>
  err instanceof Error ? err.message : String(err);
