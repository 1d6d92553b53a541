//! The application's API: every use case of Convene as a plain async function over typed input,
//! returning one typed [`Error`]. Front ends — the JSON binding in [`http`], the pages in
//! `convene-web`, the ActivityPub inbox in `convene-federation` — parse their input, call a use
//! case and present its answer; none of them builds domain commands or decides access itself.
//!
//! A use case authenticates through [`auth`], asks [`access`] what the person may see, sends
//! commands through `convene-projections`, waits until the read models it reads back show the
//! change ([`consistency`]), and answers from them. Depends on `convene-domain` and
//! `convene-projections`.

pub mod access;
pub mod account_mail;
pub mod accounts;
pub mod audit;
pub mod auth;
pub mod comments;
pub mod consistency;
pub mod deliveries;
pub mod error;
pub mod events;
pub mod follows;
pub mod group_discussions;
pub mod group_posts;
pub mod group_resources;
pub mod group_todos;
pub mod groups;
pub mod groups_elsewhere;
pub mod hashing;
pub mod health;
pub mod history;
pub mod http;
pub mod instance;
pub mod instance_follows;
pub mod keys;
pub mod mail;
pub mod moderation;
pub mod objects;
pub mod participations;
pub mod pictures;
pub mod places;
pub mod profiles;
pub mod remote_events;
pub mod remote_groups;
pub mod reports;
pub mod revert;
pub mod search;
pub mod throttle;
pub mod validation;

pub use error::{Class, Error};

use convene_domain::{
    Account, Claim, Event, Group, Instance, InstanceFollow, Picture, Profile, RemoteActor,
    RemoteDomain, Report,
};
use convene_projections::{Commands, Database, Subscribers};
use std::sync::Arc;

/// Changes between two snapshots of an event aggregate.
pub const EVENT_SNAPSHOT_EVERY: usize = 50;
/// Changes between two snapshots of a group aggregate.
pub const GROUP_SNAPSHOT_EVERY: usize = 50;

pub use convene_domain::instance::Registrations;

/// How the application is configured by the instance.
#[derive(Clone)]
pub struct ApiConfig {
    /// The public base URL, for links in emails (no trailing slash).
    pub public_url: String,
    pub mailer: Arc<mail::Mailer>,
    pub registrations: Registrations,
    /// How many logins, registrations, password resets and anonymous participations an address
    /// or an account may attempt.
    pub limits: throttle::Limits,
    /// Proxies whose `X-Forwarded-For` names the client.
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// Body size and time limits on every request.
    pub http_limits: http::limits::HttpLimits,
    /// How many password hashes run at once, and how many may wait.
    pub hashing: hashing::HashingLimits,
    /// Where pictures are kept, and how large an upload may be.
    pub pictures: pictures::PictureConfig,
}

/// What every use case may use.
#[derive(Clone)]
pub struct AppState {
    pub db: Database,
    pub config: ApiConfig,
    /// Every subscriber this process runs, as `/healthz` reports them.
    pub subscribers: Subscribers,
    pub throttle: Arc<throttle::Throttle>,
    /// Password hashing, bounded in concurrency and so in memory.
    pub hasher: Arc<hashing::Hasher>,
    /// Work left for after the answer (see `accounts`): the server waits for it at shutdown, so
    /// an answered registration or reset is never dropped.
    pub after_answering: tokio_util::task::TaskTracker,
    pub accounts: Arc<Commands<Account>>,
    pub claims: Arc<Commands<Claim>>,
    pub profiles: Arc<Commands<Profile>>,
    pub events: Arc<Commands<Event>>,
    pub groups: Arc<Commands<Group>>,
    pub reports: Arc<Commands<Report>>,
    pub pictures: Arc<Commands<Picture>>,
    /// Other instances' domains, as administrators decide on them.
    pub domains: Arc<Commands<RemoteDomain>>,
    /// Other instances' actors, as moderators decide on them.
    pub remote_actors: Arc<Commands<RemoteActor>>,
    /// Other instances' actors this instance follows or is followed by.
    pub instance_follows: Arc<Commands<InstanceFollow>>,
    /// The instance's own settings.
    pub instances: Arc<Commands<Instance>>,
    /// The time for use cases that count days.
    pub clock: instance::Clock,
    /// Pictures being decoded at once (each takes memory in proportion to its pixels).
    pub picture_work: Arc<tokio::sync::Semaphore>,
    /// Whether people without an account may report (off by default).
    pub reports_policy: reports::ReportPolicy,
    /// Whether anyone may read the domains the administrators suspended or limited (off by
    /// default: such lists are scraped to find instances to harass).
    pub domain_decisions_public: bool,
    /// Who may create groups (anyone unless the instance says otherwise).
    pub group_creation: groups::GroupCreation,
    /// The pad, spreadsheet and video call services groups' new links are made on.
    pub link_services: group_resources::LinkServices,
    /// Where events are searched: the embedded index of `db` unless another is given.
    pub search: Arc<dyn convene_search::SearchIndex>,
    /// Finds other instances' actors for instance follows (federation provides it); without
    /// it, following an instance is refused.
    pub instance_resolver: Option<Arc<dyn instance_follows::InstanceResolver>>,
    /// Finds other instances' actors by URL, for invitations to groups (federation provides
    /// it); without it, only local profiles are invited.
    pub actor_resolver: Option<Arc<dyn remote_groups::ActorResolver>>,
    /// Finds places by name or address; without it, places come from the public events and
    /// groups here.
    pub geocoder: Option<Arc<dyn places::Geocoder>>,
    /// The localities of public events and groups here, kept between lookups.
    pub known_places: Arc<convene_projections::places::KnownPlaces>,
}

impl AppState {
    pub fn new(db: &Database, config: ApiConfig, subscribers: Subscribers) -> Self {
        Self {
            db: db.clone(),
            throttle: Arc::new(throttle::Throttle::new(config.limits)),
            hasher: Arc::new(hashing::Hasher::new(config.hashing)),
            after_answering: tokio_util::task::TaskTracker::new(),
            config,
            subscribers,
            accounts: Arc::new(Commands::new(db, ())),
            claims: Arc::new(Commands::new(db, ())),
            profiles: Arc::new(Commands::new(db, ())),
            // An event gathers a change per participation and comment: snapshot it.
            events: Arc::new(Commands::with_snapshots(db, (), EVENT_SNAPSHOT_EVERY)),
            // A group gathers a change per membership and follower: snapshot it too.
            groups: Arc::new(Commands::with_snapshots(db, (), GROUP_SNAPSHOT_EVERY)),
            reports: Arc::new(Commands::new(db, ())),
            pictures: Arc::new(Commands::new(db, ())),
            domains: Arc::new(Commands::new(db, ())),
            remote_actors: Arc::new(Commands::new(db, ())),
            instance_follows: Arc::new(Commands::new(db, ())),
            instances: Arc::new(Commands::new(db, ())),
            clock: instance::Clock::system(),
            picture_work: pictures::gate(),
            reports_policy: reports::ReportPolicy::default(),
            domain_decisions_public: false,
            group_creation: groups::GroupCreation::default(),
            link_services: group_resources::LinkServices::default(),
            search: Arc::new(convene_search::Embedded::new(db.pool(), db.backend())),
            instance_resolver: None,
            actor_resolver: None,
            geocoder: None,
            known_places: Arc::default(),
        }
    }

    /// The same application, finding places with `geocoder`.
    pub fn with_geocoder(mut self, geocoder: Arc<dyn places::Geocoder>) -> Self {
        self.geocoder = Some(geocoder);
        self
    }

    /// The same application, finding other instances' actors by URL with `resolver`.
    pub fn with_actor_resolver(mut self, resolver: Arc<dyn remote_groups::ActorResolver>) -> Self {
        self.actor_resolver = Some(resolver);
        self
    }

    /// The same application, finding other instances' actors with `resolver`.
    pub fn with_instance_resolver(
        mut self,
        resolver: Arc<dyn instance_follows::InstanceResolver>,
    ) -> Self {
        self.instance_resolver = Some(resolver);
        self
    }

    /// The same application, with group creation limited as `policy` says.
    pub fn with_group_creation(mut self, policy: groups::GroupCreation) -> Self {
        self.group_creation = policy;
        self
    }

    /// The same application, making groups' new pads, spreadsheets and video calls on
    /// `services`.
    pub fn with_link_services(mut self, services: group_resources::LinkServices) -> Self {
        self.link_services = services;
        self
    }

    /// The same application, taking reports as `policy` says.
    pub fn with_report_policy(mut self, policy: reports::ReportPolicy) -> Self {
        self.reports_policy = policy;
        self
    }

    /// The same application, publishing its domain decisions or not.
    pub fn with_public_domain_decisions(mut self, public: bool) -> Self {
        self.domain_decisions_public = public;
        self
    }
}
