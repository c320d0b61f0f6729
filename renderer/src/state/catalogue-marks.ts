// The catalogue's "installed" marks follow the inventory at once: no row offers a download of
// the model the user just installed while the catalogue itself is being reloaded (under load
// that took long enough to click Download again). Pure, so Node tests can import it.
import type { ModelCatalogueItem, ModelChange } from '../../../electron/src/shared/bridge-api.js';

/** The catalogue marked from a new inventory, by the main process's rule: an available model of that name. */
export function withInstalled(
  catalogue: ModelCatalogueItem[],
  models: ModelChange['models'],
): ModelCatalogueItem[] {
  const installed = new Set(models.models.filter((m) => m.available).map((m) => m.name));
  return catalogue.map((item) =>
    installed.has(item.name) === item.installed
      ? item
      : { ...item, installed: installed.has(item.name) },
  );
}
