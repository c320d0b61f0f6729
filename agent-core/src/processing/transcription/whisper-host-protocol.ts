// Messages between the agent and its whisper host child process (whisper-host.ts).

export interface HostTranscribeOptions {
  language: string;
  maxThreads: number;
  prompt?: string;
  maxLen?: number;
  tokenTimestamps?: boolean;
}

export type ToHost =
  | { type: 'load'; modelPath: string }
  | { type: 'transcribe'; id: number; pcm16: Int16Array; options: HostTranscribeOptions };

export type FromHost =
  | { type: 'loaded'; engine: string }
  | { type: 'load-failed'; message: string }
  | { type: 'progress'; id: number; percent: number }
  | {
      type: 'result';
      id: number;
      result: {
        result: string;
        language?: string;
        segments: Array<{ text: string; t0: number; t1: number }>;
        isAborted: boolean;
      };
    }
  | { type: 'failed'; id: number; message: string };

/** Marks the app executable's mode that runs the host (desktop app, where Node is the app). */
export const WHISPER_HOST_ARG = '--retaia-whisper-host';
