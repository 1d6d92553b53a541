//! Places by name: the search pages near a town known here, and the event form's address found
//! with a geocoder (a fake one on 127.0.0.1), without JavaScript, in English and French.

#[path = "../../../api/tests/api/fake_geocoder.rs"]
#[allow(dead_code)]
mod fake_geocoder;

use crate::sites;
use crate::support::{create_event, event_form, Browser, Site};
use convene_api::places::{GeocoderConfig, HttpGeocoder, Service};
use convene_projections::scratch::test_urls;
use fake_geocoder::FakeGeocoder;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The form's fields `typed`, with `changes` over them.
fn with<'a>(
    typed: &[(&'a str, &'a str)],
    changes: &[(&'a str, &'a str)],
) -> Vec<(&'a str, &'a str)> {
    let mut fields: Vec<(&str, &str)> = typed
        .iter()
        .filter(|(k, _)| !changes.iter().any(|(c, _)| c == k))
        .cloned()
        .collect();
    fields.extend_from_slice(changes);
    fields
}

/// An attribute's value as a browser reads it.
fn unescape(text: &str) -> String {
    text.replace("&quot;", "\"")
        .replace("&#x27;", "'")
        .replace("&#x2F;", "/")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

/// The values of every `name="NAME" value="…"` in `body`, unescaped.
fn values_of(body: &str, name: &str) -> Vec<String> {
    let marker = format!("name=\"{name}\" value=\"");
    body.match_indices(&marker)
        .map(|(at, _)| {
            let rest = &body[at + marker.len()..];
            unescape(&rest[..rest.find('"').unwrap_or(0)])
        })
        .collect()
}

#[tokio::test]
async fn the_search_pages_search_near_a_town_known_here() {
    for (_db, site) in sites("web_places_search").await {
        let organiser = Browser::member(&site, "org@example.org", "org", "en").await;
        for (title, locality, country, lat, lon) in [
            ("Bike ride Lyon", "Lyon", "France", "45.76", "4.83"),
            ("Bike ride Paris", "Paris", "France", "48.85", "2.35"),
            ("Fête Valence", "Valence", "France", "44.93", "4.89"),
            ("Fiesta Valence", "Valence", "Spain", "39.47", "-0.38"),
            ("Second fiesta", "Valence", "Spain", "39.48", "-0.37"),
        ] {
            create_event(
                &organiser,
                &[
                    ("title", title),
                    ("locality", locality),
                    ("country", country),
                    ("latitude", lat),
                    ("longitude", lon),
                ],
            )
            .await;
        }
        site.indexed().await;
        let visitor = site.browser("en");

        let lyon = visitor.get("/search?near=lyon&radius_km=50").await;
        assert_eq!(lyon.status, 200, "{}", lyon.body);
        assert!(lyon.body.contains("Near Lyon, France"), "{}", lyon.body);
        assert!(lyon.body.contains("Bike ride Lyon"), "{}", lyon.body);
        assert!(!lyon.body.contains("Bike ride Paris"), "{}", lyon.body);
        // The field shows the place used; coordinates still work as they did.
        assert!(lyon.body.contains("name=\"near\" value=\"Lyon, France\""));
        let point = visitor.get("/search?near=48.85,2.35&radius_km=10").await;
        assert!(point.body.contains("Bike ride Paris"), "{}", point.body);
        assert!(
            !point.body.contains("class=\"near-place\""),
            "{}",
            point.body
        );

        // Two places of one name: the most used is searched, the other offered.
        let valence = visitor.get("/search?near=Valence&radius_km=30").await;
        assert!(
            valence.body.contains("Near Valence, Spain"),
            "{}",
            valence.body
        );
        assert!(valence.body.contains("Fiesta Valence"));
        assert!(!valence.body.contains("Fête Valence"));
        assert!(valence.body.contains("Another place of that name?"));
        let marker = "<li><a href=\"";
        let others = valence.body.find("near-others-title").unwrap_or(0);
        let start = valence.body[others..]
            .find(marker)
            .map(|i| others + i + marker.len());
        let link = start
            .map(|s| unescape(&valence.body[s..s + valence.body[s..].find('"').unwrap_or(0)]))
            .unwrap_or_default();
        assert!(
            link.starts_with("/search?radius_km=30&near=44.93"),
            "{link}"
        );
        let other = visitor.get(&link).await;
        assert!(
            other.body.contains("Near Valence, France"),
            "{}",
            other.body
        );
        assert!(other.body.contains("Fête Valence"), "{}", other.body);
        assert!(!other.body.contains("Fiesta Valence"));

        // An unknown place is said on its field, and nothing else typed is lost.
        let unknown = visitor
            .get("/search?q=bike&near=Atlantis&radius_km=5&category=SPORTS")
            .await;
        assert_eq!(unknown.status, 422, "{}", unknown.body);
        assert!(
            unknown
                .body
                .contains("No place called “Atlantis” is known here"),
            "{}",
            unknown.body
        );
        assert!(unknown.body.contains("name=\"q\" value=\"bike\""));
        assert!(unknown.body.contains("value=\"SPORTS\" selected"));
        assert!(unknown.body.contains("name=\"near\" value=\"Atlantis\""));
        assert!(!unknown.body.contains("needs a point"), "{}", unknown.body);

        // The same for groups, and in French.
        let groups = visitor.get("/search?kind=groups&near=Lyon").await;
        assert_eq!(groups.status, 200, "{}", groups.body);
        assert!(groups.body.contains("Near Lyon, France"), "{}", groups.body);
        let nowhere = visitor.get("/search?kind=groups&near=Atlantis").await;
        assert_eq!(nowhere.status, 422);
        assert!(nowhere.body.contains("No place called"));
        let french = site.browser("fr");
        let pres = french.get("/search?near=Lyon").await;
        assert!(pres.body.contains("Près de Lyon, France"), "{}", pres.body);
        assert!(pres
            .body
            .contains("Près de (un lieu, ou latitude,longitude)"));
        let inconnu = french.get("/search?near=%3Cb%3EAtlantis").await;
        assert!(
            inconnu
                .body
                .contains("Aucun lieu nommé « &lt;b&gt;Atlantis » n’est connu ici"),
            "{}",
            inconnu.body
        );
    }
}

async fn site_with_geocoder(
    scratch: &convene_projections::scratch::Scratch,
    fake: &FakeGeocoder,
) -> Site {
    let mut config =
        GeocoderConfig::new(Service::Nominatim, &fake.base, "https://events.example.org");
    config.timeout = Duration::from_secs(3);
    Site::start_with_geocoder(
        scratch,
        Arc::new(HttpGeocoder::new(config).expect("geocoder")),
    )
    .await
}

#[tokio::test]
async fn the_event_form_finds_the_address_and_proposes_its_time_zone() {
    let fake = FakeGeocoder::start().await;
    for scratch in test_urls("web_places_form").await {
        let site = site_with_geocoder(&scratch, &fake).await;
        let organiser = Browser::member(&site, "org@example.org", "org", "en").await;
        let form = organiser.get("/events/new").await;
        assert!(
            form.body.contains(">Find the address</button>"),
            "{}",
            form.body
        );
        let proposed = values_of(&form.body, "time_zone_proposed");
        assert_eq!(proposed.len(), 1, "{}", form.body);
        let csrf = form.csrf();
        let typed = [
            ("title", "Repair café"),
            ("description", "Bring tools"),
            ("tags", "repair"),
            ("begins_at", "2030-06-01T14:00"),
            ("address_name", ""),
            ("street", "10 rue Jangot"),
            ("locality", "Lyon"),
            ("country", ""),
            ("time_zone", proposed[0].as_str()),
            ("time_zone_proposed", proposed[0].as_str()),
        ];

        let head = site.head().await;
        let found = organiser
            .post(
                "/events/new",
                &csrf,
                &with(&typed, &[("find_address", "1")]),
            )
            .await;
        assert_eq!(found.status, 200, "{}", found.body);
        assert!(
            found.body.contains("Places found: choose one"),
            "{}",
            found.body
        );
        let choices = values_of(&found.body, "use_place");
        assert_eq!(choices.len(), 3, "{}", found.body);
        assert!(
            found.body.contains("Use Rue Jangot, 69007, Lyon"),
            "{}",
            found.body
        );
        // Nothing typed is lost, nothing is saved.
        assert!(found.body.contains("value=\"Repair café\""));
        assert!(found.body.contains(">Bring tools</textarea>"));
        assert_eq!(site.head().await, head, "nothing saved");

        // Choosing fills the address and its coordinates; Lyon is in the zone proposed.
        let chosen = organiser
            .post(
                "/events/new",
                &csrf,
                &with(&typed, &[("use_place", choices[0].as_str())]),
            )
            .await;
        assert_eq!(chosen.status, 200, "{}", chosen.body);
        assert!(
            chosen.body.contains("Address filled in from Rue Jangot"),
            "{}",
            chosen.body
        );
        assert_eq!(values_of(&chosen.body, "postal_code"), ["69007"]);
        assert_eq!(values_of(&chosen.body, "street"), ["10 Rue Jangot"]);
        assert_eq!(values_of(&chosen.body, "latitude"), ["45.7775264"]);
        assert_eq!(values_of(&chosen.body, "region"), ["Auvergne-Rhône-Alpes"]);
        assert!(chosen.body.contains("value=\"Repair café\""));

        // Times Square: New York's zone, unless the organiser chose one.
        let square = organiser
            .post(
                "/events/new",
                &csrf,
                &with(
                    &typed,
                    &[
                        ("street", "Times Square"),
                        ("locality", ""),
                        ("find_address", "1"),
                    ],
                ),
            )
            .await;
        let choice = values_of(&square.body, "use_place");
        assert_eq!(choice.len(), 1, "{}", square.body);
        let new_york = organiser
            .post(
                "/events/new",
                &csrf,
                &with(&typed, &[("use_place", choice[0].as_str())]),
            )
            .await;
        assert!(
            new_york
                .body
                .contains("<option value=\"America/New_York\" selected>"),
            "{}",
            new_york.body
        );
        assert!(new_york
            .body
            .contains("Time zone proposed from the place: America/New_York."));
        assert_eq!(
            values_of(&new_york.body, "time_zone_proposed"),
            ["America/New_York"]
        );
        let mine = organiser
            .post(
                "/events/new",
                &csrf,
                &with(
                    &typed,
                    &[
                        ("time_zone", "Asia/Tokyo"),
                        ("use_place", choice[0].as_str()),
                    ],
                ),
            )
            .await;
        assert!(
            mine.body.contains("<option value=\"Asia/Tokyo\" selected>"),
            "{}",
            mine.body
        );

        // Published as the form now stands: the event has the place's coordinates.
        let mut fields: Vec<(&str, String)> = Vec::new();
        for name in [
            "title",
            "description",
            "begins_at",
            "street",
            "postal_code",
            "locality",
            "region",
            "country",
            "latitude",
            "longitude",
            "tags",
        ] {
            let value = if name == "description" {
                "Bring tools".to_string()
            } else {
                values_of(&new_york.body, name)
                    .first()
                    .cloned()
                    .unwrap_or_default()
            };
            fields.push((name, value));
        }
        fields.push(("time_zone", "America/New_York".into()));
        fields.push(("publish", "now".into()));
        let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let created = organiser
            .post("/events/new", &csrf, &event_form(&fields))
            .await;
        assert_eq!(created.status, 303, "{}", created.body);
        let id = created
            .location
            .clone()
            .unwrap_or_default()
            .replace("/events/", "");
        let event = convene_projections::events::find(site.db.pool(), &id)
            .await
            .expect("read")
            .expect("the event");
        let address = event.details.address.clone().unwrap_or_default();
        assert_eq!(
            (address.latitude, address.longitude),
            (Some(40.7570095), Some(-73.9859724))
        );
        assert_eq!(address.locality.as_deref(), Some("New York"));
        assert_eq!(event.details.time_zone, "America/New_York");

        // The edit form finds addresses too.
        let edit_path = format!("{}/edit", created.location.unwrap_or_default());
        let edit = organiser.get(&edit_path).await;
        assert_eq!(values_of(&edit.body, "latitude"), ["40.7570095"]);
        let listed = organiser
            .post(
                &edit_path,
                &edit.csrf(),
                &event_form(&[("street", "10 rue Jangot Lyon"), ("find_address", "1")]),
            )
            .await;
        assert_eq!(listed.status, 200, "{}", listed.body);
        assert_eq!(
            values_of(&listed.body, "use_place").len(),
            3,
            "{}",
            listed.body
        );

        // A geocoder that does not answer: said on the button, in bounded time, nothing lost.
        let started = Instant::now();
        let silent = organiser
            .post(
                "/events/new",
                &csrf,
                &with(
                    &typed,
                    &[("street", "slow"), ("locality", ""), ("find_address", "1")],
                ),
            )
            .await;
        assert_eq!(silent.status, 422, "{}", silent.body);
        assert!(started.elapsed() < Duration::from_secs(4));
        assert!(
            silent
                .body
                .contains("Addresses cannot be looked up for a moment"),
            "{}",
            silent.body
        );
        assert!(silent.body.contains("value=\"Repair café\""));

        // In French.
        let french = Browser::member(&site, "fr@example.org", "fr", "fr").await;
        let formulaire = french.get("/events/new").await;
        assert!(
            formulaire.body.contains(">Trouver l’adresse</button>"),
            "{}",
            formulaire.body
        );
    }
}
