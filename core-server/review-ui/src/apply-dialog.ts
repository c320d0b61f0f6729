// "Apply decisions": always a dry run first (POST /ops/decisions/apply {dry_run:true}) listing
// every move and collision rename; only the assets shown are then applied on confirmation.
import type { ReviewApi } from './api-client.js';
import { h } from './dom-builder.js';
import type { DecisionsDryRun } from './review-types.js';
import { toast } from './toast.js';

function modal(...children: Node[]): HTMLDialogElement {
  const dialog = h('dialog', { class: 'modal' }, ...children);
  document.body.append(dialog);
  dialog.addEventListener('close', () => dialog.remove());
  dialog.showModal();
  return dialog;
}

export async function openApplyDialog(
  api: ReviewApi,
  nameOf: (uuid: string) => string,
): Promise<boolean> {
  let plan: DecisionsDryRun;
  try {
    plan = await api.planDecisions();
  } catch (err) {
    toast(`Dry run failed: ${(err as Error).message}`, 'error');
    return false;
  }
  const keep = plan.moves.filter((m) => m.decision === 'KEEP').length;
  const reject = plan.moves.length - keep;
  const rows = plan.moves.map((m) =>
    h(
      'tr',
      { class: m.collision_attempt > 0 ? 'collision' : '' },
      h(
        'td',
        {},
        h(
          'span',
          {
            class: `badge ${m.decision === 'KEEP' ? 'state-decided_keep' : 'state-decided_reject'}`,
          },
          m.decision,
        ),
      ),
      h('td', {}, nameOf(m.asset_uuid)),
      h(
        'td',
        { class: 'paths' },
        m.in_place
          ? h('span', { class: 'muted' }, `already in ${m.target_dir}: no file moves`)
          : m.files.map((f) =>
              h(
                'div',
                {},
                h('code', {}, f.from),
                ' → ',
                h('code', {}, f.to),
                f.renamed ? h('span', { class: 'flag' }, 'renamed') : '',
              ),
            ),
      ),
    ),
  );
  const errors = plan.errors.map((e) =>
    h('li', {}, h('b', {}, nameOf(e.asset_uuid)), `: ${e.message} `, h('code', {}, e.code)),
  );
  const confirm = h(
    'button',
    { class: 'primary', disabled: plan.moves.length === 0, value: 'apply' },
    `Move ${plan.moves.length} asset${plan.moves.length === 1 ? '' : 's'}`,
  );
  const cancel = h('button', { class: 'ghost', value: 'cancel' }, 'Cancel');
  const dialog = modal(
    h('h2', {}, 'Apply decisions'),
    h(
      'p',
      { class: 'muted' },
      `Dry run: ${keep} to ARCHIVE, ${reject} to REJECTS`,
      plan.collision_count ? `, ${plan.collision_count} renamed because of a name collision` : '',
      plan.errors.length ? `, ${plan.errors.length} cannot move` : '',
      '. Nothing has moved yet.',
    ),
    plan.moves.length
      ? h(
          'div',
          { class: 'table-scroll' },
          h(
            'table',
            { class: 'plan' },
            h(
              'thead',
              {},
              h('tr', {}, h('th', {}, 'Decision'), h('th', {}, 'Asset'), h('th', {}, 'Files')),
            ),
            h('tbody', {}, rows),
          ),
        )
      : h('p', {}, 'No decided asset can be moved.'),
    errors.length
      ? h('div', { class: 'errors' }, h('h3', {}, 'Will not move'), h('ul', {}, errors))
      : h('span', {}),
    h('div', { class: 'dialog-actions' }, cancel, confirm),
  );
  dialog.classList.add('apply-dialog');
  confirm.focus();
  return new Promise<boolean>((resolve) => {
    cancel.addEventListener('click', () => {
      dialog.close();
      resolve(false);
    });
    dialog.addEventListener('cancel', () => resolve(false));
    confirm.addEventListener('click', async () => {
      confirm.disabled = true;
      confirm.textContent = 'Moving…';
      try {
        const res = await api.applyDecisions(plan.moves.map((m) => m.asset_uuid));
        toast(
          `${res.moved} asset${res.moved === 1 ? '' : 's'} moved${res.failed ? `, ${res.failed} failed` : ''}.`,
          res.failed ? 'warn' : 'ok',
        );
        for (const r of res.results.filter((x) => x.status === 'FAILED')) {
          toast(`${nameOf(r.asset_uuid)}: ${r.failure ?? 'failed'}`, 'error');
        }
        dialog.close();
        resolve(true);
      } catch (err) {
        toast(`Apply failed: ${(err as Error).message}`, 'error');
        dialog.close();
        resolve(true);
      }
    });
  });
}
