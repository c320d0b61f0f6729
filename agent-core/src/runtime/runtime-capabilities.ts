// What this agent declares to Core: the capabilities its tools and models provide (detected),
// kept only where a job type it can run needs them, so it never declares what it cannot
// deliver. Detection runs at start and again after a model or tool change.
import { JOB_TYPES, MEDIA_TYPES, requiredCapabilities, type JobType } from '@retaia/protocol';
import type { Processor } from '../processing/processor.js';
import type { AgentLogger } from './agent-logger.js';

export type DetectCapabilities = () => Promise<{ capabilities: string[]; problems: string[] }>;

/** Capabilities some job type we can run may require. */
function capabilitiesServedBy(processors: Map<JobType, Processor>): Set<string> {
  const out = new Set<string>();
  for (const type of JOB_TYPES) {
    if (!processors.has(type)) continue;
    for (const media of MEDIA_TYPES) for (const c of requiredCapabilities(type, media)) out.add(c);
  }
  return out;
}

export class RuntimeCapabilities {
  /** What the agent declares now. */
  declared: string[] = [];
  /** Why a tool or model is unavailable (shown in diagnostics). */
  problems: string[] = [];

  constructor(
    private readonly detectAll: DetectCapabilities,
    private readonly processors: Map<JobType, Processor>,
    private readonly logger: AgentLogger,
  ) {}

  async detect(): Promise<void> {
    const detected = await this.detectAll().catch((err: Error) => ({
      capabilities: [],
      problems: [err.message],
    }));
    const served = capabilitiesServedBy(this.processors);
    this.declared = detected.capabilities.filter((c) => served.has(c));
    this.problems = detected.problems;
    for (const p of detected.problems) this.logger.warn({ problem: p }, 'capability unavailable');
    this.logger.info({ capabilities: this.declared }, 'capabilities detected');
  }
}
