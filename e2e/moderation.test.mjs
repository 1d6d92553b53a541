// Moderation in a real Chromium: a visitor reports a comment, ticking the instance's rule; a
// moderator finds it in the queue with its evidence, removes the comment with a reason and
// resolves the report; the reporter's mail says it was handled, never by whom; the public
// transparency log shows the decision without its reason. The moderator and the administrator
// are made from the command line (MODERATOR_EMAIL, ADMIN_EMAIL). Every page is checked with
// axe-core and screenshotted at desktop and phone widths.
import { test } from "node:test";
import assert from "node:assert/strict";
import { base, mailsTo, member, visit, launch } from "./support.mjs";

const password = "correct horse battery";

/** A browser logged in as `email`, made from the command line (no profile needed). */
async function staff(browser, email) {
  const context = await browser.newContext({ locale: "en" });
  const page = await context.newPage();
  await page.goto(`${base}/login`);
  await page.fill("#email", email);
  await page.fill("#password", password);
  await page.click("form.stacked button[type=submit]");
  await page.waitForURL(`${base}/`);
  return page;
}

/** The mails to `to` containing `marker`, waiting for one. */
async function mailTo(to, marker) {
  for (let tries = 0; tries < 300; tries++) {
    const found = mailsTo(to).filter((m) => m.includes(marker));
    if (found.length > 0) return found;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  assert.fail(`no mail to ${to} saying ${marker}`);
}

test("a reported comment is removed by a moderator, the reporter told, the decision published", async () => {
  const browser = await launch();
  try {
    // The administrator gives the instance a rule and publishes its decisions.
    const admin = await staff(browser, process.env.ADMIN_EMAIL);
    await admin.goto(`${base}/admin/settings`);
    await visit(admin, "en-admin-settings");
    await admin.fill("#settings-name", "Repair café network");
    await admin.fill("#new-rules", "No advertising");
    await admin.check("#transparency-anonymous");
    await admin.click("main form button[type=submit]");
    await admin.waitForURL(`${base}/admin/settings`);
    await admin.goto(`${base}/about`);
    assert.match(await admin.textContent("main"), /No advertising/);
    await visit(admin, "en-about");

    const organiser = await member(browser, "en", "morg@example.org", "morg");
    const page = organiser.page;
    await page.goto(`${base}/events/new`);
    await page.fill("#title", "Bike repair evening");
    await page.fill("#begins_at", "2030-07-01T18:00");
    await page.fill("#ends_at", "2030-07-01T21:00");
    await page.selectOption("#time_zone", "Europe/Paris");
    await page.fill("#address_name", "Atelier");
    await page.fill("#locality", "Lyon");
    await page.click(`button[name=publish][value=now]`);
    await page.waitForURL(/\/events\/[0-9a-f-]{36}$/);
    const eventUrl = page.url();

    const spammer = await member(browser, "en", "mspam@example.org", "mspam");
    await spammer.page.goto(eventUrl);
    await spammer.page.fill("#comment-body", "Cheap watches at spam.example");
    await spammer.page.click("text=Post the comment");
    await spammer.page.waitForLoadState();

    // A visitor reports it from the link under the comment, ticking the rule.
    const reporter = await member(browser, "en", "mrep@example.org", "mrep");
    const r = reporter.page;
    await r.goto(eventUrl);
    await r.click(`#comments a[aria-label="Report: @mspam"]`);
    await r.waitForURL(/\/report\?/);
    await visit(r, "en-report-form");
    await r.check("#category-rule_violation");
    await r.check("#rule-1");
    await r.fill("#comment", "Advertising in the comments");
    await r.click("main form button[type=submit]");
    await r.waitForLoadState();
    assert.match(await r.textContent("main"), /The moderators will look into it/);

    // The moderator sees it in the queue, with the comment as it was reported.
    const m = await staff(browser, process.env.MODERATOR_EMAIL);
    await m.goto(`${base}/moderation/reports`);
    await visit(m, "en-moderation-queue");
    await m.click("main table a");
    await m.waitForURL(/\/moderation\/reports\/[0-9a-f-]{36}$/);
    assert.match(await m.textContent("main"), /Cheap watches at spam\.example/);
    await visit(m, "en-moderation-report");
    await m.selectOption("#decision-action", "remove");
    await m.selectOption("#decision-target", { index: 1 });
    await m.fill("#decision-reason", "Advertising, against rule 1");
    await m.click(`main form[action$="/decide"] button[type=submit]`);
    await m.waitForLoadState();
    await m.fill("#reason-resolve", "Comment removed");
    await m.click(`main form[action$="/resolve"] button[type=submit]`);
    await m.waitForLoadState();

    // The comment is a tombstone for everyone else.
    await page.goto(eventUrl);
    const comments = await page.textContent("#comments");
    assert.doesNotMatch(comments, /Cheap watches/);
    assert.match(comments, /removed by the moderators/);

    // The reporter is told it was handled, never by whom.
    const mail = (await mailTo("mrep@example.org", "Your report was handled"))[0];
    assert.match(mail, /they took action/);
    assert.doesNotMatch(mail, new RegExp(process.env.MODERATOR_EMAIL.replace(".", "\\.")));

    // The transparency log shows the decision and the rule, not the reason.
    await r.goto(`${base}/transparency`);
    const published = await r.textContent("main");
    assert.match(published, /Comment removed/);
    assert.match(published, /No advertising/);
    assert.doesNotMatch(published, /against rule 1/);
    await visit(r, "en-transparency");
  } finally {
    await browser.close();
  }
});
