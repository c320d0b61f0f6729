// The agent's version as sent to Core at register time (kept in step with package.json).
export const AGENT_VERSION = '0.1.0';
