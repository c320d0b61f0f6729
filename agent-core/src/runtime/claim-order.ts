// Where the agent tries next after losing a claim race. Core lists the oldest job first, so
// agents that poll at the same moment (a card dump wakes every idle agent) all claim the same
// job: one wins, and each of the others gets a 409. Moving on to the next job of the list sends
// all the losers to the same next job, and again after that: 50 agents lost ~48 races per job
// against a Core that lists every poller the same head. core-server spreads its pollers itself
// (they rarely lose a race there, so this rarely comes into play); another Retaia Core may not.
// So a loser skips ahead by a random few jobs, and the herd thins out at each round.

/** A loser's next try is one of the next SPREAD_AFTER_LOSS jobs of the list. */
export const SPREAD_AFTER_LOSS = 8;

/** The position to try after losing the race for the job at `at`. */
export function nextAfterLostRace(
  at: number,
  random: () => number = Math.random,
  spread = SPREAD_AFTER_LOSS,
): number {
  return at + 1 + Math.min(Math.floor(random() * spread), spread - 1);
}
