// Wire shapes the review UI reads. Contract types come from the protocol package's wire.ts
// (type-only, erased at build time; imported by path so the browser build never pulls the
// package's Node-only modules); the decisions-apply and purge-preview bodies are core-server
// extensions mirrored from core-server/src/moves (see review-ui/README.md).
export type {
  AssetDetail,
  AssetState,
  AssetSummary,
  MediaType,
  ProcessingProfile,
} from '../../../protocol/src/wire.js';

export interface Waveform {
  duration_ms: number;
  bucket_count: number;
  samples: number[];
}

export interface PlannedFile {
  from: string;
  to: string;
  role: 'original' | 'sidecar';
  renamed: boolean;
}

export interface AssetMovePlan {
  asset_uuid: string;
  decision: 'KEEP' | 'REJECT';
  from_state: string;
  to_state: string;
  target_dir: string;
  files: PlannedFile[];
  collision_attempt: number;
  collisions: string[];
  /** The files already sit in the decided folder (a re-decision after reopen): state only. */
  in_place?: boolean;
}

export interface DecisionsDryRun {
  dry_run: true;
  moves: AssetMovePlan[];
  errors: { asset_uuid: string; code: string; message: string }[];
  collision_count: number;
}

export interface DecisionsApplied {
  dry_run: false;
  moved: number;
  failed: number;
  results: {
    asset_uuid: string;
    status: 'MOVED' | 'FAILED';
    failure?: string;
    code?: string;
  }[];
}

export interface PurgePreview {
  asset_uuid: string;
  state: string;
  purgeable: boolean;
  reason?: string;
  files: {
    relative_path: string;
    role: 'original' | 'sidecar' | 'derived';
    exists: boolean;
    size_bytes: number;
  }[];
  total_bytes: number;
}
