//! The `follows` read model: remote actors following local profiles (with the inboxes the
//! outbox delivers to), remote actors local profiles follow or asked to follow, and other
//! instances' groups local profiles joined or asked to join, and the comments and todos those
//! groups relayed.

use crate::domains::handle_at;
use crate::error::Error;
use crate::log::StoredEvent;
use crate::projection::{Applying, Projection};
use crate::tables::{flag, flag_of};
use async_trait::async_trait;
use convene_domain::group::MemberRole;
use convene_domain::profile::{FollowingState, MembershipState, TodoElsewhere};
use convene_domain::{Profile, ProfileChange};
use cqrs_es::Aggregate;
use serde::Serialize;
use sqlx::{AnyConnection, AnyPool, Row};

pub struct FollowsProjection;

#[async_trait]
impl Projection for FollowsProjection {
    fn name(&self) -> &'static str {
        crate::read_model::FOLLOWS
    }

    fn tables(&self) -> &'static [&'static str] {
        &[
            "profile_followers",
            "profile_following",
            "profile_group_memberships",
            "group_comments_elsewhere",
            "group_todos_elsewhere",
        ]
    }

    fn concerns(&self, event: &StoredEvent) -> bool {
        event.aggregate_type == Profile::TYPE
    }

    async fn apply(&self, conn: &mut AnyConnection, event: &StoredEvent) -> Result<(), Error> {
        let on = Applying::of(event)?;
        let query = match event.change::<ProfileChange>()? {
            // A follower seen again keeps its first `since`; its inboxes are refreshed.
            ProfileChange::FollowerAdded {
                actor,
                inbox,
                shared_inbox,
                ..
            } => sqlx::query(
                "INSERT INTO profile_followers (profile, actor, inbox, shared_inbox, since) \
                 VALUES ($1, $2, $3, $4, $5) ON CONFLICT (profile, actor) \
                 DO UPDATE SET inbox = excluded.inbox, shared_inbox = excluded.shared_inbox",
            )
            .bind(on.id)
            .bind(actor)
            .bind(inbox)
            .bind(shared_inbox)
            .bind(on.at.clone()),
            ProfileChange::FollowerRemoved { actor } => {
                sqlx::query("DELETE FROM profile_followers WHERE profile = $1 AND actor = $2")
                    .bind(on.id)
                    .bind(actor)
            }
            ProfileChange::FollowRequested {
                target,
                inbox,
                shared_inbox,
            } => sqlx::query(
                "INSERT INTO profile_following (profile, target, inbox, shared_inbox, state) \
                 VALUES ($1, $2, $3, $4, $5) ON CONFLICT (profile, target) \
                 DO UPDATE SET inbox = excluded.inbox, shared_inbox = excluded.shared_inbox, \
                 state = excluded.state",
            )
            .bind(on.id)
            .bind(target)
            .bind(inbox)
            .bind(shared_inbox)
            .bind(FollowingState::Requested.as_str()),
            ProfileChange::FollowAccepted { target } => sqlx::query(
                "UPDATE profile_following SET state = $1 WHERE profile = $2 AND target = $3",
            )
            .bind(FollowingState::Accepted.as_str())
            .bind(on.id)
            .bind(target),
            ProfileChange::FollowRejected { target } | ProfileChange::Unfollowed { target } => {
                sqlx::query("DELETE FROM profile_following WHERE profile = $1 AND target = $2")
                    .bind(on.id)
                    .bind(target)
            }
            ProfileChange::GroupJoinRequested { group, inbox, .. } => sqlx::query(
                "INSERT INTO profile_group_memberships (profile, \"group\", inbox, state, since) \
                 VALUES ($1, $2, $3, $4, $5) ON CONFLICT (profile, \"group\") \
                 DO UPDATE SET inbox = excluded.inbox, state = excluded.state",
            )
            .bind(on.id)
            .bind(group)
            .bind(inbox)
            .bind(MembershipState::Requested.as_str())
            .bind(on.at.clone()),
            ProfileChange::GroupInvitationReceived {
                group, inbox, by, ..
            } => sqlx::query(
                "INSERT INTO profile_group_memberships \
                 (profile, \"group\", inbox, state, since, invited_by) \
                 VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (profile, \"group\") \
                 DO UPDATE SET inbox = excluded.inbox, state = excluded.state, \
                 invited_by = excluded.invited_by",
            )
            .bind(on.id)
            .bind(group)
            .bind(inbox)
            .bind(MembershipState::Invited.as_str())
            .bind(on.at.clone())
            .bind(by),
            ProfileChange::GroupJoinAccepted { group }
            | ProfileChange::GroupInvitationAccepted { group, .. } => sqlx::query(
                "UPDATE profile_group_memberships SET state = $1, invited_by = NULL \
                 WHERE profile = $2 AND \"group\" = $3",
            )
            .bind(MembershipState::Accepted.as_str())
            .bind(on.id)
            .bind(group),
            ProfileChange::GroupRoleGiven { group, role } => sqlx::query(
                "UPDATE profile_group_memberships SET state = $1, role = $2, invited_by = NULL \
                 WHERE profile = $3 AND \"group\" = $4",
            )
            .bind(MembershipState::Accepted.as_str())
            .bind(role.as_str())
            .bind(on.id)
            .bind(group),
            ProfileChange::GroupJoinRejected { group }
            | ProfileChange::GroupLeft { group, .. }
            | ProfileChange::GroupInvitationDeclined { group, .. } => sqlx::query(
                "DELETE FROM profile_group_memberships WHERE profile = $1 AND \"group\" = $2",
            )
            .bind(on.id)
            .bind(group),
            // Kept once, whichever of the group's members here received it first; received
            // again, edited, in its place.
            ProfileChange::GroupCommentReceived { group, comment } => sqlx::query(
                "INSERT INTO group_comments_elsewhere (note, \"group\", discussion, author, \
                 in_reply_to, body, received_at, position) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
                 ON CONFLICT (note) DO UPDATE SET body = excluded.body",
            )
            .bind(comment.note)
            .bind(group)
            .bind(comment.discussion)
            .bind(comment.author)
            .bind(comment.in_reply_to)
            .bind(comment.body)
            .bind(on.at.clone())
            .bind(on.position),
            ProfileChange::GroupCommentsRemoved { group, removed } => sqlx::query(
                "DELETE FROM group_comments_elsewhere WHERE \"group\" = $1 \
                 AND (note = $2 OR discussion = $2)",
            )
            .bind(group)
            .bind(removed),
            // Kept once, as last relayed, whichever of the group's members here received it.
            ProfileChange::GroupTodoReceived { group, todo } => sqlx::query(
                "INSERT INTO group_todos_elsewhere (todo, \"group\", list, creator, title, done, \
                 due_on, assignee, received_at, position) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) \
                 ON CONFLICT (todo) DO UPDATE SET list = excluded.list, title = excluded.title, \
                 done = excluded.done, due_on = excluded.due_on, assignee = excluded.assignee",
            )
            .bind(todo.todo)
            .bind(group)
            .bind(todo.list)
            .bind(todo.creator)
            .bind(todo.title)
            .bind(flag(todo.done))
            .bind(todo.due_on)
            .bind(todo.assignee)
            .bind(on.at.clone())
            .bind(on.position),
            ProfileChange::GroupTodosRemoved { group, removed } => sqlx::query(
                "DELETE FROM group_todos_elsewhere WHERE \"group\" = $1 \
                 AND (todo = $2 OR list = $2)",
            )
            .bind(group)
            .bind(removed),
            ProfileChange::GroupDiscussionCommented { .. }
            | ProfileChange::GroupTodoAdded { .. }
            | ProfileChange::GroupTodoChanged { .. }
            | ProfileChange::GroupResourceAdded { .. }
            | ProfileChange::GroupResourceChanged { .. }
            | ProfileChange::GroupResourceDeleted { .. }
            | ProfileChange::Created { .. }
            | ProfileChange::Renamed { .. }
            | ProfileChange::SummaryChanged { .. }
            | ProfileChange::Moderated { .. }
            | ProfileChange::AvatarSet { .. }
            | ProfileChange::AvatarRemoved => return Ok(()),
        };
        query.execute(conn).await?;
        Ok(())
    }
}

/// A remote actor following a local profile, and where to deliver to it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Follower {
    pub actor: String,
    pub inbox: String,
    pub shared_inbox: Option<String>,
}

/// A remote actor a local profile follows or asked to follow.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Following {
    pub target: String,
    pub state: FollowingState,
}

/// The followers of `@profile`, oldest first.
pub async fn followers_of(pool: &AnyPool, profile: &str) -> Result<Vec<Follower>, Error> {
    let rows = sqlx::query(
        "SELECT actor, inbox, shared_inbox FROM profile_followers WHERE profile = $1 \
         ORDER BY since, actor",
    )
    .bind(profile)
    .fetch_all(pool)
    .await?;
    rows.iter()
        .map(|row| {
            Ok(Follower {
                actor: row.try_get("actor")?,
                inbox: row.try_get("inbox")?,
                shared_inbox: row.try_get("shared_inbox")?,
            })
        })
        .collect()
}

/// How many remote actors follow `@profile`.
pub async fn follower_count(pool: &AnyPool, profile: &str) -> Result<i64, Error> {
    let count = sqlx::query_scalar("SELECT COUNT(*) FROM profile_followers WHERE profile = $1")
        .bind(profile)
        .fetch_one(pool)
        .await?;
    Ok(count)
}

/// Whom `@profile` follows or asked to follow, by target.
pub async fn following_of(pool: &AnyPool, profile: &str) -> Result<Vec<Following>, Error> {
    let rows = sqlx::query(
        "SELECT target, state FROM profile_following WHERE profile = $1 ORDER BY target",
    )
    .bind(profile)
    .fetch_all(pool)
    .await?;
    rows.iter()
        .map(|row| {
            Ok(Following {
                target: row.try_get("target")?,
                state: state_of(row)?,
            })
        })
        .collect()
}

fn state_of(row: &sqlx::any::AnyRow) -> Result<FollowingState, Error> {
    let state: String = row.try_get("state")?;
    Ok(match state.as_str() {
        "accepted" => FollowingState::Accepted,
        _ => FollowingState::Requested,
    })
}

/// Where a local profile stands in another instance's group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupMembership {
    /// Asked to join, invited, or a member.
    pub state: MembershipState,
    /// The role the group gave, once it named one (its `Update` of the profile's `Member`).
    pub role: Option<MemberRole>,
    /// Who invited the profile (the group or one of its moderators: `name@host`, or its URL
    /// when not known here), while it is invited.
    pub invited_by: Option<String>,
}

/// Where `@profile` stands in another instance's group `group` (its actor URL): asked to join,
/// a member (with the role the group gave), or neither.
pub async fn membership_of(
    pool: &AnyPool,
    profile: &str,
    group: &str,
) -> Result<Option<GroupMembership>, Error> {
    let row = sqlx::query(&format!("{MEMBERSHIPS} AND m.\"group\" = $2"))
        .bind(profile)
        .bind(group)
        .fetch_optional(pool)
        .await?;
    row.as_ref().map(membership_in).transpose()
}

/// A profile's memberships in other instances' groups (`$1`), with what the `remote_actors`
/// cache knows of each group and of who invited the profile.
const MEMBERSHIPS: &str = "SELECT m.\"group\", m.state, m.role, m.invited_by, \
     g.preferred_username, g.name, i.preferred_username AS inviter \
     FROM profile_group_memberships m \
     LEFT JOIN remote_actors g ON g.id = m.\"group\" \
     LEFT JOIN remote_actors i ON i.id = m.invited_by \
     WHERE m.profile = $1";

/// A [`MEMBERSHIPS`] row's membership.
fn membership_in(row: &sqlx::any::AnyRow) -> Result<GroupMembership, Error> {
    let state: String = row.try_get("state")?;
    let role: Option<String> = row.try_get("role")?;
    let invited_by: Option<String> = row.try_get("invited_by")?;
    let inviter: Option<String> = row.try_get("inviter")?;
    Ok(GroupMembership {
        state: MembershipState::parse(&state).unwrap_or(MembershipState::Requested),
        role: role.as_deref().and_then(MemberRole::parse),
        invited_by: invited_by
            .map(|by| inviter.and_then(|name| handle_at(&name, &by)).unwrap_or(by)),
    })
}

/// Another instance's group a local profile belongs to, asked to join or was invited to, as its
/// lists show it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupElsewhere {
    /// The group's actor URL.
    pub group: String,
    /// `name@host`, when the group's actor is known here.
    pub handle: Option<String>,
    pub name: Option<String>,
    pub membership: GroupMembership,
}

/// The groups of other instances `@profile` belongs to, asked to join or was invited to, oldest
/// first.
pub async fn groups_elsewhere(pool: &AnyPool, profile: &str) -> Result<Vec<GroupElsewhere>, Error> {
    let rows = sqlx::query(&format!("{MEMBERSHIPS} ORDER BY m.since, m.\"group\""))
        .bind(profile)
        .fetch_all(pool)
        .await?;
    rows.iter()
        .map(|row| {
            let group: String = row.try_get("group")?;
            let username: Option<String> = row.try_get("preferred_username")?;
            Ok(GroupElsewhere {
                handle: username.and_then(|name| handle_at(&name, &group)),
                name: row.try_get("name")?,
                membership: membership_in(row)?,
                group,
            })
        })
        .collect()
}

/// A comment in a discussion of another instance's group, as the group relayed it here.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CommentElsewhere {
    pub note: String,
    /// The discussion's address on the group's instance.
    pub discussion: String,
    pub author: String,
    /// `name@host`, when the author's actor is known here.
    pub author_handle: Option<String>,
    /// Sanitised HTML.
    pub body: String,
    pub received_at: String,
}

/// What a group relayed here of the comment `note`, when it did: its text.
pub async fn comment_elsewhere_body(pool: &AnyPool, note: &str) -> Result<Option<String>, Error> {
    let body = sqlx::query_scalar("SELECT body FROM group_comments_elsewhere WHERE note = $1")
        .bind(note)
        .fetch_optional(pool)
        .await?;
    Ok(body)
}

/// Whether group `group` relayed here a comment by `author` before.
pub async fn relayed_from(pool: &AnyPool, group: &str, author: &str) -> Result<bool, Error> {
    let found = sqlx::query(
        "SELECT 1 FROM group_comments_elsewhere WHERE \"group\" = $1 AND author = $2 LIMIT 1",
    )
    .bind(group)
    .bind(author)
    .fetch_optional(pool)
    .await?;
    Ok(found.is_some())
}

/// Whether group `group` relayed here a comment whose note, or discussion, is `id`.
pub async fn relayed_under(pool: &AnyPool, group: &str, id: &str) -> Result<bool, Error> {
    let found = sqlx::query(
        "SELECT 1 FROM group_comments_elsewhere WHERE \"group\" = $1 \
         AND (note = $2 OR discussion = $2) LIMIT 1",
    )
    .bind(group)
    .bind(id)
    .fetch_optional(pool)
    .await?;
    Ok(found.is_some())
}

/// The latest `limit` comments group `group` (its actor URL) relayed here, newest first.
pub async fn comments_elsewhere(
    pool: &AnyPool,
    group: &str,
    limit: i64,
) -> Result<Vec<CommentElsewhere>, Error> {
    let rows = sqlx::query(
        "SELECT c.note, c.discussion, c.author, c.body, c.received_at, a.preferred_username \
         FROM group_comments_elsewhere c LEFT JOIN remote_actors a ON a.id = c.author \
         WHERE c.\"group\" = $1 ORDER BY c.position DESC LIMIT $2",
    )
    .bind(group)
    .bind(limit)
    .fetch_all(pool)
    .await?;
    rows.iter()
        .map(|row| {
            let author: String = row.try_get("author")?;
            let username: Option<String> = row.try_get("preferred_username")?;
            Ok(CommentElsewhere {
                note: row.try_get("note")?,
                discussion: row.try_get("discussion")?,
                author_handle: username.and_then(|name| handle_at(&name, &author)),
                author,
                body: row.try_get("body")?,
                received_at: row.try_get("received_at")?,
            })
        })
        .collect()
}

/// The todos group `group` (its actor URL) relayed here, in the order they first came.
pub async fn todos_elsewhere(pool: &AnyPool, group: &str) -> Result<Vec<TodoElsewhere>, Error> {
    let rows = sqlx::query(
        "SELECT todo, list, creator, title, done, due_on, assignee FROM group_todos_elsewhere \
         WHERE \"group\" = $1 ORDER BY position, todo",
    )
    .bind(group)
    .fetch_all(pool)
    .await?;
    rows.iter()
        .map(|row| {
            Ok(TodoElsewhere {
                todo: row.try_get("todo")?,
                list: row.try_get("list")?,
                creator: row.try_get("creator")?,
                title: row.try_get("title")?,
                done: flag_of(row, "done")?,
                due_on: row.try_get("due_on")?,
                assignee: row.try_get("assignee")?,
            })
        })
        .collect()
}

/// Whether group `group` relayed here a todo whose id, or list, is `id`.
pub async fn todos_relayed_under(pool: &AnyPool, group: &str, id: &str) -> Result<bool, Error> {
    let found = sqlx::query(
        "SELECT 1 FROM group_todos_elsewhere WHERE \"group\" = $1 \
         AND (todo = $2 OR list = $2) LIMIT 1",
    )
    .bind(group)
    .bind(id)
    .fetch_optional(pool)
    .await?;
    Ok(found.is_some())
}

/// The local profiles that are members of another instance's group `group` (its actor URL).
pub async fn members_here(pool: &AnyPool, group: &str) -> Result<Vec<String>, Error> {
    let rows = sqlx::query(
        "SELECT profile FROM profile_group_memberships WHERE \"group\" = $1 AND state = $2 \
         ORDER BY since, profile",
    )
    .bind(group)
    .bind(MembershipState::Accepted.as_str())
    .fetch_all(pool)
    .await?;
    rows.iter().map(|row| Ok(row.try_get("profile")?)).collect()
}
