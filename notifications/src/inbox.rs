//! The in-app inbox, as use cases every front end calls: the account's notifications newest
//! first (each told in the account's language, with its link), its unread count, and marking
//! them read. Only the recipient's account ever sees a notification: any other gets "not found".

use crate::kinds::Kind;
use crate::store::{self, Stored};
use crate::templates::{self, Links};
use convene_api::auth::Session;
use convene_api::{AppState, Error};
use serde::Serialize;

/// Notifications per page when the caller does not say.
pub const PER_PAGE: i64 = 20;
/// The most a page may hold.
pub const MAX_PER_PAGE: i64 = 100;

/// One notification as the inbox shows it.
#[derive(Debug, Clone, Serialize)]
pub struct Notification {
    pub id: String,
    /// The kind's stored name (`join_request`, `event_changed`…).
    pub kind: String,
    /// What happened, in the account's language.
    pub text: String,
    /// Where to see it (the event's page; the instance's home once the event is deleted).
    pub link: String,
    pub read: bool,
    /// RFC 3339, UTC: when the change it tells of was recorded.
    pub created_at: String,
}

/// A page of the inbox.
#[derive(Debug, Clone, Serialize)]
pub struct InboxPage {
    pub notifications: Vec<Notification>,
    /// Unread notifications in the whole inbox, not only this page.
    pub unread: i64,
    pub page: i64,
    pub per_page: i64,
    /// Whether a later page holds more.
    pub more: bool,
}

/// Where a notification points, relative to the instance (`base` prepended).
pub fn link(base: &str, kind: Kind, event_id: &str) -> String {
    let base = base.trim_end_matches('/');
    match kind {
        Kind::EventDeleted => format!("{base}/"),
        // A group's notification keeps the group's handle where events keep their id.
        Kind::GroupJoinRequest => format!("{base}/@{event_id}/members"),
        Kind::GroupInvitation | Kind::GroupApproved | Kind::GroupRejected => {
            format!("{base}/@{event_id}")
        }
        // A report is for moderators' eyes, a warning is the account's own: the inbox keeps them.
        Kind::ReportHandled | Kind::ModerationWarning => format!("{base}/notifications"),
        _ => format!("{base}/events/{event_id}"),
    }
}

fn shown(n: Stored, lang: &str, base: &str) -> Notification {
    let link = link(base, n.kind, &n.event_id);
    let rendered = templates::render(
        lang,
        n.kind,
        &n.facts,
        &Links {
            link: &link,
            unsubscribe: None,
            cancel: None,
        },
    );
    Notification {
        id: n.id,
        kind: n.kind.as_str().to_string(),
        text: rendered.subject,
        link,
        read: n.read_at.is_some(),
        created_at: n.created_at,
    }
}

/// Page `page` (from 1) of the session's inbox, `per_page` at a time.
pub async fn list(
    state: &AppState,
    session: &Session,
    page: Option<i64>,
    per_page: Option<i64>,
) -> Result<InboxPage, Error> {
    let page = page.unwrap_or(1);
    if page < 1 {
        return Err(Error::invalid_field("page", "pages are numbered from 1"));
    }
    let per_page = per_page.unwrap_or(PER_PAGE);
    if !(1..=MAX_PER_PAGE).contains(&per_page) {
        return Err(Error::invalid_field(
            "per_page",
            format!("between 1 and {MAX_PER_PAGE}"),
        ));
    }
    let pool = state.db.pool();
    let account = &session.account;
    // One more than asked, to know whether another page follows.
    let mut found = store::inbox(pool, &account.id, per_page + 1, (page - 1) * per_page).await?;
    let more = found.len() as i64 > per_page;
    found.truncate(usize::try_from(per_page).unwrap_or(0));
    let base = &state.config.public_url;
    Ok(InboxPage {
        notifications: found
            .into_iter()
            .map(|n| shown(n, &account.locale, base))
            .collect(),
        unread: store::unread(pool, &account.id).await?,
        page,
        per_page,
        more,
    })
}

/// How many of the session's notifications are unread (one indexed count: every page shows it).
pub async fn unread(state: &AppState, session: &Session) -> Result<i64, Error> {
    Ok(store::unread(state.db.pool(), &session.account.id).await?)
}

/// Marks one notification read; "not found" unless it is the session's own.
pub async fn mark_read(state: &AppState, session: &Session, id: &str) -> Result<(), Error> {
    let at = now();
    if store::mark_read(state.db.pool(), &session.account.id, id, &at).await? {
        Ok(())
    } else {
        Err(Error::not_found("no such notification"))
    }
}

/// Marks every notification of the session read; how many were unread.
pub async fn mark_all_read(state: &AppState, session: &Session) -> Result<u64, Error> {
    Ok(store::mark_all_read(state.db.pool(), &session.account.id, &now()).await?)
}

fn now() -> String {
    convene_domain::metadata::format_timestamp(time::OffsetDateTime::now_utc())
}
