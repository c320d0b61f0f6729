// Spreads concurrent pollers over the claimable list. Every agent claims in list order, so 50
// agents that poll at the same moment all reach for the same first job: one wins, 49 lose a
// signed claim each and try the next. Measured with 50 agents claiming in list order, as the
// agent does: 48 lost claims per job, 39.6 ms of Core CPU per claim+submit (see
// docs/core-performance.md, section 13).
//
// So the head of each answer (the jobs of its first few assets: an agent claims the review jobs
// of one asset together, for one decode) is offered to that agent for a moment, and goes to the
// end of the list for the others until the offer lapses. Nothing is hidden or reserved: an
// agent with nothing else to do still sees and may claim everything, claims stay atomic in the
// store, and a lapsed or unclaimed offer changes nothing. In memory, per Core process.
export const OFFER_HEAD_ASSETS = 4;
export const OFFER_HOLD_MS = 2000;

export class OfferSpreader {
  /** asset uuid → the agent its jobs were last offered to at the head, and until when. */
  private readonly offers = new Map<string, { agentId: string; untilMs: number }>();

  constructor(
    private readonly headAssets = OFFER_HEAD_ASSETS,
    private readonly holdMs = OFFER_HOLD_MS,
  ) {}

  /** The list for `agentId`: assets offered to another agent moved last, order kept otherwise. */
  order<T>(jobs: readonly T[], assetOf: (job: T) => string, agentId: string, nowMs: number): T[] {
    if (this.offers.size > 4 * this.headAssets * 1024) this.forgetLapsed(nowMs);
    const free: T[] = [];
    const held: T[] = [];
    for (const job of jobs) {
      const offer = this.offers.get(assetOf(job));
      if (offer && offer.agentId !== agentId && offer.untilMs > nowMs) held.push(job);
      else free.push(job);
    }
    const head = new Set<string>();
    for (const job of free) {
      const asset = assetOf(job);
      if (head.size === this.headAssets && !head.has(asset)) break;
      head.add(asset);
    }
    for (const asset of head) this.offers.set(asset, { agentId, untilMs: nowMs + this.holdMs });
    return held.length ? free.concat(held) : free;
  }

  private forgetLapsed(nowMs: number): void {
    for (const [asset, offer] of this.offers) if (offer.untilMs <= nowMs) this.offers.delete(asset);
  }
}
