// What the end-to-end stories share: the server's address and mail folder, a Chromium to
// drive, axe-core on every page, screenshots at desktop and phone widths, and a member made
// through the pages (registered, confirmed by mail, logged in).
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { createRequire } from "node:module";
import { chromium } from "playwright-core";

const require = createRequire(import.meta.url);
const axeSource = fs.readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");
export const base = process.env.BASE_URL;
const mailDir = process.env.MAIL_DIR;
const shots = process.env.SCREENSHOTS;
export const sizes = { desktop: { width: 1280, height: 800 }, phone: { width: 390, height: 844 } };
const password = "correct horse battery";

/** The mails to exactly `to` (norg-en@… is not org-en@…), oldest first. */
export function mailsTo(to) {
  if (!fs.existsSync(mailDir)) return [];
  return fs
    .readdirSync(mailDir)
    .map((f) => path.join(mailDir, f))
    .map((f) => ({ t: fs.statSync(f).mtimeMs, text: fs.readFileSync(f, "utf8") }))
    .filter((m) =>
      m.text
        .split("\n")
        .some((l) => l.startsWith("To: ") && l.slice(4).split(/[\s<>,]+/).includes(to)),
    )
    .sort((a, b) => a.t - b.t)
    .map((m) => m.text);
}

/** The last link containing `marker` in a mail to `to`, waiting for it (some mail goes out
 * after the answer). */
export async function mailedLink(to, marker) {
  for (let tries = 0; tries < 200; tries++) {
    const line = mailsTo(to)
      .map((text) => text.split("\n").find((l) => l.includes(marker)))
      .filter(Boolean)
      .at(-1);
    if (line) return line.trim();
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  assert.fail(`no ${marker} link in a mail to ${to}`);
}

/** axe-core on the current page: no serious or critical violation. Evaluated rather than
 * added as a `<script>`, which the pages' Content-Security-Policy (maps) refuses. */
export async function accessible(page, name) {
  await page.evaluate(axeSource);
  const violations = await page.evaluate(async () => {
    const results = await window.axe.run(document, { resultTypes: ["violations"] });
    return results.violations
      .filter((v) => v.impact === "serious" || v.impact === "critical")
      .map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`);
  });
  assert.deepEqual(violations, [], `${name}: accessibility violations`);
}

/** Screenshots of the current page at desktop and phone widths. */
export async function screenshots(page, name) {
  for (const [size, viewport] of Object.entries(sizes)) {
    await page.setViewportSize(viewport);
    await page.screenshot({ path: path.join(shots, `${name}-${size}.png`), fullPage: true });
  }
  await page.setViewportSize(sizes.desktop);
}

/** A screenshot of the current page at the viewport it has now (a menu opened, say). */
export async function screenshotAsIs(page, name) {
  await page.screenshot({ path: path.join(shots, `${name}.png`), fullPage: true });
}

export async function visit(page, name) {
  await accessible(page, name);
  await screenshots(page, name);
}

export async function member(browser, lang, email, username) {
  const context = await browser.newContext({ locale: lang, viewport: sizes.desktop });
  const page = await context.newPage();
  await page.goto(`${base}/register`);
  await page.fill("#email", email);
  await page.fill("#password", password);
  await page.fill("#username", username);
  await page.selectOption("#locale", lang);
  await page.click("form.stacked button[type=submit]");
  await page.waitForLoadState();
  assert.match(await page.textContent("main"), new RegExp(email.replace(".", "\\.")));
  // The mailed link opens a page with one button: following the link alone confirms nothing.
  await page.goto(await mailedLink(email, "/confirm-email?token="));
  await visit(page, `${lang}-confirm-email`);
  await page.click("main form button[type=submit]");
  await page.waitForLoadState();
  assert.match(await page.textContent("main"), confirmed[lang]);
  await page.goto(`${base}/login`);
  await page.fill("#email", email);
  await page.fill("#password", password);
  await page.click("form.stacked button[type=submit]");
  await page.waitForURL(`${base}/`);
  return { context, page };
}

/** What the confirmation page says once an address is confirmed. */
const confirmed = { en: /Your address is confirmed/, fr: /Votre adresse est confirmée/ };

/** Debian's Chromium, headless, with nothing reaching out on its own. */
export function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM,
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
}
