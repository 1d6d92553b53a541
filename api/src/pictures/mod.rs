//! Pictures: an event's picture, a profile's avatar, a group's avatar and banner. An upload is checked by its content
//! ([`process`]), stored under the data folder in files named after its hash ([`store`]), each
//! width as JPEG then, in the background once the upload is recorded, as WebP ([`make_webp`];
//! a WebP asked for before it is made, or of an upload older than WebP renditions, is made
//! when asked, [`webp_on_demand`]), and
//! recorded in the log (`PictureUploaded`: who, the hash, the sizes, the alternative text); the
//! bytes never enter the log. An event, a profile or a group then shows it (`EventPictureSet`,
//! `ProfileAvatarSet`, `GroupPictureSet`). Uploads nobody used within a day are discarded by [`sweep`], which
//! deletes their files unless another upload has the same bytes.
//!
//! Bad input stores nothing: the size, the alternative text and the content are checked before
//! a file is written, and the files written are removed if the log refuses the upload.

pub mod placeholder;
pub mod process;
pub mod store;

use crate::auth::Acting;
use crate::consistency::{self, Reads};
use crate::error::{Error, Result};
use crate::events::acting_for;
use crate::AppState;
use convene_domain::group::GroupActor;
use convene_domain::metadata::{format_timestamp, Actor, Metadata, Source};
use convene_domain::picture::{checked_alt, GroupPicture, PicturePurpose, ShownPicture};
use convene_domain::{EventCommand, FieldError, GroupCommand, PictureCommand, ProfileCommand};
use convene_projections::events::EventView;
use convene_projections::groups::GroupView;
use convene_projections::pictures::{self, PictureRow};
use convene_projections::profiles::ProfileView;
use convene_projections::read_model::{EVENTS, GROUPS, PICTURES, PROFILES};
use serde::Serialize;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use store::Format;
use tokio::sync::Semaphore;
use utoipa::ToSchema;

/// Default largest event picture, in bytes (10 MiB).
pub const PICTURE_LIMIT: usize = 10 * 1024 * 1024;
/// Default largest avatar, in bytes (2 MiB).
pub const AVATAR_LIMIT: usize = 2 * 1024 * 1024;
/// How long an upload waits to be used before [`sweep`] discards it.
pub const UNUSED_FOR: Duration = Duration::from_secs(24 * 60 * 60);
/// How many pictures are decoded at once: each may take up to [`process::MAX_ALLOC`].
const AT_ONCE: usize = 2;

/// Where pictures are kept and how large they may be.
#[derive(Debug, Clone)]
pub struct PictureConfig {
    /// The folder of the renditions (`<data dir>/pictures`).
    pub folder: PathBuf,
    /// The largest event picture accepted, in bytes.
    pub picture_limit: usize,
    /// The largest avatar accepted, in bytes.
    pub avatar_limit: usize,
}

impl PictureConfig {
    /// Pictures in `folder`, with the default limits.
    pub fn in_folder(folder: impl Into<PathBuf>) -> Self {
        Self {
            folder: folder.into(),
            picture_limit: PICTURE_LIMIT,
            avatar_limit: AVATAR_LIMIT,
        }
    }

    /// The largest upload accepted for `purpose`, in bytes.
    pub fn limit(&self, purpose: PicturePurpose) -> usize {
        match purpose {
            PicturePurpose::Event | PicturePurpose::GroupBanner => self.picture_limit,
            PicturePurpose::Avatar | PicturePurpose::GroupAvatar => self.avatar_limit,
        }
    }
}

/// Decodings running at once, across requests.
pub fn gate() -> Arc<Semaphore> {
    Arc::new(Semaphore::new(AT_ONCE))
}

/// What picture use cases read back after their commands.
pub const READS: Reads = &[PICTURES];
const EVENT_READS: Reads = &[EVENTS, PICTURES];
const PROFILE_READS: Reads = &[PROFILES, PICTURES];
const GROUP_READS: Reads = &[GROUPS, PICTURES];

/// An upload as sent: the file's bytes, what it is for and its alternative text.
#[derive(Debug)]
pub struct Upload {
    pub purpose: PicturePurpose,
    pub bytes: Vec<u8>,
    pub alt: Option<String>,
}

/// A stored upload, as its uploader sees it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PictureView {
    pub id: String,
    pub purpose: PicturePurpose,
    /// SHA-256 of the bytes sent (hex): the renditions' names begin with it.
    pub hash: String,
    /// The size of the widest rendition.
    pub width: u32,
    pub height: u32,
    /// Every width stored, narrowest first.
    pub widths: Vec<u32>,
    /// The dominant colour (`#rrggbb`), to show while the picture loads.
    pub colour: String,
    /// A blurhash of the picture, to show blurred while it loads (none for old uploads).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub blurhash: Option<String>,
    pub alt: String,
    /// The address of each JPEG rendition, narrowest first (`/pictures/<hash>-<width>.jpg`).
    pub urls: Vec<String>,
    /// The same widths as WebP (`/pictures/<hash>-<width>.webp`), smaller.
    pub webp_urls: Vec<String>,
}

impl From<PictureRow> for PictureView {
    fn from(row: PictureRow) -> Self {
        PictureView {
            urls: urls(&row.facts.hash, &row.facts.widths, Format::Jpeg),
            webp_urls: urls(&row.facts.hash, &row.facts.widths, Format::Webp),
            id: row.id,
            purpose: row.purpose,
            hash: row.facts.hash,
            width: row.facts.width,
            height: row.facts.height,
            widths: row.facts.widths,
            colour: row.facts.colour,
            blurhash: row.facts.blurhash,
            alt: row.alt,
        }
    }
}

/// Where the rendition of `hash` at `width` in `format` is served.
pub fn url(hash: &str, width: u32, format: Format) -> String {
    format!("/pictures/{}", store::file_name(hash, width, format))
}

fn urls(hash: &str, widths: &[u32], format: Format) -> Vec<String> {
    widths.iter().map(|w| url(hash, *w, format)).collect()
}

/// The WebP rendition of an upload stored before WebP renditions were made: made from its JPEG
/// rendition of the same width, stored, and returned; `None` when there is no such JPEG (so a
/// name nobody uploaded costs nothing). Made once: later requests find the file.
pub async fn webp_on_demand(state: &AppState, hash: &str, width: u32) -> Result<Option<Vec<u8>>> {
    let folder = state.config.pictures.folder.clone();
    let jpeg = store::path_of(&folder, &store::file_name(hash, width, Format::Jpeg));
    let webp = store::path_of(&folder, &store::file_name(hash, width, Format::Webp));
    let _permit = state
        .picture_work
        .acquire()
        .await
        .map_err(Error::internal)?;
    tokio::task::spawn_blocking(move || -> std::io::Result<Option<Vec<u8>>> {
        // Another request may have made it while this one waited.
        if let Ok(bytes) = std::fs::read(&webp) {
            return Ok(Some(bytes));
        }
        let Ok(bytes) = std::fs::read(&jpeg) else {
            return Ok(None);
        };
        let rgb = image::load_from_memory_with_format(&bytes, image::ImageFormat::Jpeg)
            .map_err(std::io::Error::other)?
            .into_rgb8();
        let made =
            process::webp(&rgb).map_err(|_| std::io::Error::other("the WebP encoder failed"))?;
        store::write_one(&folder, &webp, &made)?;
        Ok(Some(made))
    })
    .await
    .map_err(Error::internal)?
    .map_err(Error::internal)
}

/// `bytes` said for people: `10 MB`, `512 KB`.
pub fn human_size(bytes: usize) -> String {
    const MIB: usize = 1024 * 1024;
    if bytes >= MIB && bytes.is_multiple_of(MIB) {
        format!("{} MB", bytes / MIB)
    } else if bytes >= MIB {
        format!("{:.1} MB", bytes as f64 / MIB as f64)
    } else {
        format!("{} KB", bytes.div_ceil(1024))
    }
}

/// The refusal of a file over `limit`, naming the field and the limit.
pub fn too_large(limit: usize) -> Error {
    let limit = human_size(limit);
    Error::TooLarge(vec![FieldError {
        field: "file".into(),
        message: format!("the picture is larger than {limit}: choose one of at most {limit}"),
    }])
}

/// Stores an upload by the acting profile and records it; returns it as stored.
pub async fn upload(state: &AppState, acting: &Acting, upload: Upload) -> Result<PictureView> {
    let id = stored(state, acting, upload).await?;
    find(state, &id).await.map(PictureView::from)
}

/// An upload checked and rendered, not yet stored: what a form checks before it saves anything
/// else, so that a refused picture leaves nothing behind.
#[derive(Debug)]
pub struct Prepared {
    purpose: PicturePurpose,
    alt: String,
    processed: process::Processed,
}

/// Checks an upload's size, alternative text and content, and renders it; nothing is stored.
pub async fn prepare(state: &AppState, upload: Upload) -> Result<Prepared> {
    let limit = state.config.pictures.limit(upload.purpose);
    if upload.bytes.len() > limit {
        return Err(too_large(limit));
    }
    let required = upload.purpose.alt_required();
    let alt = checked_alt(upload.alt.as_deref(), required).map_err(Error::Invalid)?;
    let _permit = state
        .picture_work
        .acquire()
        .await
        .map_err(Error::internal)?;
    let bytes = upload.bytes;
    let processed = tokio::task::spawn_blocking(move || process::process(&bytes))
        .await
        .map_err(Error::internal)?
        .map_err(Error::Invalid)?;
    Ok(Prepared {
        purpose: upload.purpose,
        alt,
        processed,
    })
}

/// Checks, renders, writes and records an upload; returns its id.
async fn stored(state: &AppState, acting: &Acting, upload: Upload) -> Result<String> {
    let prepared = prepare(state, upload).await?;
    record(state, acting, prepared).await
}

/// Writes a prepared upload's files and records it, by the acting profile; returns its id.
async fn record(state: &AppState, acting: &Acting, prepared: Prepared) -> Result<String> {
    let Prepared {
        purpose,
        alt,
        processed,
    } = prepared;
    let folder = state.config.pictures.folder.clone();
    let hash = processed.facts.hash.clone();
    let webp_hash = hash.clone();
    let renditions = processed.renditions;
    let webp_sources = processed.webp_sources;
    let written =
        tokio::task::spawn_blocking(move || store::write_all(&folder, &hash, &renditions))
            .await
            .map_err(Error::internal)?
            .map_err(Error::internal)?;
    let id = uuid::Uuid::new_v4().to_string();
    let command = PictureCommand::Upload {
        by: acting.profile.clone(),
        purpose,
        facts: processed.facts,
        alt: Some(alt),
    };
    let metadata = acting.metadata();
    if let Err(error) =
        consistency::command(state, &state.pictures, &id, command, &metadata, READS).await
    {
        store::remove(&written);
        return Err(error);
    }
    make_webp(state, webp_hash, webp_sources);
    Ok(id)
}

/// Makes the WebP renditions of a stored upload in the background, narrowest first: the upload
/// answers once its JPEGs are stored, since WebP would double the time it takes. One asked for
/// before its turn is made then ([`webp_on_demand`]); a file already there is kept.
fn make_webp(state: &AppState, hash: String, sources: process::WebpSources) {
    let folder = state.config.pictures.folder.clone();
    let gate = state.picture_work.clone();
    tokio::spawn(async move {
        // Within the same bound on pictures worked on at once as uploads.
        let Ok(_permit) = gate.acquire_owned().await else {
            return;
        };
        let made = tokio::task::spawn_blocking(move || -> std::io::Result<()> {
            for (width, pixels) in &sources.0 {
                let path = store::path_of(&folder, &store::file_name(&hash, *width, Format::Webp));
                if path.exists() {
                    continue;
                }
                let bytes = process::webp(pixels)
                    .map_err(|_| std::io::Error::other("the WebP encoder failed"))?;
                store::write_one(&folder, &path, &bytes)?;
            }
            Ok(())
        })
        .await;
        match made {
            Ok(Ok(())) => {}
            Ok(Err(error)) => tracing::warn!(
                %error,
                "a picture's WebP renditions were not made now; they will be when asked for"
            ),
            Err(error) => tracing::warn!(%error, "making a picture's WebP renditions stopped"),
        }
    });
}

/// Stores a prepared event picture by the acting profile without showing it anywhere yet: a
/// form shown again (to find an address, for a preview, or refused) keeps the picture chosen,
/// so that it need not be chosen twice. Unused, it is swept like any upload.
pub async fn keep_prepared(
    state: &AppState,
    acting: &Acting,
    prepared: Prepared,
) -> Result<ShownPicture> {
    let id = record(state, acting, prepared).await?;
    find(state, &id).await.map(|row| row.shown())
}

/// The acting profile's own event upload `id`, as it would show (see [`keep_prepared`]).
pub async fn kept_for_event(state: &AppState, acting: &Acting, id: &str) -> Result<ShownPicture> {
    own(state, acting, id, PicturePurpose::Event)
        .await
        .map(|row| row.shown())
}

/// Stores a prepared event picture and shows it on event `id` (just created by the acting
/// profile, say); returns the event as now seen.
pub async fn show_prepared(
    state: &AppState,
    acting: &Acting,
    id: &str,
    prepared: Prepared,
) -> Result<EventView> {
    if prepared.purpose != PicturePurpose::Event {
        return Err(Error::invalid_field(
            "file",
            "this picture is not an event's",
        ));
    }
    let picture = record(state, acting, prepared).await?;
    let row = find(state, &picture).await?;
    show_on_event(state, acting, id, row.shown()).await
}

async fn find(state: &AppState, id: &str) -> Result<PictureRow> {
    pictures::find(state.db.pool(), id)
        .await?
        .filter(|p| !p.discarded)
        .ok_or_else(|| Error::not_found("there is no such picture"))
}

/// Upload `id`, when the acting profile uploaded it for `purpose` and it is still kept. Someone
/// else's upload answers as one that does not exist.
async fn own(
    state: &AppState,
    acting: &Acting,
    id: &str,
    purpose: PicturePurpose,
) -> Result<PictureRow> {
    let row = find(state, id).await?;
    if row.uploader != acting.profile {
        return Err(Error::not_found("there is no such picture"));
    }
    if row.purpose != purpose {
        return Err(Error::invalid_field(
            "picture",
            format!("this picture was uploaded as {}", row.purpose.as_str()),
        ));
    }
    Ok(row)
}

/// Shows upload `picture` on event `id` (its organisers), with `alt` or the upload's own
/// alternative text; returns the event as now seen.
pub async fn set_event_picture(
    state: &AppState,
    acting: &Acting,
    id: &str,
    picture: &str,
    alt: Option<String>,
) -> Result<EventView> {
    let row = own(state, acting, picture, PicturePurpose::Event).await?;
    let mut shown = row.shown();
    if let Some(alt) = alt {
        shown.alt = alt;
    }
    show_on_event(state, acting, id, shown).await
}

async fn show_on_event(
    state: &AppState,
    acting: &Acting,
    id: &str,
    picture: ShownPicture,
) -> Result<EventView> {
    let by = acting_for(state, acting, id).await?;
    let command = EventCommand::SetPicture { by, picture };
    let metadata = acting.metadata();
    consistency::command(state, &state.events, id, command, &metadata, EVENT_READS).await?;
    crate::events::show(state, Some(&acting.session), id).await
}

/// Uploads a picture and shows it on event `id` at once (the event form's way); returns the
/// event as now seen. The upload is checked before anything is written.
pub async fn upload_for_event(
    state: &AppState,
    acting: &Acting,
    id: &str,
    bytes: Vec<u8>,
    alt: Option<String>,
) -> Result<EventView> {
    // Only someone who may change the event uploads for it: otherwise nothing is stored.
    let event = crate::events::show(state, Some(&acting.session), id).await?;
    may_edit(state, acting, &event).await?;
    let upload = Upload {
        purpose: PicturePurpose::Event,
        bytes,
        alt,
    };
    let picture = stored(state, acting, upload).await?;
    let row = find(state, &picture).await?;
    show_on_event(state, acting, id, row.shown()).await
}

/// Whether the acting profile may change `event`'s picture: the same rule the aggregate
/// applies (its creator and administrators, or its group's moderators), checked first so that
/// a refused upload leaves no file behind.
async fn may_edit(state: &AppState, acting: &Acting, event: &EventView) -> Result<()> {
    if event.group.is_some() && acting_for(state, acting, &event.id).await? != acting.profile {
        return Ok(());
    }
    let own = convene_projections::events::participation_of_profiles(
        state.db.pool(),
        &event.id,
        std::slice::from_ref(&acting.profile),
    )
    .await?;
    if own.iter().any(|p| p.state.is_administrator()) {
        Ok(())
    } else {
        Err(convene_domain::EventError::NotAdministrator.into())
    }
}

/// Stops showing event `id`'s picture (its organisers).
pub async fn remove_event_picture(
    state: &AppState,
    acting: &Acting,
    id: &str,
) -> Result<EventView> {
    let by = acting_for(state, acting, id).await?;
    let metadata = acting.metadata();
    let command = EventCommand::RemovePicture { by };
    consistency::command(state, &state.events, id, command, &metadata, EVENT_READS).await?;
    crate::events::show(state, Some(&acting.session), id).await
}

/// Uploads an avatar (at most the avatar limit) and shows it on the acting profile.
pub async fn upload_avatar(
    state: &AppState,
    acting: &Acting,
    bytes: Vec<u8>,
) -> Result<ProfileView> {
    let upload = Upload {
        purpose: PicturePurpose::Avatar,
        bytes,
        alt: None,
    };
    let picture = stored(state, acting, upload).await?;
    let row = own(state, acting, &picture, PicturePurpose::Avatar).await?;
    let command = ProfileCommand::SetAvatar {
        picture: row.shown(),
    };
    let metadata = acting.metadata();
    let profile = &acting.profile;
    consistency::command(
        state,
        &state.profiles,
        profile,
        command,
        &metadata,
        PROFILE_READS,
    )
    .await?;
    profile_view(state, profile).await
}

/// Stops showing the acting profile's avatar.
pub async fn remove_avatar(state: &AppState, acting: &Acting) -> Result<ProfileView> {
    let metadata = acting.metadata();
    let profile = &acting.profile;
    let command = ProfileCommand::RemoveAvatar;
    consistency::command(
        state,
        &state.profiles,
        profile,
        command,
        &metadata,
        PROFILE_READS,
    )
    .await?;
    profile_view(state, profile).await
}

async fn profile_view(state: &AppState, username: &str) -> Result<ProfileView> {
    convene_projections::profiles::find(state.db.pool(), username)
        .await?
        .ok_or_else(|| Error::not_found("there is no such profile"))
}

/// Uploads a picture and shows it as group `handle`'s avatar or banner (its administrators:
/// checked first, so that a refused upload stores nothing); returns the group as now seen.
pub async fn upload_for_group(
    state: &AppState,
    acting: &Acting,
    handle: &str,
    slot: GroupPicture,
    bytes: Vec<u8>,
    alt: Option<String>,
) -> Result<GroupView> {
    crate::groups::settings_of(state, acting, handle).await?;
    let upload = Upload {
        purpose: slot.purpose(),
        bytes,
        alt,
    };
    let picture = stored(state, acting, upload).await?;
    let row = own(state, acting, &picture, slot.purpose()).await?;
    let command = GroupCommand::SetPicture {
        by: GroupActor::profile(&acting.profile),
        slot,
        picture: row.shown(),
    };
    let metadata = acting.metadata();
    consistency::command(
        state,
        &state.groups,
        handle,
        command,
        &metadata,
        GROUP_READS,
    )
    .await?;
    crate::groups::show(state, handle).await
}

/// Stops showing group `handle`'s avatar or banner (its administrators).
pub async fn remove_group_picture(
    state: &AppState,
    acting: &Acting,
    handle: &str,
    slot: GroupPicture,
) -> Result<GroupView> {
    let command = GroupCommand::RemovePicture {
        by: GroupActor::profile(&acting.profile),
        slot,
    };
    let metadata = acting.metadata();
    consistency::command(
        state,
        &state.groups,
        handle,
        command,
        &metadata,
        GROUP_READS,
    )
    .await?;
    crate::groups::show(state, handle).await
}

/// What a sweep did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Swept {
    pub discarded: usize,
    pub files_removed: usize,
}

/// Discards the uploads nobody used within [`UNUSED_FOR`] of `now`, and deletes their files
/// unless another kept upload has the same bytes. Recorded as the system's doing.
pub async fn sweep(state: &AppState, now: time::OffsetDateTime) -> Result<Swept> {
    let before = format_timestamp(now - UNUSED_FOR);
    let mut swept = Swept::default();
    loop {
        let unused = pictures::unused_before(state.db.pool(), &before, 100).await?;
        if unused.is_empty() {
            return Ok(swept);
        }
        for picture in unused {
            // Put to use since the list was read: kept.
            let now_used = pictures::find(state.db.pool(), &picture.id)
                .await?
                .is_none_or(|row| row.used_at.is_some());
            if now_used {
                continue;
            }
            let metadata = Metadata::now(
                Actor::System,
                Source::Schedule,
                uuid::Uuid::new_v4().to_string(),
            )
            .with_reason("unused for a day after its upload");
            let command = PictureCommand::Discard;
            consistency::command(
                state,
                &state.pictures,
                &picture.id,
                command,
                &metadata,
                READS,
            )
            .await?;
            swept.discarded += 1;
            if !pictures::hash_kept(state.db.pool(), &picture.facts.hash, &picture.id).await? {
                let paths = store::paths_of(
                    &state.config.pictures.folder,
                    &picture.facts.hash,
                    &picture.facts.widths,
                );
                swept.files_removed += paths.iter().filter(|p| p.exists()).count();
                store::remove(&paths);
            }
        }
    }
}

/// Runs [`sweep`] every hour until `shutdown`.
pub async fn sweep_every_hour(state: AppState, shutdown: tokio_util::sync::CancellationToken) {
    loop {
        match sweep(&state, time::OffsetDateTime::now_utc()).await {
            Ok(swept) if swept.discarded > 0 => {
                tracing::info!(?swept, "unused pictures discarded")
            }
            Ok(_) => {}
            Err(error) => tracing::warn!(%error, "the sweep of unused pictures failed"),
        }
        tokio::select! {
            () = shutdown.cancelled() => return,
            () = tokio::time::sleep(Duration::from_secs(60 * 60)) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_are_said_in_megabytes_or_kilobytes() {
        assert_eq!(human_size(PICTURE_LIMIT), "10 MB");
        assert_eq!(human_size(AVATAR_LIMIT), "2 MB");
        assert_eq!(human_size(3 * 1024 * 1024 / 2), "1.5 MB");
        assert_eq!(human_size(1000), "1 KB");
    }

    #[test]
    fn a_file_over_its_limit_is_a_413_naming_the_field_and_the_limit() {
        let error = too_large(AVATAR_LIMIT);
        assert_eq!(error.class(), crate::Class::TooLarge);
        assert_eq!(error.field_errors()[0].field, "file");
        assert!(error.detail().contains("2 MB"), "{}", error.detail());
    }
}
