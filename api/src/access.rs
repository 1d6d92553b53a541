//! The access policy, in one place: who may see an event and how much of it, who may comment,
//! who reads participant lists and history. Every front end gets events through here, so a
//! hidden count or a participants-only link stays hidden everywhere (lists, pages, feeds).

use crate::auth::Session;
use crate::error::{Error, Result};
use crate::AppState;
use convene_domain::event::details::Visibility;
use convene_domain::event::ParticipantState;
use convene_domain::EventError;
use convene_domain::MemberRole;
use convene_projections::accounts::AccountRow;
use convene_projections::events::{self, CommentView, EventView, ParticipationView};
use convene_projections::{groups, profiles};

/// How the person asking relates to one event.
#[derive(Debug, Default, Clone, Copy)]
pub struct Viewer {
    /// One of their profiles organises it.
    pub organiser: bool,
    /// One of their profiles takes part or waits for a seat (a request awaiting approval does
    /// not count: it must not open a private event).
    pub participant: bool,
    /// One of their profiles holds a seat (or organises).
    pub seated: bool,
    /// Instance moderator or administrator.
    pub moderator: bool,
    /// One of their profiles belongs to the group organising the event.
    pub group_member: bool,
    /// One of their profiles is a moderator (or above) of the group organising the event: the
    /// group's events are theirs to edit.
    pub group_staff: bool,
}

impl Viewer {
    /// Organisers, the organising group's moderators and the instance's moderators see
    /// everything of an event.
    pub fn insider(&self) -> bool {
        self.organiser || self.moderator || self.group_staff
    }
}

/// How `account` relates to event `id` (a stranger without an account), with the
/// participations of its own profiles there that tell it, in list order.
pub async fn relation(
    state: &AppState,
    account: Option<&AccountRow>,
    id: &str,
) -> Result<(Viewer, Vec<ParticipationView>)> {
    let Some(account) = account else {
        return Ok((Viewer::default(), Vec::new()));
    };
    let own = usernames_of(state, &account.id).await?;
    let participations = events::participation_of_profiles(state.db.pool(), id, &own).await?;
    let mut viewer = Viewer {
        moderator: account.role.moderates(),
        ..Viewer::default()
    };
    for participation in &participations {
        viewer.take_part(participation.state);
    }
    if let Some(group) = events::group_of(state.db.pool(), id).await? {
        // A member of a group elsewhere sees what it keeps to its members; its events are
        // its own to edit there.
        if crate::groups::is_elsewhere(&group) {
            for profile in &own {
                let role = crate::groups_elsewhere::role_of(state, profile, &group).await?;
                viewer.group_member |= role.is_some_and(|r| r.is_member());
            }
            return Ok((viewer, participations));
        }
        for role in groups::roles_of_profiles(state.db.pool(), &group, &own).await? {
            viewer.group_member |= role.is_member();
            viewer.group_staff |= role.at_least(MemberRole::Moderator);
        }
    }
    Ok((viewer, participations))
}

/// How `account` relates to event `id` (a stranger without an account).
pub async fn viewer(state: &AppState, account: Option<&AccountRow>, id: &str) -> Result<Viewer> {
    Ok(relation(state, account, id).await?.0)
}

/// The usernames of account `account`'s profiles: what it may act as, and what it is.
pub(crate) async fn usernames_of(state: &AppState, account: &str) -> Result<Vec<String>> {
    Ok(profiles::owned_by(state.db.pool(), account)
        .await?
        .into_iter()
        .map(|p| p.username)
        .collect())
}

impl Viewer {
    /// Counts one of the viewer's own participations in the event.
    pub fn take_part(&mut self, state: ParticipantState) {
        self.organiser |= state.is_organiser();
        self.participant |= state.is_going() || state == ParticipantState::Waitlisted;
        self.seated |= state.is_going();
    }
}

/// Whether `viewer` may know event `event` exists: drafts are for insiders, private events for
/// insiders and participants, members-only group events for insiders, participants and the
/// group's members; an event the instance's moderators removed is for them alone.
pub fn may_see(viewer: Viewer, event: &EventView) -> bool {
    let members_only = event.group.as_ref().is_some_and(|g| g.members_only);
    let taken_down = event.removed_by_moderators || event.organiser_suspended;
    let hidden = (taken_down && !viewer.moderator)
        || (event.draft && !viewer.insider())
        || (event.details.visibility == Visibility::Private
            && !(viewer.insider() || viewer.participant))
        || (members_only && !(viewer.insider() || viewer.participant || viewer.group_member));
    !hidden
}

/// The event as `viewer` may see it: counts the organisers hide, remaining seats they do not
/// show, and a participants-only online link are taken out.
pub fn shown_to(viewer: Viewer, mut event: EventView) -> EventView {
    if viewer.insider() {
        return event;
    }
    // The group stands as the organiser when it hides which member organised the event.
    if let Some(group) = event.group.as_ref().filter(|g| g.hide_organiser) {
        event.organiser = group.handle.clone();
    }
    let options = &event.details.options;
    if options.hide_participant_count {
        event.participant_count = 0;
        event.waitlist_count = 0;
        // Seats left and the capacity would give the count away.
        event.remaining_seats = None;
    }
    if !options.show_remaining_seats {
        event.remaining_seats = None;
    }
    if options.online_url_for_participants && !viewer.seated {
        event.details.online_url = None;
    }
    event
}

/// Event `id` as `viewer` may see it, or not found (a hidden event looks like a missing one;
/// one the moderators removed says so to those who could see it before).
pub async fn visible(state: &AppState, viewer: Viewer, id: &str) -> Result<EventView> {
    let missing = || Error::not_found("there is no such event");
    let event = events::find(state.db.pool(), id)
        .await?
        .ok_or_else(missing)?;
    if (event.removed_by_moderators || event.organiser_suspended) && !viewer.moderator {
        let before = EventView {
            removed_by_moderators: false,
            organiser_suspended: false,
            ..event
        };
        return Err(if may_see(viewer, &before) {
            Error::Event(EventError::RemovedByModerators)
        } else {
            missing()
        });
    }
    if !may_see(viewer, &event) {
        return Err(missing());
    }
    Ok(shown_to(viewer, event))
}

/// Event `id` as `session` may see it, with how they relate to it.
pub async fn event_for(
    state: &AppState,
    session: Option<&Session>,
    id: &str,
) -> Result<(EventView, Viewer)> {
    let viewer = viewer(state, session.map(|s| &s.account), id).await?;
    Ok((visible(state, viewer, id).await?, viewer))
}

/// The comments `viewer` may read: announcements (door codes, meeting points) are for the people
/// taking part, the waitlist included, and the insiders; replies to them go with them.
pub fn comments_for(viewer: Viewer, mut comments: Vec<CommentView>) -> Vec<CommentView> {
    // What moderators removed is a tombstone for everyone but them (organisers included).
    if !viewer.moderator {
        let taken_down = |c: &&mut CommentView| c.removed_by_moderators || c.author_suspended;
        for comment in comments.iter_mut().filter(taken_down) {
            comment.body = None;
        }
    }
    if viewer.insider() || viewer.participant {
        return comments;
    }
    // Oldest first: a reply comes after what it answers.
    let mut hidden = std::collections::HashSet::new();
    comments
        .into_iter()
        .filter(|c| {
            let hide = c.announcement || c.in_reply_to.as_ref().is_some_and(|r| hidden.contains(r));
            if hide {
                hidden.insert(c.id.clone());
            }
            !hide
        })
        .collect()
}

/// Only participants comment on a private event.
pub fn may_comment(viewer: Viewer, event: &EventView) -> Result<()> {
    let insider = viewer.participant || viewer.organiser;
    if event.details.visibility == Visibility::Private && !insider {
        return Err(Error::forbidden(
            "only participants comment on a private event",
        ));
    }
    Ok(())
}

/// Only organisers (and the instance's moderators) read the participant list.
pub fn may_list_participants(viewer: Viewer) -> Result<()> {
    if viewer.insider() {
        Ok(())
    } else {
        Err(Error::forbidden(
            "only the event's organisers see its participants",
        ))
    }
}

/// Only organisers and the instance's moderators read an event's history.
pub fn may_read_history(viewer: Viewer) -> Result<()> {
    if viewer.insider() {
        Ok(())
    } else {
        Err(Error::forbidden(
            "only the event's organisers and the instance's moderators read its history",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use convene_domain::event::EventDetails;

    fn event(configure: impl FnOnce(&mut EventDetails)) -> EventView {
        let mut details: EventDetails = serde_json::from_value(serde_json::json!({
            "title": "Picnic",
            "begins_at": "2030-06-01T12:00:00Z",
            "time_zone": "Europe/Paris",
            "capacity": 10,
            "online_url": "https://meet.example.org/picnic"
        }))
        .expect("details");
        configure(&mut details);
        EventView {
            id: "e".into(),
            organiser: "ana".into(),
            details,
            draft: false,
            group: None,
            origin: None,
            picture: None,
            cancel_reason: None,
            participant_count: 4,
            waitlist_count: 1,
            remaining_seats: Some(6),
            created_at: String::new(),
            updated_at: String::new(),
            hidden_by_moderators: false,
            removed_by_moderators: false,
            comments_closed_by_moderators: false,
            organiser_suspended: false,
        }
    }

    #[test]
    fn a_removed_event_is_for_the_instance_s_moderators_alone() {
        let removed = EventView {
            removed_by_moderators: true,
            ..event(|_| {})
        };
        let organiser = Viewer {
            organiser: true,
            ..Viewer::default()
        };
        let moderator = Viewer {
            moderator: true,
            ..Viewer::default()
        };
        assert!(!may_see(Viewer::default(), &removed));
        assert!(!may_see(organiser, &removed));
        assert!(may_see(moderator, &removed));
    }

    #[test]
    fn a_hidden_count_hides_the_seats_left_too() {
        let hidden = shown_to(
            Viewer::default(),
            event(|d| d.options.hide_participant_count = true),
        );
        assert_eq!(
            (
                hidden.participant_count,
                hidden.waitlist_count,
                hidden.remaining_seats
            ),
            (0, 0, None)
        );
        let organiser = Viewer {
            organiser: true,
            ..Viewer::default()
        };
        let seen = shown_to(
            organiser,
            event(|d| d.options.hide_participant_count = true),
        );
        assert_eq!(seen.participant_count, 4);
    }

    #[test]
    fn a_participants_only_link_is_for_seated_people() {
        let only_seated = |d: &mut EventDetails| d.options.online_url_for_participants = true;
        assert!(shown_to(Viewer::default(), event(only_seated))
            .details
            .online_url
            .is_none());
        let seated = Viewer {
            seated: true,
            participant: true,
            ..Viewer::default()
        };
        assert!(shown_to(seated, event(only_seated))
            .details
            .online_url
            .is_some());
    }

    #[test]
    fn drafts_and_private_events_are_for_insiders() {
        let draft = EventView {
            draft: true,
            ..event(|_| {})
        };
        assert!(!may_see(Viewer::default(), &draft));
        let private = event(|d| d.visibility = Visibility::Private);
        assert!(!may_see(Viewer::default(), &private));
        let participant = Viewer {
            participant: true,
            ..Viewer::default()
        };
        assert!(may_see(participant, &private));
        assert!(!may_see(participant, &draft));
    }
}
