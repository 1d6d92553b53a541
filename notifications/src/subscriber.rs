//! The notifications subscriber: for each batch of the log, the notices each event change gives
//! rise to (decided on the event as the log had it just before the change), addressed to the
//! accounts owning the profiles concerned, stored with ids derived from (position, recipient,
//! kind) in the batch's transaction, with a pending mail for each one delivered by mail.
//!
//! It also keeps who takes part in each event it sees change, and the reminders they are owed
//! ([`reminders`]), in the same transaction.
//!
//! Its rows are never emptied: a replay (or a batch seen again after a crash) derives the same
//! ids and inserts nothing, so nothing is sent twice. What a replay derives that is not stored
//! yet (a kind added since the change, or rows lost) for a change a running subscriber had
//! already passed ([`store::delivered_up_to`], which a replay does not move back) is stored as
//! delivered then: read, in no digest, never mailed. Commands never wait for it.

use crate::kinds::{Delivery, Kind};
use crate::mapping::{self, Memory, Notice, Recipient};
use crate::reminders::{self, Attending, Schedule};
use crate::store;
use crate::SUBSCRIBER;
use async_trait::async_trait;
use convene_domain::metadata::{format_timestamp, parse_timestamp};
use convene_domain::{
    Account, Actor, Event, EventChange, Group, GroupChange, MemberRole, Profile, ProfileChange,
    Report, ReportChange,
};
use convene_projections::domains;
use convene_projections::log::{aggregate_after, aggregate_between};
use convene_projections::subscriber::{checkpoint, move_checkpoint, set_checkpoint, Applied};
use convene_projections::{Delivery as Promise, Error, StoredEvent, Subscriber};
use cqrs_es::Aggregate;
use sqlx::AnyPool;
use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::Arc;
use tokio::sync::{Mutex, Notify};

pub struct NotificationsSubscriber {
    /// Woken after a batch stored new mails, so the sender sends them at once.
    new_mail: Arc<Notify>,
    folds: Mutex<Folds>,
    writes_per_transaction: usize,
}

impl NotificationsSubscriber {
    pub fn new(new_mail: Arc<Notify>) -> Self {
        Self {
            new_mail,
            folds: Mutex::new(Folds::default()),
            writes_per_transaction: WRITES_PER_TRANSACTION,
        }
    }

    /// Writes at most `rows` rows per transaction instead of [`WRITES_PER_TRANSACTION`].
    pub fn writing_at_most(mut self, rows: usize) -> Self {
        self.writes_per_transaction = rows.max(1);
        self
    }
}

/// Events folded at most, kept between batches.
const FOLDS_KEPT: usize = 10_000;

/// Profile owners kept at most.
const OWNERS_KEPT: usize = 100_000;

/// Each event the last batches touched, folded up to the end of the batch that last touched
/// it: the next batch reads on from there instead of folding the event's whole history again
/// (a comment on an event with thousands of participations reads one change, not thousands).
/// Also the owner of each profile met: it never changes (the profile's creation names it), and
/// every change of a crowded event reschedules the reminders of all its attendees.
#[derive(Default)]
pub struct Folds {
    kept: HashMap<String, Fold>,
    /// The same events folded up to the log's head as the batch that last touched them read it.
    heads: HashMap<String, Fold>,
    owners: HashMap<String, String>,
}

impl Folds {
    /// Keeps the event's fold at the end of the batch, and the fold at the log's head when that
    /// is further on.
    fn keep(&mut self, id: String, kept: Fold, head: Option<Fold>) {
        if self.kept.len() >= FOLDS_KEPT {
            self.kept.clear();
            self.heads.clear();
        }
        if let Some(head) = head {
            self.heads.insert(id.clone(), head);
        }
        self.kept.insert(id, kept);
    }

    /// The account owning profile `username` (none for a profile the instance runs, or one not
    /// created yet; those are asked again).
    async fn owner(&mut self, pool: &AnyPool, username: &str) -> Result<Option<String>, Error> {
        if let Some(account) = self.owners.get(username) {
            return Ok(Some(account.clone()));
        }
        let account = store::owner(pool, username).await?;
        if let Some(account) = &account {
            if self.owners.len() >= OWNERS_KEPT {
                self.owners.clear();
            }
            self.owners.insert(username.to_string(), account.clone());
        }
        Ok(account)
    }
}

/// An event as of a position: the aggregate, what the mapping remembers, its last change's
/// metadata.
#[derive(Default, Clone)]
struct Fold {
    event: Event,
    memory: Memory,
    metadata: String,
    position: i64,
    /// Kept at the log's head only: whose reminders each change it folded may alter
    /// ([`reminders::touched_by`]), by position, for the batches that end before it.
    touches: Vec<(i64, Option<Vec<String>>)>,
}

/// Rows written per transaction by the subscriber, at most (a notification with its mail, or a
/// person's reminders).
pub const WRITES_PER_TRANSACTION: usize = 200;

/// A part of a batch's writes, in its own transaction.
enum Piece<'a> {
    Notifications(&'a [Derived]),
    People(
        &'a reminders::Rescheduling,
        &'a [(String, Option<reminders::AttendanceRow>)],
    ),
}

impl Fold {
    /// Advances the fold at the log's head, noting whose reminders the change may alter.
    fn advance_noting(&mut self, stored: StoredEvent, change: EventChange) {
        self.touches
            .push((stored.position, reminders::touched_by(&self.event, &change)));
        self.advance(stored, change);
    }

    fn advance(&mut self, stored: StoredEvent, change: EventChange) {
        self.memory.remember(&change);
        self.event.apply(change);
        self.metadata = stored.metadata;
        self.position = stored.position;
    }
}

/// A notification ready to store.
#[derive(Debug)]
pub struct Derived {
    pub id: String,
    pub position: i64,
    pub notice: Notice,
    pub account: Option<String>,
    pub event_id: String,
    pub delivery: Delivery,
    pub created_at: String,
}

/// The id of the notification of `kind` to `recipient` for the change at `position`.
pub fn notification_id(position: i64, recipient: &Recipient, kind: Kind) -> String {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(format!(
        "{position}\n{}\n{}",
        recipient.key(),
        kind.as_str()
    ));
    hex::encode(&digest[..16])
}

/// What a batch gives rise to: its notifications, and the reminders of the events it changed.
#[derive(Debug, Default)]
pub struct Derivation {
    pub notifications: Vec<Derived>,
    pub schedules: Vec<Schedule>,
}

/// Everything `batch` gives rise to, for the accounts and addresses concerned.
///
/// Notifications are decided on each event as the log had it just before each change; the
/// reminders on each event as the log has it now (its head), so a replay never schedules, even
/// for a moment, a reminder for a time the event has since left.
pub async fn derive(
    pool: &AnyPool,
    batch: &[StoredEvent],
    folds: &mut Folds,
) -> Result<Derivation, Error> {
    let (Some(first), Some(last)) = (batch.first(), batch.last()) else {
        return Ok(Derivation::default());
    };
    let mut seen = HashSet::new();
    let ids: Vec<&str> = batch
        .iter()
        .filter(|e| e.aggregate_type == Event::TYPE)
        .map(|e| e.aggregate_id.as_str())
        .filter(|id| seen.insert(*id))
        .collect();
    let acting: HashMap<i64, Option<String>> = batch
        .iter()
        .map(|e| {
            let account = match e.metadata()?.actor {
                Actor::Account { account, .. } => Some(account),
                _ => None,
            };
            Ok((e.position, account))
        })
        .collect::<Result<_, Error>>()?;
    let mut found: Vec<(i64, String, Notice)> = Vec::new();
    let mut heads: Vec<AtHead> = Vec::new();
    let mut first_change: HashMap<&str, i64> = HashMap::new();
    for stored in batch.iter().filter(|e| e.aggregate_type == Event::TYPE) {
        first_change
            .entry(stored.aggregate_id.as_str())
            .or_insert(stored.position);
    }
    for id in ids {
        // Read on from the fold kept at the end of an earlier batch, when it ends before this
        // batch's first change of the event; else from the event's first change.
        let first_here = first_change.get(id).copied().unwrap_or(first.position);
        let (mut fold, after) = match folds.kept.remove(id) {
            Some(kept) if kept.position < first_here => {
                let after = kept.position;
                (kept, after)
            }
            _ => (Fold::default(), 0),
        };
        // The stored reminders were planned on the event as it stood before this batch, or at a
        // later head (the checkpoint moves with them): only this batch's changes and the later
        // ones may have altered what they should be.
        let mut touched = Some(BTreeSet::new());
        for stored in aggregate_between(pool, Event::TYPE, id, after, last.position).await? {
            let change: EventChange = stored.change()?;
            if stored.position >= first.position {
                reminders::note_touched(&mut touched, reminders::touched_by(&fold.event, &change));
                let reason = match change {
                    EventChange::Cancelled => stored.metadata()?.reason,
                    _ => None,
                };
                let notices =
                    mapping::notices(&fold.event, &change, &fold.memory, reason.as_deref());
                for notice in notices {
                    found.push((stored.position, id.to_string(), notice));
                }
            }
            fold.advance(stored, change);
        }
        // The event at the log's head, for the reminders: read on from the head an earlier batch
        // kept when it is not behind this batch, else from the end of this batch. Each change is
        // so folded once more at most, however far behind the log the subscriber runs. When
        // nothing follows the batch (the subscriber has caught up), the head is the fold itself.
        let kept_head = folds
            .heads
            .remove(id)
            .filter(|head| head.position >= fold.position);
        let after = kept_head
            .as_ref()
            .map_or(fold.position, |head| head.position);
        let later = aggregate_after(pool, Event::TYPE, id, after).await?;
        let mut head = match kept_head {
            Some(mut head) => {
                // What it noted up to this batch's end, this batch's changes tell.
                head.touches
                    .retain(|(position, _)| *position > last.position);
                Some(head)
            }
            None if later.is_empty() => None,
            None => Some(fold.clone()),
        };
        if let Some(head) = head.as_mut() {
            for stored in later {
                let change: EventChange = stored.change()?;
                head.advance_noting(stored, change);
            }
            for (_, change) in &head.touches {
                reminders::note_touched(&mut touched, change.clone());
            }
        }
        // When only some people's part may have changed since the event's reminders were
        // planned, only they are listed: the others' rows stand.
        let touched_only = touched.is_some() && reminders::planned(pool, id).await?;
        heads.push(AtHead::of(
            id,
            head.as_ref().unwrap_or(&fold),
            touched,
            touched_only,
            last.position,
        )?);
        folds.keep(id.to_string(), fold, head);
    }
    found.extend(group_notices(pool, batch).await?);
    found.extend(groups_elsewhere_notices(pool, batch).await?);
    found.extend(moderation_notices(pool, batch).await?);
    let recorded: HashMap<i64, String> = batch
        .iter()
        .map(|e| Ok((e.position, format_timestamp(e.metadata()?.recorded_at))))
        .collect::<Result<_, Error>>()?;
    let mut settings = HashMap::new();
    let mut derived = Vec::with_capacity(found.len());
    for (position, event_id, notice) in found {
        let account = match &notice.recipient {
            Recipient::Profile(username) => match folds.owner(pool, username).await? {
                Some(account) => Some(account),
                // A profile the instance runs has no one to tell.
                None => continue,
            },
            Recipient::Account(account) => Some(account.clone()),
            Recipient::Email(_) => None,
        };
        // Nobody hears of their own doing, nor — through another of their profiles — of a
        // change naming one of their profiles to another.
        if account.is_some() && acting.get(&position).cloned().flatten() == account {
            continue;
        }
        let delivery = match &account {
            Some(account) => {
                let key = (account.clone(), notice.kind);
                if !settings.contains_key(&key) {
                    let chosen = store::setting(pool, account, notice.kind).await?;
                    settings.insert(key.clone(), chosen);
                }
                settings[&key]
            }
            // An anonymous participant has no settings and no inbox: the mail is all there is.
            None => Delivery::Mail,
        };
        derived.push(Derived {
            id: notification_id(position, &notice.recipient, notice.kind),
            position,
            account,
            event_id,
            delivery,
            created_at: recorded.get(&position).cloned().unwrap_or_default(),
            notice,
        });
    }
    let mut schedules = Vec::with_capacity(heads.len());
    for at in heads {
        let (facts, usernames) = at.told.unzip();
        let mut attending = Vec::new();
        for username in usernames.into_iter().flatten() {
            if let Some(account_id) = folds.owner(pool, &username).await? {
                attending.push(Attending {
                    username,
                    account_id,
                });
            }
        }
        schedules.push(Schedule {
            event_id: at.event_id,
            begins_at: at.begins_at,
            facts,
            attending,
            decided_at: at.decided_at,
            touched: at.touched,
            touched_only: at.touched_only,
        });
    }
    Ok(Derivation {
        notifications: derived,
        schedules,
    })
}

/// What the reminders need of an event at the log's head: its start, what they say of it and
/// who takes part ([`reminders::taking_part`]), when its last change was recorded, and whose
/// reminders the changes from the batch's first to the head may alter.
struct AtHead {
    event_id: String,
    begins_at: i64,
    told: Option<(mapping::Facts, Vec<String>)>,
    decided_at: i64,
    touched: Option<BTreeSet<String>>,
    touched_only: bool,
}

impl AtHead {
    fn of(
        event_id: &str,
        head: &Fold,
        touched: Option<BTreeSet<String>>,
        touched_only: bool,
        batch_end: i64,
    ) -> Result<Self, Error> {
        let decided_at = recorded_at(&head.metadata).ok_or_else(|| Error::Unreadable {
            position: batch_end,
            reason: format!("event {event_id}: its last change has no readable recorded_at"),
        })?;
        Ok(Self {
            event_id: event_id.to_string(),
            begins_at: head
                .event
                .details()
                .map_or(0, |details| details.begins_at.unix_timestamp()),
            told: reminders::taking_part(
                &head.event,
                head.memory.draft,
                touched.as_ref().filter(|_| touched_only),
            ),
            decided_at,
            touched,
            touched_only,
        })
    }
}

/// The notices of the batch's changes of groups, each decided on the group just before it. Only
/// groups with a change that tells someone are read (their whole history: groups change far
/// less often than events are joined).
async fn group_notices(
    pool: &AnyPool,
    batch: &[StoredEvent],
) -> Result<Vec<(i64, String, Notice)>, Error> {
    let (Some(first), Some(last)) = (batch.first(), batch.last()) else {
        return Ok(Vec::new());
    };
    let mut told: Vec<&str> = Vec::new();
    for stored in batch.iter().filter(|e| e.aggregate_type == Group::TYPE) {
        let tells = matches!(
            stored.change::<GroupChange>()?,
            GroupChange::MemberJoined {
                role: MemberRole::NotApproved,
                ..
            } | GroupChange::MemberInvited { .. }
                | GroupChange::MemberApproved { .. }
                | GroupChange::MemberRejected { .. }
        );
        if tells && !told.contains(&stored.aggregate_id.as_str()) {
            told.push(&stored.aggregate_id);
        }
    }
    let mut found = Vec::new();
    for id in told {
        let mut group = Group::default();
        for stored in aggregate_after(pool, Group::TYPE, id, 0).await? {
            if stored.position > last.position {
                break;
            }
            let change: GroupChange = stored.change()?;
            if stored.position >= first.position {
                let metadata = stored.metadata()?;
                let acting = match &metadata.actor {
                    Actor::Account { profile, .. } => profile.as_deref(),
                    _ => None,
                };
                let notices =
                    mapping::group_notices(&group, &change, acting, metadata.reason.as_deref());
                for notice in notices {
                    found.push((stored.position, id.to_string(), notice));
                }
            }
            group.apply(change);
        }
    }
    Ok(found)
}

/// The notices of local profiles' memberships in other instances' groups, each kept, as a
/// group's notice is, under the group's handle (its page here). The group and who invited are
/// named as the `remote_actors` cache knows them; a group it does not know tells nobody (its page
/// here could not be linked).
async fn groups_elsewhere_notices(
    pool: &AnyPool,
    batch: &[StoredEvent],
) -> Result<Vec<(i64, String, Notice)>, Error> {
    let mut found = Vec::new();
    for stored in batch.iter().filter(|e| e.aggregate_type == Profile::TYPE) {
        let change: ProfileChange = stored.change()?;
        let Some((kind, group, by)) = mapping::group_elsewhere(&change) else {
            continue;
        };
        let Some((handle, name)) = domains::remote_names(pool, group).await? else {
            continue;
        };
        let who = match by {
            Some(by) => Some(domains::remote_handle(pool, by).await?.unwrap_or(by.into())),
            None => None,
        };
        let title = name.unwrap_or_else(|| handle.clone());
        let notice = mapping::group_elsewhere_notice(&stored.aggregate_id, kind, &title, who);
        found.push((stored.position, handle, notice));
    }
    Ok(found)
}

/// The notices of the batch's decisions on reports (to their reporters) and of the moderators'
/// warnings (to the accounts warned). A notice about a report keeps the report's id where an
/// event's keeps the event's; a warning keeps the account's.
async fn moderation_notices(
    pool: &AnyPool,
    batch: &[StoredEvent],
) -> Result<Vec<(i64, String, Notice)>, Error> {
    let mut found = Vec::new();
    for stored in batch {
        let notice = if stored.aggregate_type == Report::TYPE {
            let change: ReportChange = stored.change()?;
            if !matches!(
                change,
                ReportChange::Resolved { .. } | ReportChange::Closed { .. }
            ) {
                continue;
            }
            let Some(filed) = aggregate_after(pool, Report::TYPE, &stored.aggregate_id, 0)
                .await?
                .into_iter()
                .next()
            else {
                continue;
            };
            let ReportChange::Filed {
                reporter: Some(reporter),
                ..
            } = filed.change()?
            else {
                continue;
            };
            let filed_at = format_timestamp(filed.metadata()?.recorded_at);
            mapping::report_notice(&reporter, &filed_at, &change)
        } else if stored.aggregate_type == Account::TYPE {
            mapping::account_notice(&stored.aggregate_id, &stored.change()?)
        } else {
            None
        };
        if let Some(notice) = notice {
            found.push((stored.position, stored.aggregate_id.clone(), notice));
        }
    }
    Ok(found)
}

/// The Unix time in a stored change's metadata.
fn recorded_at(metadata: &str) -> Option<i64> {
    let map: HashMap<String, String> = serde_json::from_str(metadata).ok()?;
    parse_timestamp(map.get("recorded_at")?)
        .ok()
        .map(time::OffsetDateTime::unix_timestamp)
}

#[async_trait]
impl Subscriber for NotificationsSubscriber {
    fn name(&self) -> &'static str {
        SUBSCRIBER
    }

    /// Mail leaves the database: a mail may go out again if the process dies between sending it
    /// and recording it. The notifications themselves are stored with the checkpoint.
    fn delivery(&self) -> Promise {
        Promise::AtLeastOnce
    }

    async fn apply_batch(
        &self,
        target: &AnyPool,
        from: i64,
        batch: &[StoredEvent],
    ) -> Result<Applied, Error> {
        let Some(last) = batch.last() else {
            return Ok(Applied::Moved { to: from });
        };
        // What a running subscriber delivered before (a replay is behind it): a notification
        // new for a change up to there is stored as delivered then, never mailed now.
        let delivered = store::delivered_up_to(target).await?;
        let derived = derive(target, batch, &mut *self.folds.lock().await).await?;
        let mut plans = Vec::with_capacity(derived.schedules.len());
        for schedule in &derived.schedules {
            plans.push(reminders::plan(target, schedule).await?);
        }
        if derived.notifications.is_empty() && plans.is_empty() {
            return Ok(Applied::Passed { to: last.position });
        }
        // Written in transactions of at most WRITES_PER_TRANSACTION rows, so that a change to a
        // crowded event does not hold SQLite's only write lock for seconds while commands wait.
        // Every piece is idempotent (ids derived from the log; reminders brought to a state),
        // and the checkpoint moves with the last piece only: a batch cut short is written
        // again, whole, by its replay. Each piece first re-checks the checkpoint (on PostgreSQL
        // also locking it), so a runner that lost its turn writes nothing.
        let mut pieces: Vec<Piece> = derived
            .notifications
            .chunks(self.writes_per_transaction)
            .map(Piece::Notifications)
            .collect();
        for plan in &plans {
            pieces.extend(
                plan.people
                    .chunks(self.writes_per_transaction)
                    .map(|people| Piece::People(plan, people)),
            );
        }
        let mut mails = 0;
        let mut pieces = pieces.into_iter().peekable();
        loop {
            let piece = pieces.next();
            let last_piece = pieces.peek().is_none();
            let mut tx = target.begin().await?;
            let to = if last_piece { last.position } else { from };
            if !move_checkpoint(&mut tx, SUBSCRIBER, from, to).await? {
                tx.rollback().await?;
                return Ok(Applied::Fenced {
                    checkpoint: checkpoint(target, SUBSCRIBER).await?,
                });
            }
            match piece {
                Some(Piece::Notifications(notifications)) => {
                    let (past, new): (Vec<&Derived>, Vec<&Derived>) =
                        notifications.iter().partition(|n| n.position <= delivered);
                    store::insert_all(&mut tx, &past, true).await?;
                    mails += store::insert_all(&mut tx, &new, false).await?;
                }
                Some(Piece::People(plan, people)) => {
                    reminders::write_people(&mut tx, &plan.event_id, plan.decided_at, people)
                        .await?;
                }
                None => {}
            }
            if last_piece {
                for plan in &plans {
                    reminders::write_event(&mut tx, plan).await?;
                }
                store::note_delivered(&mut tx, last.position).await?;
            }
            tx.commit().await?;
            if mails > 0 {
                self.new_mail.notify_one();
            }
            if last_piece {
                return Ok(Applied::Moved { to: last.position });
            }
        }
    }

    /// Only the checkpoint goes back: the notifications stay, so re-deriving them is a no-op.
    async fn reset(&self, target: &AnyPool) -> Result<(), Error> {
        checkpoint(target, SUBSCRIBER).await?;
        let mut conn = target.acquire().await?;
        set_checkpoint(&mut conn, SUBSCRIBER, 0).await?;
        Ok(())
    }
}
