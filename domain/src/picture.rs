//! A picture: an image someone uploaded, for an event or as a profile's avatar. The bytes live
//! in files named after their content's hash; the log records the upload itself — who, which
//! hash, its sizes, its alternative text — and, once it has waited a day without being used,
//! its removal. An event or a profile then shows it through a change of its own
//! ([`crate::EventChange::PictureSet`], [`crate::ProfileChange::AvatarSet`]), carrying a copy of
//! these facts, so that their read models and snapshots never look a picture up.

use crate::validation::{Errors, FieldError};
use cqrs_es::event_sink::EventSink;
use cqrs_es::{Aggregate, DomainEvent};
use serde::{Deserialize, Serialize};

/// Longest alternative text, in characters.
pub const ALT_MAX: usize = 500;

/// What a picture is for: it decides the size limit and whether alternative text is required.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum PicturePurpose {
    /// An event's picture: alternative text required.
    Event,
    /// A profile's avatar: shown beside the name, which says who it is.
    Avatar,
    /// A group's avatar: alternative text required, at most the avatar limit.
    GroupAvatar,
    /// A group's banner, across the top of its page: alternative text required.
    GroupBanner,
}

impl PicturePurpose {
    pub fn as_str(self) -> &'static str {
        match self {
            PicturePurpose::Event => "event",
            PicturePurpose::Avatar => "avatar",
            PicturePurpose::GroupAvatar => "group_avatar",
            PicturePurpose::GroupBanner => "group_banner",
        }
    }

    /// Every picture but a profile's avatar is described for those who cannot see it.
    pub fn alt_required(self) -> bool {
        self != PicturePurpose::Avatar
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "event" => Some(PicturePurpose::Event),
            "avatar" => Some(PicturePurpose::Avatar),
            "group_avatar" => Some(PicturePurpose::GroupAvatar),
            "group_banner" => Some(PicturePurpose::GroupBanner),
            _ => None,
        }
    }
}

/// Where a group shows a picture: beside its name, or across the top of its page.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum GroupPicture {
    Avatar,
    Banner,
}

impl GroupPicture {
    /// What an upload for this place is for.
    pub fn purpose(self) -> PicturePurpose {
        match self {
            GroupPicture::Avatar => PicturePurpose::GroupAvatar,
            GroupPicture::Banner => PicturePurpose::GroupBanner,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            GroupPicture::Avatar => "avatar",
            GroupPicture::Banner => "banner",
        }
    }
}

/// What was stored of an upload: the SHA-256 of the bytes sent (hex), the size of the largest
/// rendition, every width stored (narrowest first), the dominant colour (`#rrggbb`) and a
/// blurhash, shown while the picture loads (uploads older than blurhashes have none).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PictureFacts {
    pub hash: String,
    pub width: u32,
    pub height: u32,
    pub widths: Vec<u32>,
    pub colour: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub blurhash: Option<String>,
}

/// Longest blurhash kept: 9×9 components take 4 + 2 × 80 characters.
pub const BLURHASH_MAX: usize = 164;

/// The characters of a blurhash (its base 83).
const BASE83: &str =
    "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz#$%*+,-.:;=?@[]^_{|}~";

impl PictureFacts {
    /// The facts' own rules, whoever sends them.
    pub fn check(&self, errors: &mut Errors) {
        errors.check(
            self.hash.len() == 64 && self.hash.bytes().all(|b| b.is_ascii_hexdigit()),
            "file",
            "the picture's hash is not a SHA-256",
        );
        errors.check(
            self.width > 0
                && self.height > 0
                && !self.widths.is_empty()
                && self.widths.windows(2).all(|w| w[0] < w[1])
                && self.widths.last() == Some(&self.width),
            "file",
            "the picture's sizes do not agree",
        );
        errors.check(
            self.colour.len() == 7
                && self.colour.starts_with('#')
                && self.colour[1..].bytes().all(|b| b.is_ascii_hexdigit()),
            "file",
            "the picture's colour is not #rrggbb",
        );
        errors.check(
            self.blurhash.as_ref().is_none_or(|b| {
                (6..=BLURHASH_MAX).contains(&b.len()) && b.chars().all(|c| BASE83.contains(c))
            }),
            "file",
            "the picture's blurhash is not one",
        );
    }
}

/// An event's picture as its pages show it: the picture's id and facts, and its alternative
/// text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ShownPicture {
    pub id: String,
    #[serde(flatten)]
    pub facts: PictureFacts,
    /// Alternative text, for those who cannot see the picture (empty for avatars).
    #[serde(default)]
    pub alt: String,
}

/// The picture of an event organised on another instance, as its instance federates it: the
/// address of the file there (`https` or `http` only) and its alternative text. Nothing is
/// fetched: pages link to it where it is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RemotePicture {
    pub url: String,
    /// Alternative text (empty when the other instance sent none).
    #[serde(default)]
    pub alt: String,
    /// The file's type as the other instance says it (`image/jpeg`), when it does.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub media_type: Option<String>,
}

/// Longest address of a remote picture, in bytes.
pub const REMOTE_URL_MAX: usize = 2_000;

impl RemotePicture {
    /// A remote picture at `url` when it is a web address (never `data:` or another scheme)
    /// of a sane length, with `alt` cut to one line of at most [`ALT_MAX`] characters.
    pub fn new(url: &str, alt: &str, media_type: Option<&str>) -> Option<Self> {
        let url = url.trim();
        let parsed = url::Url::parse(url).ok()?;
        let web = matches!(parsed.scheme(), "https" | "http") && parsed.host_str().is_some();
        if !web || url.len() > REMOTE_URL_MAX || url.chars().any(char::is_control) {
            return None;
        }
        let one_line = |text: &str, max: usize| -> String {
            let text: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
            text.chars().take(max).collect()
        };
        let media_type = media_type
            .map(|m| one_line(m, 100))
            .filter(|m| m.starts_with("image/"));
        Some(RemotePicture {
            url: url.to_string(),
            alt: one_line(alt, ALT_MAX),
            media_type,
        })
    }
}

/// Checks alternative text: required (for event pictures), at most [`ALT_MAX`] characters, on
/// one line. Returns it trimmed.
pub fn checked_alt(alt: Option<&str>, required: bool) -> Result<String, Vec<FieldError>> {
    let alt = alt.unwrap_or_default().trim().to_string();
    let mut errors = Errors::default();
    errors.check(
        !required || !alt.is_empty(),
        "alt",
        "describe the picture for those who cannot see it (alternative text is required)",
    );
    errors.check(
        alt.chars().count() <= ALT_MAX,
        "alt",
        format!("alternative text is at most {ALT_MAX} characters"),
    );
    errors.check(
        !alt.chars().any(char::is_control),
        "alt",
        "alternative text is one line, without control characters",
    );
    errors.finish(alt)
}

/// What can be asked of a picture.
#[derive(Debug, Clone, PartialEq)]
pub enum PictureCommand {
    /// `by` (a profile's username) uploaded a picture whose files are stored.
    Upload {
        by: String,
        purpose: PicturePurpose,
        facts: PictureFacts,
        alt: Option<String>,
    },
    /// Nobody used the picture within a day: the system removes it.
    Discard,
}

/// What happened to a picture. Stored forever: add variants and defaulted fields, never rename.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum PictureChange {
    Uploaded {
        by: String,
        purpose: PicturePurpose,
        facts: PictureFacts,
        alt: String,
    },
    /// Removed unused; its files are deleted unless another picture has the same hash.
    Discarded,
}

impl DomainEvent for PictureChange {
    fn event_type(&self) -> String {
        match self {
            Self::Uploaded { .. } => "PictureUploaded",
            Self::Discarded => "PictureDiscarded",
        }
        .to_string()
    }

    fn event_version(&self) -> String {
        "1".to_string()
    }
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PictureError {
    #[error("some fields are invalid")]
    Invalid(Vec<FieldError>),
    #[error("a picture with this id already exists")]
    AlreadyExists,
    #[error("there is no such picture")]
    NotFound,
}

/// The state a picture's decisions need.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub struct Picture {
    uploaded: bool,
    discarded: bool,
}

impl Aggregate for Picture {
    const TYPE: &'static str = "Picture";
    type Command = PictureCommand;
    type Event = PictureChange;
    type Error = PictureError;
    type Services = ();

    async fn handle(
        &mut self,
        command: Self::Command,
        _services: &Self::Services,
        sink: &EventSink<Self>,
    ) -> Result<(), Self::Error> {
        let change = match command {
            PictureCommand::Upload {
                by,
                purpose,
                facts,
                alt,
            } => {
                if self.uploaded {
                    return Err(PictureError::AlreadyExists);
                }
                let mut errors = Errors::default();
                facts.check(&mut errors);
                let alt = match checked_alt(alt.as_deref(), purpose.alt_required()) {
                    Ok(alt) => alt,
                    Err(alt_errors) => {
                        for e in alt_errors {
                            errors.add(e.field, e.message);
                        }
                        String::new()
                    }
                };
                errors.finish(()).map_err(PictureError::Invalid)?;
                PictureChange::Uploaded {
                    by,
                    purpose,
                    facts,
                    alt,
                }
            }
            PictureCommand::Discard => {
                if !self.uploaded {
                    return Err(PictureError::NotFound);
                }
                if self.discarded {
                    return Ok(());
                }
                PictureChange::Discarded
            }
        };
        sink.write(change, self).await;
        Ok(())
    }

    fn apply(&mut self, change: Self::Event) {
        match change {
            PictureChange::Uploaded { .. } => self.uploaded = true,
            PictureChange::Discarded => self.discarded = true,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cqrs_es::test::TestFramework;

    fn facts() -> PictureFacts {
        PictureFacts {
            hash: "ab".repeat(32),
            width: 640,
            height: 480,
            widths: vec![320, 640],
            colour: "#a0b1c2".into(),
            blurhash: Some("LEHV6nWB2yk8pyo0adR*.7kCMdnj".into()),
        }
    }

    fn upload(purpose: PicturePurpose, alt: Option<&str>) -> PictureCommand {
        PictureCommand::Upload {
            by: "ana".into(),
            purpose,
            facts: facts(),
            alt: alt.map(String::from),
        }
    }

    type Test = TestFramework<Picture>;

    #[test]
    fn an_event_picture_is_uploaded_with_its_alternative_text_trimmed() {
        Test::with(())
            .given_no_previous_events()
            .when(upload(PicturePurpose::Event, Some("  A choir on stairs ")))
            .then_expect_events(vec![PictureChange::Uploaded {
                by: "ana".into(),
                purpose: PicturePurpose::Event,
                facts: facts(),
                alt: "A choir on stairs".into(),
            }]);
    }

    #[test]
    fn an_event_picture_needs_alternative_text_and_an_avatar_does_not() {
        for alt in [None, Some("   ")] {
            let result = Test::with(())
                .given_no_previous_events()
                .when(upload(PicturePurpose::Event, alt))
                .inspect_result();
            match result {
                Err(PictureError::Invalid(errors)) => assert_eq!(errors[0].field, "alt"),
                other => panic!("{other:?}"),
            }
        }
        for purpose in [PicturePurpose::GroupAvatar, PicturePurpose::GroupBanner] {
            let result = Test::with(())
                .given_no_previous_events()
                .when(upload(purpose, None))
                .inspect_result();
            assert!(
                matches!(&result, Err(PictureError::Invalid(e)) if e[0].field == "alt"),
                "{purpose:?}: {result:?}"
            );
            assert_eq!(PicturePurpose::parse(purpose.as_str()), Some(purpose));
        }
        Test::with(())
            .given_no_previous_events()
            .when(upload(PicturePurpose::Avatar, None))
            .then_expect_events(vec![PictureChange::Uploaded {
                by: "ana".into(),
                purpose: PicturePurpose::Avatar,
                facts: facts(),
                alt: String::new(),
            }]);
    }

    #[test]
    fn a_remote_picture_is_a_web_address_and_its_text_one_line() {
        let picture = RemotePicture::new(
            " https://mobilizon.fr/media/a.png ",
            "A choir\non stairs",
            Some("image/png"),
        )
        .expect("a web address");
        assert_eq!(picture.url, "https://mobilizon.fr/media/a.png");
        assert_eq!(picture.alt, "A choir on stairs");
        assert_eq!(picture.media_type.as_deref(), Some("image/png"));
        for bad in [
            "data:image/png;base64,iVBORw0KGgo=",
            "javascript:alert(1)",
            "ftp://example.org/a.png",
            "/relative.png",
            "https://",
        ] {
            assert_eq!(RemotePicture::new(bad, "", None), None, "{bad}");
        }
        let long = format!("https://example.org/{}", "a".repeat(REMOTE_URL_MAX));
        assert_eq!(RemotePicture::new(&long, "", None), None);
        let text = RemotePicture::new("http://example.org/a", &"b".repeat(900), Some("text/html"))
            .expect("a web address");
        assert_eq!(text.alt.chars().count(), ALT_MAX);
        assert_eq!(text.media_type, None);
    }

    #[test]
    fn alternative_text_is_one_line_of_at_most_500_characters() {
        assert!(checked_alt(Some(&"a".repeat(ALT_MAX)), true).is_ok());
        assert!(checked_alt(Some(&"a".repeat(ALT_MAX + 1)), true).is_err());
        assert!(checked_alt(Some("two\nlines"), true).is_err());
    }

    #[test]
    fn facts_that_disagree_are_refused() {
        let mut bad = facts();
        bad.widths = vec![640, 320];
        bad.colour = "red".into();
        bad.blurhash = Some("<script>".into());
        let result = Test::with(())
            .given_no_previous_events()
            .when(PictureCommand::Upload {
                by: "ana".into(),
                purpose: PicturePurpose::Avatar,
                facts: bad,
                alt: None,
            })
            .inspect_result();
        match result {
            Err(PictureError::Invalid(errors)) => assert_eq!(errors.len(), 3, "{errors:?}"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn facts_recorded_before_blurhashes_still_read() {
        let old = r##"{"hash":"ab","width":1,"height":1,"widths":[1],"colour":"#000000"}"##;
        let facts: PictureFacts = serde_json::from_str(old).expect("old facts");
        assert_eq!(facts.blurhash, None);
        assert!(!serde_json::to_string(&facts)
            .expect("json")
            .contains("blurhash"));
    }

    #[test]
    fn a_picture_is_discarded_once() {
        let uploaded = PictureChange::Uploaded {
            by: "ana".into(),
            purpose: PicturePurpose::Avatar,
            facts: facts(),
            alt: String::new(),
        };
        Test::with(())
            .given(vec![uploaded.clone()])
            .when(PictureCommand::Discard)
            .then_expect_events(vec![PictureChange::Discarded]);
        Test::with(())
            .given(vec![uploaded, PictureChange::Discarded])
            .when(PictureCommand::Discard)
            .then_expect_events(vec![]);
        Test::with(())
            .given_no_previous_events()
            .when(PictureCommand::Discard)
            .then_expect_error(PictureError::NotFound);
    }
}
