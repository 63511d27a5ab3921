/** The ranked list. In new-user mode a row is tappable (adds the item to the local history). */
import type { Recommendation } from '@peelrec/runtime';
import { itemLabel, type Catalog } from '../catalog.js';

export function renderRecommendations(el: HTMLElement, recs: readonly Recommendation[], catalog: Catalog, onTap?: (itemId: string) => void): void {
  el.replaceChildren();
  for (const r of recs) {
    const li = document.createElement('li');
    li.dataset.itemId = r.itemId;
    const name = document.createElement('span');
    name.className = 'name';
    const label = r.meta?.name ? { title: r.meta.name, detail: r.meta.category } : itemLabel(catalog, r.position);
    name.textContent = label.title;
    if (label.detail) {
      const cat = document.createElement('span');
      cat.className = 'cat';
      cat.textContent = label.detail;
      name.append(cat);
    }
    const score = document.createElement('span');
    score.className = 'score';
    score.textContent = r.score.toFixed(3);
    score.title = `score; popularity rank ${r.position + 1}`;
    li.append(name, score);
    if (onTap) {
      li.classList.add('tappable');
      li.tabIndex = 0;
      li.setAttribute('role', 'button');
      li.addEventListener('click', () => onTap(r.itemId));
    }
    el.append(li);
  }
}

/**
 * Scrolls the page just enough to show the first recommendation, if it is out of view: after a tap on a
 * phone, the list the tap changed must be on screen (issue 18: it was 1,300 px below the tiles).
 */
export function revealFirst(list: HTMLElement): void {
  const first = list.firstElementChild;
  if (!first) return;
  const r = first.getBoundingClientRect();
  if (r.top < 0 || r.bottom > window.innerHeight) first.scrollIntoView({ block: 'nearest' });
}
