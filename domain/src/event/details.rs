//! What an organiser says about an event, and the rules it must follow.

use crate::picture::RemotePicture;
use crate::validation::{
    has_control, html_deeper_than, is_web_url, sanitise_html, Errors, FieldError, HTML_DEPTH_MAX,
};
use serde::{Deserialize, Serialize};
use std::collections::HashSet;
use time::OffsetDateTime;

pub const TITLE_MIN: usize = 3;
pub const TITLE_MAX: usize = 200;
/// Largest description accepted, in bytes of HTML as sent.
pub const DESCRIPTION_MAX_BYTES: usize = 100 * 1024;
pub const TAGS_MAX: usize = 20;
pub const TAG_MAX: usize = 40;
pub const LINKS_MAX: usize = 20;
const SHORT_TEXT_MAX: usize = 200;
const LINK_VALUE_MAX: usize = 2_000;

/// Mobilizon's event categories (same ids, so federated events keep theirs).
pub const CATEGORIES: [&str; 30] = [
    "ARTS",
    "BOOK_CLUBS",
    "BUSINESS",
    "CAUSES",
    "COMEDY",
    "CRAFTS",
    "FOOD_DRINK",
    "HEALTH",
    "MUSIC",
    "AUTO_BOAT_AIR",
    "COMMUNITY",
    "FAMILY_EDUCATION",
    "FASHION_BEAUTY",
    "FILM_MEDIA",
    "GAMES",
    "LANGUAGE_CULTURE",
    "LEARNING",
    "LGBTQ",
    "MOVEMENTS_POLITICS",
    "NETWORKING",
    "PARTY",
    "PERFORMING_VISUAL_ARTS",
    "PETS",
    "PHOTOGRAPHY",
    "OUTDOORS_ADVENTURE",
    "SPIRITUALITY_RELIGION_BELIEFS",
    "SCIENCE_TECH",
    "SPORTS",
    "THEATRE",
    "MEETING",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum EventStatus {
    Tentative,
    #[default]
    Confirmed,
    Cancelled,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Visibility {
    #[default]
    Public,
    Unlisted,
    Private,
}

/// How people take part: freely, on approval, by invitation, or on another site.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum JoinMode {
    #[default]
    Free,
    Restricted,
    Invite,
    External,
}

/// A physical place.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(default)]
pub struct Address {
    pub name: Option<String>,
    pub street: Option<String>,
    pub postal_code: Option<String>,
    pub locality: Option<String>,
    pub region: Option<String>,
    pub country: Option<String>,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
}

/// A typed link shown with the event: pad, visio, stream, accessibility, tickets…
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MetadataLink {
    pub key: String,
    pub title: String,
    pub value: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(default)]
pub struct EventOptions {
    pub anonymous_participation: bool,
    pub show_remaining_seats: bool,
    pub hide_participant_count: bool,
    pub comments_open: bool,
    /// Show the online address to participants and organisers only.
    pub online_url_for_participants: bool,
}

impl Default for EventOptions {
    fn default() -> Self {
        Self {
            anonymous_participation: false,
            show_remaining_seats: true,
            hide_participant_count: false,
            comments_open: true,
            online_url_for_participants: false,
        }
    }
}

/// Everything an organiser describes. Stored whole in every `Created`/`Updated` change, already
/// validated and normalised (trimmed, sanitised HTML, lower-case tags).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EventDetails {
    pub title: String,
    /// Sanitised HTML. Sent with `description_source`, it is made from that source.
    #[serde(default)]
    pub description: String,
    /// What the organiser wrote, Markdown (CommonMark) or HTML, as they wrote it: kept so that
    /// editing starts from it again, and `description` is made from it. Absent when the HTML
    /// came as HTML (the API without it, other instances, events described before it was kept).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description_source: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub begins_at: OffsetDateTime,
    #[serde(default, with = "time::serde::rfc3339::option")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    pub ends_at: Option<OffsetDateTime>,
    pub time_zone: String,
    #[serde(default)]
    pub status: EventStatus,
    #[serde(default)]
    pub visibility: Visibility,
    #[serde(default)]
    pub join_mode: JoinMode,
    #[serde(default)]
    pub external_url: Option<String>,
    /// Seats for participants (organisers take none); none means unlimited.
    #[serde(default)]
    pub capacity: Option<i64>,
    #[serde(default)]
    pub address: Option<Address>,
    #[serde(default)]
    pub online_url: Option<String>,
    #[serde(default = "default_category")]
    pub category: String,
    #[serde(default, deserialize_with = "at_most::<_, _, TAGS_MAX>")]
    pub tags: Vec<String>,
    #[serde(default = "default_language")]
    pub language: String,
    #[serde(default, deserialize_with = "at_most::<_, _, LINKS_MAX>")]
    pub links: Vec<MetadataLink>,
    #[serde(default)]
    pub options: EventOptions,
    /// For an event organised on another instance, the picture it shows there (its address and
    /// alternative text), linked where it is. Never set on a local event: those upload theirs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remote_picture: Option<RemotePicture>,
}

fn default_category() -> String {
    "MEETING".into()
}

fn default_language() -> String {
    "und".into()
}

/// A partial update: every field absent stays as it is; `null` clears an optional field.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(default, deny_unknown_fields)]
pub struct EventPatch {
    pub title: Option<String>,
    /// HTML: the source kept before is dropped, unless `description_source` comes too.
    pub description: Option<String>,
    /// Markdown or HTML as the organiser wrote it; the description is made from it.
    pub description_source: Option<String>,
    #[serde(with = "time::serde::rfc3339::option")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    pub begins_at: Option<OffsetDateTime>,
    #[serde(with = "double_option_time")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    pub ends_at: Option<Option<OffsetDateTime>>,
    pub time_zone: Option<String>,
    pub status: Option<EventStatus>,
    pub visibility: Option<Visibility>,
    pub join_mode: Option<JoinMode>,
    #[serde(deserialize_with = "double_option")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub external_url: Option<Option<String>>,
    #[serde(deserialize_with = "double_option")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<i64>))]
    pub capacity: Option<Option<i64>>,
    #[serde(deserialize_with = "double_option")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Address>))]
    pub address: Option<Option<Address>>,
    #[serde(deserialize_with = "double_option")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub online_url: Option<Option<String>>,
    pub category: Option<String>,
    #[serde(deserialize_with = "optional_at_most::<_, _, TAGS_MAX>")]
    pub tags: Option<Vec<String>>,
    pub language: Option<String>,
    #[serde(deserialize_with = "optional_at_most::<_, _, LINKS_MAX>")]
    pub links: Option<Vec<MetadataLink>>,
    pub options: Option<EventOptions>,
}

/// A list of at most `MAX` items, refused as soon as one more comes: the rest of a list many
/// times too long is never read.
struct AtMost<T, const MAX: usize>(Vec<T>);

impl<'de, T: Deserialize<'de>, const MAX: usize> Deserialize<'de> for AtMost<T, MAX> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Items<T, const MAX: usize>(std::marker::PhantomData<T>);
        impl<'de, T: Deserialize<'de>, const MAX: usize> serde::de::Visitor<'de> for Items<T, MAX> {
            type Value = AtMost<T, MAX>;

            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                write!(f, "a list of at most {MAX} items")
            }

            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> Result<Self::Value, A::Error> {
                let mut items = Vec::new();
                while let Some(item) = seq.next_element()? {
                    if items.len() == MAX {
                        return Err(serde::de::Error::custom(format!("at most {MAX} items")));
                    }
                    items.push(item);
                }
                Ok(AtMost(items))
            }
        }
        deserializer.deserialize_seq(Items(std::marker::PhantomData))
    }
}

pub(crate) fn at_most<'de, D, T, const MAX: usize>(deserializer: D) -> Result<Vec<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    AtMost::<T, MAX>::deserialize(deserializer).map(|list| list.0)
}

fn optional_at_most<'de, D, T, const MAX: usize>(
    deserializer: D,
) -> Result<Option<Vec<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<AtMost<T, MAX>>::deserialize(deserializer).map(|list| list.map(|l| l.0))
}

/// Tells an absent field (`None`) from an explicit `null` (`Some(None)`).
fn double_option<'de, T, D>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    T: Deserialize<'de>,
    D: serde::Deserializer<'de>,
{
    Option::<T>::deserialize(deserializer).map(Some)
}

mod double_option_time {
    use serde::{Deserialize, Deserializer, Serializer};
    use time::OffsetDateTime;

    pub fn serialize<S: Serializer>(
        value: &Option<Option<OffsetDateTime>>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        time::serde::rfc3339::option::serialize(&value.flatten(), serializer)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<Option<OffsetDateTime>>, D::Error> {
        #[derive(Deserialize)]
        struct Wrapped(#[serde(with = "time::serde::rfc3339::option")] Option<OffsetDateTime>);
        Wrapped::deserialize(deserializer).map(|w| Some(w.0))
    }
}

impl EventPatch {
    /// The names of the fields this patch sets.
    pub fn fields(&self) -> Vec<&'static str> {
        let set = [
            ("title", self.title.is_some()),
            (
                "description",
                self.description.is_some() || self.description_source.is_some(),
            ),
            ("begins_at", self.begins_at.is_some()),
            ("ends_at", self.ends_at.is_some()),
            ("time_zone", self.time_zone.is_some()),
            ("status", self.status.is_some()),
            ("visibility", self.visibility.is_some()),
            ("join_mode", self.join_mode.is_some()),
            ("external_url", self.external_url.is_some()),
            ("capacity", self.capacity.is_some()),
            ("address", self.address.is_some()),
            ("online_url", self.online_url.is_some()),
            ("category", self.category.is_some()),
            ("tags", self.tags.is_some()),
            ("language", self.language.is_some()),
            ("links", self.links.is_some()),
            ("options", self.options.is_some()),
        ];
        set.into_iter()
            .filter(|(_, on)| *on)
            .map(|(f, _)| f)
            .collect()
    }

    /// `details` with this patch laid over it (not yet validated).
    pub fn apply_to(self, mut details: EventDetails) -> EventDetails {
        // New HTML without its source leaves the old source behind: it no longer says this.
        if self.description_source.is_some() || self.description.is_some() {
            details.description_source = self.description_source.clone();
        }
        macro_rules! set {
            ($($field:ident),*) => { $( if let Some(v) = self.$field { details.$field = v; } )* };
        }
        set!(
            title,
            description,
            begins_at,
            ends_at,
            time_zone,
            status,
            visibility,
            join_mode,
            external_url,
            capacity,
            address,
            online_url,
            category,
            tags,
            language,
            links,
            options
        );
        details
    }
}

fn char_len(text: &str) -> usize {
    text.chars().count()
}

fn trimmed(text: Option<String>) -> Option<String> {
    text.map(|t| t.trim().to_string()).filter(|t| !t.is_empty())
}

impl EventDetails {
    /// Checks every rule and returns the normalised details, or every broken rule by field.
    pub fn validate(mut self) -> Result<EventDetails, Vec<FieldError>> {
        let mut errors = Errors::default();
        self.title = self.title.trim().to_string();
        let title_len = char_len(&self.title);
        errors.check(
            (TITLE_MIN..=TITLE_MAX).contains(&title_len) && !has_control(&self.title),
            "title",
            format!("a title is {TITLE_MIN} to {TITLE_MAX} characters on one line (this one has {title_len})"),
        );
        self.description_source = self.description_source.filter(|s| !s.trim().is_empty());
        if let Some(source) = &self.description_source {
            if source.len() > DESCRIPTION_MAX_BYTES {
                errors.add(
                    "description",
                    format!(
                        "a description is at most 100 KB as written (this one is {} KB)",
                        source.len().div_ceil(1024)
                    ),
                );
                self.description_source = None;
            } else {
                self.description = crate::text::markdown_to_html(source);
            }
        }
        if self.description.len() > DESCRIPTION_MAX_BYTES {
            errors.add(
                "description",
                format!(
                    "a description is at most 100 KB of HTML (this one is {} KB)",
                    self.description.len().div_ceil(1024)
                ),
            );
        } else if html_deeper_than(&self.description, HTML_DEPTH_MAX) {
            errors.add(
                "description",
                format!("a description's HTML nests at most {HTML_DEPTH_MAX} elements deep"),
            );
        } else {
            self.description = sanitise_html(&self.description);
        }
        if let Some(ends_at) = self.ends_at {
            errors.check(
                ends_at >= self.begins_at,
                "ends_at",
                "the end must not be before the beginning",
            );
        }
        errors.check(
            self.time_zone.parse::<chrono_tz::Tz>().is_ok(),
            "time_zone",
            format!(
                "`{}` is not an IANA time zone: use a name such as Europe/Paris or America/New_York",
                self.time_zone
            ),
        );
        // Held to the same rules however it came: a web address, one line of text.
        self.remote_picture = self
            .remote_picture
            .and_then(|p| RemotePicture::new(&p.url, &p.alt, p.media_type.as_deref()));
        self.external_url = trimmed(self.external_url);
        match (self.join_mode, &self.external_url) {
            (JoinMode::External, None) => errors.add(
                "external_url",
                "external registration needs the URL where people register",
            ),
            (JoinMode::External, Some(url)) => errors.check(
                is_web_url(url),
                "external_url",
                "use an absolute http:// or https:// URL",
            ),
            (_, Some(_)) => errors.add(
                "external_url",
                "only events whose join_mode is external have an external URL",
            ),
            (_, None) => {}
        }
        if let Some(capacity) = self.capacity {
            errors.check(
                capacity >= 1,
                "capacity",
                "capacity is at least 1 seat; leave it out for no limit",
            );
        }
        self.online_url = trimmed(self.online_url);
        if let Some(url) = &self.online_url {
            errors.check(
                is_web_url(url),
                "online_url",
                "use an absolute http:// or https:// URL",
            );
        }
        if let Some(address) = self.address.take() {
            self.address = validate_address(address, &mut errors);
        }
        errors.check(
            CATEGORIES.contains(&self.category.as_str()),
            "category",
            format!(
                "`{}` is not a category: use one of {}",
                self.category,
                CATEGORIES.join(", ")
            ),
        );
        self.tags = normalise_tags(std::mem::take(&mut self.tags), &mut errors);
        self.language = self.language.trim().to_lowercase();
        errors.check(
            (2..=3).contains(&self.language.len())
                && self.language.chars().all(|c| c.is_ascii_lowercase()),
            "language",
            "use a 2 or 3 letter language code such as en or fr (und when unknown)",
        );
        if self.links.len() > LINKS_MAX {
            errors.add("links", format!("at most {LINKS_MAX} links"));
            // Checked no further: too many is all there is to say.
            self.links.clear();
        }
        for (i, link) in self.links.iter_mut().enumerate() {
            link.key = link.key.trim().to_string();
            link.title = link.title.trim().to_string();
            link.value = link.value.trim().to_string();
            errors.check(
                !link.key.is_empty() && char_len(&link.key) <= 100,
                &format!("links[{i}].key"),
                "a key is 1 to 100 characters, such as mz:visio:jitsi_meet",
            );
            errors.check(
                char_len(&link.title) <= SHORT_TEXT_MAX,
                &format!("links[{i}].title"),
                format!("a title is at most {SHORT_TEXT_MAX} characters"),
            );
            errors.check(
                !link.value.is_empty() && char_len(&link.value) <= LINK_VALUE_MAX,
                &format!("links[{i}].value"),
                format!("a value is 1 to {LINK_VALUE_MAX} characters"),
            );
            // A value is a web address or plain words: never another kind of URL
            // (`javascript:` would run in the page that shows it as a link).
            errors.check(
                !link.value.contains(':') || is_web_url(&link.value),
                &format!("links[{i}].value"),
                "a link is an absolute http:// or https:// URL",
            );
            errors.check(
                ![&link.key, &link.title, &link.value]
                    .iter()
                    .any(|t| has_control(t)),
                &format!("links[{i}]"),
                "keys, titles and values are single lines",
            );
        }
        errors.finish(self)
    }

    /// Whether the event is held online (it may also have a place).
    pub fn is_online(&self) -> bool {
        self.online_url.is_some()
    }
}

pub(crate) fn validate_address(mut address: Address, errors: &mut Errors) -> Option<Address> {
    for (field, value) in [
        ("name", &mut address.name),
        ("street", &mut address.street),
        ("postal_code", &mut address.postal_code),
        ("locality", &mut address.locality),
        ("region", &mut address.region),
        ("country", &mut address.country),
    ] {
        *value = trimmed(value.take());
        if let Some(text) = value {
            errors.check(
                char_len(text) <= SHORT_TEXT_MAX && !has_control(text),
                &format!("address.{field}"),
                format!("at most {SHORT_TEXT_MAX} characters on one line"),
            );
        }
    }
    match (address.latitude, address.longitude) {
        (Some(lat), Some(lon)) => {
            errors.check(
                (-90.0..=90.0).contains(&lat),
                "address.latitude",
                "a latitude is between -90 and 90",
            );
            errors.check(
                (-180.0..=180.0).contains(&lon),
                "address.longitude",
                "a longitude is between -180 and 180",
            );
        }
        (None, None) => {}
        _ => errors.add(
            "address.latitude",
            "give both latitude and longitude, or neither",
        ),
    }
    (address != Address::default()).then_some(address)
}

pub(crate) fn normalise_tags(tags: Vec<String>, errors: &mut Errors) -> Vec<String> {
    // Counted as sent, before any work on them: repeats and empty tags make up no excuse for
    // a list many times the limit.
    if tags.len() > TAGS_MAX {
        errors.add("tags", format!("at most {TAGS_MAX} tags"));
        return Vec::new();
    }
    let mut seen = HashSet::new();
    let mut normalised: Vec<String> = Vec::new();
    for tag in tags {
        let tag = tag.trim().trim_start_matches('#').to_lowercase();
        if tag.is_empty() || !seen.insert(tag.clone()) {
            continue;
        }
        errors.check(
            char_len(&tag) <= TAG_MAX && !has_control(&tag),
            "tags",
            format!("a tag is at most {TAG_MAX} characters on one line"),
        );
        normalised.push(tag);
    }
    normalised
}
