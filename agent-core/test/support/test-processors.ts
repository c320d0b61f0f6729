// Processors for daemon tests: they honour the Processor contract without any media tool.
import type { JobType } from '@retaia/protocol';
import {
  ProcessingAbortedError,
  ProcessingError,
  type Processor,
  type ProcessorContext,
  type ProcessorOutput,
} from '../../src/processing/processor.js';

export class ScriptedProcessor implements Processor {
  runs: ProcessorContext[] = [];
  aborted = 0;
  constructor(
    readonly jobType: JobType,
    private readonly behaviour: (ctx: ProcessorContext) => Promise<ProcessorOutput>,
  ) {}
  async run(ctx: ProcessorContext): Promise<ProcessorOutput> {
    this.runs.push(ctx);
    try {
      return await this.behaviour(ctx);
    } catch (err) {
      if (err instanceof ProcessingAbortedError) this.aborted++;
      throw err;
    }
  }
}

/** Works for `ms` (reporting progress), aborting promptly when the signal fires. */
export function working(
  ms: number,
  output: ProcessorOutput,
): (ctx: ProcessorContext) => Promise<ProcessorOutput> {
  return (ctx) =>
    new Promise((resolve, reject) => {
      ctx.logger.info({ step: 'probe' }, 'processing');
      ctx.onProgress({ stage: 'working', percent: 10 });
      const timer = setTimeout(() => resolve(output), ms);
      const onAbort = () => {
        clearTimeout(timer);
        reject(new ProcessingAbortedError(ctx.signal.reason));
      };
      if (ctx.signal.aborted) onAbort();
      ctx.signal.addEventListener('abort', onAbort, { once: true });
    });
}

export const corrupt = async (): Promise<ProcessorOutput> => {
  throw new ProcessingError('SOURCE_CORRUPT', 'cannot decode the source', false);
};

export const factsOutput: ProcessorOutput = {
  type: 'facts',
  factsPatch: { duration_ms: 1000, media_format: 'mp4' },
};
