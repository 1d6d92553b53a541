//! A group's resources: a tree of folders and links (a link typed `link`, `pad`, `calc` or
//! `visio`). Every member adds, edits, moves and deletes them; a folder is never moved into
//! itself or one of its own folders, and a folder deleted takes its content with it. What a
//! link says is what the member typed, stored at once; its preview (the page's title,
//! description and image) is fetched later by the instance and recorded as a change of its own.

use super::{check_object, invalid, Group, GroupActor, GroupChange, GroupError, MemberRole};
use crate::validation::{has_control, is_web_url, Errors, FieldError};
use serde::{Deserialize, Serialize};

/// Longest title of a resource, in characters.
pub const RESOURCE_TITLE_MAX: usize = 200;
/// Longest summary of a resource, in characters.
pub const RESOURCE_SUMMARY_MAX: usize = 1_000;
/// Longest URL of a link, in bytes.
pub const RESOURCE_URL_MAX: usize = 2_000;

/// What a resource is: a folder, or a link of one of the types Mobilizon knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ResourceKind {
    Folder,
    Link,
    Pad,
    Calc,
    Visio,
}

impl ResourceKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ResourceKind::Folder => "folder",
            ResourceKind::Link => "link",
            ResourceKind::Pad => "pad",
            ResourceKind::Calc => "calc",
            ResourceKind::Visio => "visio",
        }
    }

    pub fn parse(text: &str) -> Option<ResourceKind> {
        [
            ResourceKind::Folder,
            ResourceKind::Link,
            ResourceKind::Pad,
            ResourceKind::Calc,
            ResourceKind::Visio,
        ]
        .into_iter()
        .find(|k| k.as_str() == text)
    }

    pub fn is_folder(self) -> bool {
        self == ResourceKind::Folder
    }
}

/// What a resource says: the whole of it, when added and at every edit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResourceContent {
    pub kind: ResourceKind,
    pub title: String,
    /// A link's absolute http(s) URL; a folder has none.
    #[serde(default)]
    pub url: Option<String>,
    #[serde(default)]
    pub summary: Option<String>,
}

impl ResourceContent {
    /// A folder named `title`.
    pub fn folder(title: &str) -> Self {
        Self {
            kind: ResourceKind::Folder,
            title: title.into(),
            url: None,
            summary: None,
        }
    }

    /// A link of type `kind` to `url`.
    pub fn link(kind: ResourceKind, title: &str, url: &str) -> Self {
        Self {
            kind,
            title: title.into(),
            url: Some(url.into()),
            summary: None,
        }
    }

    /// Checks every rule and returns the normalised content, or every broken rule by field.
    pub fn validate(mut self) -> Result<ResourceContent, Vec<FieldError>> {
        let mut errors = Errors::default();
        self.title = self.title.trim().to_string();
        errors.check(
            (1..=RESOURCE_TITLE_MAX).contains(&self.title.chars().count())
                && !has_control(&self.title),
            "title",
            format!("a title is 1 to {RESOURCE_TITLE_MAX} characters on one line"),
        );
        self.url = self
            .url
            .map(|u| u.trim().to_string())
            .filter(|u| !u.is_empty());
        match (&self.url, self.kind.is_folder()) {
            (Some(_), true) => errors.add("url", "a folder has no URL"),
            (None, false) => errors.add("url", "a link needs an http:// or https:// URL"),
            (Some(url), false) => errors.check(
                url.len() <= RESOURCE_URL_MAX && is_web_url(url),
                "url",
                format!(
                    "a link is an absolute http:// or https:// URL of at most \
                     {RESOURCE_URL_MAX} characters"
                ),
            ),
            (None, true) => {}
        }
        self.summary = self
            .summary
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty());
        if let Some(summary) = &self.summary {
            errors.check(
                summary.chars().count() <= RESOURCE_SUMMARY_MAX,
                "summary",
                format!("a summary is at most {RESOURCE_SUMMARY_MAX} characters"),
            );
        }
        errors.finish(self)
    }
}

/// Longest preview title kept, in characters (a longer one is cut).
pub const PREVIEW_TITLE_MAX: usize = 200;
/// Longest preview description kept, in characters (a longer one is cut).
pub const PREVIEW_DESCRIPTION_MAX: usize = 500;

/// What a link's page says of itself (its `<title>` and OpenGraph `og:title`, `og:description`,
/// `og:image`), as the instance fetched it. Every part may be missing: a page that could not be
/// fetched, or says nothing, gives an empty preview, so it is not fetched again.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LinkPreview {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// An absolute http(s) URL (shown as a link, never fetched by the instance).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
}

impl LinkPreview {
    /// The preview as it is kept: texts on one line with their spaces folded, cut to their
    /// longest, blanks dropped; an image only when it is an http(s) URL of a link's length.
    pub fn normalised(self) -> LinkPreview {
        let text = |value: Option<String>, max: usize| {
            value
                .map(|v| {
                    v.split_whitespace()
                        .collect::<Vec<_>>()
                        .join(" ")
                        .chars()
                        .filter(|c| !c.is_control())
                        .take(max)
                        .collect::<String>()
                })
                .filter(|v| !v.is_empty())
        };
        LinkPreview {
            title: text(self.title, PREVIEW_TITLE_MAX),
            description: text(self.description, PREVIEW_DESCRIPTION_MAX),
            image: self
                .image
                .map(|i| i.trim().to_string())
                .filter(|i| i.len() <= RESOURCE_URL_MAX && is_web_url(i)),
        }
    }
}

/// A change to some of what a resource says; what is left out stays. An empty summary takes
/// the summary away. A folder stays a folder and a link a link (its type may change).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ResourcePatch {
    #[serde(default)]
    pub kind: Option<ResourceKind>,
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default)]
    pub url: Option<String>,
    #[serde(default)]
    pub summary: Option<String>,
}

/// What the group remembers of a resource: the folder it is in (none: the top) and what it
/// says.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResourceState {
    #[serde(default)]
    pub parent: Option<String>,
    pub content: ResourceContent,
    /// The URL its last preview was fetched for.
    #[serde(default)]
    pub previewed: Option<String>,
}

type Decided = Result<Vec<GroupChange>, GroupError>;

impl Group {
    /// `parent` is a folder of this group (or the top).
    fn check_parent(&self, parent: Option<&String>) -> Result<(), GroupError> {
        let Some(parent) = parent else {
            return Ok(());
        };
        match self.resources.get(parent) {
            Some(state) if state.content.kind.is_folder() => Ok(()),
            Some(_) => Err(invalid("parent", "a link holds nothing: choose a folder")),
            None => Err(invalid("parent", "this group has no such folder")),
        }
    }

    /// Every resource inside `resource`, at any depth, in a stable order.
    pub fn resource_descendants(&self, resource: &str) -> Vec<String> {
        let mut found = Vec::new();
        let mut pending = vec![resource.to_string()];
        while let Some(folder) = pending.pop() {
            for (id, state) in &self.resources {
                if state.parent.as_deref() == Some(folder.as_str()) {
                    found.push(id.clone());
                    pending.push(id.clone());
                }
            }
        }
        found.sort();
        found
    }

    pub(super) fn add_resource(
        &self,
        by: GroupActor,
        (resource, parent): (String, Option<String>),
        content: ResourceContent,
        object: Option<String>,
    ) -> Decided {
        self.require(&by, MemberRole::Member)?;
        check_object(&by, object.as_deref())?;
        if self.resources.contains_key(&resource) {
            return Err(invalid("resource", "a resource with this id exists"));
        }
        let content = content.validate().map_err(GroupError::Invalid)?;
        self.check_parent(parent.as_ref())?;
        Ok(vec![GroupChange::ResourceAdded {
            resource,
            parent,
            author: by,
            content,
            object,
        }])
    }

    pub(super) fn edit_resource(
        &self,
        by: &GroupActor,
        resource: String,
        patch: ResourcePatch,
    ) -> Decided {
        self.require(by, MemberRole::Member)?;
        let Some(current) = self.resources.get(&resource) else {
            return Err(GroupError::UnknownResource);
        };
        let was = current.content.clone();
        if let Some(kind) = patch.kind {
            if kind.is_folder() != was.kind.is_folder() {
                return Err(invalid(
                    "kind",
                    "a folder stays a folder and a link stays a link",
                ));
            }
        }
        let content = ResourceContent {
            kind: patch.kind.unwrap_or(was.kind),
            title: patch.title.unwrap_or_else(|| was.title.clone()),
            url: patch.url.or_else(|| was.url.clone()),
            summary: patch.summary.or_else(|| was.summary.clone()),
        }
        .validate()
        .map_err(GroupError::Invalid)?;
        if content == was {
            return Ok(vec![]);
        }
        Ok(vec![GroupChange::ResourceEdited { resource, content }])
    }

    pub(super) fn move_resource(
        &self,
        by: &GroupActor,
        resource: String,
        parent: Option<String>,
    ) -> Decided {
        self.require(by, MemberRole::Member)?;
        let Some(current) = self.resources.get(&resource) else {
            return Err(GroupError::UnknownResource);
        };
        self.check_parent(parent.as_ref())?;
        if let Some(target) = &parent {
            if *target == resource || self.resource_descendants(&resource).contains(target) {
                return Err(invalid(
                    "parent",
                    "a folder cannot be moved into itself or one of its own folders",
                ));
            }
        }
        if current.parent == parent {
            return Ok(vec![]);
        }
        Ok(vec![GroupChange::ResourceMoved { resource, parent }])
    }

    /// The instance records the preview it fetched of link `resource` at `url`. Nothing is
    /// written when the link has changed since (its new URL gets a preview of its own), is gone
    /// or is a folder, or when `url` was previewed already (a fetch repeated after a restart).
    pub(super) fn preview_resource(
        &self,
        resource: String,
        url: String,
        preview: LinkPreview,
    ) -> Decided {
        let Some(current) = self.resources.get(&resource) else {
            return Ok(vec![]);
        };
        if current.content.url.as_deref() != Some(url.as_str())
            || current.previewed.as_deref() == Some(url.as_str())
        {
            return Ok(vec![]);
        }
        Ok(vec![GroupChange::ResourcePreviewed {
            resource,
            url,
            preview: preview.normalised(),
        }])
    }

    pub(super) fn delete_resource(&self, by: &GroupActor, resource: String) -> Decided {
        self.require(by, MemberRole::Member)?;
        if !self.resources.contains_key(&resource) {
            return Err(GroupError::UnknownResource);
        }
        let content = self.resource_descendants(&resource);
        Ok(vec![GroupChange::ResourceDeleted { resource, content }])
    }

    /// Sets what the group remembers of its resources, for [`Group::apply`].
    pub(super) fn apply_resource(&mut self, change: &GroupChange) {
        match change {
            GroupChange::ResourceAdded {
                resource,
                parent,
                content,
                ..
            } => {
                let state = ResourceState {
                    parent: parent.clone(),
                    content: content.clone(),
                    previewed: None,
                };
                self.resources.insert(resource.clone(), state);
            }
            GroupChange::ResourceEdited { resource, content } => {
                if let Some(state) = self.resources.get_mut(resource) {
                    // A new URL waits for a preview of its own.
                    if state.content.url != content.url {
                        state.previewed = None;
                    }
                    state.content = content.clone();
                }
            }
            GroupChange::ResourcePreviewed { resource, url, .. } => {
                if let Some(state) = self.resources.get_mut(resource) {
                    state.previewed = Some(url.clone());
                }
            }
            GroupChange::ResourceMoved { resource, parent } => {
                if let Some(state) = self.resources.get_mut(resource) {
                    state.parent = parent.clone();
                }
            }
            GroupChange::ResourceDeleted { resource, content } => {
                self.resources.remove(resource);
                for id in content {
                    self.resources.remove(id);
                }
            }
            _ => {}
        }
    }
}
