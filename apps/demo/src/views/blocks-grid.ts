/** The item groups × blocks grid: shade = controller weight, filled = selected, outlined = left out; and a line that counts them. */
import { blocksOfUserGroup, BYTES_PER_ELEMENT, type Manifest, type Selection } from '@peelrec/format';
import { formatBytesAlike } from '../units.js';

export function renderBlocksGrid(el: HTMLElement, summary: HTMLElement, m: Manifest, selection: Selection, residentBytes: number): void {
  const table = blocksOfUserGroup(m, selection.userGroup);
  const B = m.dims.blocksPerItem;
  el.style.gridTemplateColumns = `2.2em repeat(${B}, minmax(0, 1fr))`;
  el.replaceChildren();
  table.forEach((row, g) => {
    // Weights are a softmax within each item group, so shade relative to the row: that is what selection compares.
    const ws = row.map((e) => e.weight);
    const lo = Math.min(...ws);
    const span = Math.max(...ws) - lo;
    const label = document.createElement('span');
    label.className = 'label';
    label.textContent = `g${g}`;
    el.append(label);
    const chosen = new Set(selection.byItemGroup[g]);
    row.forEach((e, b) => {
      const cell = document.createElement('span');
      const on = chosen.has(b);
      cell.className = on ? 'cell on' : 'cell off';
      const alpha = span > 0 ? 0.15 + 0.85 * ((e.weight - lo) / span) : 0.6;
      cell.style.background = `rgba(var(--accent), ${alpha.toFixed(3)})`;
      if (!on) cell.style.boxShadow = `inset 0 0 0 1px rgba(var(--accent), ${alpha.toFixed(3)})`;
      cell.title = `item group ${g}, block ${b}: weight ${e.weight.toFixed(3)}${on ? ', selected' : ''}`;
      cell.dataset.selected = String(on);
      el.append(cell);
    });
  });
  const total = table.reduce((n, row) => n + row.length, 0);
  const count = selection.blocks.length;
  // Bytes per value as held: the f16 files' bytes when the backend keeps f16 (resident = file bytes), 4 otherwise.
  const perValue = residentBytes === selection.fileBytes ? BYTES_PER_ELEMENT[selection.dtype] : 4;
  const [resident] = formatBytesAlike(residentBytes);
  summary.textContent = `${count} of ${total} blocks selected (${Math.round((count / total) * 100)}%), ` + `${selection.dtype} (${perValue} bytes a value): ${resident} resident.`;
  summary.dataset.selected = String(count);
  summary.dataset.total = String(total);
}
