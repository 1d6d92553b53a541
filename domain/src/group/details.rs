//! What a group says about itself, and the rules it must follow.

use crate::event::details::{validate_address, Address};
use crate::validation::{has_control, sanitise_html, Errors, FieldError};
use serde::{Deserialize, Serialize};

/// Longest display name, in characters.
pub const NAME_MAX: usize = 100;
/// Longest summary, in characters of sanitised HTML.
pub const SUMMARY_MAX: usize = 5_000;

/// Whether the group is listed (in search, on the instance's pages) or only reached by its
/// address. Either way its public facts are public.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum GroupVisibility {
    #[default]
    Public,
    Unlisted,
}

/// How people become members.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Openness {
    /// Anyone joins at once.
    Open,
    /// Anyone may ask; moderators approve or reject.
    #[default]
    Moderated,
    /// Only those invited.
    InviteOnly,
}

/// A group's settings, as its administrators set them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct GroupDetails {
    pub display_name: String,
    /// Sanitised HTML.
    #[serde(default)]
    pub summary: String,
    #[serde(default)]
    pub address: Option<Address>,
    #[serde(default)]
    pub visibility: GroupVisibility,
    #[serde(default)]
    pub openness: Openness,
    #[serde(default)]
    pub manually_approves_followers: bool,
    /// Media ids, filled once media can be uploaded.
    #[serde(default)]
    pub avatar: Option<String>,
    #[serde(default)]
    pub banner: Option<String>,
}

/// A partial update: every field absent stays as it is; `address: null` clears the address.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(default, deny_unknown_fields)]
pub struct GroupPatch {
    pub display_name: Option<String>,
    pub summary: Option<String>,
    #[serde(deserialize_with = "double_option")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Address>))]
    pub address: Option<Option<Address>>,
    pub visibility: Option<GroupVisibility>,
    pub openness: Option<Openness>,
    pub manually_approves_followers: Option<bool>,
}

fn double_option<'de, T, D>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    T: Deserialize<'de>,
    D: serde::Deserializer<'de>,
{
    Option::<T>::deserialize(deserializer).map(Some)
}

impl GroupPatch {
    /// The names of the fields this patch sets.
    pub fn fields(&self) -> Vec<&'static str> {
        [
            ("display_name", self.display_name.is_some()),
            ("summary", self.summary.is_some()),
            ("address", self.address.is_some()),
            ("visibility", self.visibility.is_some()),
            ("openness", self.openness.is_some()),
            (
                "manually_approves_followers",
                self.manually_approves_followers.is_some(),
            ),
        ]
        .into_iter()
        .filter(|(_, on)| *on)
        .map(|(f, _)| f)
        .collect()
    }

    /// `details` with this patch laid over it (not yet validated).
    pub fn apply_to(self, mut details: GroupDetails) -> GroupDetails {
        macro_rules! set {
            ($($field:ident),*) => { $( if let Some(v) = self.$field { details.$field = v; } )* };
        }
        set!(
            display_name,
            summary,
            address,
            visibility,
            openness,
            manually_approves_followers
        );
        details
    }
}

impl GroupDetails {
    /// Settings with this display name and the defaults (public, moderated, followers need no
    /// approval).
    pub fn named(display_name: impl Into<String>) -> Self {
        Self {
            display_name: display_name.into(),
            summary: String::new(),
            address: None,
            visibility: GroupVisibility::Public,
            openness: Openness::Moderated,
            manually_approves_followers: false,
            avatar: None,
            banner: None,
        }
    }

    /// Checks every rule and returns the normalised details, or every broken rule by field.
    pub fn validate(mut self) -> Result<GroupDetails, Vec<FieldError>> {
        let mut errors = Errors::default();
        self.display_name = self.display_name.trim().to_string();
        let length = self.display_name.chars().count();
        errors.check(
            (1..=NAME_MAX).contains(&length) && !has_control(&self.display_name),
            "display_name",
            format!("a display name is 1 to {NAME_MAX} characters on one line"),
        );
        self.summary = sanitise_html(self.summary.trim());
        errors.check(
            self.summary.chars().count() <= SUMMARY_MAX,
            "summary",
            format!("a summary is at most {SUMMARY_MAX} characters"),
        );
        self.address = self
            .address
            .take()
            .and_then(|a| validate_address(a, &mut errors));
        errors.finish(self)
    }
}
