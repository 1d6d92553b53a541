// Notifications in a real Chromium, in English and in French: an organiser sees a join request
// in the notifications inbox and approves it from there; the participant's mail (the .eml file
// the server wrote) says so; the organiser moves the event and the participant's inbox shows
// it. Every page is checked with axe-core and screenshotted at desktop and phone widths.
import { test } from "node:test";
import assert from "node:assert/strict";
import { base, mailsTo, member, visit, launch } from "./support.mjs";

const text = {
  en: { join: "Ask to take part", waiting: "Your request waits", approve: "Approve", asks: "asks to join", approved: "You may take part in", changed: "has changed", unread: /\(\d+ unread\)/, markAll: "Mark all read", none: "0 unread" },
  fr: { join: "Demander à participer", waiting: "Votre demande attend", approve: "Accepter", asks: "demande à participer", approved: "Vous pouvez participer", changed: "a changé", unread: /\(\d+ non lues\)/, markAll: "Tout marquer comme lu", none: "0 non lues" },
};

/** The text of the first mail to `to` containing `marker`, waiting for it (the sender mails
 * after the subscriber has seen the change). */
async function mailTo(to, marker) {
  for (let tries = 0; tries < 300; tries++) {
    const found = mailsTo(to).filter((m) => m.includes(marker));
    if (found.length > 0) return found;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  assert.fail(`no mail to ${to} saying ${marker}`);
}

/** Reloads `url` until its main part says `what` (notifications are derived after the answer). */
async function until(page, url, what) {
  for (let tries = 0; tries < 100; tries++) {
    await page.goto(url);
    if ((await page.textContent("main")).includes(what)) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  assert.fail(`${url} never said ${what}`);
}

for (const lang of ["en", "fr"]) {
  test(`a join request, its approval and a move, told by notifications, in ${lang}`, async () => {
    const browser = await launch();
    try {
      const t = text[lang];
      const organiser = await member(browser, lang, `norg-${lang}@example.org`, `norg_${lang}`);
      const page = organiser.page;
      const title = `Seed swap (${lang})`;
      await page.goto(`${base}/events/new`);
      await page.fill("#title", title);
      await page.fill("#begins_at", "2030-06-01T14:00");
      await page.fill("#ends_at", "2030-06-01T17:00");
      await page.selectOption("#time_zone", "Europe/Paris");
      await page.check("#join-restricted");
      await page.fill("#address_name", "Jardin partagé");
      await page.fill("#locality", "Nantes");
      await page.click(`button[name=publish][value=now]`);
      await page.waitForURL(/\/events\/[0-9a-f-]{36}$/);
      const eventUrl = page.url();

      const participant = await member(browser, lang, `npart-${lang}@example.org`, `npart_${lang}`);
      const p = participant.page;
      await p.goto(eventUrl);
      await p.click(`text=${t.join}`);
      await p.waitForURL(new RegExp(`${eventUrl}#participation$`));
      assert.match(await p.textContent(".state"), new RegExp(t.waiting));

      // The organiser's inbox tells of the request; the header counts it on every page.
      await until(page, `${base}/notifications`, `@npart_${lang} ${t.asks}`);
      assert.match(await page.textContent("header"), t.unread);
      await visit(page, `${lang}-notifications-request`);
      await page.click(`main a:has-text("@npart_${lang}")`);
      await page.waitForURL(eventUrl);
      await page.goto(`${eventUrl}/participants`);
      await page.click(`button:has-text("${t.approve}")`);
      await page.waitForLoadState();

      // The participant's mail says so, in the participant's language, with its link.
      const approved = await mailTo(`npart-${lang}@example.org`, t.approved);
      assert.equal(approved.length, 1);
      assert.match(approved[0], new RegExp(eventUrl.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")));
      assert.match(approved[0], /List-Unsubscribe-Post: List-Unsubscribe=One-Click/);

      // The organiser moves the event a day later: the participant's inbox shows it.
      await page.goto(`${eventUrl}/edit`);
      await page.fill("#begins_at", "2030-06-02T14:00");
      await page.fill("#ends_at", "2030-06-02T17:00");
      await page.click("form:has(#begins_at) > button[type=submit]:not([name])");
      await page.waitForURL(eventUrl);
      await until(p, `${base}/notifications`, `${title} ${t.changed}`);
      const inbox = await p.textContent("main");
      assert.ok(inbox.indexOf(t.changed) < inbox.indexOf(t.approved), "newest first");
      await visit(p, `${lang}-notifications-participant`);
      await p.click(`button:has-text("${t.markAll}")`);
      await p.waitForLoadState();
      assert.match(await p.textContent("main"), new RegExp(t.none));
      await visit(p, `${lang}-notifications-read`);
    } finally {
      await browser.close();
    }
  });
}
