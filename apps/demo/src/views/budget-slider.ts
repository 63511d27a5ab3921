/**
 * The budget slider, on a log scale from the smallest workable budget (one
 * block per item group) to the whole table. Dragging previews the figure;
 * the app applies it (setBudget) after a short pause, so a drag across the
 * range does not queue a download per pixel.
 */
import { formatBytes } from '../units.js';

const STEPS = 1000;

export interface BudgetSlider {
  setRange(minBytes: number, maxBytes: number): void;
  show(budgetBytes: number, usedBytes: number): void;
}

export function budgetSlider(
  input: HTMLInputElement,
  out: HTMLOutputElement,
  meter: HTMLElement,
  used: HTMLElement,
  onChange: (bytes: number) => void,
): BudgetSlider {
  let min = 1;
  let max = 2;
  const toBytes = (v: number) => Math.round(min * Math.pow(max / min, v / STEPS));
  const toValue = (b: number) => Math.round((Math.log(Math.max(min, Math.min(max, b)) / min) / Math.log(max / min)) * STEPS);
  let timer: ReturnType<typeof setTimeout> | undefined;
  input.max = String(STEPS);
  input.addEventListener('input', () => {
    const bytes = toBytes(Number(input.value));
    out.value = formatBytes(bytes);
    clearTimeout(timer);
    timer = setTimeout(() => onChange(bytes), 250);
  });
  input.addEventListener('change', () => {
    clearTimeout(timer);
    onChange(toBytes(Number(input.value)));
  });
  return {
    setRange(minBytes, maxBytes) {
      min = Math.max(1, minBytes);
      max = Math.max(min * 1.01, maxBytes);
    },
    show(budgetBytes, usedBytes) {
      input.value = String(toValue(budgetBytes));
      out.value = formatBytes(budgetBytes);
      const pct = budgetBytes > 0 ? Math.min(100, (usedBytes / budgetBytes) * 100) : 0;
      meter.style.width = `${pct.toFixed(1)}%`;
      meter.classList.toggle('over', usedBytes > budgetBytes);
      used.textContent = `${formatBytes(usedBytes)} resident of ${formatBytes(budgetBytes)} budget (${pct.toFixed(0)}%)` +
        (budgetBytes > max ? ' — the whole table fits' : '');
      used.dataset.used = String(usedBytes);
      used.dataset.budget = String(budgetBytes);
    },
  };
}
