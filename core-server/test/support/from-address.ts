/* eslint-disable @typescript-eslint/no-explicit-any -- JSON bodies are checked by the tests */
// HTTP from a chosen loopback source address (127.0.0.2, 127.0.0.3, …: Linux routes all of
// 127/8 to lo), so tests can be "another machine" for per-IP budgets without leaving loopback.
import { request } from 'node:http';

export interface FromAddressResult {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: any;
}

export function httpFrom(
  localAddress: string,
  url: string,
  init: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<FromAddressResult> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      { method: init.method ?? 'GET', headers: init.headers, localAddress, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let body: unknown = text;
          try {
            body = text ? JSON.parse(text) : undefined;
          } catch {
            /* not JSON */
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body });
        });
      },
    );
    req.on('error', reject);
    req.end(init.body);
  });
}
