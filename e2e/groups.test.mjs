// A group's story, in English and in French, in a real Chromium: a founder creates a moderated
// group, invites a second person who accepts from "my groups", a third asks to join and is
// approved; the founder creates a group event, the second starts a discussion and the third
// replies, the third creates a pad on the instance's pad service, the founder completes a todo,
// and everyone reads the timeline. Every page is checked with axe-core and screenshotted at
// desktop and phone widths.
import { test } from "node:test";
import assert from "node:assert/strict";
import { base, member, visit, launch } from "./support.mjs";

const text = {
  en: { create: "Create the group", invite: "Invite", accept: "Accept", ask: "Ask to join", approve: "Approve", publish: "Publish", organisedBy: "Organised by the group", start: "Start a discussion", send: "Send", pad: "Create a pad", newList: "Make a list", add: "Add", markDone: "Mark done", undo: "Mark not done", invited: "invited", approved: "approved", discussion: "started a discussion", resource: "added a resource", todoDone: "marked a todo done" },
  fr: { create: "Créer le groupe", invite: "Inviter", accept: "Accepter", ask: "Demander à rejoindre", approve: "Accepter", publish: "Publier", organisedBy: "Organisé par le groupe", start: "Lancer une discussion", send: "Envoyer", pad: "Créer un pad", newList: "Créer une liste", add: "Ajouter", markDone: "Marquer comme fait", undo: "Marquer comme à faire", invited: "a invité", approved: "a accepté", discussion: "a lancé une discussion", resource: "a ajouté une ressource", todoDone: "a marqué une tâche comme faite" },
};

/** Clicks a form's button in the page's main part and waits for the page it leads to. */
async function submit(page, label) {
  await page.click(`main button:has-text("${label}")`);
  await page.waitForLoadState();
}

for (const lang of ["en", "fr"]) {
  test(`a group organises itself, in ${lang}`, async () => {
    const browser = await launch();
    try {
      const t = text[lang];
      const handle = `repair_${lang}`;
      const founder = await member(browser, lang, `founder-${lang}@example.org`, `founder_${lang}`);
      const f = founder.page;
      await f.goto(`${base}/groups/new`);
      await visit(f, `${lang}-group-new`);
      await f.fill("#handle", handle);
      await f.fill("#display_name", `Repair café (${lang})`);
      await f.fill("#summary", "We fix **bikes** and toasters.");
      await f.check("#openness-moderated");
      await submit(f, t.create);
      assert.equal(f.url(), `${base}/@${handle}`);
      await visit(f, `${lang}-group-page`);

      // A second person is invited and accepts.
      const second = await member(browser, lang, `second-${lang}@example.org`, `second_${lang}`);
      const s = second.page;
      await f.goto(`${base}/@${handle}/members`);
      await visit(f, `${lang}-group-members`);
      await f.fill("#invite-username", `second_${lang}`);
      await submit(f, t.invite);
      await s.goto(`${base}/my/groups`);
      await visit(s, `${lang}-my-groups-invited`);
      await s.click(`main button[aria-label="${t.accept} @${handle}"]`);
      await s.waitForLoadState();
      await s.goto(`${base}/@${handle}`);
      assert.ok(await s.isVisible(`a[href="/@${handle}/discussions"]`), "a member sees the discussions");

      // A third asks to join; the founder approves.
      const third = await member(browser, lang, `third-${lang}@example.org`, `third_${lang}`);
      const th = third.page;
      await th.goto(`${base}/@${handle}`);
      await visit(th, `${lang}-group-page-visitor`);
      await submit(th, t.ask);
      assert.equal(await th.isVisible(`a[href="/@${handle}/discussions"]`), false, "not a member yet");
      await f.goto(`${base}/@${handle}/members`);
      await visit(f, `${lang}-group-members-request`);
      await f.click(`main button[aria-label^="${t.approve}"][aria-label$="third_${lang}"]`);
      await f.waitForLoadState();
      await th.goto(`${base}/@${handle}`);
      assert.ok(await th.isVisible(`a[href="/@${handle}/discussions"]`), "approved, a member");

      // A group event.
      await f.goto(`${base}/@${handle}/events/new`);
      await visit(f, `${lang}-group-event-form`);
      await f.fill("#title", `Repair day (${lang})`);
      await f.fill("#begins_at", "2030-06-08T10:00");
      await f.selectOption("#time_zone", "Europe/Paris");
      await f.click("main button[name=publish][value=now]");
      await f.waitForURL(/\/events\/[0-9a-f-]{36}$/);
      assert.match(await f.textContent("main"), new RegExp(`${t.organisedBy} Repair café`));
      await visit(f, `${lang}-group-event`);

      // A discussion, and a reply.
      await s.goto(`${base}/@${handle}/discussions`);
      await visit(s, `${lang}-group-discussions`);
      await s.fill("#title", "Spare parts");
      await s.fill("#body", "Who keeps the inner tubes?");
      await submit(s, t.start);
      assert.match(s.url(), new RegExp(`/@${handle}/c/[0-9a-f-]{36}$`));
      const thread = s.url();
      await th.goto(thread);
      await th.fill("#body", "I do, in the blue box.");
      await th.click(`main button:text-is("${t.send}")`);
      await th.waitForLoadState();
      assert.match(await th.textContent("main"), /in the blue box/);
      await visit(th, `${lang}-group-discussion`);

      // A pad on the instance's pad service.
      await th.goto(`${base}/@${handle}/resources`);
      await visit(th, `${lang}-group-resources`);
      await th.fill("#service-pad", "Minutes");
      await submit(th, t.pad);
      const pad = await th.getAttribute('main ul.resources a:has-text("Minutes")', "href");
      assert.match(pad, /^https:\/\/pad\.example\.org\/p\/[0-9a-f]{32}$/);
      await visit(th, `${lang}-group-resources-pad`);

      // A todo, completed.
      await f.goto(`${base}/@${handle}/todos`);
      await visit(f, `${lang}-group-todos-empty`);
      await f.fill("#list-title", "Saturday");
      await submit(f, t.newList);
      await f.fill('main input[id^="title-"]', "Bring the pump");
      await submit(f, t.add);
      await submit(f, t.markDone);
      assert.ok(await f.isVisible(`main button:has-text("${t.undo}")`), "done");
      await visit(f, `${lang}-group-todos`);

      // The timeline: members read what happened; the public only what is public.
      await s.goto(`${base}/@${handle}/timeline`);
      const told = await s.textContent("main ol.timeline");
      for (const fact of [t.invited, t.approved, t.discussion, t.resource, t.todoDone, "Bring the pump", `Repair day (${lang})`, "Spare parts", "Minutes"]) {
        assert.ok(told.includes(fact), `the timeline tells "${fact}": ${told}`);
      }
      await visit(s, `${lang}-group-timeline`);
      const stranger = await (await browser.newContext({ locale: lang })).newPage();
      await stranger.goto(`${base}/@${handle}/timeline`);
      const public_ = await stranger.textContent("main");
      assert.ok(public_.includes(`Repair day (${lang})`), public_);
      for (const secret of ["Spare parts", "Minutes", "Bring the pump", `third_${lang}`, `second_${lang}`]) {
        assert.ok(!public_.includes(secret), `the public timeline hides "${secret}"`);
      }
      await visit(stranger, `${lang}-group-timeline-public`);
    } finally {
      await browser.close();
    }
  });
}
