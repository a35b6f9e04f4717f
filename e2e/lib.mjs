// Shared by the phone-screen walks: TOTP codes, the axe scan of a page, launching chromium and
// small page helpers. Started by ./run.sh (which sets E2E_BASE_URL and E2E_DATA_DIR).

import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { chromium } from 'playwright-core';

const require = createRequire(import.meta.url);
export const AXE_SOURCE = fs.readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
export const BASE = process.env.E2E_BASE_URL;
export const DATA_DIR = process.env.E2E_DATA_DIR;
const SCREENSHOTS = process.env.E2E_SCREENSHOTS; // optional folder for screenshots

export const DEMO_PASSWORD = 'kyosai-demo-2026';
export const DEMO_TOTP_SECRET = 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP';

// ---------- RFC 6238 TOTP (SHA-1, 30 s, 6 digits) ----------

function base32Decode(input) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  const clean = input.replace(/[\s=]/g, '').toUpperCase();
  let bits = 0;
  let value = 0;
  const out = [];
  for (const c of clean) {
    const i = alphabet.indexOf(c);
    if (i < 0) throw new Error(`bad base32 character ${c}`);
    value = (value << 5) | i;
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return Buffer.from(out);
}

function totpAt(secret, step) {
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(step));
  const mac = crypto.createHmac('sha1', base32Decode(secret)).update(counter).digest();
  const offset = mac[mac.length - 1] & 0x0f;
  const code = (mac.readUInt32BE(offset) & 0x7fffffff) % 1_000_000;
  return String(code).padStart(6, '0');
}

const usedSteps = new Map(); // secret -> last step used

/** A code for the current step; waits for the next 30 s step when this one was used already. */
export async function freshCode(secret) {
  for (;;) {
    const step = Math.floor(Date.now() / 1000 / 30);
    if ((usedSteps.get(secret) ?? -1) < step) {
      usedSteps.set(secret, step);
      return totpAt(secret, step);
    }
    const wait = (step + 1) * 30_000 - Date.now() + 200;
    await new Promise((r) => setTimeout(r, wait));
  }
}

// ---------- accessibility scan ----------

/**
 * An axe scanner: `scan(page, label)` runs axe-core on the page and keeps its violations;
 * `assertClean()` prints the scanned pages and fails on any violation. `prefix` keeps the
 * screenshot names of different walks apart.
 */
export function scanner(prefix) {
  const scanned = [];
  const violations = [];
  async function scan(page, label) {
    await page.evaluate(AXE_SOURCE);
    const result = await page.evaluate(async () => {
      // eslint-disable-next-line no-undef
      const r = await axe.run(document, { resultTypes: ['violations'] });
      return r.violations.map((v) => ({
        id: v.id,
        impact: v.impact,
        help: v.help,
        nodes: v.nodes.map((n) => `${n.target.join(' ')} — ${n.failureSummary}`),
      }));
    });
    const url = new URL(page.url());
    scanned.push(`${label} (${url.pathname}${url.search})`);
    for (const v of result) violations.push({ page: label, url: url.pathname, ...v });
    if (SCREENSHOTS) {
      fs.mkdirSync(SCREENSHOTS, { recursive: true });
      const name = `${prefix}${String(scanned.length).padStart(2, '0')}-${label.replace(/[^\p{L}\p{N}-]+/gu, '_')}.png`;
      await page.screenshot({ path: path.join(SCREENSHOTS, name), fullPage: true });
    }
  }
  function assertClean() {
    console.log(`axe scanned ${scanned.length} pages:\n  ${scanned.join('\n  ')}`);
    const report = violations
      .map((v) => `${v.page} ${v.url}: [${v.impact}] ${v.id} — ${v.help}\n    ${v.nodes.join('\n    ')}`)
      .join('\n');
    assert.equal(violations.length, 0, `axe violations:\n${report}`);
  }
  return { scan, assertClean };
}

// ---------- browser and page helpers ----------

/** Headless Debian chromium. */
export function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/** A phone-sized page (390×844, touch, Japanese locale). */
export async function phonePage(browser) {
  const context = await browser.newContext({
    viewport: { width: 390, height: 844 },
    deviceScaleFactor: 2,
    isMobile: true,
    hasTouch: true,
    locale: 'ja-JP',
    bypassCSP: true, // lets the test inject axe-core; the app itself sends a strict CSP
  });
  const page = await context.newPage();
  page.setDefaultTimeout(15_000);
  return page;
}

export async function h1(page) {
  return (await page.locator('h1').innerText()).trim();
}

/** Clicks the button `name` and waits for the page it loads. */
/** Follows the link named exactly `name` and waits for the next page. */
export async function follow(page, name) {
  await Promise.all([page.waitForLoadState('load'), page.getByRole('link', { name, exact: true }).click()]);
}

export async function submit(page, name) {
  await Promise.all([
    page.waitForLoadState('load'),
    page.getByRole('button', { name, exact: true }).click(),
  ]);
}

/**
 * Logs a demo user in: password, then the TOTP code of the demo secret. Test files run in
 * parallel processes and the server refuses a code used once already (replay), so when another
 * walk used this step's code the login waits for the next step and enters that one.
 */
export async function demoLogin(page, email) {
  await page.getByLabel('メールアドレス').fill(email);
  await page.getByLabel('パスワード').fill(DEMO_PASSWORD);
  await submit(page, '次へ');
  for (let attempt = 0; attempt < 3; attempt += 1) {
    await page.getByLabel('確認コード（6桁）').fill(await freshCode(DEMO_TOTP_SECRET));
    await submit(page, 'ログイン');
    await page.waitForLoadState();
    if ((await page.getByLabel('確認コード（6桁）').count()) === 0) return;
  }
  throw new Error(`${email} could not log in`);
}

// ---------- help pages (issue #14 item 3) ----------

const HELP_DIR = process.env.E2E_HELP_DIR; // where the walks write the help pages' steps

/**
 * The public help pages (`/help/<procedure>`) are made from these walks, so they never go stale:
 * `const g = guide('premium_change')`, then `await g.step(page, 'caption')` at each step a member
 * sees (a 390-px-wide JPEG of the whole page), and `g.finish()` writes
 * `E2E_HELP_DIR/<procedure>/steps.json`. run.sh compares the captions with the committed ones
 * (`crates/kyosai-web/static/help`) and refreshes the committed pages with E2E_UPDATE_HELP=1.
 */
export function guide(procedure) {
  const steps = [];
  return {
    async step(page, caption) {
      if (!HELP_DIR) return;
      const image = `${String(steps.length + 1).padStart(2, '0')}.jpg`;
      const dir = path.join(HELP_DIR, procedure);
      fs.mkdirSync(dir, { recursive: true });
      await page.screenshot({ path: path.join(dir, image), type: 'jpeg', quality: 70, fullPage: true, scale: 'css' });
      steps.push({ image, caption });
    },
    finish() {
      if (!HELP_DIR) return;
      assert.ok(steps.length >= 2, `${procedure}: a guide has at least two steps`);
      fs.writeFileSync(
        path.join(HELP_DIR, procedure, 'steps.json'),
        `${JSON.stringify({ procedure, steps }, null, 2)}\n`,
      );
    },
  };
}
