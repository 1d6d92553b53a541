//! Organisers may hide how many people take part: no page, feed or embedded metadata shows a
//! visitor who does not organise the event its count, its waitlist or the seats left that would
//! give the count away. A control event that does not hide its count shows the same words, so
//! the checks below can fail.

use crate::sites;
use crate::support::{create_event, Browser, Page};
use serde_json::Value;

/// What the pages say (web/locales/en.toml): `going`, `waitlisted_count`, `seats_left`, `full`.
fn going(n: i64) -> String {
    format!("{n} going")
}

fn seats_left(n: i64) -> String {
    format!("{n} seats left")
}

const FULL: &str = "Full: new participants join the waitlist";
const ONE_WAITING: &str = "1 on the waitlist";
/// The paragraph of the event page that holds the counts and seats left.
const COUNTS: &str = "<p class=\"counts\">";

/// Words that say how many take part, in any amount: none may show for a hidden count.
const ANY_COUNT: [&str; 4] = [" going", "seats left", "on the waitlist", FULL];

async fn join(label: &str, browser: &Browser, username: &str, id: &str) {
    let page = browser.get(&format!("/events/{id}")).await;
    assert_eq!(
        page.status, 200,
        "{label}: @{username} opens {id}: {}",
        page.body
    );
    let joined = browser
        .post(
            &format!("/events/{id}/join"),
            &page.csrf(),
            &[("profile", username)],
        )
        .await;
    assert_eq!(
        joined.status, 303,
        "{label}: @{username} joins {id}: {}",
        joined.body
    );
}

async fn get(browser: &Browser, who: &str, path: &str) -> Page {
    let page = browser.get(path).await;
    assert_eq!(page.status, 200, "{who} opens {path}: {}", page.body);
    page
}

/// Fails, naming what leaked where to whom, when `text` holds any of `words`; shows the text
/// around the leak.
fn never(text: &str, words: &[&str], label: &str, who: &str, place: &str) {
    for word in words {
        if let Some(at) = text.find(word) {
            let from = text[..at]
                .char_indices()
                .rev()
                .nth(150)
                .map_or(0, |(i, _)| i);
            let to = text[at..]
                .char_indices()
                .nth(word.len() + 150)
                .map_or(text.len(), |(i, _)| at + i);
            panic!(
                "{label}: {place} shows {who} {word:?}, though the organiser hides the count:\n…{}…",
                &text[from..to]
            );
        }
    }
}

/// The parts of `text` from `begin` to `end` (VEVENTs, Atom entries) that mention `id`.
fn parts_about<'a>(text: &'a str, begin: &str, end: &str, id: &str) -> Vec<&'a str> {
    text.split(begin)
        .skip(1)
        .map(|part| &part[..part.find(end).unwrap_or(part.len())])
        .filter(|part| part.contains(id))
        .collect()
}

/// The card of event `id` in a list of events (the home page, a profile page).
fn card<'a>(page: &'a Page, id: &str, label: &str, where_: &str) -> &'a str {
    let link = format!("href=\"/events/{id}\"");
    let at = page
        .body
        .find(&link)
        .unwrap_or_else(|| panic!("{label}: {where_} lists no event {id}:\n{}", page.body));
    let start = page.body[..at].rfind("<li class=\"card").unwrap_or(at);
    // Up to the next card, or the end of the list (a card holds lists of its own: its tags).
    let end = ["<li class=\"card", "\n</ul>"]
        .iter()
        .filter_map(|marker| page.body[at..].find(marker))
        .min()
        .map_or(page.body.len(), |e| at + e);
    &page.body[start..end]
}

/// The JSON-LD of an event page, parsed.
fn json_ld(page: &Page, label: &str) -> Value {
    let marker = "<script type=\"application/ld+json\">";
    let start = page
        .body
        .find(marker)
        .map(|i| i + marker.len())
        .unwrap_or_else(|| panic!("{label}: no JSON-LD in:\n{}", page.body));
    let end = page.body[start..]
        .find("</script>")
        .map_or(page.body.len(), |e| start + e);
    serde_json::from_str(&page.body[start..end])
        .unwrap_or_else(|e| panic!("{label}: the JSON-LD does not parse ({e})"))
}

/// Every key and every number in `value`, as text, with the path to it.
fn leaves(value: &Value, path: &str, out: &mut Vec<(String, String)>) {
    match value {
        Value::Object(map) => {
            for (key, inner) in map {
                let path = format!("{path}.{key}");
                out.push((path.clone(), format!("key {key}")));
                leaves(inner, &path, out);
            }
        }
        Value::Array(items) => {
            for (i, inner) in items.iter().enumerate() {
                leaves(inner, &format!("{path}[{i}]"), out);
            }
        }
        Value::Number(n) => out.push((path.to_string(), format!("number {n}"))),
        Value::String(s) => out.push((path.to_string(), format!("text {s}"))),
        _ => {}
    }
}

/// The JSON-LD says nothing of attendance: no capacity or attendee keys, no count or seats left
/// as a number, no count in words.
fn json_ld_hides(value: &Value, numbers: &[i64], label: &str, who: &str, id: &str) {
    let mut found = Vec::new();
    leaves(value, "$", &mut found);
    for (path, leaf) in &found {
        let lower = leaf.to_lowercase();
        let told = [
            "attendee",
            "capacity",
            "participant",
            "seat",
            "offers",
            "going",
        ]
        .iter()
        .any(|w| lower.starts_with("key") && lower.contains(w))
            || numbers.iter().any(|n| {
                value
                    .pointer(&pointer(path))
                    .and_then(Value::as_f64)
                    .is_some_and(|v| v == *n as f64)
            })
            || ANY_COUNT.iter().any(|w| leaf.contains(w));
        assert!(
            !told,
            "{label}: the JSON-LD of /events/{id} shows {who} {path} = {leaf}, though the count \
             is hidden:\n{value}"
        );
    }
}

/// `$.a[0].b` as the JSON pointer `/a/0/b`.
fn pointer(path: &str) -> String {
    path.trim_start_matches('$')
        .replace('[', ".")
        .replace(']', "")
        .replace('.', "/")
}

/// The `content` of the page's OpenGraph and description `<meta>` tags, by property or name.
fn meta_tags(page: &Page) -> Vec<(String, String)> {
    let attribute = |tag: &str, name: &str| {
        let marker = format!("{name}=\"");
        tag.find(&marker).map(|i| {
            tag[i + marker.len()..]
                .chars()
                .take_while(|c| *c != '"')
                .collect::<String>()
        })
    };
    page.body
        .split("<meta ")
        .skip(1)
        .filter_map(|rest| {
            let tag = &rest[..rest.find('>').unwrap_or(rest.len())];
            let name = attribute(tag, "property").or_else(|| attribute(tag, "name"))?;
            let wanted = name.starts_with("og:") || name == "description";
            wanted.then(|| (name, attribute(tag, "content").unwrap_or_default()))
        })
        .collect()
}

/// ICS folds long lines; the words a calendar shows are those of the unfolded lines.
fn unfolded(ics: &str) -> String {
    ics.replace("\r\n ", "").replace("\r\n\t", "")
}

#[tokio::test]
async fn a_hidden_count_shows_on_no_page_feed_or_metadata() {
    for (db, site) in sites("web_hiding").await {
        let label = db.label;
        let organiser = Browser::member(&site, "org@example.org", "org", "en").await;
        let hidden = create_event(
            &organiser,
            &[
                ("title", "Hidden count march"),
                ("capacity", "10"),
                ("hide_count", "on"),
            ],
        )
        .await;
        let full = create_event(
            &organiser,
            &[
                ("title", "Hidden and full"),
                ("capacity", "1"),
                ("hide_count", "on"),
            ],
        )
        .await;
        let control = create_event(
            &organiser,
            &[("title", "Counted march"), ("capacity", "10")],
        )
        .await;
        let ana = Browser::member(&site, "ana@example.org", "ana", "en").await;
        let bob = Browser::member(&site, "bob@example.org", "bob", "en").await;
        let cyd = Browser::member(&site, "cyd@example.org", "cyd", "en").await;
        let dan = Browser::member(&site, "dan@example.org", "dan", "en").await;
        for (who, browser) in [("ana", &ana), ("bob", &bob), ("cyd", &cyd)] {
            join(label, browser, who, &hidden).await;
            join(label, browser, who, &control).await;
        }
        join(label, &ana, "ana", &full).await;
        join(label, &bob, "bob", &full).await;

        // The organiser sees the real numbers on the event pages: they exist to be hidden.
        let own = get(&organiser, "the organiser", &format!("/events/{hidden}")).await;
        let expected = format!("{} · {}", going(3), seats_left(7));
        assert!(
            own.body.contains(&expected),
            "{label}: the organiser does not see {expected:?} on their event:\n{}",
            own.body
        );
        let own_full = get(&organiser, "the organiser", &format!("/events/{full}")).await;
        let expected = format!("{} · {ONE_WAITING} · {FULL}", going(1));
        assert!(
            own_full.body.contains(&expected),
            "{label}: the organiser does not see {expected:?} on their full event:\n{}",
            own_full.body
        );

        // Bob waits for a seat at `full`: his own place there is his to see, so he visits the
        // events he holds a seat at only.
        let visitors = [
            ("a stranger", site.browser("en"), vec![&hidden, &full]),
            ("participant @ana", ana.clone(), vec![&hidden, &full]),
            ("participant @bob", bob.clone(), vec![&hidden]),
            (
                "member @dan, who takes no part",
                dan.clone(),
                vec![&hidden, &full],
            ),
        ];
        for (who, browser, events) in &visitors {
            // The control: the same words show for an event that does not hide its count.
            let page = get(browser, who, &format!("/events/{control}")).await;
            let expected = format!("{COUNTS}{} · {}</p>", going(3), seats_left(7));
            assert!(
                page.body.contains(&expected),
                "{label}: {who} does not see {expected:?} on the control event:\n{}",
                page.body
            );

            for id in events {
                let path = format!("/events/{id}");
                let page = get(browser, who, &path).await;
                assert!(
                    page.body.contains("count march") || page.body.contains("Hidden and full"),
                    "{label}: {path} is the event's page:\n{}",
                    page.body
                );
                let numbers = [going(3), seats_left(7), going(1), going(0)];
                let words: Vec<&str> = numbers
                    .iter()
                    .map(String::as_str)
                    .chain(ANY_COUNT)
                    .chain([COUNTS, ONE_WAITING])
                    .collect();
                never(&page.body, &words, label, who, &format!("the page {path}"));
                let ld = json_ld(&page, label);
                assert_eq!(ld["@type"], "Event", "{label}: {path}: {ld}");
                json_ld_hides(&ld, &[3, 7, 1], label, who, id);
                let tags = meta_tags(&page);
                assert!(
                    tags.iter().any(|(name, _)| name == "og:title"),
                    "{label}: {path} has OpenGraph tags: {tags:?}"
                );
                for (name, content) in &tags {
                    let url = format!("{}{path}", site.base);
                    let no_words = !ANY_COUNT.iter().any(|w| content.contains(w));
                    let clean = if name == "og:url" {
                        *content == url
                    } else if name.starts_with("og:image") {
                        // The picture's address and size have digits of their own.
                        no_words
                    } else {
                        !content.chars().any(|c| c.is_ascii_digit()) && no_words
                    };
                    assert!(
                        clean,
                        "{label}: the <meta> {name} of {path} shows {who} {content:?}, though \
                         the count is hidden"
                    );
                }
            }

            for path in ["/", "/@org"] {
                let page = get(browser, who, path).await;
                let shown = card(&page, &control, label, path);
                assert!(
                    shown.contains(&seats_left(7)),
                    "{label}: {path} does not show {who} the control event's seats left:\n{shown}"
                );
                for id in [&hidden, &full] {
                    let hidden_card = card(&page, id, label, path);
                    let numbers = [seats_left(7), going(3), going(1)];
                    let words: Vec<&str> = numbers
                        .iter()
                        .map(String::as_str)
                        .chain(ANY_COUNT)
                        .collect();
                    never(
                        hidden_card,
                        &words,
                        label,
                        who,
                        &format!("the card of {id} on {path}"),
                    );
                }
                never(&page.body, &[" going"], label, who, path);
            }

            let calendars = [
                "/feed.ics".to_string(),
                "/@org/feed.ics".to_string(),
                format!("/events/{hidden}/calendar.ics"),
                format!("/events/{full}/calendar.ics"),
            ];
            for path in &calendars {
                let feed = get(browser, who, path).await;
                assert!(
                    feed.content_type.starts_with("text/calendar"),
                    "{label}: {path}: {}",
                    feed.content_type
                );
                let text = unfolded(&feed.body);
                let mut seen = 0;
                for id in [&hidden, &full] {
                    for entry in parts_about(&text, "BEGIN:VEVENT", "END:VEVENT", id) {
                        seen += 1;
                        never(
                            &entry.to_lowercase(),
                            &[
                                " going",
                                "seats left",
                                "waitlist",
                                "full:",
                                "attendee",
                                "participant",
                                "capacity",
                            ],
                            label,
                            who,
                            &format!("the VEVENT of {id} in {path}"),
                        );
                    }
                }
                assert!(
                    seen > 0,
                    "{label}: {path} holds no hidden-count event:\n{text}"
                );
            }

            let atom = get(browser, who, "/feed.atom").await;
            let numbers = [going(3), seats_left(7)];
            let words: Vec<&str> = numbers
                .iter()
                .map(String::as_str)
                .chain(ANY_COUNT)
                .chain(["participant", "capacity"])
                .collect();
            for id in [&hidden, &full] {
                let entries = parts_about(&atom.body, "<entry>", "</entry>", id);
                assert_eq!(
                    entries.len(),
                    1,
                    "{label}: /feed.atom holds event {id} once:\n{}",
                    atom.body
                );
                never(
                    entries[0],
                    &words,
                    label,
                    who,
                    &format!("the entry of {id} in /feed.atom"),
                );
            }

            let participants = browser.get(&format!("/events/{hidden}/participants")).await;
            assert_ne!(
                participants.status, 200,
                "{label}: {who} reads the participant list of an event hiding its count:\n{}",
                participants.body
            );
        }
    }
}

#[tokio::test]
async fn an_announcement_is_shown_only_to_those_taking_part_and_the_organisers() {
    for (db, site) in sites("web_announcements").await {
        let label = db.label;
        let organiser = Browser::member(&site, "org@example.org", "org", "en").await;
        let id = create_event(&organiser, &[("title", "Door code march")]).await;
        let ana = Browser::member(&site, "ana@example.org", "ana", "en").await;
        let bob = Browser::member(&site, "bob@example.org", "bob", "en").await;
        join(label, &ana, "ana", &id).await;
        let page = organiser.get(&format!("/events/{id}")).await;
        assert!(page
            .body
            .contains("<label for=\"comment-profile\">Comment as</label>"));
        let posted = organiser
            .post(
                &format!("/events/{id}/comments"),
                &page.csrf(),
                &[("body", "Door code 4321B"), ("announcement", "on")],
            )
            .await;
        assert_eq!(posted.status, 303, "{label}: {}", posted.body);
        for (who, browser, sees) in [
            ("the organiser", &organiser, true),
            ("a participant", &ana, true),
            ("someone else signed in", &bob, false),
            ("a stranger", &site.browser("en"), false),
        ] {
            let page = browser.get(&format!("/events/{id}")).await;
            assert_eq!(page.status, 200, "{label}: {who}");
            assert_eq!(page.body.contains("4321B"), sees, "{label}: {who}");
        }
    }
}
