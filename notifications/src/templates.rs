//! The words of each notification, in English and French: one catalogue per language
//! (`templates/<lang>.toml`), one entry per kind (subject, text, HTML), filled from the
//! notification's facts. Values are escaped in the HTML part.

use crate::kinds::Kind;
use crate::mapping::Facts;
use chrono::TimeZone;
use chrono_tz::Tz;
use std::collections::{BTreeMap, HashMap};
use std::sync::OnceLock;

/// The languages mails are written in; the first is the fallback.
pub const LANGUAGES: [&str; 2] = ["en", "fr"];

const SOURCES: [(&str, &str); 2] = [
    ("en", include_str!("../templates/en.toml")),
    ("fr", include_str!("../templates/fr.toml")),
];

/// The keys every kind has.
pub const PARTS: [&str; 3] = ["subject", "text", "html"];

/// Every phrase the renderer uses.
pub const PHRASES: [&str; 24] = [
    "greeting_profile",
    "greeting_anonymous",
    "seat",
    "waitlist",
    "changed_time",
    "changed_time_only",
    "changed_place",
    "changed_online_url",
    "nowhere",
    "someone",
    "see",
    "unsubscribe",
    "unsubscribe_text",
    "settings",
    "late",
    "digest_unsubscribe",
    "digest_unsubscribe_text",
    "cancel_reason",
    "cancel_participation",
    "cancel_participation_text",
    "request_message",
    "group_reason",
    "report_resolved",
    "report_closed",
];

/// The section of the daily digest (beside one per kind), with the same parts.
pub const DIGEST: &str = "digest";

type Catalogue = BTreeMap<String, BTreeMap<String, String>>;

/// The parsed catalogues, by language (an unreadable catalogue is a build mistake, which the
/// tests catch; it then reads as empty).
pub fn catalogues() -> &'static HashMap<&'static str, Catalogue> {
    static CATALOGUES: OnceLock<HashMap<&'static str, Catalogue>> = OnceLock::new();
    CATALOGUES.get_or_init(|| {
        SOURCES
            .iter()
            .map(|(lang, text)| (*lang, toml::from_str(text).unwrap_or_default()))
            .collect()
    })
}

/// A message ready to send.
#[derive(Debug, Clone, PartialEq)]
pub struct Rendered {
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// Where the message's links go.
pub struct Links<'a> {
    /// The event's page (or the inbox when the event is gone).
    pub link: &'a str,
    /// The signed one-click unsubscribe link, when the recipient has settings.
    pub unsubscribe: Option<&'a str>,
    /// The link cancelling an anonymous participant's participation.
    pub cancel: Option<&'a str>,
}

fn lookup<'a>(lang: &str, section: &str, key: &str) -> &'a str {
    let find = |lang: &str| {
        catalogues()
            .get(lang)
            .and_then(|c| c.get(section))
            .and_then(|s| s.get(key))
            .map(String::as_str)
    };
    find(lang).or_else(|| find(LANGUAGES[0])).unwrap_or("")
}

/// `template` with each `{name}` replaced by its value.
fn fill(template: &str, values: &[(&str, String)]) -> String {
    let mut out = template.to_string();
    for (name, value) in values {
        out = out.replace(&format!("{{{name}}}"), value);
    }
    out
}

pub use convene_api::mail::escape;

/// A start time as its zone shows it: `2030-06-01 16:00 (Europe/Paris)`.
pub fn when(rfc3339: &str, zone: &str) -> String {
    let Ok(at) =
        time::OffsetDateTime::parse(rfc3339, &time::format_description::well_known::Rfc3339)
    else {
        return rfc3339.to_string();
    };
    let tz: Tz = zone.parse().unwrap_or(chrono_tz::UTC);
    match tz.timestamp_opt(at.unix_timestamp(), 0).single() {
        Some(local) => format!("{} ({zone})", local.format("%Y-%m-%d %H:%M")),
        None => rfc3339.to_string(),
    }
}

/// The message telling `facts` of `kind`, in `lang` (English when unknown).
pub fn render(lang: &str, kind: Kind, facts: &Facts, links: &Links) -> Rendered {
    let lang = if LANGUAGES.contains(&lang) {
        lang
    } else {
        "en"
    };
    let phrase = |key: &str| lookup(lang, "phrases", key);
    let when_now = when(&facts.begins_at, &facts.time_zone);
    let values = |html: bool| -> Vec<(&str, String)> {
        let e = |text: &str| if html { escape(text) } else { text.to_string() };
        let greeting = match &facts.profile {
            Some(profile) => fill(phrase("greeting_profile"), &[("profile", profile.clone())]),
            None => phrase("greeting_anonymous").to_string(),
        };
        let mut changes = Vec::new();
        for what in &facts.changed {
            let line = match what.as_str() {
                "time" => match &facts.begins_at_before {
                    Some(before) => fill(
                        phrase("changed_time"),
                        &[
                            ("when", when_now.clone()),
                            ("when_before", when(before, &facts.time_zone)),
                        ],
                    ),
                    None => fill(phrase("changed_time_only"), &[("when", when_now.clone())]),
                },
                "place" => fill(
                    phrase("changed_place"),
                    &[(
                        "place",
                        facts
                            .place
                            .clone()
                            .unwrap_or_else(|| phrase("nowhere").to_string()),
                    )],
                ),
                "online_url" => fill(
                    phrase("changed_online_url"),
                    &[("online_url", facts.online_url.clone().unwrap_or_default())],
                ),
                _ => continue,
            };
            changes.push(e(&line));
        }
        vec![
            ("greeting", e(&greeting)),
            ("title", e(&facts.title)),
            ("when", e(&when_now)),
            (
                "who",
                e(&facts
                    .who
                    .as_ref()
                    .map_or_else(|| phrase("someone").to_string(), |w| format!("@{w}"))),
            ),
            (
                "seat",
                e(phrase(if facts.waitlisted { "waitlist" } else { "seat" })),
            ),
            ("changes", changes.join(if html { "<br>" } else { "\n" })),
            ("text", e(facts.text.as_deref().unwrap_or_default())),
            (
                "place",
                e(&facts
                    .place
                    .clone()
                    .or_else(|| facts.online_url.clone())
                    .unwrap_or_else(|| phrase("nowhere").to_string())),
            ),
            ("late", e(if facts.late { phrase("late") } else { "" })),
            (
                "reason",
                reason(
                    phrase(if kind == Kind::GroupRejected {
                        "group_reason"
                    } else {
                        "cancel_reason"
                    }),
                    facts,
                    html,
                ),
            ),
            (
                "outcome",
                e(match facts.outcome.as_deref() {
                    Some("resolved") => phrase("report_resolved"),
                    Some(_) => phrase("report_closed"),
                    None => "",
                }),
            ),
            ("message", message(phrase("request_message"), facts, html)),
            ("link", e(links.link)),
        ]
    };
    let section = kind.as_str();
    let (plain, marked) = (values(false), values(true));
    let subject = fill(lookup(lang, section, "subject"), &plain);
    let mut text = fill(lookup(lang, section, "text"), &plain);
    let mut html = fill(lookup(lang, section, "html"), &marked);
    if let Some(cancel) = links.cancel {
        footer(lang, "cancel_participation", cancel, &mut text, &mut html);
    }
    if let Some(unsubscribe) = links.unsubscribe {
        footer(lang, "unsubscribe", unsubscribe, &mut text, &mut html);
    }
    finish(lang, subject, text, html)
}

/// The message a request to join came with, set apart, or nothing when it came without one.
fn message(phrase: &str, facts: &Facts, html: bool) -> String {
    let Some(text) = facts.text.as_deref().filter(|t| !t.trim().is_empty()) else {
        return String::new();
    };
    if html {
        format!("<blockquote>{}</blockquote>", escape(text))
    } else {
        format!("\n\n{}", fill(phrase, &[("text", text.to_string())]))
    }
}

/// The organisers' reason for cancelling, as a paragraph of its own (its line breaks kept), or
/// nothing when they gave none.
fn reason(phrase: &str, facts: &Facts, html: bool) -> String {
    let Some(reason) = facts.reason.as_deref().filter(|r| !r.trim().is_empty()) else {
        return String::new();
    };
    let said = fill(phrase, &[("reason", reason.to_string())]);
    if html {
        format!("<p>{}</p>", escape(&said).replace('\n', "<br>"))
    } else {
        format!("\n\n{said}")
    }
}

/// The link stopping these mails, under both parts (`phrase` and `phrase_text` say it).
fn footer(lang: &str, phrase: &str, link: &str, text: &mut String, html: &mut String) {
    let say = |key: &str| lookup(lang, "phrases", key);
    text.push_str(&format!(
        "\n-- \n{} {link}\n",
        say(&format!("{phrase}_text"))
    ));
    html.push_str(&format!(
        "<hr><p><a href=\"{}\">{}</a></p>",
        escape(link),
        escape(say(phrase))
    ));
}

fn finish(lang: &str, subject: String, text: String, html: String) -> Rendered {
    let html = format!(
        "<!DOCTYPE html>\n<html lang=\"{lang}\"><head><meta charset=\"utf-8\"><title>{}</title></head><body>{html}</body></html>\n",
        escape(&subject)
    );
    Rendered {
        subject,
        text,
        html,
    }
}

/// The daily digest in `lang`: `items` are each notification's line and link, oldest first;
/// `links.link` is the inbox, `links.unsubscribe` the link stopping the digest.
pub fn render_digest(lang: &str, items: &[(String, String)], links: &Links) -> Rendered {
    let lang = if LANGUAGES.contains(&lang) {
        lang
    } else {
        "en"
    };
    let text_items = items
        .iter()
        .map(|(line, link)| format!("- {line}\n  {link}"))
        .collect::<Vec<_>>()
        .join("\n");
    let html_items: String = items
        .iter()
        .map(|(line, link)| format!("<li><a href=\"{}\">{}</a></li>", escape(link), escape(line)))
        .collect();
    // The lines go in last: text in them is never taken for a placeholder.
    let count = items.len().to_string();
    let subject = fill(lookup(lang, DIGEST, "subject"), &[("count", count.clone())]);
    let mut text = fill(
        lookup(lang, DIGEST, "text"),
        &[
            ("count", count.clone()),
            ("link", links.link.to_string()),
            ("items", text_items),
        ],
    );
    let mut html = fill(
        lookup(lang, DIGEST, "html"),
        &[
            ("count", count),
            ("link", escape(links.link)),
            ("items", html_items),
        ],
    );
    if let Some(unsubscribe) = links.unsubscribe {
        footer(
            lang,
            "digest_unsubscribe",
            unsubscribe,
            &mut text,
            &mut html,
        );
    }
    finish(lang, subject, text, html)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every kind has every part, and every phrase exists, in every language; no catalogue holds
    /// a key the renderer does not know (a typo would otherwise go unnoticed).
    #[test]
    fn every_catalogue_has_every_key() {
        for (lang, _) in SOURCES {
            let catalogue = catalogues()
                .get(lang)
                .filter(|c| !c.is_empty())
                .unwrap_or_else(|| panic!("templates/{lang}.toml does not read"));
            for section in Kind::ALL.map(Kind::as_str).into_iter().chain([DIGEST]) {
                for part in PARTS {
                    let text = catalogue
                        .get(section)
                        .and_then(|s| s.get(part))
                        .unwrap_or_else(|| panic!("{lang}: {section}.{part} is missing"));
                    assert!(!text.trim().is_empty(), "{lang}: {section}.{part} is empty");
                }
            }
            for phrase in PHRASES {
                assert!(
                    catalogue
                        .get("phrases")
                        .and_then(|p| p.get(phrase))
                        .is_some(),
                    "{lang}: phrases.{phrase} is missing"
                );
            }
            for (section, keys) in catalogue {
                let known: Vec<&str> = if section == "phrases" {
                    PHRASES.to_vec()
                } else if section == DIGEST {
                    PARTS.to_vec()
                } else {
                    assert!(
                        Kind::parse(section).is_some(),
                        "{lang}: unknown kind [{section}]"
                    );
                    PARTS.to_vec()
                };
                for key in keys.keys() {
                    assert!(
                        known.contains(&key.as_str()),
                        "{lang}: unknown key {section}.{key}"
                    );
                }
            }
        }
    }

    /// Rendered messages leave no placeholder unfilled, in any language, for any kind.
    #[test]
    fn no_placeholder_is_left() {
        let facts = Facts {
            title: "Climate <march>".into(),
            begins_at: "2030-06-01T14:00:00Z".into(),
            time_zone: "Europe/Paris".into(),
            place: Some("Paris".into()),
            profile: Some("ana".into()),
            who: Some("bob".into()),
            changed: vec!["time".into(), "place".into(), "online_url".into()],
            begins_at_before: Some("2030-05-01T14:00:00Z".into()),
            text: Some("Bring water".into()),
            reason: Some("The hall is flooded.".into()),
            outcome: Some("resolved".into()),
            ..Facts::default()
        };
        for lang in LANGUAGES {
            for kind in Kind::ALL {
                let rendered = render(
                    lang,
                    kind,
                    &facts,
                    &Links {
                        link: "http://127.0.0.1/events/1",
                        unsubscribe: Some("http://127.0.0.1/u?t=1"),
                        cancel: Some("http://127.0.0.1/participations/cancel?token=c"),
                    },
                );
                for part in [&rendered.subject, &rendered.text, &rendered.html] {
                    assert!(!part.contains('{'), "{lang} {}: {part}", kind.as_str());
                }
                if lookup(lang, kind.as_str(), "html").contains("{title}") {
                    assert!(rendered.html.contains("Climate &lt;march&gt;"));
                }
                assert!(!rendered.html.contains("<march>"));
            }
        }
    }

    /// The digest lists each line with its link, escaped in HTML, in each language, with the
    /// link stopping it.
    #[test]
    fn the_digest_lists_every_line_with_its_link() {
        let items = vec![
            (
                "@ana takes part in <b>".to_string(),
                "http://127.0.0.1/events/1".to_string(),
            ),
            (
                "@bob takes part in x".to_string(),
                "http://127.0.0.1/events/2".to_string(),
            ),
        ];
        let links = Links {
            link: "http://127.0.0.1/notifications",
            unsubscribe: Some("http://127.0.0.1/u?t=1"),
            cancel: None,
        };
        for lang in LANGUAGES {
            let rendered = render_digest(lang, &items, &links);
            for part in [&rendered.subject, &rendered.text, &rendered.html] {
                assert!(!part.contains('{'), "{lang}: {part}");
            }
            assert!(rendered.subject.contains('2'), "{}", rendered.subject);
            assert!(rendered
                .text
                .contains("- @ana takes part in <b>\n  http://127.0.0.1/events/1"));
            assert!(rendered.html.contains("&lt;b&gt;") && !rendered.html.contains("<b>"));
            assert!(rendered.text.contains("http://127.0.0.1/u?t=1"));
            assert!(rendered.html.contains("href=\"http://127.0.0.1/events/2\""));
        }
        assert!(render_digest("fr", &items, &links)
            .subject
            .contains("résumé"));
    }

    /// A cancellation says the organisers' reason when they gave one (escaped, its lines kept),
    /// and nothing in its place when they did not; the link cancelling an anonymous
    /// participation is in both parts.
    #[test]
    fn a_cancellation_says_why_and_an_anonymous_mail_carries_its_cancel_link() {
        let mut facts = Facts {
            title: "Repair café".into(),
            begins_at: "2030-06-01T14:00:00Z".into(),
            time_zone: "Europe/Paris".into(),
            reason: Some("The hall is <flooded>.\nSee you in July.".into()),
            ..Facts::default()
        };
        let cancel = "http://127.0.0.1/participations/cancel?token=abc";
        let links = Links {
            link: "http://127.0.0.1/events/1",
            unsubscribe: None,
            cancel: Some(cancel),
        };
        for (lang, said) in [
            ("en", "The organisers’ reason: The hall is"),
            ("fr", "Raison donnée par l’organisation : The hall is"),
        ] {
            let rendered = render(lang, Kind::EventCancelled, &facts, &links);
            assert!(rendered.text.contains(said), "{lang}: {}", rendered.text);
            assert!(
                rendered.text.contains("<flooded>.\nSee you in July."),
                "{}",
                rendered.text
            );
            assert!(
                rendered
                    .html
                    .contains("&lt;flooded&gt;.<br>See you in July."),
                "{}",
                rendered.html
            );
            assert!(rendered.text.contains(cancel), "{lang}: {}", rendered.text);
            assert!(rendered.html.contains(&format!("href=\"{cancel}\"")));
        }
        facts.reason = None;
        let rendered = render("en", Kind::EventCancelled, &facts, &links);
        assert!(!rendered.text.contains("reason"), "{}", rendered.text);
        assert!(
            rendered.text.contains("is cancelled.\nhttp"),
            "{}",
            rendered.text
        );
        let account = Links {
            cancel: None,
            ..links
        };
        let rendered = render("en", Kind::EventCancelled, &facts, &account);
        assert!(!rendered.text.contains("participations/cancel"));
    }

    #[test]
    fn times_show_in_the_events_zone_across_summer_time() {
        assert_eq!(
            when("2030-06-01T14:00:00Z", "Europe/Paris"),
            "2030-06-01 16:00 (Europe/Paris)"
        );
        assert_eq!(
            when("2030-01-01T14:00:00Z", "Europe/Paris"),
            "2030-01-01 15:00 (Europe/Paris)"
        );
    }
}
