//! Catalogues of every string the pages show, one TOML file per language under `locales/`
//! (embedded at build time): adding a language is adding a file.

use chrono::{Datelike, Timelike};
use include_dir::{include_dir, Dir};
use serde::Deserialize;
use std::collections::BTreeMap;

static LOCALES: Dir<'_> = include_dir!("$CARGO_MANIFEST_DIR/locales");

/// The language used when nothing else matches.
pub const DEFAULT: &str = "en";

/// One language's strings and date formats.
#[derive(Debug, Clone, Deserialize)]
pub struct Catalogue {
    #[serde(skip)]
    pub code: String,
    pub name: String,
    weekdays: Vec<String>,
    months: Vec<String>,
    date: String,
    time: String,
    am: String,
    pm: String,
    pub t: BTreeMap<String, String>,
}

/// Every language the instance speaks.
#[derive(Debug, Clone)]
pub struct Catalogues {
    by_code: BTreeMap<String, Catalogue>,
}

#[derive(Debug, thiserror::Error)]
#[error("locales/{file}: {message}")]
pub struct CatalogueError {
    file: String,
    message: String,
}

impl Catalogues {
    /// The catalogues built into the binary.
    pub fn embedded() -> Result<Self, CatalogueError> {
        let mut by_code = BTreeMap::new();
        for file in LOCALES.files() {
            let path = file.path();
            if path.extension().and_then(|e| e.to_str()) != Some("toml") {
                continue;
            }
            let name = path.display().to_string();
            let error = |message: String| CatalogueError {
                file: name.clone(),
                message,
            };
            let text = file
                .contents_utf8()
                .ok_or_else(|| error("not UTF-8".into()))?;
            let mut catalogue: Catalogue =
                toml::from_str(text).map_err(|e| error(e.to_string()))?;
            if catalogue.weekdays.len() != 7 || catalogue.months.len() != 12 {
                return Err(error("needs 7 weekdays and 12 months".into()));
            }
            catalogue.code = path
                .file_stem()
                .and_then(|s| s.to_str())
                .unwrap_or_default()
                .to_string();
            by_code.insert(catalogue.code.clone(), catalogue);
        }
        if !by_code.contains_key(DEFAULT) {
            return Err(CatalogueError {
                file: format!("{DEFAULT}.toml"),
                message: "the default language is missing".into(),
            });
        }
        Ok(Self { by_code })
    }

    /// The catalogue for `code`, or the default one.
    pub fn get(&self, code: &str) -> &Catalogue {
        self.by_code
            .get(code)
            .or_else(|| self.by_code.get(DEFAULT))
            .or_else(|| self.by_code.values().next())
            .expect("at least the default catalogue")
    }

    pub fn has(&self, code: &str) -> bool {
        self.by_code.contains_key(code)
    }

    /// (code, name) of every language, for the language switcher.
    pub fn languages(&self) -> Vec<(String, String)> {
        self.by_code
            .values()
            .map(|c| (c.code.clone(), c.name.clone()))
            .collect()
    }

    pub fn all(&self) -> impl Iterator<Item = &Catalogue> {
        self.by_code.values()
    }

    /// The best language for an `Accept-Language` header (quality values honoured).
    pub fn negotiate(&self, accept_language: &str) -> String {
        let mut wanted: Vec<(f32, String)> = accept_language
            .split(',')
            .filter_map(|part| {
                let mut pieces = part.trim().split(';');
                let tag = pieces.next()?.trim().to_lowercase();
                let quality = pieces
                    .find_map(|p| p.trim().strip_prefix("q=").and_then(|q| q.parse().ok()))
                    .unwrap_or(1.0);
                let primary = tag.split('-').next()?.to_string();
                (!primary.is_empty()).then_some((quality, primary))
            })
            .collect();
        wanted.sort_by(|a, b| b.0.total_cmp(&a.0));
        wanted
            .into_iter()
            .map(|(_, code)| code)
            .find(|code| self.has(code))
            .unwrap_or_else(|| DEFAULT.to_string())
    }
}

impl Catalogue {
    /// The string `key` (the key itself when missing, so a gap shows instead of breaking).
    pub fn text(&self, key: &str) -> String {
        self.t.get(key).cloned().unwrap_or_else(|| key.to_string())
    }

    /// The string `key` with each `{name}` replaced.
    pub fn fill(&self, key: &str, values: &[(&str, &str)]) -> String {
        let mut text = self.text(key);
        for (name, value) in values {
            text = text.replace(&format!("{{{name}}}"), value);
        }
        text
    }

    /// A date in this language, such as "Saturday, June 1, 2030" or "samedi 1 juin 2030".
    pub fn date<T: Datelike>(&self, at: &T) -> String {
        let weekday = at.weekday().num_days_from_monday() as usize;
        let month = at.month0() as usize;
        self.date
            .replace("{weekday}", &self.weekdays[weekday])
            .replace("{month}", &self.months[month])
            .replace("{day}", &at.day().to_string())
            .replace("{year}", &at.year().to_string())
    }

    /// The name of month `month0` (0 = January).
    pub fn month_name(&self, month0: u32) -> &str {
        &self.months[month0 as usize % 12]
    }

    /// The name of day `from_monday` of the week (0 = Monday).
    pub fn weekday_name(&self, from_monday: u32) -> &str {
        &self.weekdays[from_monday as usize % 7]
    }

    /// A time of day in this language, such as "2:00 PM" or "14:00".
    pub fn time<T: Timelike>(&self, at: &T) -> String {
        let (pm, hour12) = at.hour12();
        self.time
            .replace("{hour12}", &hour12.to_string())
            .replace("{hour}", &format!("{:02}", at.hour()))
            .replace("{minute}", &format!("{:02}", at.minute()))
            .replace("{ampm}", if pm { &self.pm } else { &self.am })
            .trim()
            .to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn every_language_has_every_key_of_every_other() {
        let catalogues = Catalogues::embedded().expect("catalogues");
        let english = catalogues.get("en");
        assert!(catalogues.all().count() >= 2, "English and French at least");
        for catalogue in catalogues.all() {
            let missing: Vec<&String> = english
                .t
                .keys()
                .filter(|k| !catalogue.t.contains_key(*k))
                .collect();
            let extra: Vec<&String> = catalogue
                .t
                .keys()
                .filter(|k| !english.t.contains_key(*k))
                .collect();
            assert!(
                missing.is_empty() && extra.is_empty(),
                "{}: missing {missing:?}, extra {extra:?}",
                catalogue.code
            );
            for (key, text) in &catalogue.t {
                assert!(
                    !text.trim().is_empty(),
                    "{}: {key} is empty",
                    catalogue.code
                );
            }
        }
    }

    /// The settings page labels every kind a person chooses the delivery of, in every language.
    #[test]
    fn every_notification_kind_one_chooses_has_its_label() {
        let catalogues = Catalogues::embedded().expect("catalogues");
        for catalogue in catalogues.all() {
            for kind in convene_notifications::Kind::chosen() {
                let key = format!("notif_kind_{}", kind.as_str());
                assert!(catalogue.t.contains_key(&key), "{key} is missing");
            }
        }
    }

    #[test]
    fn dates_and_times_follow_each_language() {
        let catalogues = Catalogues::embedded().expect("catalogues");
        let at = chrono_tz::Europe::Paris
            .with_ymd_and_hms(2030, 6, 1, 14, 5, 0)
            .single()
            .expect("time");
        assert_eq!(catalogues.get("en").date(&at), "Saturday, June 1, 2030");
        assert_eq!(catalogues.get("en").time(&at), "2:05 PM");
        assert_eq!(catalogues.get("fr").date(&at), "samedi 1 juin 2030");
        assert_eq!(catalogues.get("fr").time(&at), "14:05");
    }

    #[test]
    fn accept_language_picks_the_best_known_language() {
        let catalogues = Catalogues::embedded().expect("catalogues");
        assert_eq!(catalogues.negotiate("fr-CH, fr;q=0.9, en;q=0.8"), "fr");
        assert_eq!(catalogues.negotiate("de-DE, en;q=0.5, fr;q=0.7"), "fr");
        assert_eq!(catalogues.negotiate("de"), "en");
        assert_eq!(catalogues.negotiate(""), "en");
    }

    #[test]
    fn placeholders_are_filled() {
        let catalogues = Catalogues::embedded().expect("catalogues");
        assert_eq!(
            catalogues.get("fr").fill("seats_left", &[("n", "3")]),
            "3 places restantes"
        );
    }
}
