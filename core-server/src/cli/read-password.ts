// The password of `users add`: typed at a prompt that does not echo it, or read from stdin
// (`--password-stdin`, for scripts). Never a command-line argument: argv is visible to every
// local user in `ps` and lands in shell history.
import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';

export async function readPasswordFromStdin(stdin: Readable = process.stdin): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stdin) chunks.push(Buffer.from(chunk as Buffer));
  // Only the line ending a pipe or here-string adds is dropped; other spaces are the password's.
  return Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
}

export async function promptPassword(
  question: string,
  input: NodeJS.ReadStream = process.stdin,
  output: Writable = process.stderr,
): Promise<string> {
  if (!input.isTTY) {
    throw new Error('no terminal to prompt for the password; pipe it with --password-stdin');
  }
  const rl = createInterface({ input, output, terminal: true });
  // Echo nothing while the password is typed (readline writes each key through _writeToOutput).
  let muted = false;
  (rl as unknown as { _writeToOutput: (s: string) => void })._writeToOutput = (s: string) => {
    if (!muted) output.write(s);
  };
  try {
    return await new Promise<string>((resolve) => {
      rl.question(question, (answer) => resolve(answer));
      muted = true;
    });
  } finally {
    output.write('\n');
    rl.close();
  }
}
