// One load-bench agent: its bearer token, its request signer and its own keep-alive connection
// (raw-http-client.ts). It sends what the agent sends for the job loop — bearer polls, signed
// claims and submits with an Idempotency-Key — at a fraction of fetch's CPU.
import { randomUUID } from 'node:crypto';
import { RequestSigner } from '@retaia/protocol';
import { RawHttpConnection, type RawResponse } from './raw-http-client.js';

export class BenchAgent {
  private constructor(
    private readonly conn: RawHttpConnection,
    private readonly prefix: string,
    private readonly bearer: string,
    private readonly signer: RequestSigner,
  ) {}

  static async open(apiUrl: string, agentId: string, token: string, privateKeyArmored: string) {
    return new BenchAgent(
      await RawHttpConnection.open(apiUrl),
      new URL(apiUrl).pathname,
      `authorization: Bearer ${token}\r\n`,
      await RequestSigner.fromArmored(agentId, privateKeyArmored),
    );
  }

  get(p: string): Promise<RawResponse> {
    return this.conn.request('GET', this.prefix + p, this.bearer);
  }

  claim(jobId: string): Promise<RawResponse> {
    return this.signed(`/jobs/${jobId}/claim`, '', '');
  }

  submit(jobId: string, body: unknown): Promise<RawResponse> {
    const headers = `content-type: application/json\r\nidempotency-key: ${randomUUID()}\r\n`;
    return this.signed(`/jobs/${jobId}/submit`, JSON.stringify(body), headers);
  }

  close(): void {
    this.conn.close();
  }

  private async signed(p: string, body: string, extra: string): Promise<RawResponse> {
    const path = this.prefix + p;
    const sig = await this.signer.headersFor('POST', path, body);
    let headers = this.bearer + extra;
    for (const [name, value] of Object.entries(sig)) headers += `${name}: ${value}\r\n`;
    return this.conn.request('POST', path, headers, body);
  }
}
