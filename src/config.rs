//! Options: command line, then `CONVENE_*` environment variables (clap reads both), then the
//! TOML configuration file, then defaults.

use crate::connections::ConnectionLimits;
use anyhow::{bail, Context};
use clap::{Args, Parser, Subcommand};
use convene_api::group_resources::LinkServices;
use convene_api::groups::GroupCreation;
use convene_api::hashing::HashingLimits;
use convene_api::http::client_ip::{parse_network, DEFAULT_TRUSTED_PROXIES};
use convene_api::http::limits::HttpLimits;
use convene_api::places::{GeocoderConfig, Service};
use convene_api::throttle::Limits;
use convene_api::Registrations;
use convene_federation::delivery::WorkerConfig;
use convene_projections::db::{Backend, DEFAULT_DATABASE_TIMEOUT, DEFAULT_DATABASE_URL};
use convene_projections::replay::AsOf;
use convene_web::map::TileServer;
use ipnet::IpNet;
use serde::Deserialize;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

pub const DEFAULT_LISTEN: &str = "127.0.0.1:8080";

#[derive(Debug, Parser)]
#[command(
    name = "convene",
    version,
    about = "Convene: a free, federated platform for events and groups",
    long_about = "Convene: a free, federated platform for events and groups.\n\n\
        Every option can also be set in the environment (the variable is shown with each \
        option) or in a TOML file given with --config, using the option's name with \
        underscores: database_url, listen, public_url, log."
)]
pub struct Cli {
    /// TOML configuration file; the command line and the environment override it.
    #[arg(long, global = true, env = "CONVENE_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Where Convene keeps its data: sqlite://PATH (the embedded default, created if
    /// missing; default sqlite://./data/convene.db) or postgres://USER@HOST/DATABASE.
    #[arg(long, global = true, env = "DATABASE_URL", value_name = "URL")]
    pub database_url: Option<String>,

    /// What to log, as a tracing filter such as `info` or `convene=debug,sqlx=warn`
    /// (default: info for serve, warn,sqlx=error for the other commands).
    #[arg(long, global = true, env = "CONVENE_LOG", value_name = "FILTER")]
    pub log: Option<String>,

    /// Folder for files Convene writes besides the database (mail without SMTP); default ./data.
    #[arg(long, global = true, env = "CONVENE_DATA_DIR", value_name = "PATH")]
    pub data_dir: Option<PathBuf>,

    /// Seconds to wait for the database to accept a connection, or to answer a statement
    /// while starting, before giving up with an error naming it (default 10).
    #[arg(
        long,
        global = true,
        env = "CONVENE_DATABASE_TIMEOUT",
        value_name = "SECONDS"
    )]
    pub database_timeout: Option<String>,

    #[command(subcommand)]
    pub command: Command,
}

// Parsed once at start: the size of its largest variant costs nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the server: the pages, the HTTP API and the subscribers that follow the log (the
    /// read models, and whatever else this build registers).
    Serve(Box<ServeArgs>),
    /// Bring the database schema up to date and exit (every command does this first anyway).
    Migrate,
    /// Rebuild read models from the log, in place or as of a past point into a separate file.
    Replay(ReplayArgs),
    /// Walk the log's hash chain and report the first event whose content was altered.
    Verify,
    /// Rebuild the search index from the log; a running server answers from the old index
    /// until the new one is complete, then from the new one.
    Reindex,
    /// Create accounts (the first administrator, for a start).
    #[command(subcommand)]
    Account(AccountCommand),
    /// Create and rename profiles.
    #[command(subcommand)]
    Profile(ProfileCommand),
    /// What the notifications' outbox and reminders hold: what waits to be sent, what failed.
    #[command(subcommand)]
    Notifications(NotificationsCommand),
    /// Measure Convene against raw database operations on a scratch database.
    #[command(subcommand)]
    Bench(BenchCommand),
    /// Follow remote actors, and see and retry what is delivered to other instances.
    #[command(subcommand)]
    Federation(FederationCommand),
    /// Export a slice of the log signed with the instance key, and check such an export
    /// offline.
    #[command(subcommand)]
    Audit(AuditCommand),
}

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Write the log's changes from `--from` to `--to` (positions or RFC 3339 times; the whole
    /// log by default) with their chain links, signed with the instance key, as JSON Lines.
    Export {
        #[arg(long, value_name = "POSITION|TIME")]
        from: Option<AsOf>,
        #[arg(long, value_name = "POSITION|TIME")]
        to: Option<AsOf>,
        /// The file to write (refused if it exists).
        #[arg(long, short, value_name = "PATH")]
        output: PathBuf,
    },
    /// Verify an export: every change chained to the one before, nothing missing, the
    /// signature the instance's. Reads no database.
    Check {
        file: PathBuf,
        /// The SHA-256 (hex) of the instance key the file must be signed with, as `convene
        /// audit key` prints it on the instance: another key is then a failure.
        #[arg(long, value_name = "HEX")]
        key_sha256: Option<String>,
    },
    /// The SHA-256 of the instance key that signs exports, to give to auditors.
    Key,
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address and port to listen on (default 127.0.0.1:8080).
    #[arg(long, env = "CONVENE_LISTEN", value_name = "ADDR")]
    pub listen: Option<String>,

    /// The public base URL people and other instances reach this server at
    /// (default http://<listen address>).
    #[arg(long, env = "CONVENE_PUBLIC_URL", value_name = "URL")]
    pub public_url: Option<String>,

    /// Who may register until an administrator saves the instance's settings (which then
    /// decide): open, approval (each account approved by a moderator), closed, or allowlist
    /// (see --registration-allowlist).
    #[arg(long, env = "CONVENE_REGISTRATIONS", value_name = "POLICY")]
    pub registrations: Option<String>,

    /// With --registrations allowlist: the addresses and domains that may register,
    /// comma-separated (ana@example.org,union.example).
    #[arg(
        long,
        env = "CONVENE_REGISTRATION_ALLOWLIST",
        value_name = "LIST",
        value_delimiter = ','
    )]
    pub registration_allowlist: Option<Vec<String>>,

    /// Who may create groups: anyone (any profile), or admins (the instance's administrators).
    #[arg(long, env = "CONVENE_GROUP_CREATION", value_name = "POLICY")]
    pub group_creation: Option<String>,

    /// Whether people without an account may report content to the moderators: true or false
    /// (default false).
    #[arg(long, env = "CONVENE_ANONYMOUS_REPORTS", value_name = "BOOL")]
    pub anonymous_reports: Option<bool>,

    /// Whether anyone may read the other instances' domains the administrators suspended or
    /// limited, with their public comments: true or false (default false).
    #[arg(long, env = "CONVENE_PUBLISH_DOMAIN_DECISIONS", value_name = "BOOL")]
    pub publish_domain_decisions: Option<bool>,
    /// The pad service groups' new pads are made on: an http(s) address a fresh name is
    /// appended to (https://pad.example.org/p/). None: members paste a pad's address.
    #[arg(long, env = "CONVENE_PAD_SERVICE", value_name = "URL")]
    pub pad_service: Option<String>,

    /// The same for shared spreadsheets (https://calc.example.org/).
    #[arg(long, env = "CONVENE_CALC_SERVICE", value_name = "URL")]
    pub calc_service: Option<String>,

    /// The same for video calls (https://meet.example.org/).
    #[arg(long, env = "CONVENE_VISIO_SERVICE", value_name = "URL")]
    pub visio_service: Option<String>,

    /// The geocoder's base URL (https://nominatim.example.org): addresses on the event form
    /// and places in search are looked up there, at most once a second. None: places come
    /// from the public events and groups here.
    #[arg(long, env = "CONVENE_GEOCODER_URL", value_name = "URL")]
    pub geocoder_url: Option<String>,

    /// The service at --geocoder-url: nominatim (default), photon or addok.
    #[arg(long, env = "CONVENE_GEOCODER", value_name = "SERVICE")]
    pub geocoder: Option<String>,

    /// The longest a place lookup may take, in seconds (default 5); then the page says the
    /// geocoder does not answer.
    #[arg(long, env = "CONVENE_GEOCODER_TIMEOUT", value_name = "SECONDS")]
    pub geocoder_timeout: Option<String>,

    /// The tile server maps are drawn from, as Leaflet reads it
    /// (https://tiles.example.org/{z}/{x}/{y}.png): event pages, the home page and search
    /// results then show a map. None: no map, nothing loaded from elsewhere.
    #[arg(long, env = "CONVENE_TILE_URL", value_name = "URL")]
    pub tile_url: Option<String>,

    /// The credit the tile server's terms ask for, shown on every map (plain text, such as
    /// "© OpenStreetMap contributors"); required with --tile-url.
    #[arg(long, env = "CONVENE_TILE_ATTRIBUTION", value_name = "TEXT")]
    pub tile_attribution: Option<String>,

    /// The instance's own favicon instead of Convene's: an SVG, PNG, ICO, WebP or JPEG file of
    /// at most 1 MB, read at start.
    #[arg(long, env = "CONVENE_FAVICON", value_name = "FILE")]
    pub favicon: Option<PathBuf>,

    /// The instance's own logo, shown in every page's header instead of Convene's: an SVG, PNG,
    /// WebP or JPEG file of at most 1 MB, read at start.
    #[arg(long, env = "CONVENE_LOGO", value_name = "FILE")]
    pub logo: Option<PathBuf>,

    /// Let federation reach instances on 127.0.0.1 (two instances on one machine, for tests and
    /// trials). Refused unless --public-url is itself a loopback URL: never on a real instance.
    #[arg(long, env = "CONVENE_FEDERATION_TEST_NETWORK")]
    pub federation_test_network: bool,

    /// Fetch no preview of the links groups store (on by default: their title, description
    /// and image are read from the linked page, through federation's guarded client).
    #[arg(long, env = "CONVENE_NO_LINK_PREVIEWS")]
    pub no_link_previews: bool,

    /// SMTP server for outgoing mail: smtp://USER:PASSWORD@HOST:587 (STARTTLS) or smtps://…
    /// (TLS). Without it, mail is written as .eml files under <data dir>/mail and logged.
    #[arg(long, env = "CONVENE_SMTP_URL", value_name = "URL")]
    pub smtp_url: Option<String>,

    /// The sender of outgoing mail (default: Convene <noreply@the public URL's host>).
    #[arg(long, env = "CONVENE_MAIL_FROM", value_name = "ADDRESS")]
    pub mail_from: Option<String>,

    /// The largest request body accepted, in bytes (default 1048576, 1 MiB); larger ones are
    /// refused with 413.
    #[arg(long, env = "CONVENE_BODY_LIMIT", value_name = "BYTES")]
    pub body_limit: Option<String>,

    /// Seconds a request may take before it is stopped with 503 (default 30).
    #[arg(long, env = "CONVENE_REQUEST_TIMEOUT", value_name = "SECONDS")]
    pub request_timeout: Option<String>,

    /// The largest event picture accepted, in bytes (default 10485760, 10 MiB); larger ones are
    /// refused with 413 naming the limit. Upload routes take bodies this large (plus 1 MiB for
    /// the form's other fields) whatever --body-limit says.
    #[arg(long, env = "CONVENE_PICTURE_LIMIT", value_name = "BYTES")]
    pub picture_limit: Option<String>,

    /// The largest avatar accepted, in bytes (default 2097152, 2 MiB).
    #[arg(long, env = "CONVENE_AVATAR_LIMIT", value_name = "BYTES")]
    pub avatar_limit: Option<String>,

    /// Attempts per minute from one client address at logging in, registering, resetting a
    /// password or joining anonymously, each counted apart (default 10; 0: no limit).
    #[arg(long, env = "CONVENE_RATE_LIMIT_IP", value_name = "N")]
    pub rate_limit_ip: Option<String>,

    /// Attempts per hour for one email address at the same actions, from any client; for
    /// logins, failed passwords only (default 30; 0: no limit).
    #[arg(long, env = "CONVENE_RATE_LIMIT_ACCOUNT", value_name = "N")]
    pub rate_limit_account: Option<String>,

    /// Password hashes (logins, registrations, password changes) run at once, each holding
    /// 19 MiB (default: one per core).
    #[arg(long, env = "CONVENE_PASSWORD_HASHERS", value_name = "N")]
    pub password_hashers: Option<String>,

    /// Password hashes that may wait for a free hasher; past them requests get 503 with
    /// Retry-After (default 64).
    #[arg(long, env = "CONVENE_PASSWORD_HASH_QUEUE", value_name = "N")]
    pub password_hash_queue: Option<String>,

    /// The longest wait, in seconds, between failing logins to one account: after 5 failures
    /// in a row each attempt waits 1 s, then 2, 4… up to this (default 60; 0: no wait).
    #[arg(long, env = "CONVENE_LOGIN_DELAY_MAX", value_name = "SECONDS")]
    pub login_delay_max: Option<String>,

    /// The reverse proxies whose X-Forwarded-For is believed, as addresses or networks,
    /// comma-separated (default 127.0.0.0/8,::1/128: a proxy on this machine; an empty list
    /// trusts none).
    #[arg(
        long,
        env = "CONVENE_TRUSTED_PROXIES",
        value_name = "LIST",
        value_delimiter = ','
    )]
    pub trusted_proxies: Option<Vec<String>>,

    /// Connections open at once, in all (default 4096; fewer when the limit on open files
    /// leaves less room). When full, those that have waited longest without a request are
    /// closed to let new ones in.
    #[arg(long, env = "CONVENE_MAX_CONNECTIONS", value_name = "N")]
    pub max_connections: Option<String>,

    /// Connections open at once from one client address (an IPv6 /64 counts as one); more are
    /// closed at once (default 64; trusted proxies are not limited).
    #[arg(long, env = "CONVENE_MAX_CONNECTIONS_PER_IP", value_name = "N")]
    pub max_connections_per_ip: Option<String>,

    /// Seconds a client has to send a request's head (its line and headers), from connecting
    /// or from the previous answer; then the connection is closed (default 10).
    #[arg(long, env = "CONVENE_HEADER_TIMEOUT", value_name = "SECONDS")]
    pub header_timeout: Option<String>,

    /// Seconds an answered connection is kept open waiting for the next request (default 5).
    #[arg(long, env = "CONVENE_KEEP_ALIVE_TIMEOUT", value_name = "SECONDS")]
    pub keep_alive_timeout: Option<String>,

    /// Seconds a process holds the outgoing deliveries it claimed (default 60, at least 15):
    /// those of a process stopped meanwhile are sent by another one, or by it once restarted,
    /// after this long.
    #[arg(long, env = "CONVENE_DELIVERY_LEASE", value_name = "SECONDS")]
    pub delivery_lease: Option<String>,
}

#[derive(Debug, Args)]
pub struct ReplayArgs {
    /// Rebuild only this subscriber, such as `events` (default: all of them).
    #[arg(long, value_name = "NAME")]
    pub projection: Option<String>,

    /// Rebuild the read models as they were at this log position or RFC 3339 time
    /// (such as 2026-11-26T10:00:00Z); needs --into. The live database is only read.
    #[arg(long, value_name = "POSITION|TIME", requires = "into")]
    pub as_of: Option<AsOf>,

    /// The new SQLite file to write the --as-of read models into; it must not exist.
    #[arg(long, value_name = "PATH", requires = "as_of")]
    pub into: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum AccountCommand {
    /// Create an account, already confirmed. The password is read from standard input (asked
    /// for, hidden, on a terminal).
    Create {
        email: String,
        /// Make it an administrator (the way to get the first one).
        #[arg(long, conflicts_with = "moderator")]
        admin: bool,
        /// Make it a moderator.
        #[arg(long)]
        moderator: bool,
        /// en or fr.
        #[arg(long, default_value = "en")]
        locale: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum NotificationsCommand {
    /// Mails waiting to be sent (with their attempts and last refusal) and reminders waiting
    /// for their time, soonest first.
    Pending {
        /// The most of each listed.
        #[arg(long, default_value_t = 100)]
        limit: i64,
    },
    /// Mails given up, each with its reason.
    Failed {
        /// The most listed.
        #[arg(long, default_value_t = 100)]
        limit: i64,
    },
}

#[derive(Debug, Subcommand)]
pub enum ProfileCommand {
    /// Claim a username as a new profile.
    Create {
        /// Lower-case letters, digits and underscores, at most 30.
        username: String,
        /// The name shown to people (default: the username).
        #[arg(long)]
        display_name: Option<String>,
    },
    /// Change a profile's display name.
    Rename {
        username: String,
        display_name: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum FederationCommand {
    /// Make a profile follow a remote actor: name@host (found by WebFinger) or its id URL.
    /// The running server sends the Follow.
    Follow {
        /// The local profile that follows.
        #[arg(long = "as", value_name = "USERNAME")]
        profile: String,
        /// name@host, or the actor's id URL.
        actor: String,
        /// Reach instances on 127.0.0.1 (as `serve --federation-test-network`).
        #[arg(long)]
        test_network: bool,
    },
    /// Make a profile stop following a remote actor (its id URL, or name@host).
    Unfollow {
        #[arg(long = "as", value_name = "USERNAME")]
        profile: String,
        actor: String,
        #[arg(long)]
        test_network: bool,
    },
    /// The deliveries to other instances: pending, delivered, failed or dead (default: all
    /// but delivered).
    Deliveries {
        #[arg(long, value_name = "STATE")]
        state: Option<String>,
    },
    /// Try a failed or dead delivery again, from its first try.
    Retry { id: String },
    /// Decide on another instance's domain (`mobilizon.example`, or `host:port`): suspend it
    /// (its activities refused, nothing delivered to it, its content shown to moderators only),
    /// limit it (its content out of public listings and search), or lift the decision; reject
    /// its media (its events' pictures not shown) or its reports (its `Flag`s not filed), or
    /// accept them again. Nothing is deleted: lifting brings everything back.
    /// `remove_content` removes every event and comment it sent here (each its own removal,
    /// kept as evidence), `restore_content` restores what that removed.
    Domain {
        #[arg(value_parser = ["suspend", "limit", "lift", "reject_media", "accept_media",
            "reject_reports", "accept_reports", "remove_content", "restore_content"])]
        action: String,
        domain: String,
        /// Why (required): kept in the log and shown in the audit trail.
        #[arg(long)]
        reason: String,
        /// What the instance's public list of moderated domains says.
        #[arg(long)]
        public_comment: Option<String>,
    },
    /// The domains with a decision in force, and what each one touches here.
    Domains,
    /// Make this instance follow another instance's actor (its relay, as Mobilizon's instance
    /// follows): once it accepts, its new public events come here. The running server sends
    /// the Follow.
    FollowInstance {
        /// The instance's host (events.example), its URL, or its actor's URL.
        instance: String,
        /// Reach instances on 127.0.0.1 (as `serve --federation-test-network`).
        #[arg(long)]
        test_network: bool,
    },
    /// Stop following another instance (or withdraw the request): its host or actor URL.
    UnfollowInstance { instance: String },
    /// The instances this one follows (pending or accepted) and those following it.
    Instances,
}

#[derive(Debug, Subcommand)]
pub enum BenchCommand {
    /// Search: events indexed per second from the log, and p50/p99 of five query shapes at 1
    /// and 16 clients, each next to the same query run directly against the backend (SQL, or
    /// Meilisearch's own HTTP search when CONVENE_MEILI_URL is set). Scratch database and
    /// index only.
    Search {
        /// Events generated and indexed.
        #[arg(long, default_value_t = 10_000)]
        events: usize,
        /// Searches per query shape and client count.
        #[arg(long, default_value_t = 400)]
        queries: usize,
    },
    /// Appends, catch-up reads, replay and verification, each next to the raw SQL baseline.
    /// Runs on a scratch database on the configured server (SQLite file or PostgreSQL),
    /// never on your data.
    Store {
        /// Events appended by each append phase.
        #[arg(long, default_value_t = 2_000)]
        events: usize,
    },
    /// Requests per second and latency of the home and event pages at a number of concurrent
    /// clients, with many events in the read model, next to /healthz on the same server.
    Web {
        /// Events in the read model.
        #[arg(long, default_value_t = 10_000)]
        events: usize,
        /// Concurrent clients (each a keep-alive connection on 127.0.0.1).
        #[arg(long, default_value_t = 50)]
        clients: usize,
        /// Seconds of load per page.
        #[arg(long, default_value_t = 10)]
        seconds: u64,
    },
    /// One event fanned out to the followers' inboxes (the outbox and the signed deliveries)
    /// against receivers on 127.0.0.1 with an added latency, next to plain POSTs to the same
    /// receivers with the same limits, and to signing and verifying alone; then signed
    /// `Create`s posted to this instance's inbox by many clients at once, next to plain POSTs
    /// and to verifying alone.
    Federation {
        /// Followers' inboxes, each its own delivery.
        #[arg(long, default_value_t = 1_000)]
        inboxes: usize,
        /// Receivers (instances) the inboxes are spread over, each on its own port.
        #[arg(long, default_value_t = 50)]
        hosts: usize,
        /// Milliseconds each receiver waits before answering.
        #[arg(long, default_value_t = 100)]
        latency_ms: u64,
        /// Signed `Create`s of events posted to this instance's shared inbox (the ingest half).
        #[arg(long, default_value_t = 2_000)]
        posts: usize,
        /// Clients posting them at once, each another instance's person.
        #[arg(long, default_value_t = 16)]
        clients: usize,
    },
    /// On a log of many changes: the audit trail filtered by account, by object and by time,
    /// an event as of a position, each next to the raw SQL reading the same rows; and a revert
    /// of 1,000 changes, planned then applied. Scratch database only.
    Audit {
        /// Changes in the log (most of them recorded by a thousand other accounts over a year).
        #[arg(long, default_value_t = 1_000_000)]
        changes: usize,
        /// Queries per measure.
        #[arg(long, default_value_t = 200)]
        queries: usize,
    },
    /// Latency (p50, p99) of joining an event over the JSON API, one join after another, each
    /// answered once the read model shows it; next to /healthz on the same server.
    Join {
        /// Joins, each by another profile.
        #[arg(long, default_value_t = 200)]
        joins: usize,
        /// Participants the event has before the measured joins (seeded through the command
        /// side), to show a join costs the same on a small event and a crowded one.
        #[arg(long, default_value_t = 0)]
        participants: usize,
    },
    /// One event whose time changes, told to every participant: notifications derived per
    /// second, mails written per second to .eml files and to an SMTP sink on 127.0.0.1, each
    /// next to a plain loop; and join and edit latency with the notifications subscriber
    /// running and stopped.
    Notifications {
        /// Participants of the event, each told of the change.
        #[arg(long, default_value_t = 10_000)]
        participants: usize,
        /// Of their mails, those sent again to the SMTP sink (and in the plain SMTP loop).
        #[arg(long, default_value_t = 1_000)]
        smtp_mails: usize,
        /// Joins and edits measured with the subscriber on, and again with it off.
        #[arg(long, default_value_t = 100)]
        requests: usize,
    },
}

/// The TOML file's shape; unknown keys are refused so a typo does not go unnoticed.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    database_url: Option<String>,
    data_dir: Option<PathBuf>,
    listen: Option<String>,
    public_url: Option<String>,
    log: Option<String>,
    registrations: Option<String>,
    registration_allowlist: Option<Vec<String>>,
    group_creation: Option<String>,
    anonymous_reports: Option<bool>,
    publish_domain_decisions: Option<bool>,
    pad_service: Option<String>,
    calc_service: Option<String>,
    visio_service: Option<String>,
    geocoder_url: Option<String>,
    geocoder: Option<String>,
    geocoder_timeout: Option<FileNumber>,
    tile_url: Option<String>,
    tile_attribution: Option<String>,
    favicon: Option<PathBuf>,
    logo: Option<PathBuf>,
    smtp_url: Option<String>,
    mail_from: Option<String>,
    body_limit: Option<FileNumber>,
    request_timeout: Option<FileNumber>,
    picture_limit: Option<FileNumber>,
    avatar_limit: Option<FileNumber>,
    rate_limit_ip: Option<FileNumber>,
    rate_limit_account: Option<FileNumber>,
    password_hashers: Option<FileNumber>,
    password_hash_queue: Option<FileNumber>,
    login_delay_max: Option<FileNumber>,
    trusted_proxies: Option<Vec<String>>,
    database_timeout: Option<FileNumber>,
    max_connections: Option<FileNumber>,
    max_connections_per_ip: Option<FileNumber>,
    header_timeout: Option<FileNumber>,
    keep_alive_timeout: Option<FileNumber>,
    delivery_lease: Option<FileNumber>,
}

/// A number in the file, written as one (`body_limit = 1048576`) or quoted; either way it is
/// checked like the command line's, with the same message.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum FileNumber {
    Integer(i64),
    Text(String),
}

impl FileNumber {
    fn text(self) -> String {
        match self {
            FileNumber::Integer(n) => n.to_string(),
            FileNumber::Text(text) => text,
        }
    }
}

/// The whole number `text` gives (the command line's, else the file's), at least `min`;
/// `default` when neither gives one; otherwise a one-line error saying what `option` takes.
fn whole_number<T: std::str::FromStr + PartialOrd>(
    option: &str,
    text: Option<String>,
    min: T,
    default: T,
    (what, fix): (&str, &str),
) -> anyhow::Result<T> {
    let Some(text) = text else {
        return Ok(default);
    };
    match text.trim().parse::<T>() {
        Ok(n) if n >= min => Ok(n),
        _ => bail!("--{option} `{text}` is not {what}: {fix}"),
    }
}

/// The geocoder the options name: a service (nominatim unless said), at a URL, with a time
/// limit; a service or a time limit without a URL is a mistake.
fn geocoder_config(
    service: Option<String>,
    url: Option<String>,
    timeout: Option<String>,
    public_url: &str,
) -> anyhow::Result<Option<GeocoderConfig>> {
    let Some(url) = url else {
        if let Some(service) = service {
            bail!("--geocoder {service} needs --geocoder-url: the address of the service, such as https://nominatim.example.org");
        }
        return Ok(None);
    };
    let service = match service.as_deref().map(str::trim) {
        None | Some("") => Service::Nominatim,
        Some(name) => name
            .parse::<Service>()
            .map_err(|e| anyhow::anyhow!("--geocoder {e}"))?,
    };
    let mut config = GeocoderConfig::new(service, &url, public_url);
    let seconds: u64 = whole_number(
        "geocoder-timeout",
        timeout,
        1,
        5,
        ("a number of seconds", "use 1 to 60"),
    )?;
    if seconds > 60 {
        bail!("--geocoder-timeout `{seconds}` is not a number of seconds: use 1 to 60");
    }
    config.timeout = Duration::from_secs(seconds);
    Ok(Some(config))
}

/// The tile server the options name; an attribution without a tile server is a mistake.
fn tile_server(
    url: Option<String>,
    attribution: Option<String>,
) -> anyhow::Result<Option<TileServer>> {
    match (url, attribution) {
        (None, None) => Ok(None),
        (None, Some(_)) => bail!(
            "--tile-attribution needs --tile-url: the tile server to draw maps from, such as https://tiles.example.org/{{z}}/{{x}}/{{y}}.png"
        ),
        (Some(url), attribution) => TileServer::new(&url, attribution.as_deref().unwrap_or(""))
            .map(Some)
            .map_err(|e| anyhow::anyhow!(e)),
    }
}

/// The options in force.
#[derive(Debug, Clone)]
pub struct Settings {
    pub database_url: String,
    pub data_dir: PathBuf,
    pub listen: SocketAddr,
    pub public_url: String,
    pub log: Option<String>,
    pub registrations: Registrations,
    pub group_creation: GroupCreation,
    /// Whether people without an account may report.
    pub anonymous_reports: bool,
    /// Whether anyone may read the domain decisions in force.
    pub publish_domain_decisions: bool,
    /// Where groups' new pads, spreadsheets and video calls are made.
    pub link_services: LinkServices,
    /// The geocoder places are looked up with, if any.
    pub geocoder: Option<GeocoderConfig>,
    /// The tile server maps are drawn from, if any.
    pub tiles: Option<TileServer>,
    /// The instance's own favicon and logo files, if not Convene's.
    pub favicon: Option<PathBuf>,
    pub logo: Option<PathBuf>,
    /// Whether federation may reach loopback addresses (checked against the public URL when
    /// the client is made).
    pub federation_test_network: bool,
    /// Whether the linked pages of groups' links are fetched for a preview.
    pub link_previews: bool,
    pub smtp_url: Option<String>,
    pub mail_from: String,
    /// Body size and time limits on every request.
    pub http_limits: HttpLimits,
    /// The largest event picture and avatar, in bytes.
    pub picture_limit: usize,
    pub avatar_limit: usize,
    /// How often logins, registrations, resets and anonymous participations may be tried.
    pub throttle: Limits,
    /// The proxies whose X-Forwarded-For is believed.
    pub trusted_proxies: Vec<IpNet>,
    /// How many password hashes run at once, and how many may wait.
    pub hashing: HashingLimits,
    /// How long to wait for the database while starting.
    pub database_timeout: Duration,
    /// How many connections, from whom, and how long they may wait.
    pub connections: ConnectionLimits,
    /// How long a claimed delivery is held before another try may take it.
    pub delivery_lease: Duration,
}

impl Settings {
    pub fn resolve(cli: &Cli) -> anyhow::Result<Self> {
        let file = match &cli.config {
            Some(path) => {
                let text = std::fs::read_to_string(path).with_context(|| {
                    format!("cannot read the configuration file {}", path.display())
                })?;
                toml::from_str::<FileConfig>(&text).map_err(|e| {
                    anyhow::anyhow!(
                        "{} is not a valid configuration file: {}",
                        path.display(),
                        e.message()
                    )
                })?
            }
            None => FileConfig::default(),
        };
        let serve = match &cli.command {
            Command::Serve(args) => Some(args),
            _ => None,
        };
        let listen = serve.and_then(|a| a.listen.clone());
        let public_url = serve.and_then(|a| a.public_url.clone());
        let database_url = cli
            .database_url
            .clone()
            .or(file.database_url)
            .unwrap_or_else(|| DEFAULT_DATABASE_URL.to_string());
        Backend::of_url(&database_url)?;
        let listen_text = listen
            .or(file.listen)
            .unwrap_or_else(|| DEFAULT_LISTEN.to_string());
        let Ok(listen) = listen_text.parse::<SocketAddr>() else {
            bail!(
                "--listen `{listen_text}` is not an address: use IP:PORT, such as 127.0.0.1:8080"
            );
        };
        let public_url = public_url
            .or(file.public_url)
            .unwrap_or_else(|| format!("http://{listen}"));
        if !(public_url.starts_with("http://") || public_url.starts_with("https://")) {
            bail!("--public-url `{public_url}` must start with http:// or https://");
        }
        let public_url = public_url.trim_end_matches('/').to_string();
        let allowlist = serve
            .and_then(|a| a.registration_allowlist.clone())
            .or(file.registration_allowlist)
            .unwrap_or_default();
        let policy = serve
            .and_then(|a| a.registrations.clone())
            .or(file.registrations)
            .unwrap_or_else(|| "open".into());
        let registrations = match policy.as_str() {
            "open" => Registrations::Open,
            "approval" => Registrations::Approval,
            "closed" => Registrations::Closed,
            "allowlist" if !allowlist.is_empty() => Registrations::Allowlist {
                allowed: allowlist.into_iter().map(|a| a.trim().to_lowercase()).collect(),
            },
            "allowlist" => bail!(
                "--registrations allowlist needs --registration-allowlist with the addresses or domains allowed"
            ),
            other => bail!("--registrations `{other}` is not a policy: use open, approval, closed or allowlist"),
        };
        let group_creation = match serve
            .and_then(|a| a.group_creation.clone())
            .or(file.group_creation)
            .as_deref()
        {
            None | Some("anyone") => GroupCreation::Anyone,
            Some("admins") => GroupCreation::Administrators,
            Some(other) => {
                bail!("--group-creation `{other}` is not a policy: use anyone or admins")
            }
        };
        let service = |option: &str, from_cli: Option<String>, from_file: Option<String>| {
            match from_cli.or(from_file).map(|u| u.trim().to_string()) {
                Some(url) if convene_domain::validation::is_web_url(&url) => Ok(Some(url)),
                Some(url) => bail!(
                    "--{option} `{url}` is not an http(s) address: use one such as https://pad.example.org/p/"
                ),
                None => Ok(None),
            }
        };
        let link_services = LinkServices {
            pad: service(
                "pad-service",
                serve.and_then(|a| a.pad_service.clone()),
                file.pad_service,
            )?,
            calc: service(
                "calc-service",
                serve.and_then(|a| a.calc_service.clone()),
                file.calc_service,
            )?,
            visio: service(
                "visio-service",
                serve.and_then(|a| a.visio_service.clone()),
                file.visio_service,
            )?,
        };
        let geocoder = geocoder_config(
            serve.and_then(|a| a.geocoder.clone()).or(file.geocoder),
            service(
                "geocoder-url",
                serve.and_then(|a| a.geocoder_url.clone()),
                file.geocoder_url,
            )?,
            serve
                .and_then(|a| a.geocoder_timeout.clone())
                .or(file.geocoder_timeout.map(FileNumber::text)),
            &public_url,
        )?;
        let tiles = tile_server(
            serve.and_then(|a| a.tile_url.clone()).or(file.tile_url),
            serve
                .and_then(|a| a.tile_attribution.clone())
                .or(file.tile_attribution),
        )?;
        let host = public_url
            .split_once("://")
            .map_or("localhost", |(_, rest)| {
                rest.split(['/', ':']).next().unwrap_or("localhost")
            });
        let mail_from = serve
            .and_then(|a| a.mail_from.clone())
            .or(file.mail_from)
            .unwrap_or_else(|| format!("Convene <noreply@{host}>"));
        let number = |from_cli: Option<String>, from_file: Option<FileNumber>| {
            from_cli.or(from_file.map(FileNumber::text))
        };
        let picture_limit: usize = whole_number(
            "picture-limit",
            number(
                serve.and_then(|a| a.picture_limit.clone()),
                file.picture_limit,
            ),
            1,
            convene_api::pictures::PICTURE_LIMIT,
            (
                "a size in bytes",
                "use a number above 0, such as 10485760 (10 MiB)",
            ),
        )?;
        let avatar_limit: usize = whole_number(
            "avatar-limit",
            number(
                serve.and_then(|a| a.avatar_limit.clone()),
                file.avatar_limit,
            ),
            1,
            convene_api::pictures::AVATAR_LIMIT,
            (
                "a size in bytes",
                "use a number above 0, such as 2097152 (2 MiB)",
            ),
        )?;
        let defaults = HttpLimits::default();
        let http_limits = HttpLimits {
            upload_limit: picture_limit.max(avatar_limit).saturating_add(1024 * 1024),
            body_limit: whole_number(
                "body-limit",
                number(serve.and_then(|a| a.body_limit.clone()), file.body_limit),
                1,
                defaults.body_limit,
                (
                    "a size in bytes",
                    "use a number above 0, such as 1048576 (1 MiB)",
                ),
            )?,
            request_timeout: Duration::from_secs(whole_number(
                "request-timeout",
                number(
                    serve.and_then(|a| a.request_timeout.clone()),
                    file.request_timeout,
                ),
                1,
                defaults.request_timeout.as_secs(),
                (
                    "a number of seconds",
                    "use a whole number above 0, such as 30",
                ),
            )?),
        };
        let defaults = Limits::default();
        let throttle = Limits {
            per_ip_per_minute: whole_number(
                "rate-limit-ip",
                number(
                    serve.and_then(|a| a.rate_limit_ip.clone()),
                    file.rate_limit_ip,
                ),
                0,
                defaults.per_ip_per_minute,
                (
                    "a number of attempts",
                    "use attempts per minute, such as 10, or 0 for no limit",
                ),
            )?,
            per_account_per_hour: whole_number(
                "rate-limit-account",
                number(
                    serve.and_then(|a| a.rate_limit_account.clone()),
                    file.rate_limit_account,
                ),
                0,
                defaults.per_account_per_hour,
                (
                    "a number of attempts",
                    "use attempts per hour, such as 30, or 0 for no limit",
                ),
            )?,
            login_delay_max: Duration::from_secs(whole_number(
                "login-delay-max",
                number(
                    serve.and_then(|a| a.login_delay_max.clone()),
                    file.login_delay_max,
                ),
                0,
                defaults.login_delay_max.as_secs(),
                (
                    "a number of seconds",
                    "use a whole number of seconds, such as 60, or 0 for no wait",
                ),
            )?),
        };
        let defaults = HashingLimits::default();
        let hashing = HashingLimits {
            workers: whole_number(
                "password-hashers",
                number(
                    serve.and_then(|a| a.password_hashers.clone()),
                    file.password_hashers,
                ),
                1,
                defaults.workers,
                (
                    "a number of hashers",
                    "use a whole number above 0, such as the number of cores",
                ),
            )?,
            queue: whole_number(
                "password-hash-queue",
                number(
                    serve.and_then(|a| a.password_hash_queue.clone()),
                    file.password_hash_queue,
                ),
                0,
                defaults.queue,
                (
                    "a number of waiting hashes",
                    "use a whole number, such as 64 (0: none waits)",
                ),
            )?,
        };
        let trusted_proxies = serve
            .and_then(|a| a.trusted_proxies.clone())
            .or(file.trusted_proxies)
            .unwrap_or_else(|| {
                DEFAULT_TRUSTED_PROXIES
                    .split(',')
                    .map(String::from)
                    .collect()
            })
            .iter()
            .map(|text| text.trim())
            .filter(|text| !text.is_empty())
            .map(|text| match parse_network(text) {
                Some(network) => Ok(network),
                None => bail!(
                    "--trusted-proxies `{text}` is not an address or network: use addresses or \
                     networks such as 127.0.0.0/8,::1/128,10.0.0.5, separated by commas"
                ),
            })
            .collect::<anyhow::Result<Vec<_>>>()?;
        let seconds = |option: &str, text: Option<String>, default: Duration| {
            whole_number(
                option,
                text,
                1,
                default.as_secs(),
                (
                    "a number of seconds",
                    "use a whole number above 0, such as 10",
                ),
            )
            .map(Duration::from_secs)
        };
        let database_timeout = seconds(
            "database-timeout",
            number(cli.database_timeout.clone(), file.database_timeout),
            DEFAULT_DATABASE_TIMEOUT,
        )?;
        let defaults = ConnectionLimits::default();
        let connections = ConnectionLimits {
            max_connections: whole_number(
                "max-connections",
                number(
                    serve.and_then(|a| a.max_connections.clone()),
                    file.max_connections,
                ),
                1,
                defaults.max_connections,
                (
                    "a number of connections",
                    "use a whole number above 0, such as 4096",
                ),
            )?,
            max_per_ip: whole_number(
                "max-connections-per-ip",
                number(
                    serve.and_then(|a| a.max_connections_per_ip.clone()),
                    file.max_connections_per_ip,
                ),
                1,
                defaults.max_per_ip,
                (
                    "a number of connections",
                    "use a whole number above 0, such as 64",
                ),
            )?,
            header_timeout: seconds(
                "header-timeout",
                number(
                    serve.and_then(|a| a.header_timeout.clone()),
                    file.header_timeout,
                ),
                defaults.header_timeout,
            )?,
            keep_alive_timeout: seconds(
                "keep-alive-timeout",
                number(
                    serve.and_then(|a| a.keep_alive_timeout.clone()),
                    file.keep_alive_timeout,
                ),
                defaults.keep_alive_timeout,
            )?,
        };
        // Longer than a delivery may take (the client gives up after 10 s), or one would be
        // sent twice at once.
        let delivery_lease = Duration::from_secs(whole_number(
            "delivery-lease",
            number(
                serve.and_then(|a| a.delivery_lease.clone()),
                file.delivery_lease,
            ),
            15,
            WorkerConfig::default().lease.as_secs(),
            (
                "a number of seconds",
                "use a whole number of 15 or more, such as 60",
            ),
        )?);
        Ok(Self {
            database_url,
            data_dir: cli
                .data_dir
                .clone()
                .or(file.data_dir)
                .unwrap_or_else(|| PathBuf::from("./data")),
            listen,
            public_url,
            log: cli.log.clone().or(file.log),
            registrations,
            group_creation,
            anonymous_reports: serve
                .and_then(|a| a.anonymous_reports)
                .or(file.anonymous_reports)
                .unwrap_or(false),
            publish_domain_decisions: serve
                .and_then(|a| a.publish_domain_decisions)
                .or(file.publish_domain_decisions)
                .unwrap_or(false),
            link_services,
            geocoder,
            tiles,
            favicon: serve.and_then(|a| a.favicon.clone()).or(file.favicon),
            logo: serve.and_then(|a| a.logo.clone()).or(file.logo),
            federation_test_network: serve.is_some_and(|a| a.federation_test_network),
            link_previews: !serve.is_some_and(|a| a.no_link_previews),
            smtp_url: serve.and_then(|a| a.smtp_url.clone()).or(file.smtp_url),
            mail_from,
            http_limits,
            picture_limit,
            avatar_limit,
            throttle,
            trusted_proxies,
            hashing,
            database_timeout,
            connections,
            delivery_lease,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(args: &[&str]) -> anyhow::Result<Settings> {
        let mut argv = vec!["convene"];
        argv.extend_from_slice(args);
        Settings::resolve(&Cli::try_parse_from(argv)?)
    }

    #[test]
    fn defaults_are_the_embedded_database_on_loopback() -> anyhow::Result<()> {
        let s = settings(&["--database-url", DEFAULT_DATABASE_URL, "serve"])?;
        assert_eq!(s.listen.to_string(), DEFAULT_LISTEN);
        assert_eq!(s.public_url, "http://127.0.0.1:8080");
        Ok(())
    }

    #[test]
    fn the_file_fills_what_the_command_line_leaves_out() -> anyhow::Result<()> {
        let folder = tempfile::tempdir()?;
        let path = folder.path().join("convene.toml");
        std::fs::write(
            &path,
            "listen = \"127.0.0.1:9000\"\npublic_url = \"https://events.example/\"\n",
        )?;
        let config = path.to_string_lossy().to_string();
        let s = settings(&[
            "--database-url",
            "sqlite://x.db",
            "--config",
            &config,
            "serve",
        ])?;
        assert_eq!(s.listen.to_string(), "127.0.0.1:9000");
        assert_eq!(s.public_url, "https://events.example");
        let s = settings(&[
            "--database-url",
            "sqlite://x.db",
            "--config",
            &config,
            "serve",
            "--listen",
            "127.0.0.1:9001",
        ])?;
        assert_eq!(
            s.listen.to_string(),
            "127.0.0.1:9001",
            "the command line wins"
        );
        Ok(())
    }

    #[test]
    fn link_services_come_from_the_command_line_or_the_file_and_must_be_web_addresses(
    ) -> anyhow::Result<()> {
        let folder = tempfile::tempdir()?;
        let path = folder.path().join("convene.toml");
        std::fs::write(
            &path,
            "pad_service = \"https://pad.example.org/p/\"\nvisio_service = \"https://meet.example.org/\"\n",
        )?;
        let config = path.to_string_lossy().to_string();
        let base = [
            "--database-url",
            "sqlite://x.db",
            "--config",
            &config,
            "serve",
        ];
        let s = settings(&base)?;
        assert_eq!(
            s.link_services,
            LinkServices {
                pad: Some("https://pad.example.org/p/".into()),
                calc: None,
                visio: Some("https://meet.example.org/".into()),
            }
        );
        let mut args = base.to_vec();
        args.extend(["--pad-service", "https://other.example/pad/"]);
        args.extend(["--calc-service", "https://calc.example.org/"]);
        let s = settings(&args)?;
        assert_eq!(
            s.link_services.pad.as_deref(),
            Some("https://other.example/pad/")
        );
        assert_eq!(
            s.link_services.calc.as_deref(),
            Some("https://calc.example.org/")
        );
        let mut args = base.to_vec();
        args.extend(["--calc-service", "calc.example.org"]);
        let error = settings(&args)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(
            error.contains("--calc-service `calc.example.org` is not an http(s) address"),
            "{error}"
        );
        let s = settings(&["--database-url", "sqlite://x.db", "serve"])?;
        assert_eq!(s.link_services, LinkServices::default());
        Ok(())
    }

    #[test]
    fn maps_need_a_tile_url_and_its_attribution() -> anyhow::Result<()> {
        let base = ["--database-url", "sqlite://x.db", "serve"];
        assert!(settings(&base)?.tiles.is_none());
        let mut args = base.to_vec();
        args.extend(["--tile-url", "https://tiles.example.org/{z}/{x}/{y}.png"]);
        args.extend(["--tile-attribution", "© OpenStreetMap contributors"]);
        let tiles = settings(&args)?.tiles.expect("tiles");
        assert_eq!(tiles.origin(), "https://tiles.example.org");
        assert_eq!(tiles.attribution, "© OpenStreetMap contributors");
        for (bad, said) in [
            (
                vec!["--tile-url", "https://tiles.example.org/{z}/{x}/{y}.png"],
                "--tile-url https://tiles.example.org/{z}/{x}/{y}.png needs --tile-attribution",
            ),
            (
                vec!["--tile-attribution", "© OpenStreetMap contributors"],
                "--tile-attribution needs --tile-url",
            ),
            (
                vec!["--tile-url", "tiles.example.org", "--tile-attribution", "x"],
                "--tile-url `tiles.example.org` is not a tile address",
            ),
        ] {
            let mut args = base.to_vec();
            args.extend(bad);
            let error = settings(&args)
                .err()
                .map(|e| e.to_string())
                .unwrap_or_default();
            assert!(error.contains(said), "{error}");
        }
        Ok(())
    }

    #[test]
    fn the_geocoder_is_off_unless_a_url_is_given() -> anyhow::Result<()> {
        let base = ["--database-url", "sqlite://x.db", "serve"];
        assert!(settings(&base)?.geocoder.is_none());
        let mut args = base.to_vec();
        args.extend(["--geocoder-url", "http://127.0.0.1:7070"]);
        let s = settings(&args)?;
        let geocoder = s.geocoder.expect("a geocoder");
        assert_eq!(geocoder.service, Service::Nominatim);
        assert_eq!(geocoder.timeout, Duration::from_secs(5));
        assert!(geocoder.user_agent.contains(&s.public_url));
        args.extend(["--geocoder", "photon", "--geocoder-timeout", "2"]);
        let geocoder = settings(&args)?.geocoder.expect("a geocoder");
        assert_eq!(
            (geocoder.service, geocoder.timeout),
            (Service::Photon, Duration::from_secs(2))
        );
        for (bad, said) in [
            (
                vec!["--geocoder", "addok"],
                "--geocoder addok needs --geocoder-url",
            ),
            (
                vec![
                    "--geocoder-url",
                    "http://127.0.0.1:7070",
                    "--geocoder",
                    "google",
                ],
                "`google` is not a geocoder",
            ),
            (
                vec!["--geocoder-url", "nominatim"],
                "--geocoder-url `nominatim` is not an http(s) address",
            ),
            (
                vec![
                    "--geocoder-url",
                    "http://127.0.0.1:7070",
                    "--geocoder-timeout",
                    "600",
                ],
                "--geocoder-timeout `600`",
            ),
        ] {
            let mut args = base.to_vec();
            args.extend(bad);
            let error = settings(&args)
                .err()
                .map(|e| e.to_string())
                .unwrap_or_default();
            assert!(error.contains(said), "{error}");
        }
        Ok(())
    }

    #[test]
    fn bad_options_are_named_with_the_fix() {
        let error = |args: &[&str]| {
            settings(args)
                .err()
                .map(|e| e.to_string())
                .unwrap_or_default()
        };
        assert!(error(&["--database-url", "mysql://x", "migrate"])
            .contains("use sqlite://PATH or postgres://"));
        assert!(error(&[
            "--database-url",
            "sqlite://x.db",
            "serve",
            "--listen",
            "localhost"
        ])
        .contains("use IP:PORT"));
        assert!(error(&[
            "--database-url",
            "sqlite://x.db",
            "serve",
            "--public-url",
            "events.example"
        ])
        .contains("must start with http"));
    }

    #[test]
    fn password_hashing_and_the_login_delay_come_from_the_command_line_or_the_file(
    ) -> anyhow::Result<()> {
        let s = settings(&["serve"])?;
        assert_eq!(s.hashing.queue, 64);
        assert!(s.hashing.workers >= 1);
        assert_eq!(s.throttle.login_delay_max, Duration::from_secs(60));
        let s = settings(&[
            "serve",
            "--password-hashers",
            "3",
            "--password-hash-queue",
            "0",
            "--login-delay-max",
            "0",
        ])?;
        assert_eq!((s.hashing.workers, s.hashing.queue), (3, 0));
        assert_eq!(s.throttle.login_delay_max, Duration::ZERO);
        let error = settings(&["serve", "--password-hashers", "0"])
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert_eq!(
            error,
            "--password-hashers `0` is not a number of hashers: use a whole number above 0, such as the number of cores"
        );
        Ok(())
    }

    #[test]
    fn http_limits_and_rate_limits_default_to_a_real_instance() -> anyhow::Result<()> {
        let s = settings(&["--database-url", "sqlite://x.db", "serve"])?;
        assert_eq!(s.http_limits.body_limit, 1_048_576);
        assert_eq!(s.http_limits.request_timeout, Duration::from_secs(30));
        assert_eq!((s.picture_limit, s.avatar_limit), (10_485_760, 2_097_152));
        assert_eq!(s.http_limits.upload_limit, 11 * 1_048_576);
        assert_eq!(s.throttle.per_ip_per_minute, 10);
        assert_eq!(s.throttle.per_account_per_hour, 30);
        assert_eq!(
            s.trusted_proxies,
            convene_api::http::client_ip::default_trusted_proxies()
        );
        assert_eq!(s.connections, ConnectionLimits::default());
        assert_eq!(s.connections.max_connections, 4096);
        assert_eq!(s.connections.max_per_ip, 64);
        assert_eq!(s.connections.header_timeout, Duration::from_secs(10));
        assert_eq!(s.connections.keep_alive_timeout, Duration::from_secs(5));
        assert_eq!(s.database_timeout, Duration::from_secs(10));
        assert_eq!(s.delivery_lease, Duration::from_secs(60));
        Ok(())
    }

    #[test]
    fn connection_limits_and_the_database_timeout_come_from_the_command_line_or_the_file(
    ) -> anyhow::Result<()> {
        let s = settings(&[
            "--database-url",
            "sqlite://x.db",
            "--database-timeout",
            "3",
            "serve",
            "--max-connections",
            "100",
            "--max-connections-per-ip",
            "8",
            "--header-timeout",
            "4",
            "--keep-alive-timeout",
            "2",
            "--delivery-lease",
            "20",
        ])?;
        assert_eq!(s.database_timeout, Duration::from_secs(3));
        assert_eq!(s.delivery_lease, Duration::from_secs(20));
        let expected = ConnectionLimits {
            max_connections: 100,
            max_per_ip: 8,
            header_timeout: Duration::from_secs(4),
            keep_alive_timeout: Duration::from_secs(2),
        };
        assert_eq!(s.connections, expected);
        let folder = tempfile::tempdir()?;
        let path = folder.path().join("convene.toml");
        std::fs::write(
            &path,
            "database_timeout = 3\nmax_connections = 100\nmax_connections_per_ip = \"8\"\n\
             header_timeout = 4\nkeep_alive_timeout = 2\ndelivery_lease = 20\n",
        )?;
        let config = path.to_string_lossy().to_string();
        let s = settings(&[
            "--database-url",
            "sqlite://x.db",
            "--config",
            &config,
            "serve",
        ])?;
        assert_eq!(s.database_timeout, Duration::from_secs(3));
        assert_eq!(s.connections, expected);
        assert_eq!(s.delivery_lease, Duration::from_secs(20));
        Ok(())
    }

    #[test]
    fn http_limits_and_rate_limits_come_from_the_command_line_or_the_file() -> anyhow::Result<()> {
        let s = settings(&[
            "--database-url",
            "sqlite://x.db",
            "serve",
            "--body-limit",
            "2097152",
            "--request-timeout",
            "5",
            "--rate-limit-ip",
            "0",
            "--rate-limit-account",
            "100",
            "--trusted-proxies",
            "10.0.0.0/8, fd00::/8,192.0.2.7",
            "--picture-limit",
            "20971520",
            "--avatar-limit",
            "1048576",
        ])?;
        assert_eq!(s.http_limits.body_limit, 2_097_152);
        assert_eq!((s.picture_limit, s.avatar_limit), (20_971_520, 1_048_576));
        assert_eq!(s.http_limits.upload_limit, 21 * 1_048_576);
        assert_eq!(s.http_limits.request_timeout, Duration::from_secs(5));
        assert_eq!(s.throttle.per_ip_per_minute, 0);
        assert_eq!(s.throttle.per_account_per_hour, 100);
        let expected: Vec<IpNet> = ["10.0.0.0/8", "fd00::/8", "192.0.2.7/32"]
            .iter()
            .filter_map(|n| n.parse().ok())
            .collect();
        assert_eq!(s.trusted_proxies, expected);
        let none = settings(&[
            "--database-url",
            "sqlite://x.db",
            "serve",
            "--trusted-proxies",
            "",
        ])?;
        assert!(none.trusted_proxies.is_empty(), "an empty list trusts none");

        let folder = tempfile::tempdir()?;
        let path = folder.path().join("convene.toml");
        std::fs::write(
            &path,
            "body_limit = 65536\nrequest_timeout = \"10\"\nrate_limit_ip = 3\n\
             rate_limit_account = 0\ntrusted_proxies = [\"172.16.0.0/12\"]\n",
        )?;
        let config = path.to_string_lossy().to_string();
        let s = settings(&[
            "--database-url",
            "sqlite://x.db",
            "--config",
            &config,
            "serve",
        ])?;
        assert_eq!(s.http_limits.body_limit, 65_536);
        assert_eq!(s.http_limits.request_timeout, Duration::from_secs(10));
        assert_eq!(s.throttle.per_ip_per_minute, 3);
        assert_eq!(s.throttle.per_account_per_hour, 0);
        assert_eq!(s.trusted_proxies, vec!["172.16.0.0/12".parse::<IpNet>()?]);
        let s = settings(&[
            "--database-url",
            "sqlite://x.db",
            "--config",
            &config,
            "serve",
            "--rate-limit-ip",
            "7",
        ])?;
        assert_eq!(s.throttle.per_ip_per_minute, 7, "the command line wins");
        assert_eq!(s.http_limits.body_limit, 65_536);
        Ok(())
    }

    #[test]
    fn bad_limits_are_named_with_the_fix() -> anyhow::Result<()> {
        let error = |option: &str, value: &str| {
            // `--option=value`, so that a negative number is not taken for an option.
            let argument = format!("{option}={value}");
            settings(&["--database-url", "sqlite://x.db", "serve", &argument])
                .err()
                .map(|e| e.to_string())
                .unwrap_or_default()
        };
        for (option, value, fix) in [
            ("--body-limit", "1MB", "such as 1048576"),
            ("--body-limit", "0", "use a number above 0"),
            ("--body-limit", "-5", "use a number above 0"),
            ("--picture-limit", "10MB", "such as 10485760"),
            ("--avatar-limit", "0", "such as 2097152"),
            ("--request-timeout", "0", "such as 30"),
            ("--request-timeout", "1.5", "use a whole number"),
            ("--rate-limit-ip", "ten", "or 0 for no limit"),
            ("--rate-limit-account", "-1", "attempts per hour"),
            ("--rate-limit-account", "99999999999", "attempts per hour"),
            ("--trusted-proxies", "proxy.example", "such as 127.0.0.0/8"),
            ("--trusted-proxies", "10.0.0.0/33", "such as 127.0.0.0/8"),
            ("--max-connections", "0", "such as 4096"),
            ("--max-connections-per-ip", "many", "such as 64"),
            ("--header-timeout", "0", "such as 10"),
            ("--keep-alive-timeout", "2s", "such as 10"),
            ("--database-timeout", "0", "such as 10"),
            ("--delivery-lease", "10", "of 15 or more"),
        ] {
            let message = error(option, value);
            assert!(
                message.starts_with(&format!("{option} `{value}` is not")) && message.contains(fix),
                "{option} {value}: {message}"
            );
            assert!(!message.contains('\n'), "one line: {message}");
        }
        let folder = tempfile::tempdir()?;
        let path = folder.path().join("convene.toml");
        std::fs::write(&path, "body_limit = -1\n")?;
        let config = path.to_string_lossy().to_string();
        let message = settings(&[
            "--database-url",
            "sqlite://x.db",
            "--config",
            &config,
            "serve",
        ])
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
        assert!(
            message.contains("--body-limit `-1` is not a size in bytes"),
            "{message}"
        );
        Ok(())
    }

    #[test]
    fn unknown_keys_in_the_file_are_refused() -> anyhow::Result<()> {
        let folder = tempfile::tempdir()?;
        let path = folder.path().join("convene.toml");
        std::fs::write(&path, "listn = \"127.0.0.1:9000\"\n")?;
        let config = path.to_string_lossy().to_string();
        let error = settings(&["--config", &config, "migrate"])
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(error.contains("unknown field `listn`"), "{error}");
        Ok(())
    }
}
