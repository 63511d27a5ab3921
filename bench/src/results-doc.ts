/**
 * bench/results.md is the one results document. Its tables are generated from the JSON in bench/results/ into
 * the blocks between `<!-- generated:NAME -->` and `<!-- /generated -->`; everything outside them is written
 * by hand and left as it is. `pnpm run results` (in bench/) rewrites the blocks, `npm run bench` does so after a
 * run, and test/results-doc.test.ts fails when they are stale.
 */
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { type MethodsFile, methodsSection } from './methods-section.js';
import { type LongTasksFile, longTasksSection } from './longtasks-section.js';
import { type StreamFile, streamSection } from './stream-section.js';
import { type ThreadsFile, threadsSection } from './threads.js';
import { QUALITY_DATASETS } from './quality-suite.js';
import { startupGoals } from './startup-summary.js';
import { goalsSection, type MemoryFile, memorySection, qualitySection, type ScoringFile, type SuiteQualityFile, scoringSection, type StartupFile, startupSection } from './results-sections.js';

export const benchDir = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const RESULTS_DIR = join(benchDir, 'results');
export const RESULTS_DOC = join(benchDir, 'results.md');

/** The files the document is generated from, by role. */
export const RESULT_FILES = {
  scoring: 'scoring.json',
  startup: 'startup.json',
  memory: 'memory.json',
  longtasks: 'longtasks.json',
  threads: 'threads.json',
  stream: 'stream-synthetic.json',
  quality: 'quality-gowalla.json',
} as const;

export interface Results {
  readonly scoring?: ScoringFile;
  readonly startup?: StartupFile;
  readonly memory?: MemoryFile;
  readonly longtasks?: LongTasksFile;
  readonly threads?: ThreadsFile;
  readonly stream?: StreamFile;
  /** Other streams (stream-<name>.json beside the synthetic one's), by name: real data a user brings. */
  readonly otherStreams?: readonly { readonly file: string; readonly report: StreamFile }[];
  readonly quality?: SuiteQualityFile;
  /** The quality suite's other reports (quality-<dataset>.json): the suite's datasets in its order, then any other by name. */
  readonly qualitySuite?: readonly { readonly file: string; readonly report: SuiteQualityFile }[];
  /** The method comparisons (methods-<dataset>.json, issue 20), in the suite's dataset order. */
  readonly methods?: readonly { readonly file: string; readonly report: MethodsFile }[];
}

export const SECTIONS = ['goals', 'quality', 'methods', 'scoring', 'startup', 'memory', 'longtasks', 'threads', 'stream'] as const;
export type SectionName = (typeof SECTIONS)[number];

async function readJson(path: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new Error(`${path}: not valid JSON: ${(e as Error).message}`);
  }
}

/** `<prefix>-<dataset>.json` files (without those that have a role of their own): the suite's order, then the rest by name. */
async function suiteFiles(dir: string, prefix: 'quality' | 'methods' | 'stream'): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
  const pattern = new RegExp(`^${prefix}-(.+)\\.json$`);
  const roles: readonly string[] = Object.values(RESULT_FILES);
  const datasets = names.flatMap((f) => pattern.exec(f)?.[1] ?? []).filter((d) => !roles.includes(`${prefix}-${d}.json`));
  const rank = (d: string) => (QUALITY_DATASETS.includes(d) ? QUALITY_DATASETS.indexOf(d) : QUALITY_DATASETS.length);
  return datasets.sort((a, b) => rank(a) - rank(b) || a.localeCompare(b)).map((d) => `${prefix}-${d}.json`);
}

/** Reads whichever result files exist; a file that exists but is not JSON is an error. */
export async function readResults(dir: string): Promise<Results> {
  const out: Record<string, unknown> = {};
  for (const [role, file] of Object.entries(RESULT_FILES)) {
    const json = await readJson(join(dir, file));
    if (json !== undefined) out[role] = json;
  }
  const suite = [];
  for (const file of await suiteFiles(dir, 'quality')) suite.push({ file, report: (await readJson(join(dir, file))) as SuiteQualityFile });
  if (suite.length) out.qualitySuite = suite;
  const methods = [];
  for (const file of await suiteFiles(dir, 'methods')) methods.push({ file, report: (await readJson(join(dir, file))) as MethodsFile });
  if (methods.length) out.methods = methods;
  const streams = [];
  for (const file of await suiteFiles(dir, 'stream')) streams.push({ file, report: (await readJson(join(dir, file))) as StreamFile });
  if (streams.length) out.otherStreams = streams;
  return out as Results;
}

/** Each section whose file is there; `goals` gathers the goals of every bench file present. */
export function renderSections(r: Results): Partial<Record<SectionName, string>> {
  const out: Partial<Record<SectionName, string>> = {};
  const measured = (['scoring', 'startup', 'memory', 'longtasks'] as const).flatMap((k) => {
    const file = r[k];
    if (!file) return [];
    // Start-up goals are re-derived from the stored summary, so a goal the issues tighten shows against the same figures.
    const goals = k === 'startup' && r.startup ? startupGoals(r.startup.summary) : file.goals;
    return [{ file: RESULT_FILES[k], goals }];
  });
  if (measured.length) out.goals = goalsSection(measured);
  if (r.quality || r.qualitySuite?.length) out.quality = qualitySection(r.quality && { file: RESULT_FILES.quality, report: r.quality }, r.qualitySuite ?? []);
  if (r.methods?.length) out.methods = methodsSection(r.methods);
  if (r.scoring) out.scoring = scoringSection(r.scoring);
  if (r.startup) out.startup = startupSection(r.startup);
  if (r.memory) out.memory = memorySection(r.memory);
  if (r.longtasks) out.longtasks = longTasksSection(r.longtasks);
  if (r.threads) out.threads = threadsSection(r.threads);
  const streams = [...(r.stream ? [{ file: RESULT_FILES.stream, report: r.stream }] : []), ...(r.otherStreams ?? [])];
  // One file keeps the section as it was; several get a heading each.
  if (streams.length === 1) out.stream = streamSection(streams[0]!.file, streams[0]!.report);
  else if (streams.length > 1) out.stream = streams.map((s) => `#### Stream: ${s.report.dataset}\n\n${streamSection(s.file, s.report)}`).join('\n\n');
  return out;
}

const OPEN = /<!-- generated:([\w-]+) -->/g;
const BLOCK = /<!-- generated:([\w-]+) -->\n[\s\S]*?<!-- \/generated -->/g;

/**
 * `doc` with every generated block replaced by its section. Fails, rather than leave a table out or stale, on
 * a block without an end marker, a block named twice, a block with no section (its file missing), or a
 * section with no block.
 */
export function fillGenerated(doc: string, sections: Partial<Record<SectionName, string>>): string {
  const opened = [...doc.matchAll(OPEN)].map((m) => m[1]!);
  const blocks = [...doc.matchAll(BLOCK)].map((m) => m[1]!);
  if (opened.length !== blocks.length) throw new Error(`results.md: a "<!-- generated:… -->" block has no "<!-- /generated -->" after it (blocks: ${opened.join(', ')})`);
  const twice = blocks.find((b, i) => blocks.indexOf(b) !== i);
  if (twice) throw new Error(`results.md: the generated block "${twice}" appears twice`);
  for (const name of blocks) {
    if (!(SECTIONS as readonly string[]).includes(name)) throw new Error(`results.md: unknown generated block "${name}" (known: ${SECTIONS.join(', ')})`);
    if (sections[name as SectionName] === undefined) throw new Error(`results.md: nothing to generate for "${name}": is its JSON missing from bench/results/?`);
  }
  for (const name of Object.keys(sections)) {
    if (!blocks.includes(name)) throw new Error(`results.md: no "<!-- generated:${name} -->" block for the ${name} section`);
  }
  return doc.replace(BLOCK, (_, name: SectionName) => `<!-- generated:${name} -->\n\n${sections[name]}\n\n<!-- /generated -->`);
}

/** Rewrites the generated blocks of `docPath` from the JSON in `resultsDir`; true when the file changed. */
export async function updateResultsDoc(docPath = RESULTS_DOC, resultsDir = RESULTS_DIR): Promise<boolean> {
  const doc = await readFile(docPath, 'utf8');
  const next = fillGenerated(doc, renderSections(await readResults(resultsDir)));
  if (next === doc) return false;
  await writeFile(docPath, next);
  return true;
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  updateResultsDoc().then(
    (changed) => process.stdout.write(`${RESULTS_DOC}: ${changed ? 'generated sections rewritten' : 'already up to date'}\n`),
    (e: unknown) => {
      process.stderr.write(`${(e as Error).message}\n`);
      process.exit(1);
    },
  );
}
