// Display helpers for durations, times, sizes and job types.
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${ms} ms`;
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${String(s % 60).padStart(2, '0')} s`;
  return `${Math.floor(m / 60)} h ${String(m % 60).padStart(2, '0')} min`;
}

export function formatTime(iso: string, lang: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const sameDay = new Date().toDateString() === d.toDateString();
  return sameDay
    ? d.toLocaleTimeString(lang, { hour: '2-digit', minute: '2-digit' })
    : d.toLocaleString(lang, { dateStyle: 'short', timeStyle: 'short' });
}

const JOB_LABEL: Record<string, string> = {
  extract_facts: 'Facts',
  generate_preview: 'Preview',
  generate_thumbnails: 'Thumbnails',
  generate_audio_waveform: 'Waveform',
  transcribe_audio: 'Transcript',
  suggest_tags: 'Tags',
};

export const jobLabel = (type: string): string => JOB_LABEL[type] ?? type;

/** Binary-prefixed size, e.g. "141 MiB"; models range from KiB (tests) to GiB. */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${unit === 0 || value >= 10 ? Math.round(value) : value.toFixed(1)} ${units[unit]}`;
}
