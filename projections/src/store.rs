//! Executing commands: load the aggregate, let it decide, append its changes with their
//! metadata (optimistic concurrency on the aggregate's sequence), then wake the subscribers.
//!
//! The aggregate is kept in memory after a command ([`crate::aggregate_cache`]): the next
//! command on it reads only the aggregate's last sequence and starts from the kept state when
//! the log has not moved, so a join costs the same on an event of ten participants or ten
//! thousand. We drive cqrs-es's event store ourselves (load, decide, commit) rather than
//! through its `CqrsFramework`, which gives the aggregate no way back out.

use crate::aggregate_cache::{AggregateCache, CacheCounts, AGGREGATES_KEPT};
use crate::db::{AppendPool, Database};
use crate::log::EventLog;
use convene_domain::Metadata;
use cqrs_es::event_sink::EventSink;
use cqrs_es::persist::{EventStoreAggregateContext, PersistedEventRepository, PersistedEventStore};
use cqrs_es::{Aggregate, AggregateError, EventStore};
use postgres_es::PostgresEventRepository;
use sqlite_es::SqliteEventRepository;
use sqlx::Row;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, Weak};

/// The event log table (named so it is not mistaken for the read model of events).
pub const LOG_TABLE: &str = "event_log";
const SNAPSHOT_TABLE: &str = "snapshots";

/// How many times a command that lost a race on its aggregate is decided again.
pub const CONFLICT_RETRIES: usize = 3;

/// Why a command was not applied.
#[derive(Debug, thiserror::Error)]
pub enum CommandError<E: std::error::Error> {
    /// The aggregate refused it: a rule was broken.
    #[error("{0}")]
    Rejected(E),
    /// Another command changed the aggregate first; nothing of this one was written.
    #[error("the {0} was changed by someone else at the same time; try again")]
    Conflict(&'static str),
    #[error("the event store failed: {0}")]
    Store(String),
}

/// The two stores over one repository. Commands load through `loading` (from the latest
/// snapshot, when the aggregate type keeps them). Changes are appended through `appending`, a
/// plain event store, whose commit never reads the aggregate it is handed, so the aggregate
/// stays with us for the cache; only a commit that reaches the next snapshot goes through
/// `loading`, with a copy of the aggregate to serialise.
struct Stores<R: PersistedEventRepository, A: Aggregate> {
    loading: PersistedEventStore<R, A>,
    appending: PersistedEventStore<R, A>,
}

enum Backend<A: Aggregate> {
    Sqlite(Stores<SqliteEventRepository, A>),
    Postgres(Stores<PostgresEventRepository, A>),
}

/// The aggregate a command starts from, and where in its log it stands.
struct Loaded<A> {
    aggregate: A,
    sequence: usize,
    snapshot: Option<usize>,
}

/// The command side of one aggregate type.
pub struct Commands<A: Aggregate> {
    backend: Backend<A>,
    services: A::Services,
    /// Changes between two snapshots, when this aggregate type keeps them.
    snapshot_every: Option<usize>,
    cache: AggregateCache<A>,
    log: EventLog,
    /// One lock per aggregate in use: commands on one aggregate from this process run one at a
    /// time instead of racing and conflicting (200 people joining one event at once). Commands
    /// from other processes still meet the optimistic check.
    in_use: Mutex<HashMap<String, Weak<tokio::sync::Mutex<()>>>>,
}

impl<A> Commands<A>
where
    A: Aggregate + Clone + 'static,
    A::Error: 'static,
{
    pub fn new(db: &Database, services: A::Services) -> Self {
        Self::build(db, services, None)
    }

    /// Like [`Commands::new`], keeping a snapshot of each aggregate every `every` changes, so
    /// that loading a long-lived aggregate (an event with thousands of participations) reads the
    /// snapshot and the few changes after it instead of its whole history.
    pub fn with_snapshots(db: &Database, services: A::Services, every: usize) -> Self {
        Self::build(db, services, Some(every.max(1)))
    }

    fn build(db: &Database, services: A::Services, snapshot_every: Option<usize>) -> Self {
        fn stores<R: PersistedEventRepository, A: Aggregate>(
            repository: impl Fn() -> R,
            snapshot_every: Option<usize>,
        ) -> Stores<R, A> {
            Stores {
                loading: match snapshot_every {
                    Some(every) => PersistedEventStore::new_snapshot_store(repository(), every),
                    None => PersistedEventStore::new_event_store(repository()),
                },
                appending: PersistedEventStore::new_event_store(repository()),
            }
        }
        // No cqrs-es queries: projections follow the log with their own checkpoints instead.
        let backend = match db.append_pool() {
            AppendPool::Sqlite(pool) => Backend::Sqlite(stores(
                || SqliteEventRepository::new(pool.clone()).with_tables(LOG_TABLE, SNAPSHOT_TABLE),
                snapshot_every,
            )),
            AppendPool::Postgres(pool) => Backend::Postgres(stores(
                || {
                    PostgresEventRepository::new(pool.clone())
                        .with_tables(LOG_TABLE, SNAPSHOT_TABLE)
                },
                snapshot_every,
            )),
        };
        Self {
            backend,
            services,
            snapshot_every,
            cache: AggregateCache::new(AGGREGATES_KEPT),
            log: EventLog::new(db),
            in_use: Mutex::default(),
        }
    }

    /// How often commands started from a kept aggregate rather than loading it.
    pub fn cache_counts(&self) -> CacheCounts {
        self.cache.counts()
    }

    fn lock_for(&self, id: &str) -> Arc<tokio::sync::Mutex<()>> {
        let mut in_use = self.in_use.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(lock) = in_use.get(id).and_then(Weak::upgrade) {
            return lock;
        }
        in_use.retain(|_, lock| lock.strong_count() > 0);
        let lock = Arc::new(tokio::sync::Mutex::new(()));
        in_use.insert(id.to_string(), Arc::downgrade(&lock));
        lock
    }

    /// Runs `command` on aggregate `id` once. Returns the aggregate's last position afterwards,
    /// which read-your-writes waits for.
    pub async fn execute(
        &self,
        id: &str,
        command: A::Command,
        metadata: &Metadata,
    ) -> Result<i64, CommandError<A::Error>> {
        let lock = self.lock_for(id);
        let _turn = lock.lock().await;
        // Taken out of the cache: a refusal or a failed commit below leaves no entry behind.
        let Loaded {
            mut aggregate,
            sequence,
            snapshot,
        } = self.start(id).await?;
        let sink = EventSink::default();
        aggregate
            .handle(command, &self.services, &sink)
            .await
            .map_err(CommandError::Rejected)?;
        let changes = sink.collect().await;
        let count = changes.len();
        if count > 0 {
            self.commit(id, &aggregate, sequence, snapshot, changes, metadata)
                .await?;
        }
        // The sink applied each change to the aggregate as the command wrote it.
        self.cache.put(id, aggregate, sequence + count);
        self.log.database().notify_appended();
        self.log
            .last_position_of(A::TYPE, id)
            .await
            .map_err(|e| CommandError::Store(e.to_string()))
    }

    /// The aggregate `id` as the next command on it would start from.
    pub async fn state(&self, id: &str) -> Result<A, CommandError<A::Error>> {
        let lock = self.lock_for(id);
        let _turn = lock.lock().await;
        let loaded = self.start(id).await?;
        let state = loaded.aggregate.clone();
        self.cache.put(id, loaded.aggregate, loaded.sequence);
        Ok(state)
    }

    /// The kept aggregate when the log has not moved past it (one indexed read), else the
    /// aggregate loaded from its snapshot and the changes after it.
    async fn start(&self, id: &str) -> Result<Loaded<A>, CommandError<A::Error>> {
        if let Some((aggregate, sequence)) = self.cache.take(id) {
            let (last, snapshot) = self.last_sequence(id).await?;
            if last == sequence {
                self.cache.count_hit();
                return Ok(Loaded {
                    aggregate,
                    sequence,
                    snapshot,
                });
            }
        }
        self.cache.count_miss();
        let context = match &self.backend {
            Backend::Sqlite(stores) => stores.loading.load_aggregate(id).await,
            Backend::Postgres(stores) => stores.loading.load_aggregate(id).await,
        }
        .map_err(refused::<A>)?;
        Ok(Loaded {
            aggregate: context.aggregate,
            sequence: context.current_sequence,
            snapshot: context.current_snapshot,
        })
    }

    /// The aggregate's last sequence in the log and its snapshot's number, read in one statement
    /// so that they agree.
    async fn last_sequence(
        &self,
        id: &str,
    ) -> Result<(usize, Option<usize>), CommandError<A::Error>> {
        let sql = format!(
            "SELECT (SELECT MAX(sequence) FROM {LOG_TABLE} \
                     WHERE aggregate_type = $1 AND aggregate_id = $2) AS last_sequence, \
                    (SELECT MAX(current_snapshot) FROM {SNAPSHOT_TABLE} \
                     WHERE aggregate_type = $1 AND aggregate_id = $2) AS current_snapshot"
        );
        let store = |e: sqlx::Error| CommandError::Store(e.to_string());
        let row = sqlx::query(&sql)
            .bind(A::TYPE)
            .bind(id)
            .fetch_one(self.log.database().pool())
            .await
            .map_err(store)?;
        let last: Option<i64> = row.try_get("last_sequence").map_err(store)?;
        let snapshot: Option<i64> = row.try_get("current_snapshot").map_err(store)?;
        Ok((last.unwrap_or(0) as usize, snapshot.map(|s| s as usize)))
    }

    /// Appends `changes`, decided on `aggregate` as it stood at `sequence`, with the optimistic
    /// check on that sequence.
    async fn commit(
        &self,
        id: &str,
        aggregate: &A,
        sequence: usize,
        snapshot: Option<usize>,
        changes: Vec<A::Event>,
        metadata: &Metadata,
    ) -> Result<(), CommandError<A::Error>> {
        // The same rule as cqrs-es's snapshot store: a snapshot each time the sequence reaches a
        // multiple of `every`. Only then does the store need the aggregate, a copy of it.
        let snapshot_due = self
            .snapshot_every
            .is_some_and(|every| sequence % every + changes.len() >= every);
        let context = |aggregate: A| EventStoreAggregateContext {
            aggregate_id: id.to_string(),
            aggregate,
            current_sequence: sequence,
            current_snapshot: snapshot,
        };
        let map = metadata.to_map();
        let outcome = match (&self.backend, snapshot_due) {
            (Backend::Sqlite(s), true) => {
                s.loading
                    .commit(changes, context(aggregate.clone()), map)
                    .await
            }
            (Backend::Sqlite(s), false) => {
                s.appending
                    .commit(changes, context(A::default()), map)
                    .await
            }
            (Backend::Postgres(s), true) => {
                s.loading
                    .commit(changes, context(aggregate.clone()), map)
                    .await
            }
            (Backend::Postgres(s), false) => {
                s.appending
                    .commit(changes, context(A::default()), map)
                    .await
            }
        };
        outcome.map(|_| ()).map_err(refused::<A>)
    }

    /// Like [`Commands::execute`], deciding the command again on fresh state when another
    /// command won a race on the same aggregate, up to [`CONFLICT_RETRIES`] times.
    pub async fn execute_retrying(
        &self,
        id: &str,
        command: A::Command,
        metadata: &Metadata,
    ) -> Result<i64, CommandError<A::Error>>
    where
        A::Command: Clone,
    {
        let mut attempt = 0;
        loop {
            match self.execute(id, command.clone(), metadata).await {
                Err(CommandError::Conflict(_)) if attempt < CONFLICT_RETRIES => attempt += 1,
                outcome => return outcome,
            }
        }
    }
}

fn refused<A: Aggregate>(error: AggregateError<A::Error>) -> CommandError<A::Error> {
    match error {
        AggregateError::UserError(e) => CommandError::Rejected(e),
        AggregateError::AggregateConflict => CommandError::Conflict(A::TYPE),
        other => CommandError::Store(other.to_string()),
    }
}
