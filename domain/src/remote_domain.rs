//! Another instance's domain, as this instance's administrators treat it. A domain decision
//! never deletes anything: a **suspended** domain's activities are refused, nothing is delivered
//! to it and the events and comments it sent are shown to nobody but moderators (its
//! participations keep their seats); a **limited** one still federates
//! but its content stays out of public listings and search. Follows, participations and
//! comments stay recorded, so lifting the decision brings everything back as it was.
//!
//! Beside suspending or limiting, administrators may **reject its media** (the pictures of its
//! events are not shown here) and **reject its reports** (the `Flag`s it sends are not filed);
//! each is decided and lifted on its own.
//!
//! Administrators may also **remove everything it sent** (each event and comment gets its own
//! removal, kept when a suspension is lifted) and restore what that removed; the domain's log
//! records each such decision with its counts.
//!
//! A decision on `example.org` covers its subdomains and every port; one on `host:port` (an
//! instance on a test network) covers that address only.

use crate::moderation::{BulkContentAction, ContentCounts, Decision};
use crate::remote_actor::content_already;
use crate::validation::FieldError;
use cqrs_es::event_sink::EventSink;
use cqrs_es::{Aggregate, DomainEvent};
use serde::{Deserialize, Serialize};

pub use crate::moderation::PUBLIC_COMMENT_MAX;

/// What administrators decide on a domain.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum DomainAction {
    /// Activities refused, nothing delivered, its content shown to moderators only.
    Suspend,
    /// Still federating; its content out of public listings and search.
    Limit,
    /// The suspension or limit lifted: back to federating as any other domain.
    Lift,
    /// The pictures of its events and profiles not shown here.
    RejectMedia,
    /// Its pictures shown again.
    AcceptMedia,
    /// The reports it sends (`Flag`) not filed.
    RejectReports,
    /// Its reports filed again.
    AcceptReports,
}

/// What a domain decision beside suspending and limiting refuses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Policy {
    RejectMedia,
    RejectReports,
}

impl Policy {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::RejectMedia => "reject_media",
            Self::RejectReports => "reject_reports",
        }
    }
}

impl DomainAction {
    pub fn change_name(self) -> &'static str {
        match self {
            Self::Suspend => "DomainSuspended",
            Self::Limit => "DomainLimited",
            Self::Lift => "DomainLifted",
            Self::RejectMedia => "DomainMediaRejected",
            Self::AcceptMedia => "DomainMediaAccepted",
            Self::RejectReports => "DomainReportsRejected",
            Self::AcceptReports => "DomainReportsAccepted",
        }
    }

    /// The action undoing this one, for those that can end by themselves.
    pub fn reversal(self) -> Option<Self> {
        match self {
            Self::Suspend | Self::Limit => Some(Self::Lift),
            Self::RejectMedia => Some(Self::AcceptMedia),
            Self::RejectReports => Some(Self::AcceptReports),
            Self::Lift | Self::AcceptMedia | Self::AcceptReports => None,
        }
    }

    /// The policy this action sets (`Some((policy, true))`) or lifts (`false`); none for a
    /// suspension, a limit or lifting them.
    pub fn policy(self) -> Option<(Policy, bool)> {
        match self {
            Self::RejectMedia => Some((Policy::RejectMedia, true)),
            Self::AcceptMedia => Some((Policy::RejectMedia, false)),
            Self::RejectReports => Some((Policy::RejectReports, true)),
            Self::AcceptReports => Some((Policy::RejectReports, false)),
            Self::Suspend | Self::Limit | Self::Lift => None,
        }
    }

    /// As the read models and the API write it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Suspend => "suspend",
            Self::Limit => "limit",
            Self::Lift => "lift",
            Self::RejectMedia => "reject_media",
            Self::AcceptMedia => "accept_media",
            Self::RejectReports => "reject_reports",
            Self::AcceptReports => "accept_reports",
        }
    }

    pub const ALL: [Self; 7] = [
        Self::Suspend,
        Self::Limit,
        Self::Lift,
        Self::RejectMedia,
        Self::AcceptMedia,
        Self::RejectReports,
        Self::AcceptReports,
    ];

    /// The action written `text` (as [`Self::as_str`] writes it).
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.as_str() == text)
    }
}

/// The domain as decisions name it: lowercase, punycode for international names, an optional
/// port; or the field's complaint (`field`).
pub fn normalise_domain(text: &str, field: &str) -> Result<String, FieldError> {
    let invalid = || FieldError {
        field: field.into(),
        message: "a domain name such as mobilizon.example, or host:port".into(),
    };
    let text = text.trim().trim_end_matches('.');
    if text.is_empty() || text.contains(['/', '@', '?', '#', ' ']) {
        return Err(invalid());
    }
    let url = url::Url::parse(&format!("https://{text}")).map_err(|_| invalid())?;
    let host = match url.host() {
        Some(url::Host::Domain(name)) if name.contains('.') || name == "localhost" => {
            name.to_string()
        }
        Some(url::Host::Ipv4(ip)) => ip.to_string(),
        Some(url::Host::Ipv6(ip)) => format!("[{ip}]"),
        _ => return Err(invalid()),
    };
    if !url.username().is_empty() || url.path() != "/" {
        return Err(invalid());
    }
    Ok(match url.port() {
        Some(port) => format!("{host}:{port}"),
        None => host,
    })
}

/// Whether a decision on `domain` (as [`normalise_domain`] writes it) covers `host`, an
/// address written `name` or `name:port`.
pub fn covers(domain: &str, host: &str) -> bool {
    // `bad.example.` is `bad.example` to DNS: one way of writing each host.
    let host = host.to_ascii_lowercase().replace(".:", ":");
    let host = host.trim_end_matches('.');
    if domain.contains(':') && !domain.ends_with(']') {
        return host == domain;
    }
    let name = match host.rsplit_once(':') {
        Some((name, port)) if !name.ends_with(':') && port.bytes().all(|b| b.is_ascii_digit()) => {
            name
        }
        _ => host,
    };
    name == domain || name.ends_with(&format!(".{domain}"))
}

/// What can be asked of a domain.
#[derive(Debug, Clone, PartialEq)]
pub enum RemoteDomainCommand {
    /// An administrator's decision, with a comment for the public list of moderated domains.
    Moderate {
        action: DomainAction,
        decision: Decision,
        public_comment: Option<String>,
    },
    /// Records a decision on everything the domain sent, once its events and comments were
    /// each decided on (`counts`); the caller did those.
    RecordContent {
        action: BulkContentAction,
        decision: Decision,
        counts: ContentCounts,
    },
}

/// What happened to a domain. Stored forever: add variants and defaulted fields, never rename.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum RemoteDomainChange {
    Moderated {
        action: DomainAction,
        decision: Decision,
        #[serde(default)]
        public_comment: Option<String>,
    },
    ContentDecided {
        action: BulkContentAction,
        decision: Decision,
        counts: ContentCounts,
    },
}

impl DomainEvent for RemoteDomainChange {
    fn event_type(&self) -> String {
        match self {
            Self::Moderated { action, .. } => action.change_name().to_string(),
            Self::ContentDecided { action, .. } => match action {
                BulkContentAction::RemoveContent => "DomainContentRemoved",
                BulkContentAction::RestoreContent => "DomainContentRestored",
            }
            .to_string(),
        }
    }

    fn event_version(&self) -> String {
        "1".to_string()
    }
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum RemoteDomainError {
    #[error("some fields are invalid")]
    Invalid(Vec<FieldError>),
    #[error("{0}")]
    AlreadyDecided(&'static str),
}

/// Where the decisions leave a domain: `None` when it federates as any other, and the
/// policies in force beside.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub struct RemoteDomain {
    in_force: Option<DomainAction>,
    #[serde(default)]
    policies: std::collections::BTreeSet<Policy>,
    /// Whether the last decision on everything it sent removed it.
    #[serde(default)]
    content_removed: bool,
}

impl RemoteDomain {
    pub fn in_force(&self) -> Option<DomainAction> {
        self.in_force
    }

    pub fn has(&self, policy: Policy) -> bool {
        self.policies.contains(&policy)
    }
}

impl Aggregate for RemoteDomain {
    const TYPE: &'static str = "Domain";
    type Command = RemoteDomainCommand;
    type Event = RemoteDomainChange;
    type Error = RemoteDomainError;
    type Services = ();

    async fn handle(
        &mut self,
        command: Self::Command,
        _services: &Self::Services,
        sink: &EventSink<Self>,
    ) -> Result<(), Self::Error> {
        let (action, decision, public_comment) = match command {
            RemoteDomainCommand::Moderate {
                action,
                decision,
                public_comment,
            } => (action, decision, public_comment),
            RemoteDomainCommand::RecordContent {
                action,
                decision,
                counts,
            } => {
                if let Some(already) = content_already(action, self.content_removed, &counts) {
                    return Err(RemoteDomainError::AlreadyDecided(already));
                }
                let change = RemoteDomainChange::ContentDecided {
                    action,
                    decision,
                    counts,
                };
                sink.write(change, self).await;
                return Ok(());
            }
        };
        let already = match (action.policy(), action, self.in_force) {
            (Some((policy, set)), ..) if set == self.has(policy) => Some(match (policy, set) {
                (Policy::RejectMedia, true) => "this domain's media are already rejected",
                (Policy::RejectMedia, false) => "this domain's media are not rejected",
                (Policy::RejectReports, true) => "this domain's reports are already rejected",
                (Policy::RejectReports, false) => "this domain's reports are not rejected",
            }),
            (Some(_), ..) => None,
            (None, DomainAction::Lift, None) => {
                Some("no suspension or limit is in force on this domain")
            }
            (None, DomainAction::Suspend, Some(DomainAction::Suspend)) => {
                Some("the domain is already suspended")
            }
            (None, DomainAction::Limit, Some(DomainAction::Limit)) => {
                Some("the domain is already limited")
            }
            _ => None,
        };
        if let Some(already) = already {
            return Err(RemoteDomainError::AlreadyDecided(already));
        }
        if decision.until.is_some() && action.reversal().is_none() {
            return Err(RemoteDomainError::Invalid(vec![FieldError {
                field: "until".into(),
                message: "lifting a decision does not end by itself".into(),
            }]));
        }
        let public_comment = public_comment
            .map(|c| c.trim().to_string())
            .filter(|c| !c.is_empty());
        if let Some(comment) = &public_comment {
            if comment.chars().count() > PUBLIC_COMMENT_MAX || comment.chars().any(char::is_control)
            {
                return Err(RemoteDomainError::Invalid(vec![FieldError {
                    field: "public_comment".into(),
                    message: format!(
                        "one line of at most {PUBLIC_COMMENT_MAX} characters, for everyone to read"
                    ),
                }]));
            }
        }
        sink.write(
            RemoteDomainChange::Moderated {
                action,
                decision,
                public_comment,
            },
            self,
        )
        .await;
        Ok(())
    }

    fn apply(&mut self, change: Self::Event) {
        match change {
            RemoteDomainChange::Moderated { action, .. } => match action.policy() {
                Some((policy, true)) => {
                    self.policies.insert(policy);
                }
                Some((policy, false)) => {
                    self.policies.remove(&policy);
                }
                None => self.in_force = (action != DomainAction::Lift).then_some(action),
            },
            RemoteDomainChange::ContentDecided { action, .. } => {
                self.content_removed = action == BulkContentAction::RemoveContent;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cqrs_es::test::TestFramework;

    type Test = TestFramework<RemoteDomain>;

    fn decision(until: Option<&str>) -> Decision {
        Decision {
            moderator: Some("admin".into()),
            reason: "spam wave".into(),
            report: None,
            until: until.map(String::from),
            public_comment: None,
        }
    }

    fn moderate(action: DomainAction) -> RemoteDomainCommand {
        RemoteDomainCommand::Moderate {
            action,
            decision: decision(None),
            public_comment: Some("  Spam  ".into()),
        }
    }

    fn moderated(action: DomainAction) -> RemoteDomainChange {
        RemoteDomainChange::Moderated {
            action,
            decision: decision(None),
            public_comment: Some("Spam".into()),
        }
    }

    #[test]
    fn a_domain_is_suspended_then_limited_then_lifted() {
        Test::with(())
            .given_no_previous_events()
            .when(moderate(DomainAction::Suspend))
            .then_expect_events(vec![moderated(DomainAction::Suspend)]);
        Test::with(())
            .given(vec![moderated(DomainAction::Suspend)])
            .when(moderate(DomainAction::Limit))
            .then_expect_events(vec![moderated(DomainAction::Limit)]);
        Test::with(())
            .given(vec![moderated(DomainAction::Limit)])
            .when(moderate(DomainAction::Lift))
            .then_expect_events(vec![moderated(DomainAction::Lift)]);
    }

    #[test]
    fn media_and_reports_are_rejected_and_accepted_apart_from_a_suspension() {
        Test::with(())
            .given(vec![moderated(DomainAction::Limit)])
            .when(moderate(DomainAction::RejectMedia))
            .then_expect_events(vec![moderated(DomainAction::RejectMedia)]);
        // Lifting the limit leaves the policies; accepting media leaves the limit.
        let given = vec![
            moderated(DomainAction::Limit),
            moderated(DomainAction::RejectMedia),
            moderated(DomainAction::RejectReports),
        ];
        Test::with(())
            .given(given.clone())
            .when(moderate(DomainAction::Lift))
            .then_expect_events(vec![moderated(DomainAction::Lift)]);
        Test::with(())
            .given(given.clone())
            .when(moderate(DomainAction::AcceptMedia))
            .then_expect_events(vec![moderated(DomainAction::AcceptMedia)]);
        let mut domain = RemoteDomain::default();
        for change in given.into_iter().chain([moderated(DomainAction::Lift)]) {
            domain.apply(change);
        }
        assert_eq!(domain.in_force(), None);
        assert!(domain.has(Policy::RejectMedia) && domain.has(Policy::RejectReports));
        assert_eq!(
            DomainAction::RejectReports.reversal(),
            Some(DomainAction::AcceptReports)
        );
        for action in DomainAction::ALL {
            assert_eq!(DomainAction::parse(action.as_str()), Some(action));
        }
    }

    #[test]
    fn a_decision_that_changes_nothing_is_refused() {
        for (given, action) in [
            (vec![], DomainAction::Lift),
            (
                vec![moderated(DomainAction::Suspend)],
                DomainAction::Suspend,
            ),
            (vec![moderated(DomainAction::Limit)], DomainAction::Limit),
            (
                vec![
                    moderated(DomainAction::Limit),
                    moderated(DomainAction::Lift),
                ],
                DomainAction::Lift,
            ),
            (vec![], DomainAction::AcceptMedia),
            (
                vec![moderated(DomainAction::RejectReports)],
                DomainAction::RejectReports,
            ),
            (
                vec![moderated(DomainAction::RejectMedia)],
                DomainAction::Lift,
            ),
        ] {
            let result = Test::with(())
                .given(given)
                .when(moderate(action))
                .inspect_result();
            assert!(
                matches!(result, Err(RemoteDomainError::AlreadyDecided(_))),
                "{action:?}: {result:?}"
            );
        }
    }

    #[test]
    fn lifting_does_not_end_by_itself_and_public_comments_are_one_short_line() {
        let result = Test::with(())
            .given(vec![moderated(DomainAction::Suspend)])
            .when(RemoteDomainCommand::Moderate {
                action: DomainAction::Lift,
                decision: decision(Some("2040-01-01T00:00:00.000000Z")),
                public_comment: None,
            })
            .inspect_result();
        assert!(matches!(result, Err(RemoteDomainError::Invalid(e)) if e[0].field == "until"));
        for comment in ["x".repeat(PUBLIC_COMMENT_MAX + 1), "two\nlines".into()] {
            let result = Test::with(())
                .given_no_previous_events()
                .when(RemoteDomainCommand::Moderate {
                    action: DomainAction::Suspend,
                    decision: decision(None),
                    public_comment: Some(comment),
                })
                .inspect_result();
            assert!(
                matches!(result, Err(RemoteDomainError::Invalid(e)) if e[0].field == "public_comment")
            );
        }
    }

    #[test]
    fn everything_removed_stays_apart_from_suspending_and_lifting() {
        let removed = |events| RemoteDomainChange::ContentDecided {
            action: BulkContentAction::RemoveContent,
            decision: decision(None),
            counts: ContentCounts {
                events,
                ..ContentCounts::default()
            },
        };
        let record = |action, events| RemoteDomainCommand::RecordContent {
            action,
            decision: decision(None),
            counts: ContentCounts {
                events,
                ..ContentCounts::default()
            },
        };
        let given = vec![moderated(DomainAction::Suspend), removed(3)];
        Test::with(())
            .given(given.clone())
            .when(moderate(DomainAction::Lift))
            .then_expect_events(vec![moderated(DomainAction::Lift)]);
        Test::with(())
            .given(given.clone())
            .when(record(BulkContentAction::RemoveContent, 0))
            .then_expect_error(RemoteDomainError::AlreadyDecided(
                "everything it sent is already removed",
            ));
        let mut domain = RemoteDomain::default();
        for change in given {
            domain.apply(change);
        }
        assert_eq!(domain.in_force(), Some(DomainAction::Suspend));
    }

    #[test]
    fn domains_are_written_one_way() {
        let ok = |text: &str| normalise_domain(text, "domain").expect(text);
        assert_eq!(ok("Mobilizon.Example."), "mobilizon.example");
        assert_eq!(ok(" bücher.example "), "xn--bcher-kva.example");
        assert_eq!(ok("127.0.0.1:8081"), "127.0.0.1:8081");
        assert_eq!(ok("social.example:443"), "social.example");
        assert_eq!(ok("localhost:3000"), "localhost:3000");
        for bad in [
            "",
            "https://a.example/",
            "ana@a.example",
            "a.example/path",
            "nodot",
            "a b.example",
            "a.example:99999",
        ] {
            let error = normalise_domain(bad, "domain").expect_err(bad);
            assert_eq!(error.field, "domain");
        }
    }

    #[test]
    fn a_domain_covers_its_subdomains_and_ports_and_an_address_only_itself() {
        assert!(covers("bad.example", "bad.example"));
        assert!(covers("bad.example", "events.bad.example"));
        assert!(covers("bad.example", "Events.Bad.Example:8443"));
        assert!(!covers("bad.example", "notbad.example"));
        assert!(!covers("bad.example", "bad.example.org"));
        assert!(covers("127.0.0.1:8081", "127.0.0.1:8081"));
        assert!(!covers("127.0.0.1:8081", "127.0.0.1:8082"));
        assert!(covers("127.0.0.1", "127.0.0.1:8082"));
        assert!(covers("[::1]", "[::1]:8080"));
        // A trailing dot names the same host.
        assert!(covers("bad.example", "bad.example."));
        assert!(covers("bad.example", "events.bad.example.:8443"));
    }
}
