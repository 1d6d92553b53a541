// Maps, linked only on pages that show one (the instance set a tile server): Leaflet draws
// each `<div class="map">` from its data attributes — the tile address, the attribution, an
// accessible name and the points (title, and the page each leads to). Without this script the
// places stay on the page as text, with their OpenStreetMap link.
(function () {
  if (!window.L) return;
  function text(value) {
    var span = document.createElement("span");
    span.textContent = value || "";
    return span.innerHTML; // Leaflet writes attributions as HTML: the instance's is plain text.
  }
  function show(div) {
    var points;
    try { points = JSON.parse(div.getAttribute("data-points") || "[]"); } catch (e) { return; }
    if (!points.length) return;
    div.setAttribute("role", "region");
    div.setAttribute("aria-label", div.getAttribute("data-label") || "");
    var map = L.map(div, { scrollWheelZoom: false });
    L.tileLayer(div.getAttribute("data-tiles"), {
      attribution: text(div.getAttribute("data-attribution")),
      maxZoom: 19
    }).addTo(map);
    var corners = [];
    points.forEach(function (point) {
      var at = [point.lat, point.lon];
      corners.push(at);
      var marker = L.marker(at, {
        title: point.title, alt: point.title, keyboard: !!point.link, interactive: !!point.link
      }).addTo(map);
      if (point.link) {
        var link = document.createElement("a");
        link.href = point.link;
        link.textContent = point.title;
        marker.bindPopup(link);
      }
    });
    if (corners.length === 1) map.setView(corners[0], 16);
    else map.fitBounds(corners, { padding: [24, 24], maxZoom: 16 });
  }
  var maps = document.querySelectorAll("div.map[data-tiles]");
  for (var i = 0; i < maps.length; i++) show(maps[i]);
})();
