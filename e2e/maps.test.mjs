// A map on the event page when the instance names a tile server: `run` starts Convene with
// --tile-url pointing at TILE_PORT on 127.0.0.1, where this story serves one small PNG for
// every tile. The event's coordinates go into the form's hidden fields, as choosing one of the
// geocoder's matches does. The map must ask that server (and only it) for tiles and draw them,
// with the attribution, and the page must stay accessible.
import { test } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import { base, member, visit, launch } from "./support.mjs";

/** An 8×8 light green PNG: every tile. */
const TILE = Buffer.from(
  "iVBORw0KGgoAAAANSUhEUgAAAAgAAAAICAIAAABLbSncAAAAEUlEQVR4nGO4++wCVsQwtCQAYsikwfqDfOAAAAAASUVORK5CYII=",
  "base64",
);

test("the event page shows its place on a map drawn from the instance's tile server", async () => {
  const asked = [];
  const tiles = http.createServer((request, response) => {
    asked.push(request.url);
    response.writeHead(200, { "content-type": "image/png" });
    response.end(TILE);
  });
  await new Promise((resolve) => tiles.listen(Number(process.env.TILE_PORT), "127.0.0.1", resolve));
  const browser = await launch();
  try {
    const { page } = await member(browser, "en", "mapper@example.org", "mapper");
    const elsewhere = [];
    page.on("request", (r) => {
      const url = new URL(r.url());
      if (url.protocol !== "data:" && url.origin !== base && url.port !== process.env.TILE_PORT) elsewhere.push(r.url());
    });
    await page.goto(`${base}/events/new`);
    await page.fill("#title", "Picnic on the riverbank");
    await page.fill("#begins_at", "2030-07-14T12:00");
    await page.selectOption("#time_zone", "Europe/Paris");
    await page.fill("#address_name", "Berges du Rhône");
    await page.fill("#locality", "Lyon");
    await page.fill("#description", "Bring something to share.");
    await page.evaluate(() => {
      document.querySelector("input[name=latitude]").value = "45.7578";
      document.querySelector("input[name=longitude]").value = "4.8432";
    });
    await page.click("button[name=publish][value=now]");
    await page.waitForURL(/\/events\/[0-9a-f-]{36}$/);
    await page.waitForSelector(".map img.leaflet-tile-loaded");
    await page.waitForLoadState("networkidle");
    const drawn = await page.$$eval(".map img.leaflet-tile-loaded", (imgs) => imgs.filter((i) => i.naturalWidth === 8).length);
    assert.ok(drawn > 0, "tiles are drawn");
    assert.ok(asked.length > 0 && asked.every((u) => /^\/\d+\/\d+\/\d+\.png$/.test(u)), `tiles asked: ${asked}`);
    assert.ok(asked.some((u) => u.startsWith("/16/")), `at the place's zoom: ${asked}`);
    assert.match(await page.textContent(".map .leaflet-control-attribution"), /Test tiles/);
    assert.equal(await page.getAttribute(".map", "aria-label"), "Map of the place");
    assert.equal(await page.isVisible(".map .leaflet-marker-icon"), true);
    // The text and its link stay.
    assert.equal(await page.isVisible("text=See on OpenStreetMap"), true);
    assert.deepEqual(elsewhere, [], "nothing loaded from anywhere else");
    await visit(page, "en-event-map");
  } finally {
    await browser.close();
    tiles.close();
  }
});
