// Opens unload's HTML reports in headless Chromium (Debian's /usr/bin/chromium, driven by npm
// playwright-core; never `npx playwright install`) and checks what a reader would see:
//   - every plot rendered: each <svg class="plot"> (and any canvas) has a size on the page and
//     data elements with points whose drawn box is not empty;
//   - no request left the file: every request other than the report itself is recorded and
//     aborted, and the test fails if there was one;
//   - the notice (simulation, education and research, not clinical advice) and NICE's five
//     questions are on the page;
// and writes full-page screenshots for people to look at:
//   BUILD_DIR/report_screenshot.png           a single run (`unload run --report`)
//   BUILD_DIR/report_screenshot_compare.png   a comparison directory (compare.json by hand, as
//                                             `unload compare` writes it)
// Usage: node tests/report/report_browser_test.mjs UNLOAD_BINARY BUILD_DIR
// (UNLOAD_REPORT_KEEP=1 keeps the temporary directory with the runs and reports, and says where.)
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';

const [unloadArg, buildArg] = process.argv.slice(2);
if (!unloadArg || !buildArg) {
  console.error('usage: node report_browser_test.mjs UNLOAD_BINARY BUILD_DIR');
  process.exit(2);
}
const unload = path.resolve(unloadArg);
const buildDir = path.resolve(buildArg);

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'unload-report-browser-'));
const run = (...args) => execFileSync(unload, args, { cwd: work, stdio: ['ignore', 'pipe', 'inherit'] });

const scenario = (devices) => `[scenario]
patient = "hrpci"
duration = 60
output_rate = 50
description = "Browser test: two LAD inflations"
${devices}
[[events]]
time = 15
balloon = "LAD"
duration = 12

[[events]]
time = 40
balloon = "LAD"
duration = 8
`;
fs.writeFileSync(path.join(work, 'pump.toml'),
  scenario('\n[[devices]]\nkind = "impella-cp"\nlevel = "P8"\n') +
  '\n[[events]]\ntime = 52\nfault = "motor_failure"\n');
fs.writeFileSync(path.join(work, 'none.toml'), scenario(''));
fs.writeFileSync(path.join(work, 'iabp.toml'), scenario('\n[[devices]]\nkind = "iabp"\n'));

// A single run with --report, and a comparison directory of three strategies.
run('run', 'pump.toml', '--out', 'single', '--report');
const strategies = [
  ['impella-cp:P8', 'pump.toml'], ['iabp:1:1', 'iabp.toml'], ['none', 'none.toml']];
const entries = [];
for (const [name, file] of strategies) {
  run('run', file, '--out', path.join('cmp', name));
  const summary = JSON.parse(fs.readFileSync(path.join(work, 'cmp', name, 'summary.json')));
  const p = summary.procedure;
  const band = (v, w) => ({ median: v, p10: v - w, p90: v + w });
  entries.push({
    strategy: name, output: name, completed: true, collapse_time_s: null,
    map_baseline_mmHg: p.map_baseline_mmHg, map_min_mmHg: p.map_min_mmHg,
    minutes_map_below_65: p.minutes_map_below_65, cpo_baseline_W: p.cpo_baseline_W,
    cpo_min_W: p.cpo_min_W, cpo_max_fall_W: p.cpo_max_fall_W, lvedp_max_mmHg: p.lvedp_max_mmHg,
    pva_mean_ischaemia_mmHg_mL: p.pva_mean_ischaemia_mmHg_mL, ef_min_pct: p.ef_min_pct,
    coronary_flow_nonoccluded_mL_min: p.coronary_flow_nonoccluded_mL_min, recovery_s: p.recovery_s,
    haemolysis_index: null, alarms_critical: 0, alarms_serious: 0,
    variant_stats: {
      count: 20,
      metrics: {
        map_min_mmHg: band(p.map_min_mmHg, 6), lvedp_max_mmHg: band(p.lvedp_max_mmHg, 3),
        cpo_min_W: band(p.cpo_min_W, 0.08),
        pva_mean_ischaemia_mmHg_mL: band(p.pva_mean_ischaemia_mmHg_mL, 400),
      },
      share_map_min_above_65: 0.7, share_cpo_min_above_0_6: 0.5, share_completed: 1,
    },
  });
}
fs.writeFileSync(path.join(work, 'cmp', 'compare.json'), JSON.stringify({
  format: 'unload-compare', version: 1,
  note: 'Results of a simulation, for education and research; not clinical advice.',
  scenario: { name: 'browser-test', file: 'pump.toml', patient: 'hrpci', duration_s: 60,
              description: 'Browser test: two LAD inflations' },
  variants: 20, seed: 1, strategies: entries,
  what_if: [{ title: 'The pump stops after the inflations', strategy: 'impella-cp:P8',
              output: 'impella-cp:P8', event: 'motor_failure at 52 s', completed: true,
              collapse_time_s: null, alarms_critical: 1 }],
}, null, 2));
const started = Date.now();
run('report', 'cmp');
console.log(`report of the comparison written in ${Date.now() - started} ms`);

const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
         '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
const failures = [];
try {
  for (const [dir, screenshot] of [['single', 'report_screenshot.png'],
                                   ['cmp', 'report_screenshot_compare.png']]) {
    const file = path.join(work, dir, 'report.html');
    const url = pathToFileURL(file).href;
    const size = fs.statSync(file).size;
    const context = await browser.newContext({ viewport: { width: 1100, height: 900 } });
    const page = await context.newPage();
    const left = [];  // requests that would have left the file
    await context.route('**/*', (route) => {
      const u = route.request().url();
      if (u === url) return route.continue();
      left.push(u);
      return route.abort();
    });
    page.on('request', (r) => { if (r.url() !== url && !left.includes(r.url())) left.push(r.url()); });
    const errors = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    await page.goto(url, { waitUntil: 'load' });
    const plots = await page.evaluate(() => {
      const out = [];
      for (const svg of document.querySelectorAll('svg.plot')) {
        const box = svg.getBoundingClientRect();
        let points = 0;
        let drawn = 0;
        const data = svg.querySelectorAll('.data');
        for (const d of data) {
          points += Number(d.getAttribute('data-points') || 0);
          const b = d.getBBox();
          if (b.width > 0 || b.height > 0) drawn += 1;
        }
        out.push({ title: svg.getAttribute('aria-label'), width: box.width, height: box.height,
                   elements: data.length, points, drawn });
      }
      for (const canvas of document.querySelectorAll('canvas')) {
        out.push({ title: 'canvas', width: canvas.width, height: canvas.height, elements: 1,
                   points: 1, drawn: 1 });
      }
      return out;
    });
    const text = await page.evaluate(() => document.body.innerText);
    const bad = plots.filter((p) => !(p.width > 0 && p.height > 0 && p.elements > 0 &&
                                      p.points >= 1 && p.drawn > 0));
    for (const p of bad) failures.push(`${dir}: plot "${p.title}" has no data drawn (${JSON.stringify(p)})`);
    if (plots.length < 6) failures.push(`${dir}: only ${plots.length} plots`);
    for (const u of left) failures.push(`${dir}: a request left the file: ${u}`);
    for (const e of errors) failures.push(`${dir}: page error: ${e}`);
    for (const needed of ['not clinical advice', 'What does the procedure involve?',
                          'What are the possible benefits?', 'What are the risks or side effects?',
                          'doesn\'t work or something goes wrong?',
                          'Are there other treatments available?']) {
      if (!text.includes(needed)) failures.push(`${dir}: the page does not say "${needed}"`);
    }
    const shot = path.join(buildDir, screenshot);
    await page.screenshot({ path: shot, fullPage: true });
    console.log(`${dir}: ${plots.length} plots with data, ${left.length} requests left the ` +
                `file, ${(size / 1024).toFixed(0)} kB; screenshot ${shot}`);
    await context.close();
  }
} finally {
  await browser.close();
  if (process.env.UNLOAD_REPORT_KEEP) console.log(`kept ${work}`);
  else fs.rmSync(work, { recursive: true, force: true });
}
if (failures.length > 0) {
  for (const f of failures) console.error(`FAIL ${f}`);
  process.exit(1);
}
console.log('report browser test: passed');
