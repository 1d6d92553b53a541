//! What a group of this instance sends, as its own actor: the `Accept` (or `Reject`) of a
//! remote actor's `Follow` or `Join` once decided; the `Invite` of a remote actor, the `Update`
//! of a remote member's `Member` when its role changes and the `Remove` of a remote member
//! (Mobilizon's shapes, see [`membership_activity`]); its posts as `Article`s, public ones to
//! its remote followers and members, members-only ones to its remote members alone; and its
//! discussions' comments, resources and todos to its remote members
//! ([`super::group_discussions`], [`super::group_work`]). Its events are
//! derived with the other events ([`super::derive`]), addressed to the same followers
//! ([`GroupLogs::followers_at`]).
//!
//! A remote follower is recorded in the log by its actor URL (`Followed` of a
//! `GroupActor::Remote`, the `Follow`'s id in the change's metadata); where it takes deliveries
//! is read from the `remote_actors` cache, which verified its `Follow`'s signature.

use super::actors::{changes_group, group_update, Extras, GroupPictures};
use super::derive::{shown_kind, Outgoing};
use super::group_discussions::{self, Comments};
use super::group_work::{self, Work};
use super::LogOf;
use crate::actors::local::{group_id, member_id, person_id};
use crate::keys::key_id;
use crate::objects::{
    activity_id, article_object, post_url, tombstone, Activity, ActivityKind, ActorRef,
    FederatedPost,
};
use convene_domain::group::{FollowState, GroupActor, MemberRole, PostContent, PostVisibility};
use convene_domain::{Actor, Group, GroupChange, Source};
use convene_projections::{Error, StoredEvent};
use cqrs_es::Aggregate;
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use time::OffsetDateTime;

/// The groups' changes, by handle, and the delivery inbox of each remote actor among their
/// followers and members (its shared inbox when it has one).
#[derive(Debug, Default)]
pub struct GroupLogs {
    pub logs: LogOf,
    pub inboxes: HashMap<String, String>,
}

impl GroupLogs {
    /// The remote actors that followed group `handle` (approved) just after `position`.
    pub fn remote_followers_at(&self, handle: &str, position: i64) -> BTreeSet<String> {
        let mut followers = BTreeSet::new();
        for stored in self.logs.get(handle).map(Vec::as_slice).unwrap_or_default() {
            if stored.position > position {
                break;
            }
            match stored.change::<GroupChange>() {
                Ok(GroupChange::Followed {
                    who: GroupActor::Remote(actor),
                    state: FollowState::Approved,
                })
                | Ok(GroupChange::FollowerApproved {
                    who: GroupActor::Remote(actor),
                }) => {
                    followers.insert(actor);
                }
                Ok(GroupChange::Unfollowed {
                    who: GroupActor::Remote(actor),
                })
                | Ok(GroupChange::FollowerRejected {
                    who: GroupActor::Remote(actor),
                }) => {
                    followers.remove(&actor);
                }
                _ => {}
            }
        }
        followers
    }

    /// Whether a remote actor ever followed group `handle`, asked to join it or was invited.
    pub fn ever_known(&self, handle: &str) -> Result<bool, Error> {
        for stored in self.logs.get(handle).map(Vec::as_slice).unwrap_or_default() {
            if let GroupChange::Followed {
                who: GroupActor::Remote(_),
                ..
            }
            | GroupChange::MemberJoined {
                who: GroupActor::Remote(_),
                ..
            }
            | GroupChange::MemberInvited {
                who: GroupActor::Remote(_),
            } = stored.change()?
            {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// The inboxes of group `handle`'s remote followers just after `position`, once per
    /// instance when they share an inbox.
    pub fn followers_at(&self, handle: &str, position: i64) -> Vec<String> {
        let inboxes: BTreeSet<String> = self
            .remote_followers_at(handle, position)
            .iter()
            .filter_map(|actor| self.inboxes.get(actor).cloned())
            .collect();
        inboxes.into_iter().collect()
    }
}

impl GroupLogs {
    /// The inboxes of group `handle`'s remote members just after `position`.
    pub fn member_inboxes_at(
        &self,
        handle: &str,
        position: i64,
    ) -> Result<BTreeSet<String>, Error> {
        let mut group = Group::default();
        for stored in self.logs.get(handle).map(Vec::as_slice).unwrap_or_default() {
            if stored.position > position {
                break;
            }
            group.apply(stored.change()?);
        }
        Ok(remote_member_inboxes(&group, self))
    }
}

/// The id of the actor who made a change of group `@handle`: a profile here, a remote actor,
/// or else the group itself (the instance acting, an account acting as no profile).
pub(super) fn actor_id(public_url: &str, handle: &str, actor: &Actor) -> String {
    match actor {
        Actor::Account {
            profile: Some(profile),
            ..
        } => person_id(public_url, profile),
        Actor::Remote { actor } => actor.clone(),
        _ => group_id(public_url, handle),
    }
}

/// The inboxes of the group's remote members, once per instance when they share an inbox.
pub(super) fn remote_member_inboxes(group: &Group, groups: &GroupLogs) -> BTreeSet<String> {
    group
        .members()
        .iter()
        .filter_map(|(who, role)| match (who, role.is_member()) {
            (GroupActor::Remote(member), true) => groups.inboxes.get(member).cloned(),
            _ => None,
        })
        .collect()
}

/// `object`, sent by the group `@handle` as its `kind` activity for the change `stored` to its
/// `members`: delivered to its remote members' inboxes as `group` counts them; none without one.
pub(super) fn to_members(
    public_url: &str,
    handle: &str,
    stored: &StoredEvent,
    (kind, object): (ActivityKind, Value),
    group: &Group,
    groups: &GroupLogs,
) -> Result<Option<Outgoing>, Error> {
    let inboxes = remote_member_inboxes(group, groups);
    if inboxes.is_empty() {
        return Ok(None);
    }
    let group_url = group_id(public_url, handle);
    Ok(Some(Outgoing {
        activity: Activity::new(
            activity_id(public_url, handle, stored.sequence as u64, kind),
            kind,
            &group_url,
            object,
            vec![format!("{group_url}/members")],
            Vec::new(),
            stored.metadata()?.recorded_at,
        ),
        key_id: key_id(&group_url),
        inboxes: inboxes.into_iter().collect(),
        about: None,
    }))
}

/// A post as far as the outbox remembers it.
struct Post {
    slug: String,
    content: PostContent,
    /// When it first left its draft.
    published: Option<OffsetDateTime>,
}

/// Who among the group's remote actors is shown a post.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
struct Shown {
    followers: bool,
    members: bool,
}

impl Post {
    /// Published and not back in draft: shown to members, and to followers unless it is for
    /// members only.
    fn shown(&self) -> Shown {
        let out = self.published.is_some() && !self.content.draft;
        Shown {
            followers: out && self.content.visibility != PostVisibility::Members,
            members: out,
        }
    }
}

/// Everything the changes of the groups at positions `from..=to` give.
pub fn group_activities(
    public_url: &str,
    (from, to): (i64, i64),
    groups: &GroupLogs,
    extras: &Extras,
) -> Result<Vec<(i64, Outgoing)>, Error> {
    let mut out = Vec::new();
    for (handle, log) in &groups.logs {
        let mut posts: BTreeMap<String, Post> = BTreeMap::new();
        let mut group = Group::default();
        let mut pictures = GroupPictures::default();
        let mut created = None;
        let mut comments = Comments::default();
        let mut work = Work::default();
        for (index, stored) in log.iter().enumerate() {
            if stored.position > to {
                break;
            }
            let change: GroupChange = stored.change()?;
            let at = stored.metadata()?.recorded_at;
            created.get_or_insert(at);
            group.apply(change.clone());
            pictures.follow(&change);
            comments.follow(public_url, handle, &change, at);
            let by = actor_id(public_url, handle, &stored.metadata()?.actor);
            work.follow(&change, (&by, at));
            let was_shown = post_of(&change)
                .and_then(|p| posts.get(p))
                .map(Post::shown)
                .unwrap_or_default();
            remember(&mut posts, &change, at);
            if stored.position < from {
                continue;
            }
            if let Some(post) = post_of(&change).and_then(|p| posts.get(p).map(|post| (p, post))) {
                let made =
                    post_activities(public_url, handle, stored, post, was_shown, &group, groups)?;
                out.extend(made.into_iter().map(|o| (stored.position, o)));
                continue;
            }
            let answered = |actor: &str, kind, request| {
                let asked = Asked {
                    actor,
                    kind,
                    request,
                };
                answer(public_url, handle, stored, &asked, &log[..=index], groups)
            };
            use ActivityKind::{Accept, Follow, Join, Reject};
            let made = match &change {
                GroupChange::Followed {
                    who: GroupActor::Remote(actor),
                    state: FollowState::Approved,
                }
                | GroupChange::FollowerApproved {
                    who: GroupActor::Remote(actor),
                } => answered(actor, Accept, Follow)?,
                GroupChange::FollowerRejected {
                    who: GroupActor::Remote(actor),
                } => answered(actor, Reject, Follow)?,
                // A member at once (an open group), or once approved; a request waits.
                GroupChange::MemberJoined {
                    who: GroupActor::Remote(actor),
                    role: MemberRole::Member,
                    ..
                }
                | GroupChange::MemberApproved {
                    who: GroupActor::Remote(actor),
                } => answered(actor, Accept, Join)?,
                GroupChange::MemberRejected {
                    who: GroupActor::Remote(actor),
                } => answered(actor, Reject, Join)?,
                GroupChange::MemberInvited {
                    who: GroupActor::Remote(actor),
                }
                | GroupChange::MemberRoleChanged {
                    who: GroupActor::Remote(actor),
                    ..
                }
                | GroupChange::MemberRemoved {
                    who: GroupActor::Remote(actor),
                } => {
                    let about = Membership {
                        actor,
                        change: &change,
                        group: &group,
                    };
                    membership_activity(public_url, handle, stored, &about, groups)?
                }
                GroupChange::DiscussionCommented { .. }
                | GroupChange::DiscussionCommentEdited { .. }
                | GroupChange::DiscussionCommentDeleted { .. }
                | GroupChange::DiscussionDeleted { .. } => {
                    let about = (&change, &group, &comments);
                    group_discussions::relay(public_url, handle, stored, about, groups)?
                }
                _ if group_work::is_work(&change) => {
                    let about = (&change, &group, &work);
                    group_work::relay(public_url, handle, stored, about, groups)?
                }
                _ if changes_group(&change) => {
                    let created = created.unwrap_or(at);
                    let shown = (&group, &pictures);
                    group_update(public_url, handle, stored, shown, created, groups, extras)
                }
                _ => None,
            };
            out.extend(made.map(|o| (stored.position, o)));
        }
    }
    Ok(out)
}

/// The post a change is about, if any.
fn post_of(change: &GroupChange) -> Option<&str> {
    match change {
        GroupChange::PostCreated { post, .. }
        | GroupChange::PostEdited { post, .. }
        | GroupChange::PostPublished { post }
        | GroupChange::PostDeleted { post } => Some(post),
        _ => None,
    }
}

fn remember(posts: &mut BTreeMap<String, Post>, change: &GroupChange, at: OffsetDateTime) {
    match change {
        GroupChange::PostCreated {
            post,
            slug,
            content,
            ..
        } => {
            posts.insert(
                post.clone(),
                Post {
                    slug: slug.clone(),
                    content: content.clone(),
                    published: None,
                },
            );
        }
        GroupChange::PostEdited { post, content, .. } => {
            if let Some(p) = posts.get_mut(post) {
                p.content = content.clone();
            }
        }
        GroupChange::PostPublished { post } => {
            if let Some(p) = posts.get_mut(post) {
                p.published.get_or_insert(at);
            }
        }
        GroupChange::PostDeleted { post } => {
            // Kept as deleted: its Delete is derived from what it was.
            if let Some(p) = posts.get_mut(post) {
                p.content.draft = true;
            }
        }
        _ => {}
    }
}

/// An answer the group owes a remote actor: `kind` (`Accept` or `Reject`) of its `request`
/// (`Follow` or `Join`).
struct Asked<'a> {
    actor: &'a str,
    kind: ActivityKind,
    request: ActivityKind,
}

/// The `Accept` or `Reject` of the actor's `Follow` or `Join` (the one recorded last, whose id
/// its change's metadata holds), by the group, to the actor's delivery inbox.
fn answer(
    public_url: &str,
    handle: &str,
    stored: &StoredEvent,
    asked: &Asked<'_>,
    log: &[StoredEvent],
    groups: &GroupLogs,
) -> Result<Option<Outgoing>, Error> {
    let mut request = None;
    for earlier in log.iter().rev() {
        let who = match earlier.change::<GroupChange>()? {
            GroupChange::Followed { who, .. } if asked.request == ActivityKind::Follow => who,
            GroupChange::MemberJoined { who, .. } if asked.request == ActivityKind::Join => who,
            _ => continue,
        };
        if who == GroupActor::Remote(asked.actor.to_string()) {
            request = match earlier.metadata()?.source {
                Source::Federation { activity } => Some(activity),
                _ => None,
            };
            break;
        }
    }
    let (Some(request), Some(inbox)) = (request, groups.inboxes.get(asked.actor)) else {
        return Ok(None);
    };
    let group = group_id(public_url, handle);
    let at = stored.metadata()?.recorded_at;
    let object = json!({
        "id": request,
        "type": asked.request.name(),
        "actor": asked.actor,
        "object": group,
    });
    Ok(Some(Outgoing {
        activity: Activity::new(
            activity_id(public_url, handle, stored.sequence as u64, asked.kind),
            asked.kind,
            &group,
            object,
            vec![asked.actor.to_string()],
            Vec::new(),
            at,
        ),
        key_id: key_id(&group),
        inboxes: vec![inbox.clone()],
        about: None,
    }))
}

/// A change of a remote actor's membership, and the group as it stands after it.
struct Membership<'a> {
    actor: &'a str,
    change: &'a GroupChange,
    group: &'a Group,
}

/// The group's `Invite` of a remote actor, `Update` of a remote member's `Member` (a new role)
/// or `Remove` of a remote member, in Mobilizon's shapes (its `Actions.Invite`,
/// `Types.Members.update` and `Actions.Remove`), addressed to the member and the group's
/// members. The group is the actor and signs them: Mobilizon trusts a membership activity
/// from the group's own origin. The `Remove` names the person removed (which Mobilizon fetches
/// and accepts) rather than the `Member`, which only members may read. Delivered to the actor
/// concerned and to the group's other remote members, once per inbox.
fn membership_activity(
    public_url: &str,
    handle: &str,
    stored: &StoredEvent,
    about: &Membership<'_>,
    groups: &GroupLogs,
) -> Result<Option<Outgoing>, Error> {
    let Some(inbox) = groups.inboxes.get(about.actor) else {
        return Ok(None);
    };
    let group = group_id(public_url, handle);
    let at = stored.metadata()?.recorded_at;
    let to = vec![about.actor.to_string(), format!("{group}/members")];
    let (kind, object) = match about.change {
        GroupChange::MemberInvited { .. } => (ActivityKind::Invite, json!(group)),
        GroupChange::MemberRoleChanged { role, .. } => (
            ActivityKind::Update,
            json!({
                "id": member_id(&group, about.actor),
                "type": "Member",
                "actor": about.actor,
                "object": group,
                "role": role.as_str(),
            }),
        ),
        _ => (ActivityKind::Remove, json!(about.actor)),
    };
    let mut activity = Activity::new(
        activity_id(public_url, handle, stored.sequence as u64, kind),
        kind,
        &group,
        object,
        to,
        vec![group.clone()],
        at,
    );
    activity.attributed_to = Some(group.clone());
    match kind {
        ActivityKind::Invite => activity.target = Some(about.actor.to_string()),
        ActivityKind::Remove => activity.origin = Some(group.clone()),
        _ => {}
    }
    let mut inboxes = remote_member_inboxes(about.group, groups);
    inboxes.insert(inbox.clone());
    Ok(Some(Outgoing {
        activity,
        key_id: key_id(&group),
        inboxes: inboxes.into_iter().collect(),
        about: None,
    }))
}

/// The `Create`, `Update` or `Delete` of a post's `Article`, by the group, to its remote
/// members and followers, each audience by [`shown_kind`] (a post is no longer shown when
/// deleted, back in draft, or members-only for followers); one activity when both get the same.
/// An instance with a member counts as a member's: it is shown all the followers are.
fn post_activities(
    public_url: &str,
    handle: &str,
    stored: &StoredEvent,
    (id, post): (&str, &Post),
    was: Shown,
    members: &Group,
    groups: &GroupLogs,
) -> Result<Vec<Outgoing>, Error> {
    let now = post.shown();
    let members_inboxes = remote_member_inboxes(members, groups);
    let followers_inboxes: BTreeSet<String> = groups
        .followers_at(handle, stored.position)
        .into_iter()
        .filter(|inbox| !members_inboxes.contains(inbox))
        .collect();
    let mut audiences: Vec<(ActivityKind, BTreeSet<String>, bool)> = Vec::new();
    let each = [
        (
            shown_kind(was.members, now.members, false),
            members_inboxes,
            false,
        ),
        (
            shown_kind(was.followers, now.followers, false),
            followers_inboxes,
            true,
        ),
    ];
    for (kind, inboxes, followers) in each {
        let Some(kind) = kind else { continue };
        match audiences.iter_mut().find(|(k, ..)| *k == kind) {
            Some((_, all, to_followers)) => {
                all.extend(inboxes);
                *to_followers |= followers;
            }
            None => audiences.push((kind, inboxes, followers)),
        }
    }
    let at = stored.metadata()?.recorded_at;
    let group = group_id(public_url, handle);
    let url = post_url(public_url, handle, &post.slug);
    let mut out = Vec::new();
    // Derived even for nobody: the group's outbox lists what is public.
    for (kind, inboxes, to_followers) in audiences {
        let (object, to, cc) = if kind == ActivityKind::Delete {
            let gone = tombstone(&url, "Article", at, Some(&group));
            // A post no longer shown to followers was public; one only members saw, was not.
            let to = match to_followers {
                true => crate::context::PUBLIC.to_string(),
                false => format!("{group}/members"),
            };
            let gone = serde_json::to_value(gone).unwrap_or(Value::Null);
            (gone, vec![to], Vec::new())
        } else {
            let article = article_object(
                public_url,
                &FederatedPost {
                    uuid: id.to_string(),
                    slug: post.slug.clone(),
                    group_handle: handle.to_string(),
                    group: ActorRef {
                        id: group.clone(),
                        followers: format!("{group}/followers"),
                    },
                    // Who runs the group is for its members: the group signs its posts.
                    author: group.clone(),
                    title: post.content.title.clone(),
                    body: post.content.body.clone(),
                    tags: post.content.tags.clone(),
                    visibility: post.content.visibility,
                    published: post.published.unwrap_or(at),
                    updated: (kind == ActivityKind::Update).then_some(at),
                },
            );
            let (to, cc) = (article.to.clone(), article.cc.clone());
            let article = serde_json::to_value(article).unwrap_or(Value::Null);
            (article, to, cc)
        };
        out.push(Outgoing {
            activity: Activity::new(
                activity_id(public_url, handle, stored.sequence as u64, kind),
                kind,
                &group,
                object,
                to,
                cc,
                at,
            ),
            key_id: key_id(&group),
            inboxes: inboxes.into_iter().collect(),
            about: Some(url.clone()),
        });
    }
    Ok(out)
}
