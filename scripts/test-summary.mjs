// Sums the check steps (.reports/steps.txt), the vitest and the Playwright JSON
// reports into one "N passed, N failed" line. A report that is missing (its
// runner crashed, or never ran because the build failed) counts as one failure.
import { existsSync, readFileSync } from 'node:fs';

let passed = 0;
let failed = 0;
let skipped = 0;
const [stepsFile, ...reports] = process.argv.slice(2);
for (const line of existsSync(stepsFile) ? readFileSync(stepsFile, 'utf8').split('\n').filter(Boolean) : []) {
  if (line.endsWith(' ok')) passed++;
  else {
    failed++;
    console.log(`failed step: ${line.replace(/ failed$/, '')}`);
  }
}
for (const file of reports) {
  if (!existsSync(file)) {
    console.log(`no report: ${file}`);
    failed++;
    continue;
  }
  const r = JSON.parse(readFileSync(file, 'utf8'));
  if ('numPassedTests' in r) {
    passed += r.numPassedTests;
    failed += r.numFailedTests;
    // a test file that failed before any of its tests could (an import error, a crash in a hook) counts once
    for (const f of r.testResults ?? []) if (f.status === 'failed' && !f.assertionResults?.some((a) => a.status === 'failed')) failed++;
    skipped += r.numPendingTests + (r.numTodoTests ?? 0);
  } else {
    passed += r.stats.expected + (r.stats.flaky ?? 0);
    failed += r.stats.unexpected;
    skipped += r.stats.skipped;
  }
}
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exitCode = failed || passed === 0 ? 1 : 0;
