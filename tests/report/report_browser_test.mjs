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
//   BUILD_DIR/report_screenshot_compare.png   a comparison directory (`unload compare --report`)
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

// A single run with --report, and a comparison of three strategies on a few variants of the
// patient, as `unload compare --out DIR --report` writes it (with its what-if runs).
run('run', 'pump.toml', '--out', 'single', '--report');
const started = Date.now();
run('compare', 'none.toml', '--strategies', 'none,impella-cp:P8,iabp:1:1', '--variants', '4',
    '--seed', '3', '--out', 'cmp', '--report');
console.log(`comparison and its report written in ${Date.now() - started} ms`);

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
