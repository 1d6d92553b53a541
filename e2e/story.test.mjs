// The main user stories, in English and in French, in a real Chromium: register, confirm by
// mail, create an event, a second person joins, the organiser approves, comments, switching
// identity, downloading the calendar. Every page is checked with axe-core (no serious or
// critical violation) and screenshotted at desktop and phone widths.
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import { base, member, visit, launch, accessible, sizes, screenshotAsIs } from "./support.mjs";

/** A 4×3 PNG (red and blue), for the picture upload. */
const PNG =
  "iVBORw0KGgoAAAANSUhEUgAAAAQAAAADCAIAAAA7ljmRAAAAE0lEQVR4nGO4IyICRGDiDgNODgDtzwwxN8ZgHwAAAABJRU5ErkJggg==";

const text = {
  en: { day: "Saturday, June 1, 2030", publish: "Publish", join: "Ask to take part", waiting: "Your request waits", approve: "Approve", going: "You take part.", comment: "Post the comment", calendar: "Add to calendar (ICS)", create: "Create the identity", makeDefault: "Make default", defaultBadge: "Default identity" },
  fr: { day: "samedi 1 juin 2030", publish: "Publier", join: "Demander à participer", waiting: "Votre demande attend", approve: "Accepter", going: "Vous participez.", comment: "Publier le commentaire", calendar: "Ajouter à l’agenda (ICS)", create: "Créer l’identité", makeDefault: "Utiliser par défaut", defaultBadge: "Identité par défaut" },
};

for (const lang of ["en", "fr"]) {
  test(`an organiser and a participant, in ${lang}`, async () => {
    const browser = await launch();
    try {
      const t = text[lang];
      const home = await (await browser.newContext({ locale: lang })).newPage();
      await home.goto(`${base}/`);
      assert.equal(await home.getAttribute("html", "lang"), lang);
      await visit(home, `${lang}-home-empty`);
      await home.goto(`${base}/register`);
      await visit(home, `${lang}-register`);
      await home.goto(`${base}/login`);
      await visit(home, `${lang}-login`);
      await home.goto(`${base}/no-such-page`);
      await visit(home, `${lang}-404`);

      const organiser = await member(browser, lang, `org-${lang}@example.org`, `org_${lang}`);
      const page = organiser.page;
      await page.goto(`${base}/events/new`);
      await visit(page, `${lang}-event-form`);
      await page.fill("#title", `Bike repair workshop (${lang})`);
      await page.fill("#begins_at", "2030-06-01T14:00");
      await page.fill("#ends_at", "2030-06-01T17:00");
      await page.selectOption("#time_zone", "Europe/Paris");
      await page.fill("#capacity", "2");
      await page.check("#join-restricted");
      await page.fill("#address_name", "Atelier du coin");
      await page.fill("#locality", "Lyon");
      await page.fill("#description", "Bring your **bike**.\n\n- a pump\n- your tools");
      await page.click(`button[name=preview]`);
      assert.equal(await page.textContent(".preview strong"), "bike");
      assert.equal(await page.inputValue("#title"), `Bike repair workshop (${lang})`);
      await visit(page, `${lang}-event-form-preview`);
      await page.click(`button[name=publish][value=now]`);
      await page.waitForURL(/\/events\/[0-9a-f-]{36}$/);
      const eventUrl = page.url();
      await visit(page, `${lang}-event-organiser`);

      // A picture from the edit page's own form, with its description.
      await page.goto(`${eventUrl}/edit`);
      await visit(page, `${lang}-event-edit`);
      await page.setInputFiles("#file", { name: "workshop.png", mimeType: "image/png", buffer: Buffer.from(PNG, "base64") });
      await page.fill("#alt", "Bikes upside down on a workbench");
      await page.click("#picture-section form[enctype] button[type=submit]");
      await page.waitForURL(new RegExp(`${eventUrl}$`));
      assert.equal(await page.getAttribute("img.picture", "alt"), "Bikes upside down on a workbench");
      await visit(page, `${lang}-event-picture`);

      const guest = await member(browser, lang, `guest-${lang}@example.org`, `guest_${lang}`);
      const g = guest.page;
      await g.goto(eventUrl);
      await visit(g, `${lang}-event-visitor`);
      await g.click(`text=${t.join}`);
      await g.waitForURL(new RegExp(`${eventUrl}#participation$`));
      assert.match(await g.textContent(".state"), new RegExp(t.waiting));
      await g.fill("#comment-body", "Can I bring a child's bike?");
      await g.click(`text=${t.comment}`);
      await g.waitForLoadState();
      assert.match(await g.textContent("#comments"), /child's bike/);

      await page.goto(`${eventUrl}/participants`);
      await visit(page, `${lang}-participants`);
      await page.click(`button:has-text("${t.approve}")`);
      await page.waitForLoadState();
      await g.goto(eventUrl);
      assert.match(await g.textContent(".state"), new RegExp(t.going));

      await g.goto(`${base}/settings`);
      await visit(g, `${lang}-settings`);
      await g.fill("#new-username", `guest_${lang}_union`);
      await g.fill("#new-display", "Union");
      await g.click(`text=${t.create}`);
      await g.waitForLoadState();
      await g.click(`button:has-text("${t.makeDefault}")`);
      await g.waitForLoadState();
      const badge = await g.locator(".identities .card", { hasText: `@guest_${lang}_union` }).textContent();
      assert.match(badge, new RegExp(t.defaultBadge));

      await g.goto(eventUrl);
      const [download] = await Promise.all([g.waitForEvent("download").catch(() => null), g.click(`text=${t.calendar}`)]);
      const ics = download ? fs.readFileSync(await download.path(), "utf8") : await g.content();
      assert.match(ics, /BEGIN:VEVENT/);
      assert.match(ics, /DTSTART:20300601T120000Z/);

      await g.goto(`${base}/my/events`);
      await visit(g, `${lang}-my-events`);
      await page.goto(`${eventUrl}/history`);
      await visit(page, `${lang}-history`);
      await home.goto(`${base}/`);
      await visit(home, `${lang}-home`);
      // The event under its day's heading, with its picture as WebP.
      const day = home.locator("section.day", { hasText: `Bike repair workshop (${lang})` });
      assert.equal(await day.locator("h2").textContent(), t.day);
      const card = day.locator(".card", { hasText: `Bike repair workshop (${lang})` });
      assert.equal(await card.locator("picture source").getAttribute("type"), "image/webp");
      const shown = await card.locator("img.picture").evaluate((img) => img.currentSrc);
      assert.match(shown, /\.webp$/, "Chromium takes the WebP rendition");
      // Wide: the header's links in a row, no menu button.
      assert.equal(await home.isVisible("details.menu > summary"), false);
      assert.equal(await home.isVisible("header nav[aria-label=Convene]"), true);
      // On a phone: the header is one line, its links behind a button that opens without script.
      await home.setViewportSize(sizes.phone);
      assert.equal(await home.isVisible("details.menu > summary"), true);
      assert.equal(await home.isVisible("header nav[aria-label=Convene]"), false);
      const header = await home.evaluate(() => document.querySelector("header.site").getBoundingClientRect().height);
      assert.ok(header < 70, `the header is one line on a phone (${header}px)`);
      // The filters are folded too: the first day's first event shows without scrolling.
      assert.equal(await home.isVisible("#from"), false);
      const first = await home.evaluate(() => document.querySelector("section.day .card").getBoundingClientRect().top);
      assert.ok(first < sizes.phone.height - 100, `the first event is in sight (${first}px)`);
      await home.click("details.menu > summary");
      assert.equal(await home.isVisible("header nav[aria-label=Convene]"), true);
      assert.equal(await home.isVisible("#site-q"), true);
      await accessible(home, `${lang}-home-menu-open`);
      await screenshotAsIs(home, `${lang}-home-menu-open-phone`);
      await home.click("details.menu > summary");
      assert.equal(await home.isVisible("header nav[aria-label=Convene]"), false);
      await home.setViewportSize(sizes.desktop);
      await home.goto(`${base}/calendar?month=2030-06`);
      assert.match(await home.textContent("table.month"), /Bike repair workshop/);
      await visit(home, `${lang}-calendar`);
    } finally {
      await browser.close();
    }
  });
}
