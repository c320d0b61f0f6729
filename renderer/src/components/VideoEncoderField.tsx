// The video encoder choice in Preferences, with the encoder the daemon uses right now. The daemon
// reports it in its diagnostics ("video encoder: h264_nvenc (hardware) — …"); this field shows that
// line so nobody needs a terminal to know whether the GPU is used.
import { useEffect, useState } from 'react';
import { bridge } from '../bridge.js';
import { useTranslate } from '../i18n/use-translate.js';
import { videoEncoderInUse } from '../state/diagnostics-lines.js';

export type VideoEncoderMode = 'auto' | 'software';

export function VideoEncoderField(props: {
  value: VideoEncoderMode;
  onChange(v: VideoEncoderMode): void;
}) {
  const { t } = useTranslate();
  const [inUse, setInUse] = useState<string | undefined>();
  useEffect(() => {
    let live = true;
    bridge()
      .diagnostics()
      .then((text) => live && setInUse(videoEncoderInUse(text)))
      .catch(() => undefined);
    return () => {
      live = false;
    };
  }, [props.value]);
  return (
    <label className="field">
      <span className="label">{t('prefs.videoEncoder')}</span>
      <select
        data-testid="video-encoder"
        value={props.value}
        onChange={(e) => props.onChange(e.target.value as VideoEncoderMode)}
      >
        <option value="auto">{t('prefs.videoEncoder.auto')}</option>
        <option value="software">{t('prefs.videoEncoder.software')}</option>
      </select>
      <span className="muted small" data-testid="video-encoder-in-use">
        {inUse ? `${t('prefs.videoEncoder.inUse')} ${inUse}` : t('prefs.videoEncoderHint')}
      </span>
    </label>
  );
}
