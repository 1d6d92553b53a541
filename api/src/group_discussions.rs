//! A group's discussions: for its members only. Every member starts them and comments; the
//! author or a moderator renames, archives or deletes one; a comment is edited by its author
//! only, and deleted by its author or a moderator. Those outside the group — a removed member at once — get 403
//! `/problems/member-needed` for every discussion, so nothing about one is shown to them.

use crate::auth::Acting;
use crate::error::{Error, Result};
use crate::groups::{self};
use crate::AppState;
use convene_domain::group::GroupActor;
use convene_domain::GroupCommand;
use convene_projections::group_discussions::{self as rows, DiscussionComment, DiscussionView};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Discussions in a page of a group's discussions.
pub const DISCUSSIONS_PAGE: i64 = 20;

/// A new discussion: its title and first comment.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewDiscussion {
    /// 1 to 200 characters on one line.
    pub title: String,
    /// The first comment: HTML, sanitised, 1 to 10,000 characters.
    pub body: String,
}

/// A comment, or a reply to comment `in_reply_to`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewComment {
    pub body: String,
    #[serde(default)]
    pub in_reply_to: Option<String>,
}

/// A comment's new text.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EditedComment {
    /// HTML, sanitised, 1 to 10,000 characters.
    pub body: String,
}

/// A discussion's new title, or whether it is archived.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DiscussionChange {
    pub title: Option<String>,
    pub archived: Option<bool>,
}

/// A discussion with its comments, in the order they were written (replies name their parent).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Thread {
    #[serde(flatten)]
    pub discussion: DiscussionView,
    pub comments: Vec<DiscussionComment>,
}

fn me(acting: &Acting) -> GroupActor {
    GroupActor::profile(&acting.profile)
}

/// Group `handle`'s discussions, the last commented first, page `page` from 1 (members).
pub async fn list(
    state: &AppState,
    acting: &Acting,
    handle: &str,
    page: Option<i64>,
) -> Result<Vec<DiscussionView>> {
    groups::member_role(state, acting, handle).await?;
    let page = page.unwrap_or(1);
    if page < 1 {
        return Err(Error::invalid_field("page", "pages are counted from 1"));
    }
    let offset = (page - 1) * DISCUSSIONS_PAGE;
    Ok(rows::of_group(state.db.pool(), handle, DISCUSSIONS_PAGE, offset).await?)
}

/// Discussion `id` of group `handle` with its comments (members).
pub async fn show(state: &AppState, acting: &Acting, handle: &str, id: &str) -> Result<Thread> {
    groups::member_role(state, acting, handle).await?;
    let discussion = rows::find(state.db.pool(), handle, id)
        .await?
        .ok_or_else(|| Error::not_found(format!("@{handle} has no such discussion")))?;
    let comments = rows::comments(state.db.pool(), id).await?;
    Ok(Thread {
        discussion,
        comments,
    })
}

/// Starts a discussion as the acting profile (members).
pub async fn start(
    state: &AppState,
    acting: &Acting,
    handle: &str,
    new: NewDiscussion,
) -> Result<Thread> {
    groups::member_role(state, acting, handle).await?;
    let id = uuid::Uuid::new_v4().to_string();
    let command = GroupCommand::StartDiscussion {
        by: me(acting),
        discussion: id.clone(),
        title: new.title,
        comment: uuid::Uuid::new_v4().to_string(),
        body: new.body,
    };
    groups::run_as_member(state, acting, handle, command).await?;
    show(state, acting, handle, &id).await
}

/// Comments on discussion `id`, or replies to one of its comments (members).
pub async fn comment(
    state: &AppState,
    acting: &Acting,
    handle: &str,
    id: &str,
    new: NewComment,
) -> Result<Thread> {
    groups::member_role(state, acting, handle).await?;
    let command = GroupCommand::CommentOnDiscussion {
        by: me(acting),
        discussion: id.to_string(),
        comment: uuid::Uuid::new_v4().to_string(),
        in_reply_to: new.in_reply_to.filter(|r| !r.trim().is_empty()),
        body: new.body,
        note: None,
    };
    groups::run_as_member(state, acting, handle, command).await?;
    show(state, acting, handle, id).await
}

/// Renames discussion `id` and/or puts it in or out of the archive (its author or moderators).
pub async fn change(
    state: &AppState,
    acting: &Acting,
    handle: &str,
    id: &str,
    change: DiscussionChange,
) -> Result<Thread> {
    groups::member_role(state, acting, handle).await?;
    if change.title.is_none() && change.archived.is_none() {
        return Err(Error::invalid_field(
            "title",
            "give a new title, or archived: true or false",
        ));
    }
    let command = GroupCommand::ChangeDiscussion {
        by: me(acting),
        discussion: id.to_string(),
        title: change.title,
        archived: change.archived,
    };
    groups::run_as_member(state, acting, handle, command).await?;
    show(state, acting, handle, id).await
}

/// Deletes discussion `id` with its comments (its author or moderators).
pub async fn delete(state: &AppState, acting: &Acting, handle: &str, id: &str) -> Result<()> {
    groups::member_role(state, acting, handle).await?;
    let command = GroupCommand::DeleteDiscussion {
        by: me(acting),
        discussion: id.to_string(),
    };
    groups::run_as_member(state, acting, handle, command).await
}

/// Deletes a comment of discussion `id` (its author or moderators); it stays as a tombstone.
pub async fn delete_comment(
    state: &AppState,
    acting: &Acting,
    handle: &str,
    id: &str,
    comment: &str,
) -> Result<Thread> {
    groups::member_role(state, acting, handle).await?;
    let command = GroupCommand::DeleteDiscussionComment {
        by: me(acting),
        discussion: id.to_string(),
        comment: comment.to_string(),
    };
    groups::run_as_member(state, acting, handle, command).await?;
    show(state, acting, handle, id).await
}

/// Replaces what a comment of discussion `id` says (its author only, while the discussion is
/// not archived).
pub async fn edit_comment(
    state: &AppState,
    acting: &Acting,
    handle: &str,
    id: &str,
    comment: &str,
    edited: EditedComment,
) -> Result<Thread> {
    groups::member_role(state, acting, handle).await?;
    let command = GroupCommand::EditDiscussionComment {
        by: me(acting),
        discussion: id.to_string(),
        comment: comment.to_string(),
        body: edited.body,
    };
    groups::run_as_member(state, acting, handle, command).await?;
    show(state, acting, handle, id).await
}
