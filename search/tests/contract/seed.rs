//! The events every backend is searched in: public ones to find, and ones never to find.

use convene_domain::event::details::Visibility;
use convene_domain::event::details::{Address, EventDetails, EventOptions, EventStatus, JoinMode};
use convene_domain::event::GroupLink;
use convene_domain::event::RemoteOrigin;
use convene_domain::group::{GroupDetails, GroupPatch, GroupVisibility, Openness};
use convene_domain::moderation::{
    AccountAction, ContentAction, Decision, GroupAction, ProfileAction,
};
use convene_domain::remote_domain::DomainAction;
use convene_domain::{
    Account, AccountCommand, Actor, Event, EventCommand, Metadata, Profile, ProfileCommand, Role,
    Source,
};
use convene_domain::{Group, GroupActor, GroupCommand, RemoteDomain, RemoteDomainCommand};
use convene_projections::{Commands, Database};
use time::{Duration, OffsetDateTime};

pub const PARIS: (f64, f64) = (48.8566, 2.3522);

/// A point `km` kilometres due east of `from`, on the sphere.
pub fn east_of(from: (f64, f64), km: f64) -> (f64, f64) {
    let d = km / 6_371.0;
    let (lat, lon) = (from.0.to_radians(), from.1.to_radians());
    let lat2 = (lat.sin() * d.cos()).asin();
    let lon2 = lon + (d.sin() * lat.cos()).atan2(d.cos() - lat.sin() * lat2.sin());
    (lat2.to_degrees(), lon2.to_degrees())
}

/// The start of the seeded calendar: every event begins `days` after it.
pub fn day(days: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(2_000_000_000).expect("a time") + Duration::days(days)
}

pub struct Seed {
    pub title: &'static str,
    pub description: &'static str,
    pub days: i64,
    pub place: Option<(f64, f64)>,
    pub online: bool,
    pub category: &'static str,
    pub tags: &'static [&'static str],
    pub visibility: Visibility,
    pub hide_count: bool,
}

impl Seed {
    pub fn new(title: &'static str, days: i64) -> Self {
        Self {
            title,
            description: "",
            days,
            place: None,
            online: false,
            category: "MEETING",
            tags: &[],
            visibility: Visibility::Public,
            hide_count: false,
        }
    }

    fn details(&self) -> EventDetails {
        EventDetails {
            description_source: None,
            remote_picture: None,
            title: self.title.into(),
            description: format!("<p>{}</p>", self.description),
            begins_at: day(self.days),
            ends_at: Some(day(self.days) + Duration::hours(2)),
            time_zone: "Europe/Paris".into(),
            status: EventStatus::Confirmed,
            visibility: self.visibility,
            join_mode: JoinMode::Free,
            external_url: None,
            capacity: None,
            address: self.place.map(|(lat, lon)| Address {
                name: Some("Town hall".into()),
                locality: Some("Paris".into()),
                latitude: Some(lat),
                longitude: Some(lon),
                ..Address::default()
            }),
            online_url: self.online.then(|| "https://visio.example/room".into()),
            category: self.category.into(),
            tags: self.tags.iter().map(|t| t.to_string()).collect(),
            language: "en".into(),
            links: vec![],
            options: EventOptions {
                hide_participant_count: self.hide_count,
                ..EventOptions::default()
            },
        }
    }
}

pub fn local() -> Metadata {
    Metadata::now(Actor::System, Source::Cli, "seed")
}

pub fn remote() -> Metadata {
    Metadata::now(
        Actor::Remote {
            actor: "https://remote.example/@climate".into(),
        },
        Source::Federation {
            activity: "https://remote.example/activities/1".into(),
        },
        "seed",
    )
}

pub struct Log {
    commands: Commands<Event>,
}

impl Log {
    pub fn new(db: &Database) -> Self {
        Self {
            commands: Commands::new(db, ()),
        }
    }

    pub async fn run(&self, id: &str, command: EventCommand, metadata: &Metadata) {
        self.commands
            .execute(id, command, metadata)
            .await
            .unwrap_or_else(|e| panic!("{id}: {e}"));
    }

    pub async fn create(&self, id: &str, seed: &Seed, draft: bool, metadata: &Metadata) {
        let command = EventCommand::Create {
            organiser: "organiser".into(),
            creator_participation: format!("{id}-organiser"),
            details: seed.details(),
            draft,
        };
        self.run(id, command, metadata).await;
    }

    /// An event organised by group `group` (created by its member `member`).
    /// An event organised by `name` on another instance, `host`, as the inbox records it.
    pub async fn import(&self, id: &str, seed: &Seed, name: &str, host: &str) {
        let actor = format!("https://{host}/@{name}");
        let origin = RemoteOrigin {
            object: format!("https://{host}/events/{id}"),
            actor: actor.clone(),
            actor_handle: format!("{name}@{host}"),
            actor_name: None,
            url: format!("https://{host}/events/{id}"),
            inbox: None,
        };
        let metadata = Metadata::now(
            Actor::Remote { actor },
            Source::Federation {
                activity: format!("https://{host}/activities/{id}"),
            },
            "seed",
        );
        let command = EventCommand::Import {
            origin,
            details: seed.details(),
            group: None,
        };
        self.run(id, command, &metadata).await;
    }

    pub async fn create_for_group(&self, id: &str, seed: &Seed, member: &str, group: GroupLink) {
        let command = EventCommand::CreateForGroup {
            organiser: member.into(),
            creator_participation: format!("{id}-{member}"),
            details: seed.details(),
            draft: false,
            group,
        };
        self.run(id, command, &local()).await;
    }

    pub async fn join(&self, id: &str, profile: &str) {
        let command = EventCommand::Join {
            participation: format!("{id}-{profile}"),
            profile: profile.into(),
            message: None,
        };
        self.run(id, command, &local()).await;
    }

    pub async fn by_organiser(&self, id: &str, command: fn(String) -> EventCommand) {
        self.run(id, command("organiser".into()), &local()).await;
    }

    /// An event created by profile `profile` rather than the usual organiser.
    pub async fn create_by(&self, id: &str, seed: &Seed, profile: &str) {
        let command = EventCommand::Create {
            organiser: profile.into(),
            creator_participation: format!("{id}-{profile}"),
            details: seed.details(),
            draft: false,
        };
        self.run(id, command, &local()).await;
    }

    /// A moderator's decision on event `id`.
    pub async fn moderate(&self, id: &str, action: ContentAction) {
        let command = EventCommand::Moderate {
            action,
            decision: decision(),
        };
        self.run(id, command, &local()).await;
    }
}

fn decision() -> Decision {
    Decision::plain("moderator", "breaks the rules")
}

/// Local profiles and their accounts, and moderators' decisions on them.
pub struct People {
    profiles: Commands<Profile>,
    accounts: Commands<Account>,
}

impl People {
    pub fn new(db: &Database) -> Self {
        Self {
            profiles: Commands::new(db, ()),
            accounts: Commands::new(db, ()),
        }
    }

    /// Profile `username` of a new account `account`.
    pub async fn profile(&self, username: &str, account: &str) {
        let register = AccountCommand::Register {
            email: format!("{username}@example.org"),
            password_hash: "not a hash".into(),
            locale: "en".into(),
            role: Role::User,
            confirmation: None,
            application: None,
        };
        self.accounts
            .execute(account, register, &local())
            .await
            .unwrap_or_else(|e| panic!("{account}: {e}"));
        let create = ProfileCommand::Create {
            username: username.into(),
            display_name: None,
            account: Some(account.into()),
        };
        self.profiles
            .execute(username, create, &local())
            .await
            .unwrap_or_else(|e| panic!("{username}: {e}"));
    }

    pub async fn moderate_profile(&self, username: &str, action: ProfileAction) {
        let command = ProfileCommand::Moderate {
            action,
            decision: decision(),
        };
        self.profiles
            .execute(username, command, &local())
            .await
            .unwrap_or_else(|e| panic!("{username}: {e}"));
    }

    pub async fn moderate_account(&self, account: &str, action: AccountAction) {
        let command = AccountCommand::Moderate {
            action,
            decision: decision(),
        };
        self.accounts
            .execute(account, command, &local())
            .await
            .unwrap_or_else(|e| panic!("{account}: {e}"));
    }
}

/// Appends the contract's events. Ids say what each is for.
pub async fn seed(db: &Database) {
    let log = Log::new(db);
    let paris_9km = east_of(PARIS, 9.0);
    let public = [
        // First, without a place: the first document written holds no coordinates.
        (
            "solar-workshop",
            Seed {
                description: "Learn to build solar panels, from home",
                online: true,
                category: "SCIENCE_TECH",
                tags: &["energy"],
                ..Seed::new("Solar panels workshop", 50)
            },
        ),
        (
            "climate-march",
            Seed {
                description: "We walk for the climate from the town hall",
                place: Some(PARIS),
                category: "MOVEMENTS_POLITICS",
                tags: &["climate", "walk"],
                ..Seed::new("Climate march", 10)
            },
        ),
        (
            "fete",
            Seed {
                description: "Music in every street",
                place: Some((45.764, 4.8357)),
                category: "MUSIC",
                tags: &["music"],
                ..Seed::new("Fête de la musique", 20)
            },
        ),
        (
            "repair-cafe",
            Seed {
                description: "Bring what is broken: we fix it together",
                place: Some(paris_9km),
                category: "COMMUNITY",
                tags: &["repair"],
                ..Seed::new("Repair café", 30)
            },
        ),
        (
            "hidden-count",
            Seed {
                description: "A quiet gathering",
                hide_count: true,
                ..Seed::new("Quiet gathering", 60)
            },
        ),
        (
            "cancelled-picnic",
            Seed {
                place: Some(PARIS),
                ..Seed::new("Picnic in the park", 15)
            },
        ),
    ];
    for (id, seed) in &public {
        log.create(id, seed, false, &local()).await;
    }
    log.join("hidden-count", "alice").await;
    log.join("climate-march", "alice").await;
    log.join("climate-march", "bob").await;
    log.by_organiser("cancelled-picnic", |by| EventCommand::Cancel { by })
        .await;
    // A remote event enters through the domain with its origin.
    let barbecue = Seed {
        description: "Grilled vegetables in Berlin",
        place: Some((52.52, 13.405)),
        category: "FOOD_DRINK",
        tags: &["food"],
        ..Seed::new("Vegan barbecue", 40)
    };
    log.create("vegan-barbecue", &barbecue, false, &remote())
        .await;
    // Published after being a draft: found.
    let later = Seed::new("Climate film night", 70);
    log.create("published-draft", &later, true, &local()).await;
    log.by_organiser("published-draft", |by| EventCommand::Publish { by })
        .await;
    // Never found.
    let never = [
        ("draft", Seed::new("Climate draft meeting", 11), true),
        (
            "private",
            Seed {
                visibility: Visibility::Private,
                ..Seed::new("Climate private dinner", 12)
            },
            false,
        ),
        (
            "unlisted",
            Seed {
                visibility: Visibility::Unlisted,
                ..Seed::new("Climate unlisted walk", 13)
            },
            false,
        ),
        ("deleted", Seed::new("Climate deleted talk", 14), false),
    ];
    for (id, seed, draft) in &never {
        log.create(id, seed, *draft, &local()).await;
    }
    log.by_organiser("deleted", |by| EventCommand::Delete { by })
        .await;
    let group =
        |members_only, hide_organiser| GroupLink::here("bikekitchen", members_only, hide_organiser);
    log.create_for_group(
        "members-only",
        &Seed::new("Climate members-only meeting", 70),
        "organiser",
        group(true, false),
    )
    .await;
    // Shown as the group's: the member who created it is not searchable through it.
    log.create_for_group(
        "group-evening",
        &Seed::new("Tandem evening", 71),
        "hiddenmember",
        group(false, true),
    )
    .await;
    // Organised by groups the moderators suspend: one stays suspended, one is lifted.
    for (id, title, handle) in [
        (
            "suspended-group",
            "Climate picnic of a suspended group",
            "suspended_group",
        ),
        ("unsuspended-group", "Climate picnic", "unsuspended_group"),
    ] {
        let link = GroupLink::here(handle, false, false);
        log.create_for_group(id, &Seed::new(title, 87), "organiser", link)
            .await;
    }
    moderated(db, &log).await;
    groups(db).await;
    // Many alike, for pages.
    for n in 0..25 {
        let id = format!("series-{n:02}");
        log.create(
            &id,
            &Seed::new("Series meetup", 100 + n % 7),
            false,
            &local(),
        )
        .await;
    }
}

/// Moderators' decisions: on events, and on the profiles and accounts organising them; the
/// reversed ones bring their events back.
async fn moderated(db: &Database, log: &Log) {
    let people = People::new(db);
    for (username, account) in [
        ("mallory", "account-mallory"),
        ("trudy", "account-trudy"),
        ("peggy", "account-peggy"),
        ("victor", "account-victor"),
    ] {
        people.profile(username, account).await;
    }
    log.create_by(
        "suspended-organiser",
        &Seed::new("Climate talk by a suspended profile", 80),
        "mallory",
    )
    .await;
    log.create_by(
        "suspended-account",
        &Seed::new("Climate talk of a suspended account", 81),
        "trudy",
    )
    .await;
    log.create_by(
        "unsuspended-organiser",
        &Seed::new("Climate quiz", 82),
        "peggy",
    )
    .await;
    log.create_by(
        "unsuspended-account",
        &Seed::new("Climate choir", 83),
        "victor",
    )
    .await;
    for (id, title) in [
        ("hidden-by-moderators", "Climate hidden rally"),
        ("removed-by-moderators", "Climate removed rally"),
        ("unhidden", "Climate bike ride"),
        ("restored", "Climate swap shop"),
    ] {
        log.create(id, &Seed::new(title, 84), false, &local()).await;
    }
    people
        .moderate_profile("mallory", ProfileAction::Suspend)
        .await;
    people
        .moderate_account("account-trudy", AccountAction::Suspend)
        .await;
    people
        .moderate_profile("peggy", ProfileAction::Suspend)
        .await;
    people
        .moderate_account("account-victor", AccountAction::Suspend)
        .await;
    log.moderate("hidden-by-moderators", ContentAction::Hide)
        .await;
    log.moderate("removed-by-moderators", ContentAction::Remove)
        .await;
    log.moderate("unhidden", ContentAction::Hide).await;
    log.moderate("restored", ContentAction::Remove).await;
    // Reversed: found again.
    people
        .moderate_profile("peggy", ProfileAction::Unsuspend)
        .await;
    people
        .moderate_account("account-victor", AccountAction::Unsuspend)
        .await;
    log.moderate("unhidden", ContentAction::Unhide).await;
    log.moderate("restored", ContentAction::Restore).await;
    domains(db, log).await;
}

/// Administrators' decisions on other instances' domains: a suspended domain's events and a
/// limited one's are never found; a lifted decision brings them back.
async fn domains(db: &Database, log: &Log) {
    log.import(
        "suspended-domain",
        &Seed::new("Climate offer from a spam instance", 85),
        "spam",
        "events.spam.example",
    )
    .await;
    log.import(
        "limited-domain",
        &Seed::new("Climate noise from a limited instance", 86),
        "noise",
        "limited.example",
    )
    .await;
    log.import(
        "lifted-domain",
        &Seed::new("Climate tool library", 87),
        "calm",
        "calm.example",
    )
    .await;
    let commands: Commands<RemoteDomain> = Commands::new(db, ());
    for (domain, action) in [
        ("spam.example", DomainAction::Suspend),
        ("limited.example", DomainAction::Limit),
        ("calm.example", DomainAction::Suspend),
        ("calm.example", DomainAction::Lift),
    ] {
        let command = RemoteDomainCommand::Moderate {
            action,
            decision: decision(),
            public_comment: None,
        };
        commands
            .execute(domain, command, &local())
            .await
            .unwrap_or_else(|e| panic!("{domain}: {e}"));
    }
}

/// Groups: public ones found by their name, summary and place, unlisted ones never.
async fn groups(db: &Database) {
    let commands: Commands<Group> = Commands::new(db, ());
    let run = |handle: &'static str, command: GroupCommand| {
        let commands = &commands;
        async move {
            commands
                .execute(handle, command, &local())
                .await
                .unwrap_or_else(|e| panic!("{handle}: {e}"));
        }
    };
    let place = |(lat, lon): (f64, f64), locality: &str| Address {
        locality: Some(locality.into()),
        latitude: Some(lat),
        longitude: Some(lon),
        ..Address::default()
    };
    let paris_9km = east_of(PARIS, 9.0);
    let groups = [
        (
            "repair_collective",
            "Repair collective",
            "We fix bikes and toasters together",
            Some(place(paris_9km, "Montreuil")),
            GroupVisibility::Public,
        ),
        (
            "climate_network",
            "Climate network",
            "Marches and talks for the climate",
            Some(place((45.764, 4.8357), "Lyon")),
            GroupVisibility::Public,
        ),
        (
            "fetes",
            "Comité des fêtes",
            "Le village en musique",
            None,
            GroupVisibility::Public,
        ),
        (
            "secret_circle",
            "Climate secret circle",
            "Only by its address",
            None,
            GroupVisibility::Unlisted,
        ),
        (
            "turned_unlisted",
            "Climate walkers",
            "Listed once",
            None,
            GroupVisibility::Public,
        ),
        (
            "turned_public",
            "Climate cyclists",
            "Unlisted once",
            None,
            GroupVisibility::Unlisted,
        ),
        (
            "suspended_group",
            "Climate spammers",
            "Suspended by the moderators",
            None,
            GroupVisibility::Public,
        ),
        (
            "unsuspended_group",
            "Climate gardeners",
            "Suspended, then lifted",
            None,
            GroupVisibility::Public,
        ),
    ];
    for (handle, name, summary, address, visibility) in groups {
        let mut details = GroupDetails::named(name);
        details.summary = format!("<p>{summary}</p>");
        details.address = address;
        details.visibility = visibility;
        details.openness = Openness::Open;
        let creator = GroupActor::profile("organiser");
        run(
            handle,
            GroupCommand::Create {
                handle: handle.into(),
                creator,
                details,
            },
        )
        .await;
    }
    // Three members in the climate network, one in the others.
    for who in ["alice", "bob"] {
        let join = GroupCommand::Join {
            who: GroupActor::profile(who),
            message: None,
        };
        run("climate_network", join).await;
    }
    for (handle, visibility) in [
        ("turned_unlisted", GroupVisibility::Unlisted),
        ("turned_public", GroupVisibility::Public),
    ] {
        let patch = GroupPatch {
            visibility: Some(visibility),
            ..GroupPatch::default()
        };
        run(
            handle,
            GroupCommand::Update {
                by: GroupActor::profile("organiser"),
                patch,
            },
        )
        .await;
    }
    // Suspended groups are never found, nor their events; a lifted suspension brings both back.
    let moderate = |action| GroupCommand::Moderate {
        action,
        decision: decision(),
    };
    run("suspended_group", moderate(GroupAction::Suspend)).await;
    run("unsuspended_group", moderate(GroupAction::Suspend)).await;
    run("unsuspended_group", moderate(GroupAction::Unsuspend)).await;
}

/// How many groups everyone may find.
pub const GROUPS_FINDABLE: usize = 5;

/// How many events everyone may find.
pub const FINDABLE: usize = 40;

/// Ids of the events no search may ever return.
pub const NEVER: [&str; 12] = [
    "draft",
    "private",
    "unlisted",
    "deleted",
    "members-only",
    "hidden-by-moderators",
    "removed-by-moderators",
    "suspended-organiser",
    "suspended-account",
    "suspended-group",
    "suspended-domain",
    "limited-domain",
];

/// Events found again once moderators reversed their decision.
pub const REVERSED: [&str; 6] = [
    "unsuspended-organiser",
    "unsuspended-account",
    "unsuspended-group",
    "unhidden",
    "restored",
    "lifted-domain",
];
