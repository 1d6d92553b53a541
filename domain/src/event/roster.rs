//! The event's participations, in the order they began, found by id and by who takes part in
//! constant time. Every join asks "is this participation new?" and "is this profile already
//! in?", and every folder of the log applies the same change: on an event with thousands of
//! participants, scanning the list for each made a join slower the more people had joined.

use super::participation::{Participant, ParticipantState, Participation};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::collections::HashMap;
use std::ops::Deref;

/// Stored and compared as the list alone; the indexes are rebuilt from it when read.
#[derive(Debug, Default, Clone)]
pub struct Roster {
    list: Vec<Participation>,
    /// Position in `list` by participation id.
    by_id: HashMap<String, usize>,
    /// Position in `list` by who takes part (a profile, an address or a remote actor).
    by_who: HashMap<WhoKey, usize>,
}

/// What identifies a participant: a remote participant's handle may change, its actor does not.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum WhoKey {
    Profile(String),
    Email(String),
    Actor(String),
}

impl WhoKey {
    fn of(who: &Participant) -> Self {
        match who {
            Participant::Profile(username) => Self::Profile(username.clone()),
            Participant::Anonymous { email } => Self::Email(email.clone()),
            Participant::Remote(remote) => Self::Actor(remote.actor.clone()),
        }
    }
}

impl Roster {
    pub fn get(&self, id: &str) -> Option<&Participation> {
        self.by_id.get(id).map(|&at| &self.list[at])
    }

    pub fn contains(&self, id: &str) -> bool {
        self.by_id.contains_key(id)
    }

    /// The participation of the local profile `username`.
    pub fn of_profile(&self, username: &str) -> Option<&Participation> {
        self.at(WhoKey::Profile(username.to_string()))
    }

    /// The participation of the remote actor `actor`.
    pub fn of_remote(&self, actor: &str) -> Option<&Participation> {
        self.at(WhoKey::Actor(actor.to_string()))
    }

    /// The participation of `who` (by profile, address or actor).
    pub fn of(&self, who: &Participant) -> Option<&Participation> {
        self.at(WhoKey::of(who))
    }

    fn at(&self, key: WhoKey) -> Option<&Participation> {
        self.by_who.get(&key).map(|&at| &self.list[at])
    }

    /// Adds `participation` at the end, unless its id is already there.
    pub fn push(&mut self, participation: Participation) {
        if self.contains(&participation.id) {
            return;
        }
        let at = self.list.len();
        self.by_id.insert(participation.id.clone(), at);
        self.by_who.insert(WhoKey::of(&participation.who), at);
        self.list.push(participation);
    }

    /// Sets the state of participation `id`; its former state, if it is there.
    pub fn set_state(&mut self, id: &str, state: ParticipantState) -> Option<ParticipantState> {
        let at = *self.by_id.get(id)?;
        Some(std::mem::replace(&mut self.list[at].state, state))
    }

    /// Renames the remote actor `actor` to `handle` (its key, the actor, stays).
    pub fn rename_remote(&mut self, actor: &str, handle: &str) {
        if let Some(&at) = self.by_who.get(&WhoKey::Actor(actor.to_string())) {
            if let Participant::Remote(remote) = &mut self.list[at].who {
                remote.handle = handle.to_string();
            }
        }
    }

    /// Removes participation `id`; those after it move up one place.
    pub fn remove(&mut self, id: &str) {
        let Some(at) = self.by_id.remove(id) else {
            return;
        };
        let removed = self.list.remove(at);
        self.by_who.remove(&WhoKey::of(&removed.who));
        for (moved, participation) in self.list.iter().enumerate().skip(at) {
            self.by_id.insert(participation.id.clone(), moved);
            self.by_who.insert(WhoKey::of(&participation.who), moved);
        }
    }
}

impl Deref for Roster {
    type Target = [Participation];

    fn deref(&self) -> &[Participation] {
        &self.list
    }
}

impl PartialEq for Roster {
    fn eq(&self, other: &Self) -> bool {
        self.list == other.list
    }
}

impl FromIterator<Participation> for Roster {
    fn from_iter<I: IntoIterator<Item = Participation>>(participations: I) -> Self {
        let mut roster = Self::default();
        for participation in participations {
            roster.push(participation);
        }
        roster
    }
}

impl Serialize for Roster {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.list.serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for Roster {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Ok(Vec::<Participation>::deserialize(deserializer)?
            .into_iter()
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::RemoteParticipant;

    fn participation(id: &str, who: Participant) -> Participation {
        Participation {
            id: id.to_string(),
            who,
            state: ParticipantState::Participant,
            confirm_token: None,
            cancel_token: None,
        }
    }

    fn remote(actor: &str, handle: &str) -> Participant {
        Participant::Remote(RemoteParticipant {
            actor: actor.to_string(),
            handle: handle.to_string(),
            inbox: format!("{actor}/inbox"),
            join: format!("{actor}#join"),
        })
    }

    fn roster() -> Roster {
        [
            participation("a", Participant::Profile("ana".into())),
            participation(
                "b",
                Participant::Anonymous {
                    email: "bo@example.org".into(),
                },
            ),
            participation("c", remote("https://else.example/u/cy", "cy@else.example")),
            participation("d", Participant::Profile("dee".into())),
        ]
        .into_iter()
        .collect()
    }

    fn ids(roster: &Roster) -> Vec<&str> {
        roster.iter().map(|p| p.id.as_str()).collect()
    }

    #[test]
    fn participations_are_found_by_id_and_by_who() {
        let roster = roster();
        assert_eq!(roster.get("c").map(|p| p.id.as_str()), Some("c"));
        assert_eq!(roster.of_profile("dee").map(|p| p.id.as_str()), Some("d"));
        assert_eq!(
            roster.of_remote("https://else.example/u/cy").map(|p| &p.id),
            Some(&"c".to_string())
        );
        let bo = Participant::Anonymous {
            email: "bo@example.org".into(),
        };
        assert_eq!(roster.of(&bo).map(|p| p.id.as_str()), Some("b"));
        assert!(roster.get("z").is_none() && roster.of_profile("bo").is_none());
    }

    #[test]
    fn a_removal_keeps_the_order_and_every_later_participation_found() {
        let mut roster = roster();
        roster.remove("b");
        roster.remove("b");
        assert_eq!(ids(&roster), ["a", "c", "d"]);
        assert_eq!(roster.get("d").map(|p| p.id.as_str()), Some("d"));
        assert_eq!(roster.of_profile("dee").map(|p| p.id.as_str()), Some("d"));
        assert!(roster
            .of_remote("https://else.example/u/cy")
            .is_some_and(|p| p.id == "c"));
        roster.push(participation(
            "e",
            Participant::Anonymous {
                email: "bo@example.org".into(),
            },
        ));
        assert_eq!(ids(&roster), ["a", "c", "d", "e"]);
        assert_eq!(roster.get("e").map(|p| p.id.as_str()), Some("e"));
    }

    #[test]
    fn a_known_id_is_not_added_twice_and_states_and_handles_change_in_place() {
        let mut roster = roster();
        roster.push(participation("a", Participant::Profile("other".into())));
        assert_eq!(ids(&roster), ["a", "b", "c", "d"]);
        assert!(roster.of_profile("other").is_none());
        assert_eq!(
            roster.set_state("a", ParticipantState::Moderator),
            Some(ParticipantState::Participant)
        );
        assert_eq!(roster.set_state("z", ParticipantState::Moderator), None);
        assert_eq!(roster[0].state, ParticipantState::Moderator);
        roster.rename_remote("https://else.example/u/cy", "cy@new.example");
        assert!(matches!(&roster[2].who, Participant::Remote(r) if r.handle == "cy@new.example"));
    }

    #[test]
    fn it_is_stored_as_the_list_and_read_back_with_its_indexes() {
        let roster = roster();
        let stored = serde_json::to_value(&roster).expect("stored");
        assert_eq!(stored, serde_json::to_value(&roster.list).expect("a list"));
        let read: Roster = serde_json::from_value(stored).expect("read back");
        assert_eq!(read, roster);
        assert_eq!(read.of_profile("dee").map(|p| p.id.as_str()), Some("d"));
    }
}
