/** Renders a definition list of label → value rows; a value may be flagged as a warning. */
export type Fact = readonly [label: string, value: string, warn?: boolean];

export function renderFacts(el: HTMLElement, facts: readonly Fact[]): void {
  el.replaceChildren();
  for (const [label, value, warn] of facts) {
    const dt = document.createElement('dt');
    dt.textContent = label;
    const dd = document.createElement('dd');
    dd.textContent = value;
    if (warn) dd.className = 'warn';
    dd.dataset.fact = label;
    el.append(dt, dd);
  }
}
