//! A group's resources, a tree of folders and links: for its members only (403
//! `/problems/member-needed` to everyone else, a removed member at once). Every member adds,
//! edits, moves and deletes them; bad input is refused naming the field (`title`, `url`,
//! `summary`, `kind`, `parent` — a folder moved into itself or one of its own folders is 422
//! naming `parent`) and writes nothing. A pad, calc or video call left without an address is
//! made on the service the instance proposes for it ([`LinkServices`]), with a fresh name.

use crate::auth::Acting;
use crate::error::{Error, Result};
use crate::groups::{self};
use crate::AppState;
use convene_domain::group::{
    GroupActor, LinkPreview, ResourceContent, ResourceKind, ResourcePatch,
};
use convene_domain::metadata::{Actor, Metadata, Source};
use convene_domain::validation::FieldError;
use convene_domain::{GroupCommand, GroupError};
pub use convene_projections::group_resources::WantedPreview;
use convene_projections::group_resources::{self as rows, Crumb, ResourceView};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The pad, spreadsheet and video call services the instance proposes: the address a new name
/// is appended to (`https://pad.example.org/p/`), for each kind it proposes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LinkServices {
    pub pad: Option<String>,
    pub calc: Option<String>,
    pub visio: Option<String>,
}

impl LinkServices {
    fn base(&self, kind: ResourceKind) -> Option<&str> {
        match kind {
            ResourceKind::Pad => self.pad.as_deref(),
            ResourceKind::Calc => self.calc.as_deref(),
            ResourceKind::Visio => self.visio.as_deref(),
            ResourceKind::Folder | ResourceKind::Link => None,
        }
    }

    /// The kinds of link the instance makes new ones of.
    pub fn offered(&self) -> Vec<ResourceKind> {
        [ResourceKind::Pad, ResourceKind::Calc, ResourceKind::Visio]
            .into_iter()
            .filter(|k| self.base(*k).is_some())
            .collect()
    }

    /// A new address on the service for `kind`, if the instance proposes one. Anyone who knows
    /// a pad's address may write in it, so its name is 128 random bits from a cryptographic
    /// generator seeded by the system, never derived from anything guessable.
    pub fn fresh(&self, kind: ResourceKind) -> Option<String> {
        let base = self.base(kind)?;
        Some(format!("{base}{:032x}", rand::random::<u128>()))
    }
}

/// A new folder or link.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewResource {
    /// The folder to put it in; none (or null) for the top.
    #[serde(default)]
    pub parent: Option<String>,
    /// `folder`, `link`, `pad`, `calc` or `visio`.
    pub kind: String,
    /// 1 to 200 characters on one line.
    pub title: String,
    /// A link's absolute http(s) URL (a folder has none). Left out for a `pad`, `calc` or
    /// `visio` the instance proposes a service for (see `services` in a listing), a new one is
    /// made there with a fresh, unguessable name.
    #[serde(default)]
    pub url: Option<String>,
    /// At most 1,000 characters.
    #[serde(default)]
    pub summary: Option<String>,
}

/// A change to some of what a resource says; what is left out stays. An empty summary takes
/// it away. A folder stays a folder and a link a link (its kind may change among link, pad,
/// calc and visio).
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResourceChange {
    #[serde(default)]
    pub kind: Option<String>,
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default)]
    pub url: Option<String>,
    #[serde(default)]
    pub summary: Option<String>,
}

/// Where to move a resource.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MoveTo {
    /// The folder to move it into; none (or null) for the top.
    #[serde(default)]
    pub parent: Option<String>,
}

/// A folder's content (or the top's), with the way down to it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Listing {
    pub group: String,
    /// The folder listed; none at the top.
    pub folder: Option<ResourceView>,
    /// The folders from the top down to this one (included); empty at the top.
    pub path: Vec<Crumb>,
    /// Folders first, then links, each by title.
    pub items: Vec<ResourceView>,
    /// The kinds of link the instance makes new ones of when added without an address.
    pub services: Vec<ResourceKind>,
}

fn kind_of(text: &str) -> Result<ResourceKind> {
    ResourceKind::parse(text.trim()).ok_or_else(|| {
        GroupError::Invalid(vec![FieldError {
            field: "kind".into(),
            message: "a kind is folder, link, pad, calc or visio".into(),
        }])
        .into()
    })
}

/// An id or none: an empty one is the top.
fn folder_id(parent: Option<String>) -> Option<String> {
    parent
        .map(|p| p.trim().to_string())
        .filter(|p| !p.is_empty())
}

async fn read(state: &AppState, handle: &str, id: &str) -> Result<ResourceView> {
    rows::one(state.db.pool(), handle, id)
        .await?
        .ok_or_else(|| GroupError::UnknownResource.into())
}

/// What folder `folder` of group `handle` holds (none: the top), with the way down to it
/// (members).
pub async fn listing(
    state: &AppState,
    acting: &Acting,
    handle: &str,
    folder: Option<&str>,
) -> Result<Listing> {
    groups::member_role(state, acting, handle).await?;
    let pool = state.db.pool();
    let shown = match folder {
        Some(id) => match rows::one(pool, handle, id).await? {
            Some(found) if found.is_folder() => Some(found),
            _ => return Err(Error::not_found("this group has no such folder")),
        },
        None => None,
    };
    let folders = rows::folders(pool, handle).await?;
    Ok(Listing {
        group: handle.to_string(),
        path: rows::path(&folders, folder),
        items: rows::children(pool, handle, folder).await?,
        folder: shown,
        services: state.link_services.offered(),
    })
}

/// Every folder of group `handle` with the way down to it, the top first (members): where a
/// resource may be moved.
pub async fn folders(
    state: &AppState,
    acting: &Acting,
    handle: &str,
) -> Result<Vec<(String, Vec<Crumb>)>> {
    groups::member_role(state, acting, handle).await?;
    let folders = rows::folders(state.db.pool(), handle).await?;
    let mut found: Vec<(String, Vec<Crumb>)> = folders
        .iter()
        .map(|f| (f.id.clone(), rows::path(&folders, Some(&f.id))))
        .collect();
    found.sort_by_cached_key(|(_, path)| {
        path.iter()
            .map(|c| c.title.to_lowercase())
            .collect::<Vec<_>>()
    });
    Ok(found)
}

/// Adds a folder or a link (members).
pub async fn create(
    state: &AppState,
    acting: &Acting,
    handle: &str,
    new: NewResource,
) -> Result<ResourceView> {
    groups::member_role(state, acting, handle).await?;
    let id = uuid::Uuid::new_v4().to_string();
    let kind = kind_of(&new.kind)?;
    let url = match new.url.filter(|u| !u.trim().is_empty()) {
        Some(url) => Some(url),
        // Made on the instance's service, or refused by the rules for want of an address.
        None => state.link_services.fresh(kind),
    };
    let command = GroupCommand::AddResource {
        by: GroupActor::profile(&acting.profile),
        resource: id.clone(),
        parent: folder_id(new.parent),
        content: ResourceContent {
            kind,
            title: new.title,
            url,
            summary: new.summary,
        },
        object: None,
    };
    groups::run_as_member(state, acting, handle, command).await?;
    read(state, handle, &id).await
}

/// Renames a resource or changes what a link says (members).
pub async fn change(
    state: &AppState,
    acting: &Acting,
    handle: &str,
    resource: &str,
    change: ResourceChange,
) -> Result<ResourceView> {
    groups::member_role(state, acting, handle).await?;
    let command = GroupCommand::EditResource {
        by: GroupActor::profile(&acting.profile),
        resource: resource.to_string(),
        patch: ResourcePatch {
            kind: change.kind.as_deref().map(kind_of).transpose()?,
            title: change.title,
            url: change.url,
            summary: change.summary,
        },
    };
    groups::run_as_member(state, acting, handle, command).await?;
    read(state, handle, resource).await
}

/// Moves a resource into another folder or to the top (members).
pub async fn move_to(
    state: &AppState,
    acting: &Acting,
    handle: &str,
    resource: &str,
    to: MoveTo,
) -> Result<ResourceView> {
    groups::member_role(state, acting, handle).await?;
    let command = GroupCommand::MoveResource {
        by: GroupActor::profile(&acting.profile),
        resource: resource.to_string(),
        parent: folder_id(to.parent),
    };
    groups::run_as_member(state, acting, handle, command).await?;
    read(state, handle, resource).await
}

/// Deletes a resource, a folder with everything in it (members). Answers the folder it was in.
pub async fn delete(
    state: &AppState,
    acting: &Acting,
    handle: &str,
    resource: &str,
) -> Result<Option<String>> {
    groups::member_role(state, acting, handle).await?;
    let parent = read(state, handle, resource).await?.parent;
    let command = GroupCommand::DeleteResource {
        by: GroupActor::profile(&acting.profile),
        resource: resource.to_string(),
    };
    groups::run_as_member(state, acting, handle, command).await?;
    Ok(parent)
}

/// How often a link's page that could not be reached is asked again before the link is given
/// an empty preview: after a minute, ten minutes, an hour and six hours.
pub const PREVIEW_RETRIES: [i64; 4] = [60, 600, 3_600, 6 * 3_600];

/// Links waiting for their preview, oldest first, at most `limit` (for the preview fetcher),
/// leaving out those to be asked again after `now` (Unix seconds).
pub async fn previews_wanted(state: &AppState, limit: i64, now: i64) -> Result<Vec<WantedPreview>> {
    Ok(rows::previews_wanted(state.db.pool(), limit, now).await?)
}

/// Records the preview the instance fetched of link `resource` of group `handle` at `url`: a
/// change of the instance's own (`system`, source `schedule`). The group writes nothing for a
/// link that has changed or gone since, so a fetch that lost a race records nothing.
pub async fn record_preview(
    state: &AppState,
    wanted: &WantedPreview,
    preview: LinkPreview,
) -> Result<()> {
    let command = GroupCommand::PreviewResource {
        resource: wanted.resource.clone(),
        url: wanted.url.clone(),
        preview,
    };
    let metadata = Metadata::now(Actor::System, Source::Schedule, uuid::Uuid::new_v4());
    crate::consistency::command(
        state,
        &state.groups,
        &wanted.group,
        command,
        &metadata,
        groups::READS,
    )
    .await?;
    Ok(rows::forget_preview_retry(state.db.pool(), &wanted.resource).await?)
}

/// What became of a link whose page could not be reached for the moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unreachable {
    /// Asked again at this time (Unix seconds).
    RetryAt(i64),
    /// Asked too often: recorded with an empty preview, not asked again.
    GivenUp,
}

/// The page of `wanted` could not be reached at `now` (timed out, refused the connection,
/// answered 5xx or 429): it is asked again after [`PREVIEW_RETRIES`], then the link is given
/// an empty preview like a page that says nothing of itself.
pub async fn preview_unreachable(
    state: &AppState,
    wanted: &WantedPreview,
    error: &str,
    now: i64,
) -> Result<Unreachable> {
    let pool = state.db.pool();
    let failed = rows::preview_attempts(pool, wanted).await?;
    match usize::try_from(failed)
        .ok()
        .and_then(|i| PREVIEW_RETRIES.get(i))
    {
        Some(wait) => {
            let due_at = now + wait;
            rows::retry_preview(pool, wanted, failed + 1, due_at, error).await?;
            Ok(Unreachable::RetryAt(due_at))
        }
        None => {
            record_preview(state, wanted, LinkPreview::default()).await?;
            Ok(Unreachable::GivenUp)
        }
    }
}
