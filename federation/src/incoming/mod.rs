//! What real peers send, read into Convene's values: activity envelopes, events and notes from
//! Mobilizon, Gancio, the WordPress event bridge, Mastodon, Pleroma and others.
//!
//! Liberal in what it reads (one value or a list, `object` as an id or embedded, `location` as
//! a string, an object or a list, missing `endTime`, unknown fields), strict in what it keeps:
//! ids are http(s) URLs, an object's id shares the origin of its actor, remote text is sanitised
//! and checked by the domain's own rules ([`EventDetails::validate`]). Anything that cannot
//! become a command is an [`Ignored`] reason, never a panic.
//!
//! [`EventDetails::validate`]: convene_domain::event::details::EventDetails::validate

mod event;
mod note;
mod resource;
mod todo;
pub mod values;

pub use event::{parse_event, parse_location, picture, IncomingEvent, Location};
pub use note::{parse_note, parse_tombstone, IncomingNote, IncomingTombstone};
pub use resource::{parse_resource, IncomingResource};
pub use todo::{parse_todo, parse_todo_list, IncomingTodo, IncomingTodoList};

use crate::objects::ActivityKind;
use convene_domain::FieldError;
use serde_json::Value;
use time::OffsetDateTime;
use values::{ids, items, kind, same_origin, web_id};

/// Why something received does not become a command. `rule()` names it for logs and tests.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Ignored {
    #[error("not a JSON object: {0}")]
    Malformed(String),
    #[error("`{0}` is missing")]
    MissingField(&'static str),
    #[error("`{0}` is not an http(s) URL")]
    BadId(&'static str),
    #[error("`{0}` is not a date and time with an offset")]
    BadTime(&'static str),
    #[error("{id} does not share the origin of its actor {actor}")]
    ForeignOrigin { id: String, actor: String },
    #[error("activities of type {0} are not handled")]
    UnsupportedActivity(String),
    #[error("objects of type {0} are not handled")]
    UnsupportedObject(String),
    #[error("a note that replies to nothing has nowhere to go (no conversations here)")]
    NotAReply,
    #[error("a draft is not for other instances")]
    Draft,
    #[error("activities nest more than {0} deep")]
    TooDeep(usize),
    #[error("it breaks local rules: {}", describe(.0))]
    Invalid(Vec<FieldError>),
}

fn describe(errors: &[FieldError]) -> String {
    errors
        .iter()
        .map(|e| format!("{}: {}", e.field, e.message))
        .collect::<Vec<_>>()
        .join("; ")
}

impl Ignored {
    /// A stable short name of the reason.
    pub fn rule(&self) -> &'static str {
        match self {
            Self::Malformed(_) => "malformed",
            Self::MissingField(_) => "missing_field",
            Self::BadId(_) => "bad_id",
            Self::BadTime(_) => "bad_time",
            Self::ForeignOrigin { .. } => "foreign_origin",
            Self::UnsupportedActivity(_) => "unsupported_activity",
            Self::UnsupportedObject(_) => "unsupported_object",
            Self::NotAReply => "not_a_reply",
            Self::Draft => "draft",
            Self::TooDeep(_) => "too_deep",
            Self::Invalid(_) => "invalid",
        }
    }
}

/// An activity, or an object fetched on its own.
#[derive(Debug, Clone, PartialEq)]
pub enum Incoming {
    /// Boxed: an envelope is much larger than an object.
    Activity(Box<IncomingActivity>),
    Object(IncomingObject),
}

#[derive(Debug, Clone, PartialEq)]
pub enum IncomingObject {
    Event(Box<IncomingEvent>),
    /// Boxed, as an event is: both are far larger than a tombstone.
    Note(Box<IncomingNote>),
    Tombstone(IncomingTombstone),
    /// A member's link or folder for a group's resources.
    Resource(Box<IncomingResource>),
    /// A member's todo list, or todo, for a group.
    TodoList(Box<IncomingTodoList>),
    Todo(Box<IncomingTodo>),
}

/// An activity envelope.
#[derive(Debug, Clone, PartialEq)]
pub struct IncomingActivity {
    pub kind: ActivityKind,
    pub id: String,
    pub actor: String,
    pub object: ObjectRef,
    pub to: Vec<String>,
    pub cc: Vec<String>,
    pub published: Option<OffsetDateTime>,
    /// The message of a `Join`, as plain text on one line.
    pub participation_message: Option<String>,
    /// Who an `Invite` invites; the folder a resource's `Create` or `Add` puts it in, or a
    /// `Move` moves it to.
    pub target: Option<String>,
    /// The group a `Remove` removes a member from (Mobilizon's `origin`).
    pub origin: Option<String>,
    /// Every id `object` names: a `Flag` names the reported actor and its content.
    pub objects: Vec<String>,
    /// The text of `content`, else of `summary` (where Lemmy writes a report's reason).
    pub content: Option<String>,
    /// The `Note` an `Announce` embeds from another origin than its actor's, as a group relays
    /// its members' comments: believed only as far as the group vouches for its discussions
    /// (the inbox checks that the group lists the author among its members).
    pub relayed: Option<Box<IncomingNote>>,
    /// The link, folder or todo an `Update` (or a resource's `Move`, or a todo's `Create`)
    /// embeds, whatever its origin: a group's member asks the group to change it (a resource's
    /// name, address or folder, its `context`; a todo's name, state, due day or assignee), taken
    /// only as that member's request, for what one of our groups holds, by the group's rules; or
    /// a group elsewhere relays one of its own todos to its members here.
    pub work: Option<Box<IncomingObject>>,
    /// Whether the id is named after the object (`{object}/activity`, `/move`, `/delete`), as
    /// Mobilizon names a member's `Update`, `Move` or `Delete` of a group's link, folder or todo,
    /// on the object's origin rather than the actor's: believed as the signer's request, but it
    /// tells no change from the next of the same object, so it is never deduplicated by.
    pub named_after_object: bool,
}

/// A membership as Mobilizon writes it (`Member`): who, in which group, with which role.
#[derive(Debug, Clone, PartialEq)]
pub struct IncomingMember {
    pub id: String,
    pub actor: String,
    pub group: String,
    /// As written (`member`, `moderator`…); the inbox checks it.
    pub role: Option<String>,
}

/// What an activity is about.
#[derive(Debug, Clone, PartialEq)]
pub enum ObjectRef {
    /// A bare id, or an embedded object from another origin than the actor's (its content is
    /// not trusted: the inbox fetches it from its origin).
    Id(String),
    Object(IncomingObject),
    /// An embedded activity (the Follow of an Accept, the Announce of an Undo…).
    Activity(Box<IncomingActivity>),
    /// A group's `Member` (an `Update` of a role, an `Accept` of an `Invite`).
    Member(IncomingMember),
    /// An actor (`Update` and `Delete` of profiles, groups, instances): the actors module
    /// reads `document` itself.
    Actor {
        kind: String,
        id: String,
        document: Box<Value>,
    },
}

/// How deeply activities may embed activities (Undo of an Accept of a Follow is 3).
pub const NESTING_MAX: usize = 3;
use crate::actors::remote::ACTOR_TYPES;

/// Reads a body as received. serde_json refuses JSON nested more than 128 deep.
pub fn parse_bytes(body: &[u8]) -> Result<Incoming, Ignored> {
    let value: Value =
        serde_json::from_slice(body).map_err(|e| Ignored::Malformed(e.to_string()))?;
    parse(&value)
}

/// Reads an activity, or an Event, Note or Tombstone fetched on its own.
pub fn parse(value: &Value) -> Result<Incoming, Ignored> {
    if !value.is_object() {
        return Err(Ignored::Malformed("a document is a JSON object".into()));
    }
    let name = kind(value).ok_or(Ignored::MissingField("type"))?;
    if ActivityKind::from_name(name).is_some() || value.get("object").is_some() {
        parse_activity(value).map(|a| Incoming::Activity(Box::new(a)))
    } else {
        parse_object(value).map(Incoming::Object)
    }
}

/// Reads an Event, a Note or a Tombstone.
pub fn parse_object(value: &Value) -> Result<IncomingObject, Ignored> {
    match kind(value).ok_or(Ignored::MissingField("type"))? {
        "Event" => parse_event(value).map(|e| IncomingObject::Event(Box::new(e))),
        "Note" => parse_note(value).map(|note| IncomingObject::Note(Box::new(note))),
        "Tombstone" => parse_tombstone(value).map(IncomingObject::Tombstone),
        "Document" | "ResourceCollection" => {
            parse_resource(value).map(|r| IncomingObject::Resource(Box::new(r)))
        }
        "TodoList" => parse_todo_list(value).map(|l| IncomingObject::TodoList(Box::new(l))),
        "Todo" => parse_todo(value).map(|t| IncomingObject::Todo(Box::new(t))),
        other => Err(Ignored::UnsupportedObject(other.chars().take(64).collect())),
    }
}

pub fn parse_activity(value: &Value) -> Result<IncomingActivity, Ignored> {
    activity_at(value, 1)
}

fn activity_at(value: &Value, depth: usize) -> Result<IncomingActivity, Ignored> {
    if depth > NESTING_MAX {
        return Err(Ignored::TooDeep(NESTING_MAX));
    }
    let name = kind(value).ok_or(Ignored::MissingField("type"))?;
    let kind = ActivityKind::from_name(name)
        .ok_or_else(|| Ignored::UnsupportedActivity(name.chars().take(64).collect()))?;
    let id = web_id(value, "id")?;
    let actor = web_id(value, "actor")?;
    let named_after_object = !same_origin(&id, &actor) && names_work_change(kind, &id, value);
    if !same_origin(&id, &actor) && !named_after_object {
        return Err(Ignored::ForeignOrigin { id, actor });
    }
    let object = match items(value.get("object")).next() {
        None => return Err(Ignored::MissingField("object")),
        Some(Value::String(object)) if values::is_web_id(object) => ObjectRef::Id(object.clone()),
        Some(embedded @ Value::Object(_)) => object_ref(embedded, &actor, depth)?,
        Some(_) => return Err(Ignored::BadId("object")),
    };
    let participation_message = values::non_empty(values::text(value.get("participationMessage")))
        .map(|m| values::line(&m, convene_domain::event::MESSAGE_MAX));
    Ok(IncomingActivity {
        kind,
        id,
        actor,
        object,
        to: ids(value.get("to")),
        cc: ids(value.get("cc")),
        published: values::instant(value.get("published")),
        participation_message,
        target: first_id(value.get("target")),
        origin: first_id(value.get("origin")),
        objects: ids(value.get("object"))
            .into_iter()
            .filter(|id| values::is_web_id(id))
            .collect(),
        content: values::non_empty(values::text(value.get("content")))
            .or_else(|| values::non_empty(values::text(value.get("summary")))),
        relayed: relayed_note(kind, value.get("object")),
        work: work(kind, value.get("object")),
        named_after_object,
    })
}

/// Whether `activity` of kind `kind` and id `id` changes a group's link, folder or todo it
/// embeds and is named after it, one segment below its id (see
/// [`IncomingActivity::named_after_object`]).
fn names_work_change(kind: ActivityKind, id: &str, activity: &Value) -> bool {
    let changes = matches!(
        kind,
        ActivityKind::Update | ActivityKind::Move | ActivityKind::Delete
    );
    let Some(embedded) = items(activity.get("object")).next() else {
        return false;
    };
    let work = matches!(
        values::kind(embedded),
        Some("Document" | "ResourceCollection" | "Todo" | "TodoList")
    );
    let below = embedded
        .get("id")
        .and_then(Value::as_str)
        .and_then(|object| id.strip_prefix(object)?.strip_prefix('/'))
        .is_some_and(|name| !name.is_empty() && !name.contains(['/', '?', '#']));
    changes && work && below
}

/// The group's work embedded in an `Update`, a `Move` or a todo's `Create` (see
/// [`IncomingActivity::work`]).
fn work(activity: ActivityKind, object: Option<&Value>) -> Option<Box<IncomingObject>> {
    let embedded = items(object).next()?;
    let work = match activity {
        ActivityKind::Update => {
            matches!(kind(embedded)?, "Document" | "ResourceCollection" | "Todo")
        }
        ActivityKind::Move => matches!(kind(embedded)?, "Document" | "ResourceCollection"),
        ActivityKind::Create => kind(embedded)? == "Todo",
        _ => false,
    };
    if !work {
        return None;
    }
    parse_object(embedded).ok().map(Box::new)
}

/// The first http(s) id of a value that names one or more (bare, or embedded with an `id`).
fn first_id(value: Option<&Value>) -> Option<String> {
    ids(value).into_iter().find(|id| values::is_web_id(id))
}

/// The `Note` embedded in an `Announce`, whatever its origin (see [`IncomingActivity::relayed`]).
fn relayed_note(activity: ActivityKind, object: Option<&Value>) -> Option<Box<IncomingNote>> {
    let embedded = items(object).next()?;
    if activity != ActivityKind::Announce || kind(embedded) != Some("Note") {
        return None;
    }
    parse_note(embedded).ok().map(Box::new)
}

fn object_ref(embedded: &Value, actor: &str, depth: usize) -> Result<ObjectRef, Ignored> {
    let name = kind(embedded).ok_or(Ignored::MissingField("object.type"))?;
    if name == "Member" {
        return Ok(ObjectRef::Member(IncomingMember {
            id: web_id(embedded, "id")?,
            actor: web_id(embedded, "actor")?,
            group: web_id(embedded, "object")?,
            role: values::non_empty(values::text(embedded.get("role"))),
        }));
    }
    if ActivityKind::from_name(name).is_some() || embedded.get("object").is_some() {
        return activity_at(embedded, depth + 1).map(|a| ObjectRef::Activity(Box::new(a)));
    }
    let id = web_id(embedded, "id")?;
    if ACTOR_TYPES.contains(&name) {
        return Ok(ObjectRef::Actor {
            kind: name.into(),
            id,
            document: Box::new(embedded.clone()),
        });
    }
    // What another origin's object says is only believed when fetched from there.
    if !same_origin(&id, actor) {
        return Ok(ObjectRef::Id(id));
    }
    parse_object(embedded).map(ObjectRef::Object)
}
