import { createRecommender, type Recommendation } from '@peelrec/runtime';

const app = document.querySelector<HTMLDivElement>('#app')!;
app.textContent = 'Loading the model…';

// The sample model, copied into public/ above. The budget is automatic: the blocks that fit this device's memory.
const rec = await createRecommender({ manifestUrl: '/models/synthetic/manifest.json' });

// A user of the training set (rec.users() lists them all) …
const known = await rec.recommend({ user: { id: 'user-00000' }, k: 10 });
// … and a new user, from the items they liked (ids as in rec.items.ids); the history stays on this device.
const newUser = await rec.recommend({ user: { history: ['item-01335', 'item-02394'] }, k: 10 });

function list(title: string, recs: readonly Recommendation[]): HTMLElement {
  const section = document.createElement('section');
  const heading = document.createElement('h2');
  heading.textContent = title;
  const items = document.createElement('ol');
  for (const r of recs) {
    const item = document.createElement('li');
    item.textContent = `${r.meta?.name ?? r.itemId} (${r.itemId})`;
    items.append(item);
  }
  section.append(heading, items);
  return section;
}

app.replaceChildren(list('For user-00000', known), list('For a new user who liked item-01335 and item-02394', newUser));
console.log(`peelrec: ${rec.items.ids.length} items, scored on ${rec.info.backend.name}; ${rec.info.budget.explanation}`);
