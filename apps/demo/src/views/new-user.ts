/** New-user mode: popular items to tap, and the local history as chips. Nothing here leaves the device. */
import { itemLabel, type Catalog } from '../catalog.js';

const PAGE = 24;

export interface NewUserPanel {
  render(history: readonly string[]): void;
}

export function newUserPanel(
  tiles: HTMLElement,
  chips: HTMLElement,
  more: HTMLButtonElement,
  /** Read on every render: the catalog changes when a new model version starts serving. */
  currentCatalog: () => Catalog,
  onToggle: (itemId: string) => void,
): NewUserPanel {
  let shown = PAGE;
  let last: readonly string[] = [];
  const render = (history: readonly string[]) => {
    last = history;
    const catalog = currentCatalog();
    const picked = new Set(history);
    tiles.replaceChildren();
    for (let p = 0; p < Math.min(shown, catalog.ids.length); p++) {
      const id = catalog.ids[p]!;
      const b = document.createElement('button');
      b.type = 'button';
      b.dataset.itemId = id;
      b.setAttribute('aria-pressed', String(picked.has(id)));
      const { title, detail } = itemLabel(catalog, p);
      b.textContent = title;
      if (detail) {
        const c = document.createElement('span');
        c.className = 'cat';
        c.textContent = detail;
        b.append(c);
      }
      b.addEventListener('click', () => onToggle(id));
      tiles.append(b);
    }
    more.hidden = shown >= catalog.ids.length;
    const position = new Map(catalog.ids.map((id, i) => [id, i]));
    chips.replaceChildren();
    if (history.length === 0) chips.textContent = 'No history yet.';
    for (const id of history) {
      const chip = document.createElement('span');
      chip.className = 'chip';
      chip.textContent = itemLabel(catalog, position.get(id) ?? 0).title;
      chips.append(chip);
    }
  };
  more.addEventListener('click', () => {
    shown += PAGE;
    render(last);
  });
  return { render };
}
