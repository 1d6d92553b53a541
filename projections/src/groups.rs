//! The read models of groups: `groups`, `group_members` and `group_followers`. A member or
//! follower is keyed as [`GroupActor::key`] has it; `profile` names a local profile, so that a
//! profile's memberships are found without parsing keys.

use crate::error::Error;
use crate::group_discussions as discussions;
use crate::group_posts as posts;
use crate::group_resources as resources;
use crate::group_todos as todos;
use crate::log::StoredEvent;
use crate::projection::{Applying, Projection};
use crate::tables::{flag, flag_of, known};
use async_trait::async_trait;
use convene_domain::group::{
    FollowState, GroupActor, GroupChange, GroupDetails, GroupVisibility, MemberRole, Openness,
};
use convene_domain::picture::{GroupPicture, ShownPicture};
use convene_domain::{Actor, Event, EventChange, Group};
use cqrs_es::Aggregate;
use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, AnyPool, Row};

pub struct GroupsProjection;

/// The one change of an event the groups' read model takes: a group organises it.
const ORGANISED_BY_GROUP: &str = "EventOrganisedByGroup";

#[async_trait]
impl Projection for GroupsProjection {
    fn name(&self) -> &'static str {
        crate::read_model::GROUPS
    }

    fn tables(&self) -> &'static [&'static str] {
        &[
            "groups",
            "group_members",
            "group_followers",
            "group_timeline",
            "group_posts",
            "group_discussions",
            "group_discussion_comments",
            "group_todo_lists",
            "group_todos",
            "group_resources",
        ]
    }

    fn concerns(&self, event: &StoredEvent) -> bool {
        event.aggregate_type == Group::TYPE
            || (event.aggregate_type == Event::TYPE && event.event_type == ORGANISED_BY_GROUP)
    }

    async fn apply(&self, conn: &mut AnyConnection, event: &StoredEvent) -> Result<(), Error> {
        if event.aggregate_type == Event::TYPE {
            // Of an event, only that a group here organises it concerns the group's timeline.
            if let EventChange::OrganisedByGroup { group } = event.change::<EventChange>()? {
                if group.elsewhere.is_none() {
                    let on = Applying::of(event)?;
                    let entry = Entry::new(Kind::EventOrganised).subject(on.id.to_string());
                    timeline(conn, &on, &group.handle, &actor_of(event)?, entry).await?;
                }
            }
            return Ok(());
        }
        let on = Applying::of(event)?;
        let change = event.change::<GroupChange>()?;
        if let Some(entry) = Entry::of(&change) {
            let mut actor = actor_of(event)?;
            // A post published at its time by the instance is shown as its author's doing.
            if let (GroupChange::PostPublished { post }, Actor::System) =
                (&change, event.metadata()?.actor)
            {
                actor = posts::author_of(conn, post).await?.unwrap_or(actor);
            }
            timeline(conn, &on, on.id, &actor, entry).await?;
        }
        use GroupChange as C;
        // Changes to the members' and followers' rows (the creator, the first member, included):
        // the group's counts are counted again once they are applied.
        let recount = matches!(
            change,
            C::Created { .. }
                | C::MemberJoined { .. }
                | C::MemberInvited { .. }
                | C::InvitationAccepted { .. }
                | C::MemberApproved { .. }
                | C::MemberRejected { .. }
                | C::MemberRoleChanged { .. }
                | C::InvitationDeclined { .. }
                | C::MemberLeft { .. }
                | C::MemberRemoved { .. }
                | C::Followed { .. }
                | C::FollowerApproved { .. }
                | C::Unfollowed { .. }
                | C::FollowerRejected { .. }
        );
        let applied = match change {
            C::Created {
                creator, details, ..
            } => created(conn, &on, &creator, &details).await,
            C::Updated { details, .. } => updated(conn, &on, &details).await,
            C::PictureSet { slot, picture } => group_picture(conn, &on, slot, Some(&picture)).await,
            C::PictureRemoved { slot } => group_picture(conn, &on, slot, None).await,
            C::MemberJoined { who, role, message } => member(conn, &on, &who, role, message).await,
            C::MemberInvited { who } => member(conn, &on, &who, MemberRole::Invited, None).await,
            C::InvitationAccepted { who } | C::MemberApproved { who } => {
                role_changed(conn, &on, &who, MemberRole::Member).await
            }
            C::MemberRejected { who } => role_changed(conn, &on, &who, MemberRole::Rejected).await,
            C::MemberRoleChanged { who, role } => role_changed(conn, &on, &who, role).await,
            C::InvitationDeclined { who } | C::MemberLeft { who } | C::MemberRemoved { who } => {
                member_gone(conn, &on, &who).await
            }
            C::Followed { who, state } => followed(conn, &on, &who, state).await,
            C::FollowerApproved { who } => follower_approved(conn, &on, &who).await,
            C::Unfollowed { who } | C::FollowerRejected { who } => {
                follower_gone(conn, &on, &who).await
            }
            C::PostCreated {
                post,
                slug,
                author,
                content,
            } => posts::created(conn, &on, &post, &slug, &author, &content).await,
            C::PostEdited { post, content, .. } => posts::edited(conn, &on, &post, &content).await,
            C::PostPublished { post } => posts::published(conn, &on, &post).await,
            C::PostDeleted { post } => posts::deleted(conn, &post).await,
            C::DiscussionStarted {
                discussion,
                title,
                author,
            } => discussions::started(conn, &on, &discussion, &title, &author).await,
            C::DiscussionCommented {
                discussion,
                comment,
                author,
                in_reply_to,
                body,
                ..
            } => {
                let comment = (
                    comment.as_str(),
                    &author,
                    in_reply_to.as_deref(),
                    body.as_str(),
                );
                discussions::commented(conn, &on, &discussion, comment).await
            }
            C::DiscussionRenamed { discussion, title } => {
                discussions::renamed(conn, &discussion, &title).await
            }
            C::DiscussionArchived {
                discussion,
                archived,
            } => discussions::archived(conn, &discussion, archived).await,
            C::DiscussionDeleted { discussion } => discussions::deleted(conn, &discussion).await,
            C::DiscussionCommentDeleted { comment, .. } => {
                discussions::comment_deleted(conn, &comment).await
            }
            C::DiscussionCommentEdited { comment, body, .. } => {
                discussions::comment_edited(conn, &on, &comment, &body).await
            }
            C::TodoListCreated {
                list,
                title,
                object,
            } => todos::list_created(conn, &on, (&list, object.as_deref()), &title).await,
            C::TodoAdded {
                list,
                todo,
                content,
                object,
            } => {
                let todo = (todo.as_str(), object.as_deref());
                todos::added(conn, &on, &list, todo, &content).await
            }
            C::TodoUpdated { todo, content } => {
                // Marking a todo done, or not done again, is a fact for the members' timeline;
                // the todo's row still tells what it was.
                if let Some(kind) = todos::done_changed(conn, &todo, content.done).await? {
                    let entry = Entry::new(kind)
                        .subject(todo.clone())
                        .detail(content.title.clone());
                    timeline(conn, &on, on.id, &actor_of(event)?, entry).await?;
                }
                todos::updated(conn, &on, &todo, &content).await
            }
            C::TodoDeleted { todo } => todos::deleted(conn, &todo).await,
            C::TodoListDeleted { list, .. } => todos::list_deleted(conn, &list).await,
            C::ResourceAdded {
                resource,
                parent,
                author,
                content,
                object,
            } => {
                let placed = (resource.as_str(), object.as_deref(), parent.as_deref());
                resources::added(conn, &on, placed, &author, &content).await
            }
            C::ResourceEdited { resource, content } => {
                resources::edited(conn, &on, &resource, &content).await
            }
            C::ResourcePreviewed {
                resource,
                url,
                preview,
            } => resources::previewed(conn, &on, &resource, &url, &preview).await,
            C::ResourceMoved { resource, parent } => {
                resources::moved(conn, &on, &resource, parent.as_deref()).await
            }
            C::ResourceDeleted { resource, content } => {
                resources::deleted(conn, &resource, &content).await
            }
            C::Moderated { action, .. } => {
                let suspended = action == convene_domain::moderation::GroupAction::Suspend;
                sqlx::query("UPDATE groups SET suspended = $1, updated_at = $2 WHERE handle = $3")
                    .bind(crate::tables::flag(suspended))
                    .bind(&on.at)
                    .bind(on.id)
                    .execute(&mut *conn)
                    .await?;
                Ok(())
            }
        };
        applied?;
        if recount {
            counts(conn, on.id).await?;
        }
        Ok(())
    }
}

/// Counts group `handle`'s members and approved followers again, once their rows changed: a
/// write counts, so that every read of the group does not.
async fn counts(conn: &mut AnyConnection, handle: &str) -> Result<(), Error> {
    sqlx::query(&format!(
        "UPDATE groups SET \
         member_count = (SELECT COUNT(*) FROM group_members m WHERE m.group_handle = $1 \
          AND m.role IN {BELONGING}), \
         follower_count = (SELECT COUNT(*) FROM group_followers f WHERE f.group_handle = $1 \
          AND f.state = 'approved') \
         WHERE handle = $1"
    ))
    .bind(handle)
    .execute(conn)
    .await?;
    Ok(())
}

/// What a timeline entry says happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    GroupCreated,
    SettingsChanged,
    MemberJoined,
    JoinRequested,
    MemberInvited,
    InvitationAccepted,
    InvitationDeclined,
    MemberApproved,
    MemberRejected,
    MemberLeft,
    MemberRemoved,
    RoleChanged,
    Followed,
    FollowerApproved,
    Unfollowed,
    EventOrganised,
    PostPublished,
    DiscussionStarted,
    ResourceAdded,
    TodoCompleted,
    TodoReopened,
}

impl Kind {
    const ALL: [Kind; 21] = [
        Kind::GroupCreated,
        Kind::SettingsChanged,
        Kind::MemberJoined,
        Kind::JoinRequested,
        Kind::MemberInvited,
        Kind::InvitationAccepted,
        Kind::InvitationDeclined,
        Kind::MemberApproved,
        Kind::MemberRejected,
        Kind::MemberLeft,
        Kind::MemberRemoved,
        Kind::RoleChanged,
        Kind::Followed,
        Kind::FollowerApproved,
        Kind::Unfollowed,
        Kind::EventOrganised,
        Kind::PostPublished,
        Kind::DiscussionStarted,
        Kind::ResourceAdded,
        Kind::TodoCompleted,
        Kind::TodoReopened,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::GroupCreated => "group_created",
            Kind::SettingsChanged => "settings_changed",
            Kind::MemberJoined => "member_joined",
            Kind::JoinRequested => "join_requested",
            Kind::MemberInvited => "member_invited",
            Kind::InvitationAccepted => "invitation_accepted",
            Kind::InvitationDeclined => "invitation_declined",
            Kind::MemberApproved => "member_approved",
            Kind::MemberRejected => "member_rejected",
            Kind::MemberLeft => "member_left",
            Kind::MemberRemoved => "member_removed",
            Kind::RoleChanged => "role_changed",
            Kind::Followed => "followed",
            Kind::FollowerApproved => "follower_approved",
            Kind::Unfollowed => "unfollowed",
            Kind::EventOrganised => "event_organised",
            Kind::PostPublished => "post_published",
            Kind::DiscussionStarted => "discussion_started",
            Kind::ResourceAdded => "resource_added",
            Kind::TodoCompleted => "todo_completed",
            Kind::TodoReopened => "todo_reopened",
        }
    }

    fn parse(text: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.as_str() == text)
    }

    /// Entries that may be shown beyond the members: the group's own public settings, and an
    /// event's or a post's entry, which follows the visibility of the event or post as it is
    /// when read. Who belongs to the group and who follows it, its discussions, resources and
    /// todos are for its members.
    fn public(self) -> bool {
        matches!(
            self,
            Kind::GroupCreated | Kind::SettingsChanged | Kind::EventOrganised | Kind::PostPublished
        )
    }
}

/// One entry about to be written.
struct Entry {
    kind: Kind,
    subject: Option<String>,
    detail: Option<String>,
}

impl Entry {
    fn new(kind: Kind) -> Self {
        Self {
            kind,
            subject: None,
            detail: None,
        }
    }

    fn subject(mut self, subject: String) -> Self {
        self.subject = Some(subject);
        self
    }

    fn detail(mut self, detail: String) -> Self {
        self.detail = Some(detail);
        self
    }

    /// The entry a group change makes, if any (a refused follower leaves none: only the
    /// moderators' list knew of the request).
    fn of(change: &GroupChange) -> Option<Entry> {
        use GroupChange as C;
        let about = |kind: Kind, who: &GroupActor| Entry::new(kind).subject(who.key());
        Some(match change {
            C::Created { .. } => Entry::new(Kind::GroupCreated),
            C::Updated { fields, .. } => Entry::new(Kind::SettingsChanged).detail(fields.join(",")),
            // A new or removed picture is a change of the settings, named by its place.
            C::PictureSet { slot, .. } | C::PictureRemoved { slot } => {
                Entry::new(Kind::SettingsChanged).detail(slot.as_str().to_string())
            }
            C::MemberJoined { who, role, .. } if *role == MemberRole::NotApproved => {
                about(Kind::JoinRequested, who)
            }
            C::MemberJoined { who, .. } => about(Kind::MemberJoined, who),
            C::MemberInvited { who } => about(Kind::MemberInvited, who),
            C::InvitationAccepted { who } => about(Kind::InvitationAccepted, who),
            C::InvitationDeclined { who } => about(Kind::InvitationDeclined, who),
            C::MemberApproved { who } => about(Kind::MemberApproved, who),
            C::MemberRejected { who } => about(Kind::MemberRejected, who),
            C::MemberLeft { who } => about(Kind::MemberLeft, who),
            C::MemberRemoved { who } => about(Kind::MemberRemoved, who),
            C::MemberRoleChanged { who, role } => {
                about(Kind::RoleChanged, who).detail(role.as_str().to_string())
            }
            C::Followed { who, state } if *state == FollowState::Approved => {
                about(Kind::Followed, who)
            }
            C::Followed { .. } | C::FollowerRejected { .. } => return None,
            C::FollowerApproved { who } => about(Kind::FollowerApproved, who),
            C::Unfollowed { who } => about(Kind::Unfollowed, who),
            C::PostPublished { post } => Entry::new(Kind::PostPublished).subject(post.clone()),
            // A discussion is for members: its entry is never public.
            C::DiscussionStarted {
                discussion, title, ..
            } => Entry::new(Kind::DiscussionStarted)
                .subject(discussion.clone())
                .detail(title.clone()),
            // Resources are for members: the entry is never public.
            C::ResourceAdded {
                resource, content, ..
            } => Entry::new(Kind::ResourceAdded)
                .subject(resource.clone())
                .detail(content.title.clone()),
            C::PostCreated { .. }
            | C::PostEdited { .. }
            | C::PostDeleted { .. }
            | C::DiscussionCommented { .. }
            | C::DiscussionRenamed { .. }
            | C::DiscussionArchived { .. }
            | C::DiscussionDeleted { .. }
            | C::DiscussionCommentDeleted { .. }
            | C::DiscussionCommentEdited { .. }
            | C::ResourcePreviewed { .. }
            | C::TodoListCreated { .. }
            | C::TodoAdded { .. }
            | C::TodoUpdated { .. }
            | C::TodoDeleted { .. }
            | C::TodoListDeleted { .. }
            | C::ResourceEdited { .. }
            | C::ResourceMoved { .. }
            | C::ResourceDeleted { .. }
            | C::Moderated { .. } => return None,
        })
    }
}

/// Who made a change, as a timeline shows it: a profile or a remote actor, never an account.
fn actor_of(event: &StoredEvent) -> Result<String, Error> {
    Ok(match event.metadata()?.actor {
        Actor::Account {
            profile: Some(profile),
            ..
        } => format!("@{profile}"),
        Actor::Remote { actor } => actor,
        Actor::System => "system".into(),
        Actor::Account { profile: None, .. } | Actor::Anonymous => "someone".into(),
    })
}

async fn timeline(
    conn: &mut AnyConnection,
    on: &Applying<'_>,
    group: &str,
    actor: &str,
    entry: Entry,
) -> Result<(), Error> {
    sqlx::query(
        "INSERT INTO group_timeline (group_handle, position, at, actor, kind, subject, detail, \
         public) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(group)
    .bind(on.position)
    .bind(&on.at)
    .bind(actor)
    .bind(entry.kind.as_str())
    .bind(entry.subject)
    .bind(entry.detail)
    .bind(flag(entry.kind.public()))
    .execute(conn)
    .await?;
    Ok(())
}

fn profile_of(who: &GroupActor) -> Option<&str> {
    match who {
        GroupActor::Profile(username) => Some(username),
        GroupActor::Remote(_) => None,
    }
}

fn details_json(on: &Applying<'_>, details: &GroupDetails) -> Result<String, Error> {
    serde_json::to_string(details).map_err(|e| on.unreadable(e))
}

fn visibility_str(visibility: GroupVisibility) -> &'static str {
    match visibility {
        GroupVisibility::Public => "public",
        GroupVisibility::Unlisted => "unlisted",
    }
}

fn openness_str(openness: Openness) -> &'static str {
    match openness {
        Openness::Open => "open",
        Openness::Moderated => "moderated",
        Openness::InviteOnly => "invite_only",
    }
}

async fn created(
    conn: &mut AnyConnection,
    on: &Applying<'_>,
    creator: &GroupActor,
    details: &GroupDetails,
) -> Result<(), Error> {
    sqlx::query(
        "INSERT INTO groups (handle, display_name, visibility, openness, details, created_at, \
         updated_at) VALUES ($1, $2, $3, $4, $5, $6, $6)",
    )
    .bind(on.id)
    .bind(&details.display_name)
    .bind(visibility_str(details.visibility))
    .bind(openness_str(details.openness))
    .bind(details_json(on, details)?)
    .bind(&on.at)
    .execute(&mut *conn)
    .await?;
    member(conn, on, creator, MemberRole::Creator, None).await
}

async fn updated(
    conn: &mut AnyConnection,
    on: &Applying<'_>,
    details: &GroupDetails,
) -> Result<(), Error> {
    sqlx::query(
        "UPDATE groups SET display_name = $1, visibility = $2, openness = $3, details = $4, \
         updated_at = $5 WHERE handle = $6",
    )
    .bind(&details.display_name)
    .bind(visibility_str(details.visibility))
    .bind(openness_str(details.openness))
    .bind(details_json(on, details)?)
    .bind(&on.at)
    .bind(on.id)
    .execute(conn)
    .await?;
    Ok(())
}

/// The picture the group shows as its avatar or banner, as JSON (or none).
async fn group_picture(
    conn: &mut AnyConnection,
    on: &Applying<'_>,
    slot: GroupPicture,
    picture: Option<&ShownPicture>,
) -> Result<(), Error> {
    let json = crate::pictures::shown_json(on, picture)?;
    // The column is one of two fixed names, never input.
    let column = match slot {
        GroupPicture::Avatar => "avatar",
        GroupPicture::Banner => "banner",
    };
    sqlx::query(&format!(
        "UPDATE groups SET {column} = $1, updated_at = $2 WHERE handle = $3"
    ))
    .bind(json)
    .bind(&on.at)
    .bind(on.id)
    .execute(conn)
    .await?;
    Ok(())
}

/// A membership begins (or, for someone rejected before and now invited, begins again).
async fn member(
    conn: &mut AnyConnection,
    on: &Applying<'_>,
    who: &GroupActor,
    role: MemberRole,
    message: Option<String>,
) -> Result<(), Error> {
    member_gone(conn, on, who).await?;
    sqlx::query(
        "INSERT INTO group_members (group_handle, member, profile, role, message, since, \
         updated_at) VALUES ($1, $2, $3, $4, $5, $6, $6)",
    )
    .bind(on.id)
    .bind(who.key())
    .bind(profile_of(who))
    .bind(role.as_str())
    .bind(message)
    .bind(&on.at)
    .execute(conn)
    .await?;
    Ok(())
}

async fn role_changed(
    conn: &mut AnyConnection,
    on: &Applying<'_>,
    who: &GroupActor,
    role: MemberRole,
) -> Result<(), Error> {
    sqlx::query(
        "UPDATE group_members SET role = $1, updated_at = $2 WHERE group_handle = $3 \
         AND member = $4",
    )
    .bind(role.as_str())
    .bind(&on.at)
    .bind(on.id)
    .bind(who.key())
    .execute(conn)
    .await?;
    Ok(())
}

async fn member_gone(
    conn: &mut AnyConnection,
    on: &Applying<'_>,
    who: &GroupActor,
) -> Result<(), Error> {
    sqlx::query("DELETE FROM group_members WHERE group_handle = $1 AND member = $2")
        .bind(on.id)
        .bind(who.key())
        .execute(conn)
        .await?;
    Ok(())
}

async fn followed(
    conn: &mut AnyConnection,
    on: &Applying<'_>,
    who: &GroupActor,
    state: FollowState,
) -> Result<(), Error> {
    sqlx::query(
        "INSERT INTO group_followers (group_handle, follower, profile, state, since) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(on.id)
    .bind(who.key())
    .bind(profile_of(who))
    .bind(state.as_str())
    .bind(&on.at)
    .execute(conn)
    .await?;
    Ok(())
}

async fn follower_approved(
    conn: &mut AnyConnection,
    on: &Applying<'_>,
    who: &GroupActor,
) -> Result<(), Error> {
    sqlx::query("UPDATE group_followers SET state = $1 WHERE group_handle = $2 AND follower = $3")
        .bind(FollowState::Approved.as_str())
        .bind(on.id)
        .bind(who.key())
        .execute(conn)
        .await?;
    Ok(())
}

async fn follower_gone(
    conn: &mut AnyConnection,
    on: &Applying<'_>,
    who: &GroupActor,
) -> Result<(), Error> {
    sqlx::query("DELETE FROM group_followers WHERE group_handle = $1 AND follower = $2")
        .bind(on.id)
        .bind(who.key())
        .execute(conn)
        .await?;
    Ok(())
}

/// A group as anyone who may see it sees it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct GroupView {
    pub handle: String,
    #[serde(flatten)]
    pub details: GroupDetails,
    /// Members (role `member` and above).
    pub member_count: i64,
    /// Approved followers.
    pub follower_count: i64,
    /// The picture shown beside its name, if any.
    pub avatar: Option<ShownPicture>,
    /// The picture across the top of its page, if any.
    pub banner: Option<ShownPicture>,
    pub created_at: String,
    pub updated_at: String,
    /// Suspended by the instance's moderators: only they see it.
    pub suspended_by_moderators: bool,
}

/// Roles that belong to the group, as SQL.
const BELONGING: &str = "('member', 'moderator', 'administrator', 'creator')";

const GROUP_COLUMNS: &str = "g.handle, g.details, g.avatar, g.banner, g.created_at, \
     g.updated_at, g.suspended, g.member_count, g.follower_count";

fn group_view(row: &AnyRow) -> Result<GroupView, Error> {
    let text: String = row.try_get("details")?;
    let details: GroupDetails = serde_json::from_str(&text).map_err(|e| Error::Unreadable {
        position: 0,
        reason: format!("group details: {e}"),
    })?;
    Ok(GroupView {
        handle: row.try_get("handle")?,
        details,
        member_count: row.try_get("member_count")?,
        follower_count: row.try_get("follower_count")?,
        avatar: crate::events::picture_of(row, "avatar")?,
        banner: crate::events::picture_of(row, "banner")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
        suspended_by_moderators: crate::tables::flag_of(row, "suspended")?,
    })
}

/// Whether the group `column` names is suspended (1) or not (0), as SQL: a suspended group's
/// events leave public listings.
pub fn suspended_sql(column: &str) -> String {
    format!("(SELECT COUNT(*) FROM groups sg WHERE sg.handle = {column} AND sg.suspended = 1)")
}

/// The group `@handle`, if it exists (every visibility: callers decide).
pub async fn find(pool: &AnyPool, handle: &str) -> Result<Option<GroupView>, Error> {
    let row = sqlx::query(&format!(
        "SELECT {GROUP_COLUMNS} FROM groups g WHERE g.handle = $1"
    ))
    .bind(handle)
    .fetch_optional(pool)
    .await?;
    row.as_ref().map(group_view).transpose()
}

/// Public groups, by display name.
pub async fn list_public(pool: &AnyPool, limit: i64, offset: i64) -> Result<Vec<GroupView>, Error> {
    let rows = sqlx::query(&format!(
        "SELECT {GROUP_COLUMNS} FROM groups g WHERE g.visibility = 'public' AND g.suspended = 0 \
         ORDER BY g.display_name, g.handle LIMIT $1 OFFSET $2"
    ))
    .bind(limit)
    .bind(offset)
    .fetch_all(pool)
    .await?;
    rows.iter().map(group_view).collect()
}

/// One membership as shown: who (a profile's username, or a remote actor's URL) and in what
/// role. Never carries an account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MemberView {
    pub group: String,
    /// `@username`, or the URL of a remote actor.
    pub member: String,
    /// The local profile's username, when the member is one.
    pub profile: Option<String>,
    pub role: MemberRole,
    /// What the person wrote when asking to join (shown to moderators only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    pub since: String,
    pub updated_at: String,
}

const MEMBER_COLUMNS: &str = "group_handle, member, profile, role, message, since, updated_at";

fn member_view(row: &AnyRow) -> Result<MemberView, Error> {
    Ok(MemberView {
        group: row.try_get("group_handle")?,
        member: row.try_get("member")?,
        profile: row.try_get("profile")?,
        role: known(row, "group_members", "role", MemberRole::parse)?,
        message: row.try_get("message")?,
        since: row.try_get("since")?,
        updated_at: row.try_get("updated_at")?,
    })
}

/// The memberships of group `handle` whose role is among `roles`, highest role first, then in
/// the order they began.
pub async fn members(
    pool: &AnyPool,
    handle: &str,
    roles: &[MemberRole],
) -> Result<Vec<MemberView>, Error> {
    let rows = sqlx::query(&format!(
        "SELECT {MEMBER_COLUMNS} FROM group_members WHERE group_handle = $1 ORDER BY since, member"
    ))
    .bind(handle)
    .fetch_all(pool)
    .await?;
    let mut found = rows
        .iter()
        .map(member_view)
        .filter(|m| m.as_ref().map_or(true, |m| roles.contains(&m.role)))
        .collect::<Result<Vec<_>, _>>()?;
    found.sort_by_key(|m| std::cmp::Reverse(m.role.rank()));
    Ok(found)
}

/// `who`'s membership of group `handle`, in any role.
pub async fn membership(
    pool: &AnyPool,
    handle: &str,
    who: &GroupActor,
) -> Result<Option<MemberView>, Error> {
    let row = sqlx::query(&format!(
        "SELECT {MEMBER_COLUMNS} FROM group_members WHERE group_handle = $1 AND member = $2"
    ))
    .bind(handle)
    .bind(who.key())
    .fetch_optional(pool)
    .await?;
    row.as_ref().map(member_view).transpose()
}

/// The roles the profiles `usernames` hold in group `handle` (one per profile with a
/// membership).
pub async fn roles_of_profiles(
    pool: &AnyPool,
    handle: &str,
    usernames: &[String],
) -> Result<Vec<MemberRole>, Error> {
    let mut roles = Vec::new();
    for username in usernames {
        let who = GroupActor::profile(username);
        if let Some(member) = membership(pool, handle, &who).await? {
            roles.push(member.role);
        }
    }
    Ok(roles)
}

/// The groups any of the profiles `usernames` follows (approved) or belongs to, by handle.
pub async fn followed_or_joined_by(
    pool: &AnyPool,
    usernames: &[String],
) -> Result<Vec<String>, Error> {
    let mut handles: Vec<String> = Vec::new();
    for username in usernames {
        let followed: Vec<String> = sqlx::query_scalar(
            "SELECT group_handle FROM group_followers WHERE profile = $1 AND state = 'approved'",
        )
        .bind(username)
        .fetch_all(pool)
        .await?;
        let joined: Vec<String> = sqlx::query_scalar(&format!(
            "SELECT group_handle FROM group_members WHERE profile = $1 AND role IN {BELONGING}"
        ))
        .bind(username)
        .fetch_all(pool)
        .await?;
        handles.extend(followed.into_iter().chain(joined));
    }
    handles.sort();
    handles.dedup();
    Ok(handles)
}

/// Every membership of the profile `username`, in the order they began.
pub async fn memberships_of(pool: &AnyPool, username: &str) -> Result<Vec<MemberView>, Error> {
    let rows = sqlx::query(&format!(
        "SELECT {MEMBER_COLUMNS} FROM group_members WHERE profile = $1 ORDER BY since, group_handle"
    ))
    .bind(username)
    .fetch_all(pool)
    .await?;
    rows.iter().map(member_view).collect()
}

/// One follower as shown to the group's moderators and to the follower.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FollowerView {
    pub group: String,
    /// `@username`, or the URL of a remote actor.
    pub follower: String,
    pub profile: Option<String>,
    pub state: FollowState,
    pub since: String,
}

const FOLLOWER_COLUMNS: &str = "group_handle, follower, profile, state, since";

fn follow_state(text: &str) -> Option<FollowState> {
    [FollowState::Pending, FollowState::Approved]
        .into_iter()
        .find(|s| s.as_str() == text)
}

fn follower_view(row: &AnyRow) -> Result<FollowerView, Error> {
    Ok(FollowerView {
        group: row.try_get("group_handle")?,
        follower: row.try_get("follower")?,
        profile: row.try_get("profile")?,
        state: known(row, "group_followers", "state", follow_state)?,
        since: row.try_get("since")?,
    })
}

/// The followers of group `handle`, in the order they began to follow.
pub async fn followers(pool: &AnyPool, handle: &str) -> Result<Vec<FollowerView>, Error> {
    let rows = sqlx::query(&format!(
        "SELECT {FOLLOWER_COLUMNS} FROM group_followers WHERE group_handle = $1 \
         ORDER BY since, follower"
    ))
    .bind(handle)
    .fetch_all(pool)
    .await?;
    rows.iter().map(follower_view).collect()
}

/// `who`'s following of group `handle`, if any.
pub async fn follower(
    pool: &AnyPool,
    handle: &str,
    who: &GroupActor,
) -> Result<Option<FollowerView>, Error> {
    let row = sqlx::query(&format!(
        "SELECT {FOLLOWER_COLUMNS} FROM group_followers WHERE group_handle = $1 AND follower = $2"
    ))
    .bind(handle)
    .bind(who.key())
    .fetch_optional(pool)
    .await?;
    row.as_ref().map(follower_view).transpose()
}

/// One entry of a group's timeline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TimelineEntry {
    /// Its place in the instance's log.
    pub position: i64,
    pub at: String,
    /// `@username`, a remote actor's URL, or `system`.
    pub actor: String,
    pub kind: Kind,
    /// Whom or what it is about: a member or follower (`@username`), an event's, a post's, a
    /// discussion's, a resource's or a todo's id.
    pub subject: Option<String>,
    /// A role given, the settings changed (comma-separated), or the title of the discussion,
    /// resource or todo (as it was then).
    pub detail: Option<String>,
    /// May be shown beyond the members (events' and posts' entries to whoever may see them).
    #[serde(skip)]
    pub public: bool,
}

fn timeline_entry(row: &AnyRow) -> Result<TimelineEntry, Error> {
    Ok(TimelineEntry {
        position: row.try_get("position")?,
        at: row.try_get("at")?,
        actor: row.try_get("actor")?,
        kind: known(row, "group_timeline", "kind", Kind::parse)?,
        subject: row.try_get("subject")?,
        detail: row.try_get("detail")?,
        public: flag_of(row, "public")?,
    })
}

/// Group `handle`'s timeline, newest first: `everything` for members, otherwise the public
/// entries and the events' (whose visibility the caller decides), `limit` from `offset`.
pub async fn timeline_of(
    pool: &AnyPool,
    handle: &str,
    everything: bool,
    limit: i64,
    offset: i64,
) -> Result<Vec<TimelineEntry>, Error> {
    // Indexed by (group, public, position): a visitor's page is read straight from the index.
    let filter = if everything { "" } else { " AND public = 1" };
    let rows = sqlx::query(&format!(
        "SELECT position, at, actor, kind, subject, detail, public FROM group_timeline \
         WHERE group_handle = $1{filter} ORDER BY position DESC LIMIT $2 OFFSET $3"
    ))
    .bind(handle)
    .bind(limit)
    .bind(offset)
    .fetch_all(pool)
    .await?;
    rows.iter().map(timeline_entry).collect()
}
