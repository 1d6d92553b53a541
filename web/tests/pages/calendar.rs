//! The month calendar: each event on the day it begins where it happens, bad months named.

use crate::sites;
use crate::support::{create_event, Browser};

/// The titles listed in the calendar cell of day `date` (yyyy-mm-dd).
fn titles_on(body: &str, date: &str) -> Vec<String> {
    let marker = format!("<time datetime=\"{date}\">");
    let Some(start) = body.find(&marker) else {
        return Vec::new();
    };
    let cell = &body[start..start + body[start..].find("</td>").unwrap_or(0)];
    cell.split("<a href=\"/events/")
        .skip(1)
        .filter_map(|a| {
            a.split_once("\">")
                .and_then(|(_, rest)| rest.split_once("</a>"))
        })
        .map(|(text, _)| text.to_string())
        .collect()
}

#[tokio::test]
async fn a_month_shows_each_event_on_its_local_day_and_refuses_a_bad_month() {
    for (db, site) in sites("web_calendar").await {
        let label = db.label;
        let organiser = Browser::member(&site, "org@example.org", "org", "en").await;
        create_event(&organiser, &[("title", "Picnic")]).await;
        // 23:00 in Los Angeles on June 30 is already July 1 in UTC.
        create_event(
            &organiser,
            &[
                ("title", "Late show"),
                ("begins_at", "2030-06-30T23:00"),
                ("ends_at", ""),
                ("time_zone", "America/Los_Angeles"),
            ],
        )
        .await;
        create_event(&organiser, &[("title", "Secret"), ("publish", "later")]).await;

        let visitor = site.browser("fr");
        let june = visitor.get("/calendar?month=2030-06").await;
        assert_eq!(june.status, 200, "{label}: {}", june.body);
        assert!(
            june.body.contains("<caption>juin 2030</caption>"),
            "{label}"
        );
        assert_eq!(
            titles_on(&june.body, "2030-06-01"),
            ["14:00 Picnic"],
            "{label}"
        );
        assert_eq!(
            titles_on(&june.body, "2030-06-30"),
            ["23:00 Late show"],
            "{label}"
        );
        assert!(!june.body.contains("Secret"), "{label}: drafts stay out");
        assert!(
            june.body.contains("href=\"/calendar?month=2030-07\""),
            "{label}"
        );
        assert!(
            june.body.contains("href=\"/calendar?month=2030-05\""),
            "{label}"
        );
        let july = visitor.get("/calendar?month=2030-07").await;
        assert!(titles_on(&july.body, "2030-07-01").is_empty(), "{label}");

        let bad = visitor.get("/calendar?month=juin").await;
        assert_eq!(bad.status, 400, "{label}");
        assert!(
            bad.body.contains("« juin » n’est pas un mois"),
            "{label}: {}",
            bad.body
        );
        assert_eq!(
            visitor.get("/calendar").await.status,
            200,
            "{label}: this month"
        );
    }
}
