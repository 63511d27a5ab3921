/**
 * The budget slider, on a fixed log scale (budget-scale.ts). Dragging previews the figure; the app
 * applies it (setBudget) after a short pause and on release, so a drag across the range does not queue a
 * download per pixel. The thumb stays where the user left it: while it is held, and until the budget it
 * asked for has been applied, nothing else moves it (issue 18: a drag released at 30 % settled at 42 %).
 */
import type { BudgetScale } from '../budget-scale.js';
import { formatBytes, formatBytesAlike } from '../units.js';

export interface BudgetSlider {
  setScale(scale: BudgetScale): void;
  /** The budget in force and the bytes resident under it. */
  show(budgetBytes: number, usedBytes: number): void;
  /** The app finished applying `bytes` (or failed to): if that was the slider's last request, the thumb follows the budget again. */
  settled(bytes: number | 'auto'): void;
  /** Another control set the budget: the thumb follows it. */
  follow(): void;
}

export interface SliderElements {
  readonly input: HTMLInputElement;
  readonly out: HTMLOutputElement;
  /** The two ends of the range, in one unit. */
  readonly ends: readonly [HTMLElement, HTMLElement];
  readonly meter: HTMLElement;
  readonly used: HTMLElement;
}

export function budgetSlider(el: SliderElements, onChange: (bytes: number) => void): BudgetSlider {
  const { input, out, ends, meter, used } = el;
  let scale: BudgetScale | undefined;
  let held = false;
  /** The budget the user asked for that is not applied yet. */
  let awaiting: number | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;

  const request = (now: boolean) => {
    if (!scale) return;
    const bytes = scale.toBytes(Number(input.value));
    awaiting = bytes;
    out.value = formatBytes(bytes);
    clearTimeout(timer);
    if (now) onChange(bytes);
    else timer = setTimeout(() => onChange(bytes), 250);
  };
  input.addEventListener('pointerdown', () => (held = true));
  for (const type of ['pointerup', 'pointercancel'] as const) window.addEventListener(type, () => (held = false));
  input.addEventListener('input', () => request(false));
  input.addEventListener('change', () => {
    held = false;
    request(true);
  });

  return {
    setScale(next) {
      scale = next;
      input.min = '0';
      input.max = String(next.toStep(Infinity));
      const [lo, hi] = formatBytesAlike(next.minBytes, next.maxBytes);
      ends[0].textContent = lo!;
      ends[1].textContent = `${hi} (whole table)`;
    },
    show(budgetBytes, usedBytes) {
      if (!scale) return;
      if (!held && awaiting === undefined) {
        input.value = String(scale.toStep(budgetBytes));
        out.value = formatBytes(budgetBytes);
      }
      const pct = budgetBytes > 0 ? Math.min(100, (usedBytes / budgetBytes) * 100) : 0;
      meter.style.width = `${pct.toFixed(1)}%`;
      meter.classList.toggle('over', usedBytes > budgetBytes);
      const [u, b, whole] = formatBytesAlike(usedBytes, budgetBytes, scale.maxBytes);
      used.textContent = `${u} resident of ${b} budget (${pct.toFixed(0)}%)${budgetBytes >= scale.maxBytes ? `: the whole table, ${whole}, fits.` : '.'}`;
      used.dataset.used = String(usedBytes);
      used.dataset.budget = String(budgetBytes);
    },
    settled(bytes) {
      if (bytes === awaiting) awaiting = undefined;
    },
    follow() {
      clearTimeout(timer);
      awaiting = undefined;
    },
  };
}
