// Progressive enhancement only: tell the server the visitor's time zone, so event times can be
// shown in it as well. Everything works without this script.
(function () {
  try {
    var zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    if (zone && document.cookie.indexOf("convene_tz=" + encodeURIComponent(zone)) === -1) {
      document.cookie = "convene_tz=" + encodeURIComponent(zone) + "; path=/; max-age=31536000; samesite=lax";
    }
  } catch (e) { /* no Intl: times stay in the event's zone */ }
})();
