/** Runs the budget policy inside a dedicated worker, where navigator is a WorkerNavigator. */
import { budgetFromDevice, readBudgetInputs } from '../src/index.js';

void readBudgetInputs().then((inputs) => postMessage(JSON.parse(JSON.stringify(budgetFromDevice({ ...inputs, persist: true })))));
