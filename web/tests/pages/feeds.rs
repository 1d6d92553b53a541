//! Feeds parse in real readers: ICS with Python's `icalendar`, Atom with an XML parser.

use crate::sites;
use crate::support::{create_event, Browser};
use std::io::Write;
use std::process::Command;

/// Runs a Python snippet on `input`; None (said loudly) when Python or `icalendar` is missing
/// outside CI. CI installs them, so there it must run.
fn python(script: &str, input: &str) -> Option<String> {
    let mut file = tempfile::NamedTempFile::new().expect("temp file");
    file.write_all(input.as_bytes()).expect("write");
    let output = Command::new("python3")
        .arg("-c")
        .arg(script)
        .arg(file.path())
        .output();
    match output {
        Ok(output) if output.status.success() => {
            Some(String::from_utf8_lossy(&output.stdout).into_owned())
        }
        Ok(output)
            if String::from_utf8_lossy(&output.stderr).contains("No module named")
                && std::env::var("CI").is_err() =>
        {
            let _ = writeln!(
                std::io::stderr(),
                "*** feeds: SKIPPED the Python parse: pip install icalendar (CI does) ***"
            );
            None
        }
        Ok(output) => panic!(
            "the feed does not parse: {}",
            String::from_utf8_lossy(&output.stderr)
        ),
        Err(error) if std::env::var("CI").is_err() => {
            let _ = writeln!(
                std::io::stderr(),
                "*** feeds: SKIPPED the Python parse: no python3 ({error}) ***"
            );
            None
        }
        Err(error) => panic!("python3 is needed in CI: {error}"),
    }
}

const ICS: &str = r#"
import sys, icalendar
calendar = icalendar.Calendar.from_ical(open(sys.argv[1], 'rb').read())
for event in calendar.walk('VEVENT'):
    start = event.decoded('DTSTART')
    end = event.decoded('DTEND')
    print(str(event.get('SUMMARY')), start.isoformat(), end.isoformat(), str(event.get('STATUS')))
"#;

const ATOM: &str = r#"
import sys, xml.etree.ElementTree as tree
feed = tree.parse(sys.argv[1]).getroot()
ns = {'a': 'http://www.w3.org/2005/Atom'}
for entry in feed.findall('a:entry', ns):
    print(entry.find('a:title', ns).text)
"#;

#[tokio::test]
async fn calendars_and_the_atom_feed_parse_with_their_times_right() {
    for (_db, site) in sites("web_feeds").await {
        let organiser = Browser::member(&site, "org@example.org", "org", "en").await;
        let id = create_event(
            &organiser,
            &[
                ("title", "Clock change & <friends>"),
                ("begins_at", "2030-03-30T23:00"),
                ("ends_at", "2030-03-31T05:00"),
            ],
        )
        .await;
        let visitor = site.browser("en");
        let page = visitor.get(&format!("/events/{id}")).await;
        assert!(
            page.body.contains("Clock change & \\u003cfriends>"),
            "no `<` inside the JSON-LD script"
        );
        let ics = visitor.get(&format!("/events/{id}/calendar.ics")).await;
        assert_eq!(ics.status, 200);
        if let Some(parsed) = python(ICS, &ics.body) {
            // 23:00 in Paris (winter) is 22:00 UTC; 05:00 (summer) is 03:00 UTC.
            assert_eq!(parsed.trim(), "Clock change & <friends> 2030-03-30T22:00:00+00:00 2030-03-31T03:00:00+00:00 CONFIRMED");
        }
        for path in ["/feed.ics", "/@org/feed.ics"] {
            let feed = visitor.get(path).await;
            assert!(
                feed.body.contains("SUMMARY:Clock change & <friends>"),
                "{path}: {}",
                feed.body
            );
            if let Some(parsed) = python(ICS, &feed.body) {
                assert_eq!(parsed.lines().count(), 1, "{path}");
            }
        }
        let atom = visitor.get("/feed.atom").await;
        assert!(atom.content_type.starts_with("application/atom+xml"));
        assert!(
            atom.body.contains("Clock change &amp; &lt;friends&gt;"),
            "escaped: {}",
            atom.body
        );
        if let Some(titles) = python(ATOM, &atom.body) {
            assert_eq!(titles.trim(), "Clock change & <friends>");
        }
        let missing = visitor
            .get("/events/00000000-0000-0000-0000-000000000000/calendar.ics")
            .await;
        assert_eq!(missing.status, 404);
    }
}

const ICS_DESCRIPTION: &str = r#"
import sys, icalendar
calendar = icalendar.Calendar.from_ical(open(sys.argv[1], 'rb').read())
for event in calendar.walk('VEVENT'):
    print(str(event.get('DESCRIPTION')), end='')
"#;

const ATOM_SUMMARY: &str = r#"
import sys, xml.etree.ElementTree as tree
feed = tree.parse(sys.argv[1]).getroot()
ns = {'a': 'http://www.w3.org/2005/Atom'}
print(feed.find('a:entry', ns).find('a:summary', ns).text, end='')
"#;

#[tokio::test]
async fn a_markdown_description_is_previewed_then_published_and_its_text_keeps_its_paragraphs() {
    let markdown = "Tous et toutes\n\nDépart place de la **République**\n\n- banderoles\n- eau";
    for (_db, site) in sites("web_markdown").await {
        let organiser = Browser::member(&site, "org@example.org", "org", "fr").await;
        let form = organiser.get("/events/new").await;
        assert!(
            form.body.contains("name=\"language\" value=\"fr\""),
            "a new event is in the form's language"
        );
        assert!(
            form.body.contains("Organiser en tant que")
                && !form.body.contains("Participer en tant que"),
            "the form organises, it does not take part"
        );
        let mut fields = crate::support::event_form(&[("description", markdown)]);
        fields.push(("preview", "1"));
        let preview = organiser.post("/events/new", &form.csrf(), &fields).await;
        assert_eq!(
            preview.status, 200,
            "a preview saves nothing: {}",
            preview.body
        );
        assert!(preview.body.contains("Aperçu"), "{}", preview.body);
        assert!(
            preview
                .body
                .contains("<p>Départ place de la <strong>République</strong></p>")
                && preview.body.contains("<li>banderoles</li>"),
            "{}",
            preview.body
        );
        assert!(
            preview.body.contains(">Tous et toutes\n\nDépart place"),
            "the source is kept in the field: {}",
            preview.body
        );
        let feed = site.browser("en").get("/feed.ics").await;
        assert!(!feed.body.contains("VEVENT"), "nothing was created");

        let id = create_event(&organiser, &[("description", markdown)]).await;
        let visitor = site.browser("en");
        let page = visitor.get(&format!("/events/{id}")).await;
        assert!(
            page.body.contains("<p>Tous et toutes</p>") && page.body.contains("<li>eau</li>"),
            "{}",
            page.body
        );
        let text = "Tous et toutes\n\nDépart place de la République\n* banderoles\n* eau";
        let ics = visitor.get(&format!("/events/{id}/calendar.ics")).await;
        if let Some(description) = python(ICS_DESCRIPTION, &ics.body) {
            assert_eq!(description, text);
        }
        let atom = visitor.get("/feed.atom").await;
        if let Some(summary) = python(ATOM_SUMMARY, &atom.body) {
            assert!(summary.ends_with(text), "{summary}");
        }
    }
}

const ICS_PLACE: &str = r#"
import sys, icalendar
calendar = icalendar.Calendar.from_ical(open(sys.argv[1], 'rb').read())
print(str(calendar.get('X-WR-CALNAME')))
for event in calendar.walk('VEVENT'):
    print(str(event.get('LOCATION')))
    print(event.decoded('GEO') if event.get('GEO') else None)
    print(str(event.get('URL')))
    print(str(event.get('DESCRIPTION')).splitlines()[-1])
"#;

/// Sets the coordinates and an online link of event `id` through the JSON API.
async fn place_at(site: &crate::support::Site, id: &str, lat: f64, lon: f64) {
    let base = site.base.clone();
    let id = id.to_string();
    let status = tokio::task::spawn_blocking(move || {
        let session: serde_json::Value = ureq::post(format!("{base}/api/v1/sessions"))
            .send_json(serde_json::json!({
                "email": "org@example.org", "password": "correct horse battery"
            }))
            .expect("log in")
            .body_mut()
            .read_json()
            .expect("session");
        let token = session["token"].as_str().unwrap_or_default().to_string();
        ureq::patch(format!("{base}/api/v1/events/{id}"))
            .header("Authorization", format!("Bearer {token}"))
            .send_json(serde_json::json!({"address": {
                "name": "Salle des fêtes", "street": "1 rue de la Paix",
                "postal_code": "75002", "locality": "Paris", "country": "France",
                "latitude": lat, "longitude": lon
            }, "online_url": "https://visio.example.org/room"}))
            .expect("patch")
            .status()
    })
    .await
    .expect("join");
    assert_eq!(status, 200);
}

#[tokio::test]
async fn a_calendar_names_the_full_address_its_coordinates_and_a_file_after_the_title() {
    for (_db, site) in sites("web_ics_place").await {
        let organiser = Browser::member(&site, "org@example.org", "org", "en").await;
        let id = create_event(&organiser, &[("title", "Fête, musique; été")]).await;
        place_at(&site, &id, 48.8686, 2.3314).await;
        let ics = site
            .browser("en")
            .get(&format!("/events/{id}/calendar.ics"))
            .await;
        assert_eq!(ics.status, 200, "{}", ics.body);
        assert!(
            ics.header("content-disposition")
                .contains("filename=\"fete-musique-ete.ics\""),
            "{:?}",
            ics.headers
        );
        if let Some(parsed) = python(ICS_PLACE, &ics.body) {
            let url = format!("{}/events/{id}", site.base);
            assert_eq!(
                parsed.lines().collect::<Vec<_>>(),
                [
                    "Fête, musique; été",
                    "Salle des fêtes, 1 rue de la Paix, 75002 Paris, France",
                    "(48.8686, 2.3314)",
                    url.as_str(),
                    "Online: https://visio.example.org/room",
                ]
            );
        }
    }
}

const ICS_ORGANISERS: &str = r#"
import sys, icalendar
calendar = icalendar.Calendar.from_ical(open(sys.argv[1], 'rb').read())
print(str(calendar.get('X-WR-CALNAME')))
for event in sorted(calendar.walk('VEVENT'), key=lambda e: str(e.get('SUMMARY'))):
    print(str(event.get('SUMMARY')), '|', str(event.get('ORGANIZER')), '|', event.decoded('DTSTART').isoformat())
"#;

#[tokio::test]
async fn a_groups_feeds_hold_its_public_events_only() {
    use crate::groups::{api, token};
    use serde_json::json;
    for (_db, site) in sites("web_group_feeds").await {
        let ana_browser = Browser::member(&site, "ana@example.org", "ana", "en").await;
        let ana = token(&site.base, "ana@example.org").await;
        let created = api(
            &site.base,
            Some(&ana),
            "POST",
            "/api/v1/groups",
            json!({"handle": "repair", "display_name": "Repair café"}),
        )
        .await;
        assert_eq!(created["handle"], "repair", "{created}");
        for (title, extra) in [
            ("Open workshop", json!({})),
            ("Repair day", json!({"hide_organiser": true})),
            ("Members' meeting", json!({"members_only": true})),
            ("Draft plan", json!({"draft": true})),
        ] {
            let mut body = json!({
                "title": title, "begins_at": "2030-06-01T14:00:00Z", "time_zone": "Europe/Paris"
            });
            if let (Some(body), Some(extra)) = (body.as_object_mut(), extra.as_object()) {
                body.extend(extra.clone());
            }
            let event = api(
                &site.base,
                Some(&ana),
                "POST",
                "/api/v1/groups/repair/events",
                body,
            )
            .await;
            assert!(event["id"].is_string(), "{title}: {event}");
        }
        // Ana's own event is hers, not the group's.
        create_event(&ana_browser, &[("title", "Ana's own party")]).await;

        // Members and strangers read the same feed: it is the group's public calendar.
        for browser in [site.browser("en"), ana_browser] {
            let ics = browser.get("/@repair/feed.ics").await;
            assert_eq!(ics.status, 200, "{}", ics.body);
            assert!(ics.content_type.starts_with("text/calendar"));
            for absent in ["Members", "Draft plan", "Ana's own party"] {
                assert!(!ics.body.contains(absent), "{absent}: {}", ics.body);
            }
            if let Some(parsed) = python(ICS_ORGANISERS, &ics.body) {
                let base = &site.base;
                assert_eq!(
                    parsed.trim(),
                    format!(
                        "Repair café (@repair)\n\
                         Open workshop | {base}/@ana | 2030-06-01T14:00:00+00:00\n\
                         Repair day | {base}/@repair | 2030-06-01T14:00:00+00:00"
                    ),
                    "the group stands as the organiser when it hides the member"
                );
            }
            let atom = browser.get("/@repair/feed.atom").await;
            assert_eq!(atom.status, 200, "{}", atom.body);
            assert!(atom.content_type.starts_with("application/atom+xml"));
            assert!(atom.body.contains("/@repair/feed.atom"), "{}", atom.body);
            if let Some(titles) = python(ATOM, &atom.body) {
                let mut titles: Vec<&str> = titles.lines().collect();
                titles.sort_unstable();
                assert_eq!(titles, ["Open workshop", "Repair day"]);
            }
        }
        let page = site.browser("fr").get("/@repair").await;
        assert!(
            page.body.contains("href=\"/@repair/feed.ics\"")
                && page.body.contains("href=\"/@repair/feed.atom\""),
            "the group page links its feeds: {}",
            page.body
        );
        // A profile's feeds hold what it is shown organising: never an event whose group hides
        // which member organised it.
        let ics = site.browser("en").get("/@ana/feed.ics").await;
        assert!(
            ics.body.contains("Ana's own party")
                && ics.body.contains("Open workshop")
                && !ics.body.contains("Repair day"),
            "{}",
            ics.body
        );
        let atom = site.browser("en").get("/@ana/feed.atom").await;
        assert!(atom.body.contains("own party"), "{}", atom.body);
        for path in ["/@nobody/feed.ics", "/@nobody/feed.atom"] {
            assert_eq!(site.browser("en").get(path).await.status, 404, "{path}");
        }
    }
}
