// IndexedDB globals (IDBRequest, IDBKeyRange …) that `idb` checks against; each test still opens its own IDBFactory.
import 'fake-indexeddb/auto';
