//! A report: someone tells the instance's moderators that a profile, an event, some of an
//! event's comments, a group or another instance's actor breaks the rules. It keeps the log
//! position at filing time as evidence, so moderators see the target as it was reported even
//! after it changed; another instance's actor, which the log does not describe, is kept as this
//! instance knew it then. Moderators take it, write internal notes, and resolve or close it
//! with a reason; a handled report is final.

mod changes;
mod commands;
mod evidence;
#[cfg(test)]
mod tests;

pub use changes::ReportChange;
pub use commands::ReportCommand;
pub use evidence::{ActorSnapshot, ACTOR_URL_MAX, SUMMARY_MAX};

use cqrs_es::event_sink::EventSink;
use cqrs_es::Aggregate;
use serde::{Deserialize, Serialize};

/// Longest reporter's comment, in characters.
pub const COMMENT_MAX: usize = 2_000;
/// Longest internal note or reason, in characters.
pub const NOTE_MAX: usize = 2_000;
/// Most comments one report may name.
pub const COMMENTS_MAX: usize = 50;
/// Most rules one report may name.
pub const RULES_MAX: usize = 20;

/// What is reported.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Target {
    Profile {
        username: String,
    },
    Event {
        id: String,
    },
    /// One or more comments of one event.
    Comments {
        event: String,
        comments: Vec<String>,
    },
    Group {
        handle: String,
    },
    /// Another instance's profile or group, by its actor URL. A report may name it by its
    /// handle (`name@host`) or by the URL of an actor not met yet: it is looked up on its
    /// instance, and the report keeps its actor URL.
    RemoteActor {
        url: String,
    },
}

impl Target {
    pub fn kind(&self) -> &'static str {
        match self {
            Target::Profile { .. } => "profile",
            Target::Event { .. } => "event",
            Target::Comments { .. } => "comments",
            Target::Group { .. } => "group",
            Target::RemoteActor { .. } => "remote_actor",
        }
    }

    /// The aggregate holding the target: a profile's username, an event's id (for comments
    /// too), a group's handle, another instance's actor's URL (its moderators' decisions).
    pub fn aggregate_id(&self) -> &str {
        match self {
            Target::Profile { username } => username,
            Target::Event { id } => id,
            Target::Comments { event, .. } => event,
            Target::Group { handle } => handle,
            Target::RemoteActor { url } => url,
        }
    }
}

/// Where a report meets other instances; all empty for a local report on local content.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Federated {
    /// The id of the `Flag` another instance sent: the report came from there, its reporter
    /// unnamed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flag: Option<String>,
    /// The instance (`host` or `host:port`) the reported content comes from; none when it is
    /// this one's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instance: Option<String>,
    /// Sent on to that instance as a `Flag` from this instance's actor, so its moderators can
    /// act too; the reporter is not named there.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub forward: Option<Forward>,
}

impl Federated {
    pub fn is_local(&self) -> bool {
        *self == Self::default()
    }
}

/// What a forwarded report tells the reported content's instance, as a `Flag` names it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Forward {
    /// The ActivityPub ids of the reported actors, or of those whose content is reported.
    pub actors: Vec<String>,
    /// The ActivityPub ids of the reported event or comments; none when an actor itself is
    /// reported.
    pub objects: Vec<String>,
    /// Where that instance takes activities.
    pub inbox: String,
}

/// Why it is reported.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Category {
    Spam,
    Illegal,
    /// Breaks rules of this instance, named by their ids.
    RuleViolation {
        rules: Vec<String>,
    },
    Other,
}

impl Category {
    pub fn as_str(&self) -> &'static str {
        match self {
            Category::Spam => "spam",
            Category::Illegal => "illegal",
            Category::RuleViolation { .. } => "rule_violation",
            Category::Other => "other",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ReportState {
    #[default]
    Open,
    Resolved,
    Closed,
}

impl ReportState {
    pub fn as_str(self) -> &'static str {
        match self {
            ReportState::Open => "open",
            ReportState::Resolved => "resolved",
            ReportState::Closed => "closed",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        [Self::Open, Self::Resolved, Self::Closed]
            .into_iter()
            .find(|s| s.as_str() == text)
    }
}

/// Rules a report command can break, named after the rule.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReportError {
    #[error("{field}: {message}")]
    Invalid {
        field: &'static str,
        message: String,
    },
    #[error("this report already exists")]
    AlreadyFiled,
    #[error("no such report")]
    NotFound,
    #[error("this report is already {}: it cannot change any more", .0.as_str())]
    AlreadyHandled(ReportState),
    #[error("this report is already assigned to you")]
    AlreadyAssigned,
}

fn invalid(field: &'static str, message: impl Into<String>) -> ReportError {
    ReportError::Invalid {
        field,
        message: message.into(),
    }
}

/// One internal note, as folded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Note {
    pub id: String,
    pub moderator: String,
    pub body: String,
}

/// The state a report's decisions need, and what its detail page shows.
#[derive(Debug, Default, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Report {
    filed: bool,
    reporter: Option<String>,
    target: Option<Target>,
    category: Option<Category>,
    comment: String,
    evidence: i64,
    #[serde(default)]
    federated: Federated,
    #[serde(default)]
    snapshot: Option<Box<ActorSnapshot>>,
    state: ReportState,
    assignee: Option<String>,
    notes: Vec<Note>,
    reason: Option<String>,
}

impl Report {
    pub fn reporter(&self) -> Option<&str> {
        self.reporter.as_deref()
    }
    pub fn target(&self) -> Option<&Target> {
        self.target.as_ref()
    }
    pub fn category(&self) -> Option<&Category> {
        self.category.as_ref()
    }
    pub fn comment(&self) -> &str {
        &self.comment
    }
    pub fn evidence(&self) -> i64 {
        self.evidence
    }
    pub fn federated(&self) -> &Federated {
        &self.federated
    }
    /// The reported actor of another instance as known here at filing.
    pub fn snapshot(&self) -> Option<&ActorSnapshot> {
        self.snapshot.as_deref()
    }
    pub fn state(&self) -> ReportState {
        self.state
    }
    pub fn assignee(&self) -> Option<&str> {
        self.assignee.as_deref()
    }
    pub fn notes(&self) -> &[Note] {
        &self.notes
    }
    /// Why it was resolved or closed.
    pub fn reason(&self) -> Option<&str> {
        self.reason.as_deref()
    }

    #[allow(clippy::too_many_arguments)]
    fn file(
        &self,
        reporter: Option<String>,
        target: Target,
        category: Category,
        comment: &str,
        evidence: i64,
        federated: Federated,
        snapshot: Option<Box<ActorSnapshot>>,
    ) -> Result<Vec<ReportChange>, ReportError> {
        if self.filed {
            return Err(ReportError::AlreadyFiled);
        }
        if federated.forward.is_some() && federated.instance.is_none() {
            return Err(invalid(
                "forward",
                "only a report on another instance's content is forwarded",
            ));
        }
        if federated.forward.is_some() && federated.flag.is_some() {
            return Err(invalid(
                "forward",
                "a report from another instance is not forwarded again",
            ));
        }
        if let Target::Comments { comments, .. } = &target {
            if comments.is_empty() || comments.len() > COMMENTS_MAX {
                return Err(invalid(
                    "comments",
                    format!("name 1 to {COMMENTS_MAX} comments of the event"),
                ));
            }
        }
        remote_actor(&target, &federated, snapshot.as_deref())?;
        if let Category::RuleViolation { rules } = &category {
            let blank = rules.iter().any(|r| r.trim().is_empty());
            if rules.is_empty() || rules.len() > RULES_MAX || blank {
                return Err(invalid(
                    "rules",
                    format!("name 1 to {RULES_MAX} rules of this instance that are broken"),
                ));
            }
        }
        let comment = text("comment", comment, 0, COMMENT_MAX)?;
        if evidence < 0 {
            return Err(invalid("evidence", "a log position is 0 or more"));
        }
        Ok(vec![ReportChange::Filed {
            reporter,
            target,
            category,
            comment,
            evidence,
            federated,
            snapshot,
        }])
    }

    /// The report, open: moderators' actions need one.
    fn open(&self) -> Result<(), ReportError> {
        if !self.filed {
            return Err(ReportError::NotFound);
        }
        match self.state {
            ReportState::Open => Ok(()),
            handled => Err(ReportError::AlreadyHandled(handled)),
        }
    }

    fn handle_report(
        &self,
        moderator: String,
        reason: &str,
        resolved: bool,
    ) -> Result<Vec<ReportChange>, ReportError> {
        self.open()?;
        let reason = text("reason", reason, 1, NOTE_MAX)?;
        Ok(vec![if resolved {
            ReportChange::Resolved { moderator, reason }
        } else {
            ReportChange::Closed { moderator, reason }
        }])
    }
}

/// A report on another instance's actor names a well-formed actor URL, keeps what this
/// instance knew of that actor, and names its instance; no other report keeps an actor.
fn remote_actor(
    target: &Target,
    federated: &Federated,
    snapshot: Option<&ActorSnapshot>,
) -> Result<(), ReportError> {
    let Target::RemoteActor { url } = target else {
        return match snapshot {
            Some(_) => Err(invalid(
                "snapshot",
                "only a report on another instance's actor keeps one",
            )),
            None => Ok(()),
        };
    };
    if !evidence::is_actor_url(url) {
        return Err(invalid(
            "target.url",
            format!("an actor's URL: http(s), with a host, at most {ACTOR_URL_MAX} bytes"),
        ));
    }
    if snapshot.is_none_or(|known| known.id != *url) {
        return Err(invalid(
            "snapshot",
            "a report on another instance's actor keeps what this instance knew of it",
        ));
    }
    if federated.instance.is_none() || federated.flag.is_some() {
        return Err(invalid(
            "target.url",
            "another instance's actor is reported here, naming its instance",
        ));
    }
    Ok(())
}

/// Trimmed text of `min` to `max` characters, without control characters but line breaks.
fn text(field: &'static str, value: &str, min: usize, max: usize) -> Result<String, ReportError> {
    let value = value.trim();
    let length = value.chars().count();
    if length < min || length > max {
        let message = if min == 0 {
            format!("at most {max} characters")
        } else {
            format!("required: {min} to {max} characters")
        };
        return Err(invalid(field, message));
    }
    if value
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t')
    {
        return Err(invalid(field, "control characters are not allowed"));
    }
    Ok(value.to_string())
}

impl Aggregate for Report {
    const TYPE: &'static str = "Report";
    type Command = ReportCommand;
    type Event = ReportChange;
    type Error = ReportError;
    type Services = ();

    async fn handle(
        &mut self,
        command: Self::Command,
        _services: &Self::Services,
        sink: &EventSink<Self>,
    ) -> Result<(), Self::Error> {
        let changes = match command {
            ReportCommand::File {
                reporter,
                target,
                category,
                comment,
                evidence,
                federated,
                snapshot,
            } => self.file(
                reporter, target, category, &comment, evidence, federated, snapshot,
            )?,
            ReportCommand::Assign { moderator } => {
                self.open()?;
                if self.assignee.as_deref() == Some(moderator.as_str()) {
                    return Err(ReportError::AlreadyAssigned);
                }
                vec![ReportChange::Assigned { moderator }]
            }
            ReportCommand::AddNote {
                note,
                moderator,
                body,
            } => {
                // Notes may follow a handled report (why it was reopened elsewhere, a follow-up).
                if !self.filed {
                    return Err(ReportError::NotFound);
                }
                let body = text("body", &body, 1, NOTE_MAX)?;
                vec![ReportChange::NoteAdded {
                    note,
                    moderator,
                    body,
                }]
            }
            ReportCommand::Resolve { moderator, reason } => {
                self.handle_report(moderator, &reason, true)?
            }
            ReportCommand::Close { moderator, reason } => {
                self.handle_report(moderator, &reason, false)?
            }
        };
        for change in changes {
            sink.write(change, self).await;
        }
        Ok(())
    }

    fn apply(&mut self, change: Self::Event) {
        match change {
            ReportChange::Filed {
                reporter,
                target,
                category,
                comment,
                evidence,
                federated,
                snapshot,
            } => {
                self.filed = true;
                self.federated = federated;
                self.snapshot = snapshot;
                self.reporter = reporter;
                self.target = Some(target);
                self.category = Some(category);
                self.comment = comment;
                self.evidence = evidence;
            }
            ReportChange::Assigned { moderator } => self.assignee = Some(moderator),
            ReportChange::NoteAdded {
                note,
                moderator,
                body,
            } => {
                // Applying twice (snapshots) keeps one copy.
                if !self.notes.iter().any(|n| n.id == note) {
                    self.notes.push(Note {
                        id: note,
                        moderator,
                        body,
                    });
                }
            }
            ReportChange::Resolved { reason, .. } => {
                self.state = ReportState::Resolved;
                self.reason = Some(reason);
            }
            ReportChange::Closed { reason, .. } => {
                self.state = ReportState::Closed;
                self.reason = Some(reason);
            }
        }
    }
}
