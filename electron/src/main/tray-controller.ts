// The tray icon: its image and tooltip follow the daemon state, its menu is built from the
// pure `trayMenuModel` and dispatches the chosen action.
import { join } from 'node:path';
import type { StatusSnapshot } from '@retaia/agent-core/runtime/control-protocol.js';
import type { Language } from '../../../renderer/src/i18n/messages.js';
import type { PowerPauseReason } from '../shared/bridge-api.js';
import type { ElectronApi, TrayLike } from './electron-api.js';
import { type TrayAction, trayMenuModel } from './tray-menu.js';
import { type TrayState, trayStateOf, trayTooltip } from './tray-state.js';

export interface TrayView {
  status: StatusSnapshot | undefined;
  /** The window's language, so the menu matches it. */
  lang?: Language;
  linkError?: string;
  pausedBy?: PowerPauseReason;
}

/** Icon file for a state. macOS uses monochrome template images that follow the menu bar. */
export function trayIconPath(
  assetsDir: string,
  state: TrayState,
  platform: NodeJS.Platform,
): string {
  return platform === 'darwin'
    ? join(assetsDir, 'tray', `tray-${state}Template.png`)
    : join(assetsDir, 'tray', `tray-${state}.png`);
}

export class TrayController {
  private readonly tray: TrayLike;
  private shownState: TrayState | undefined;

  constructor(
    private readonly api: ElectronApi,
    private readonly assetsDir: string,
    private readonly onAction: (action: TrayAction) => void,
  ) {
    this.tray = api.createTray(api.imageFromPath(trayIconPath(assetsDir, 'error', api.platform)));
    this.tray.on('click', () => onAction('open'));
  }

  update(view: TrayView): void {
    const state = trayStateOf(view.status);
    if (state !== this.shownState) {
      this.tray.setImage(
        this.api.imageFromPath(trayIconPath(this.assetsDir, state, this.api.platform)),
      );
      this.shownState = state;
    }
    this.tray.setToolTip(trayTooltip(view));
    const template = trayMenuModel(view.status, view.lang).map((item) => {
      if (item.kind === 'separator') return { type: 'separator' as const };
      if (item.kind === 'status') return { label: item.label, enabled: false };
      return { label: item.label, enabled: item.enabled, click: () => this.onAction(item.id) };
    });
    this.tray.setContextMenu(this.api.buildMenu(template));
  }

  destroy(): void {
    this.tray.destroy();
  }
}
