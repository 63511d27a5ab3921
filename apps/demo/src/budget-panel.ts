/**
 * The Memory budget card: the slider, the simulated devices, the device facts, and the page's record of
 * where the budget in force came from (the runtime sees a slider budget and a simulated device alike, as
 * an app budget). The app applies budgets (setBudget) and reports back with `settled`.
 */
import type { Manifest } from '@peelrec/format';
import type { RecommenderInfo } from '@peelrec/runtime';
import { budgetRange, budgetScale, residentDtypeOf, type BudgetScale } from './budget-scale.js';
import { budgetSlider } from './views/budget-slider.js';
import { budgetOfChoice, deviceButtons, simulatedDevice, type BudgetChoice } from './views/device-sim.js';
import { renderDevice } from './views/device.js';
import type { ChartMarker } from './views/recall-chart.js';

export interface BudgetPanel {
  render(info: RecommenderInfo, m: Manifest): void;
  /** The app finished applying `bytes`: `ok` false when setBudget failed (the choice then stays as it was). */
  settled(bytes: number | 'auto', ok: boolean): void;
  /** The chart's marker for the budget in force, named for where it came from. */
  marker(info: RecommenderInfo): ChartMarker;
}

const byId = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

export function budgetPanel(apply: (bytes: number | 'auto') => void): BudgetPanel {
  let choice: BudgetChoice = { kind: 'auto' };
  /** Choices requested and not applied yet, by the budget asked for. */
  const pending = new Map<number | 'auto', BudgetChoice>();
  let scale: BudgetScale | undefined;
  let scaleKey = '';
  const request = (bytes: number | 'auto', c: BudgetChoice) => {
    pending.set(bytes, c);
    apply(bytes);
  };

  const slider = budgetSlider(
    {
      input: byId<HTMLInputElement>('budget'),
      out: byId<HTMLOutputElement>('budget-out'),
      ends: [byId('budget-min'), byId('budget-max')],
      meter: byId('meter-bar'),
      used: byId('bytes-used'),
    },
    (bytes) => request(bytes, { kind: 'slider' }),
  );
  const buttons = deviceButtons(byId('devices'), (gib) => {
    slider.follow();
    if (gib === 'auto') return request('auto', { kind: 'auto' });
    const c = simulatedDevice(gib, scale?.minBytes ?? 0);
    request(budgetOfChoice(c), c);
  });

  return {
    render(info, m) {
      const resident = residentDtypeOf(info.selection, info.backend.name);
      // One scale per model and backend, whatever the current selection (see budget-scale.ts).
      const key = `${m.model.contentHash}/${resident ?? 'file'}`;
      if (key !== scaleKey) {
        const range = budgetRange(m, info.selection.userGroup, resident);
        scale = budgetScale(range.minBytes, range.maxBytes);
        scaleKey = key;
        slider.setScale(scale);
      }
      slider.show(info.budget.bytes, info.residentBytes);
      buttons.show(choice);
      renderDevice(byId('device-facts'), info, choice);
    },
    settled(bytes, ok) {
      const c = pending.get(bytes);
      pending.delete(bytes);
      if (ok && c) choice = c;
      slider.settled(bytes);
      if (!ok) slider.follow();
    },
    marker(info) {
      const label = choice.kind === 'auto' ? 'this device' : choice.kind === 'device' ? `simulated ${choice.gib} GiB device` : 'your budget';
      return { bytes: info.budget.bytes, label };
    },
  };
}
