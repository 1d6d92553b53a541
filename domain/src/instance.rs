//! The instance itself, as its administrators describe and run it: its name, description,
//! rules, terms and privacy pages, contact, languages, who may register, and whether its
//! moderation decisions are published. One aggregate ([`INSTANCE_ID`]); each change carries the
//! whole settings, so the read model is the last change and the audit trail shows what differs.
//!
//! Before any change, the instance runs on what its configuration says (the API builds those
//! defaults): the first saved settings take over from then on.

use crate::validation::{has_control, is_email, multiline, Errors, FieldError};
use cqrs_es::event_sink::EventSink;
use cqrs_es::{Aggregate, DomainEvent};
use serde::{Deserialize, Serialize};

/// The one instance aggregate's id.
pub const INSTANCE_ID: &str = "instance";

pub const NAME_MAX: usize = 100;
pub const DESCRIPTION_MAX: usize = 2_000;
pub const RULES_MAX: usize = 50;
pub const RULE_MAX: usize = 500;
/// Terms and privacy pages (Markdown), in characters.
pub const PAGE_MAX: usize = 50_000;
pub const LANGUAGES_MAX: usize = 20;
pub const ALLOWLIST_MAX: usize = 1_000;
pub const IDLE_DAYS_MAX: u16 = 365;

/// Who may register.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "mode", rename_all = "snake_case")]
pub enum Registrations {
    #[default]
    Open,
    /// Anyone may ask, saying why; a moderator approves or rejects each account.
    Approval,
    /// Only these addresses, or addresses at these domains (`example.org`), may register.
    Allowlist {
        allowed: Vec<String>,
    },
    Closed,
}

impl Registrations {
    /// Whether `email` may register (or ask to, under approval).
    pub fn allows(&self, email: &str) -> bool {
        match self {
            Registrations::Open | Registrations::Approval => true,
            Registrations::Closed => false,
            Registrations::Allowlist { allowed } => {
                let domain = email.rsplit_once('@').map_or("", |(_, d)| d);
                allowed
                    .iter()
                    .any(|a| a.eq_ignore_ascii_case(email) || a.eq_ignore_ascii_case(domain))
            }
        }
    }

    pub fn as_str(&self) -> &'static str {
        match self {
            Registrations::Open => "open",
            Registrations::Approval => "approval",
            Registrations::Allowlist { .. } => "allowlist",
            Registrations::Closed => "closed",
        }
    }
}

/// Whether the public transparency log is published, and with the moderators' names or not.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Transparency {
    #[default]
    Off,
    /// Decisions published without who made them.
    Anonymous,
    /// Decisions published with the moderator's profile.
    Named,
}

impl Transparency {
    pub fn as_str(self) -> &'static str {
        match self {
            Transparency::Off => "off",
            Transparency::Anonymous => "anonymous",
            Transparency::Named => "named",
        }
    }
}

/// One rule of the instance. Its id never changes and is never given to another rule, so a
/// report naming rule 3 names the same rule after the list is edited.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Rule {
    pub id: u32,
    pub text: String,
}

/// The instance's settings. Stored forever: add defaulted fields, never rename.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct InstanceSettings {
    /// Empty: pages and federation name the instance by its host.
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub rules: Vec<Rule>,
    /// The terms of use, in Markdown.
    #[serde(default)]
    pub terms: String,
    /// The privacy policy, in Markdown.
    #[serde(default)]
    pub privacy: String,
    /// An address people can write to (empty: none published).
    #[serde(default)]
    pub contact: String,
    /// Languages spoken here (ISO 639 codes such as `en`, `fr`).
    #[serde(default)]
    pub languages: Vec<String>,
    #[serde(default)]
    pub registrations: Registrations,
    /// While registrations are open, they switch to approval by themselves when no moderator
    /// or administrator has changed anything for this many days (none: never).
    #[serde(default)]
    pub approval_after_idle_days: Option<u16>,
    #[serde(default)]
    pub transparency: Transparency,
}

/// A rule as an administrator submits it: an existing rule keeps its id; one without is new.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RuleInput {
    #[serde(default)]
    pub id: Option<u32>,
    pub text: String,
}

/// The settings as an administrator submits them: every field replaces the one in force (a
/// missing one is empty). A rule keeps its `id`; a rule without one is new.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(default, deny_unknown_fields)]
pub struct SettingsInput {
    /// At most 100 characters; empty: the instance is named by its host.
    pub name: String,
    /// At most 2,000 characters.
    pub description: String,
    /// At most 50 rules of at most 500 characters each.
    pub rules: Vec<RuleInput>,
    /// The terms of use, in Markdown (at most 50,000 characters).
    pub terms: String,
    /// The privacy policy, in Markdown (at most 50,000 characters).
    pub privacy: String,
    /// An email address people can write to.
    pub contact: String,
    /// ISO 639 codes such as `en` and `fr`.
    pub languages: Vec<String>,
    pub registrations: Registrations,
    /// With open registrations: switch to approval when no moderator or administrator changed
    /// anything for this many days (1 to 365; none: never).
    pub approval_after_idle_days: Option<u16>,
    pub transparency: Transparency,
}

/// What can be asked of the instance.
#[derive(Debug, Clone, PartialEq)]
pub enum InstanceCommand {
    /// An administrator's new settings; `current` is what the instance runs on now (its
    /// configuration's defaults before the first change), which new rule ids follow.
    ChangeSettings {
        input: SettingsInput,
        current: InstanceSettings,
    },
    /// Registrations were open while no moderator acted for `idle_days` (the last change by
    /// one was at `last_activity`): the instance asks for approval from now on.
    SwitchToApproval {
        current: InstanceSettings,
        idle_days: u16,
        last_activity: String,
    },
}

/// What happened to the instance. Stored forever: add variants and defaulted fields, never
/// rename.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum InstanceChange {
    SettingsChanged {
        settings: InstanceSettings,
    },
    RegistrationsSwitchedToApproval {
        settings: InstanceSettings,
        idle_days: u16,
        last_activity: String,
    },
}

impl InstanceChange {
    /// The settings from this change on.
    pub fn settings(&self) -> &InstanceSettings {
        match self {
            Self::SettingsChanged { settings }
            | Self::RegistrationsSwitchedToApproval { settings, .. } => settings,
        }
    }
}

impl DomainEvent for InstanceChange {
    fn event_type(&self) -> String {
        match self {
            Self::SettingsChanged { .. } => "InstanceSettingsChanged",
            Self::RegistrationsSwitchedToApproval { .. } => {
                "InstanceRegistrationsSwitchedToApproval"
            }
        }
        .to_string()
    }

    fn event_version(&self) -> String {
        "1".to_string()
    }
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum InstanceError {
    #[error("some fields are invalid")]
    Invalid(Vec<FieldError>),
}

/// The instance as its changes leave it.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub struct Instance {
    settings: Option<InstanceSettings>,
    /// The highest rule id ever given, so that a removed rule's id is never reused.
    last_rule_id: u32,
}

impl Instance {
    pub fn settings(&self) -> Option<&InstanceSettings> {
        self.settings.as_ref()
    }
}

fn single_line(errors: &mut Errors, field: &str, text: &str, max: usize, required: bool) {
    let length = text.chars().count();
    if required && length == 0 {
        errors.add(field, "required");
    } else if length > max {
        errors.add(
            field,
            format!("at most {max} characters (this is {length})"),
        );
    }
    errors.check(
        !has_control(text),
        field,
        "a single line, without control characters",
    );
}

fn long_text(errors: &mut Errors, field: &str, text: &str, max: usize) {
    let length = text.chars().count();
    errors.check(
        length <= max,
        field,
        format!("at most {max} characters (this is {length})"),
    );
}

/// The settings `input` asks for, rule ids given, or every field at fault. `last_rule_id` is
/// the highest id ever given (a new rule gets the next); `current` the rules in force.
pub fn settle(
    input: SettingsInput,
    current: &[Rule],
    last_rule_id: u32,
) -> Result<InstanceSettings, Vec<FieldError>> {
    let mut errors = Errors::default();
    let name = input.name.trim().to_string();
    single_line(&mut errors, "name", &name, NAME_MAX, false);
    let description = multiline(input.description.trim());
    long_text(&mut errors, "description", &description, DESCRIPTION_MAX);
    let terms = multiline(input.terms.trim());
    long_text(&mut errors, "terms", &terms, PAGE_MAX);
    let privacy = multiline(input.privacy.trim());
    long_text(&mut errors, "privacy", &privacy, PAGE_MAX);
    let contact = input.contact.trim().to_string();
    errors.check(
        contact.is_empty() || is_email(&contact),
        "contact",
        "an email address such as moderation@example.org, or nothing",
    );

    let mut rules = Vec::new();
    let mut next = last_rule_id;
    let kept: Vec<&RuleInput> = input
        .rules
        .iter()
        .filter(|r| !r.text.trim().is_empty())
        .collect();
    errors.check(
        kept.len() <= RULES_MAX,
        "rules",
        format!("at most {RULES_MAX} rules"),
    );
    for (i, rule) in kept.into_iter().enumerate() {
        let field = format!("rules[{i}].text");
        let text = rule.text.trim().to_string();
        single_line(&mut errors, &field, &text, RULE_MAX, true);
        let id = match rule.id {
            Some(id) if current.iter().any(|r| r.id == id) => {
                if rules.iter().any(|r: &Rule| r.id == id) {
                    errors.add(
                        format!("rules[{i}].id"),
                        format!("rule {id} is given twice"),
                    );
                }
                id
            }
            Some(id) => {
                errors.add(
                    format!("rules[{i}].id"),
                    format!("there is no rule {id}: leave the id out for a new rule"),
                );
                id
            }
            None => {
                next += 1;
                next
            }
        };
        rules.push(Rule { id, text });
    }

    let mut languages: Vec<String> = Vec::new();
    for code in &input.languages {
        let code = code.trim().to_ascii_lowercase();
        if code.is_empty() || languages.contains(&code) {
            continue;
        }
        let valid = (2..=3).contains(&code.len()) && code.bytes().all(|b| b.is_ascii_lowercase());
        errors.check(
            valid,
            "languages",
            format!("`{code}` is not a language code: two or three letters, such as en or fr"),
        );
        languages.push(code);
    }
    errors.check(
        languages.len() <= LANGUAGES_MAX,
        "languages",
        format!("at most {LANGUAGES_MAX} languages"),
    );

    let registrations = match input.registrations {
        Registrations::Allowlist { allowed } => {
            let allowed: Vec<String> = allowed
                .iter()
                .map(|a| a.trim().to_ascii_lowercase())
                .filter(|a| !a.is_empty())
                .collect();
            errors.check(
                !allowed.is_empty(),
                "registrations.allowed",
                "name the addresses or domains that may register",
            );
            errors.check(
                allowed.len() <= ALLOWLIST_MAX,
                "registrations.allowed",
                format!("at most {ALLOWLIST_MAX} addresses or domains"),
            );
            for entry in &allowed {
                let plausible = if entry.contains('@') {
                    is_email(entry)
                } else {
                    entry.contains('.') && !entry.chars().any(|c| c.is_whitespace() || c == '/')
                };
                errors.check(
                    plausible,
                    "registrations.allowed",
                    format!("`{entry}` is neither an address nor a domain such as example.org"),
                );
            }
            Registrations::Allowlist { allowed }
        }
        other => other,
    };
    if let Some(days) = input.approval_after_idle_days {
        errors.check(
            (1..=IDLE_DAYS_MAX).contains(&days),
            "approval_after_idle_days",
            format!("between 1 and {IDLE_DAYS_MAX} days, or nothing for never"),
        );
    }
    errors.finish(InstanceSettings {
        name,
        description,
        rules,
        terms,
        privacy,
        contact,
        languages,
        registrations,
        approval_after_idle_days: input.approval_after_idle_days,
        transparency: input.transparency,
    })
}

impl Aggregate for Instance {
    const TYPE: &'static str = "Instance";
    type Command = InstanceCommand;
    type Event = InstanceChange;
    type Error = InstanceError;
    type Services = ();

    async fn handle(
        &mut self,
        command: Self::Command,
        _services: &Self::Services,
        sink: &EventSink<Self>,
    ) -> Result<(), Self::Error> {
        let change = match command {
            InstanceCommand::ChangeSettings { input, current } => {
                let current = self.settings.clone().unwrap_or(current);
                let last_rule_id = self
                    .last_rule_id
                    .max(current.rules.iter().map(|r| r.id).max().unwrap_or(0));
                let settings =
                    settle(input, &current.rules, last_rule_id).map_err(InstanceError::Invalid)?;
                if self.settings.as_ref() == Some(&settings) {
                    return Ok(());
                }
                InstanceChange::SettingsChanged { settings }
            }
            InstanceCommand::SwitchToApproval {
                current,
                idle_days,
                last_activity,
            } => {
                let mut settings = self.settings.clone().unwrap_or(current);
                if settings.registrations != Registrations::Open {
                    return Ok(());
                }
                settings.registrations = Registrations::Approval;
                InstanceChange::RegistrationsSwitchedToApproval {
                    settings,
                    idle_days,
                    last_activity,
                }
            }
        };
        sink.write(change, self).await;
        Ok(())
    }

    fn apply(&mut self, change: Self::Event) {
        let settings = change.settings().clone();
        if let Some(highest) = settings.rules.iter().map(|r| r.id).max() {
            self.last_rule_id = self.last_rule_id.max(highest);
        }
        self.settings = Some(settings);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cqrs_es::test::TestFramework;

    type Test = TestFramework<Instance>;

    fn input() -> SettingsInput {
        SettingsInput {
            name: "Repair café".into(),
            description: "Fix things together.".into(),
            rules: vec![
                RuleInput {
                    id: None,
                    text: "Be kind".into(),
                },
                RuleInput {
                    id: None,
                    text: "No ads".into(),
                },
            ],
            terms: String::new(),
            privacy: String::new(),
            contact: "hello@repair.example".into(),
            languages: vec!["fr".into(), "EN".into(), "fr".into()],
            registrations: Registrations::Open,
            approval_after_idle_days: Some(7),
            transparency: Transparency::Off,
        }
    }

    fn saved() -> InstanceSettings {
        settle(input(), &[], 0).expect("valid settings")
    }

    #[test]
    fn new_rules_are_numbered_and_languages_normalised() {
        let settings = saved();
        assert_eq!(
            settings.rules,
            vec![
                Rule {
                    id: 1,
                    text: "Be kind".into()
                },
                Rule {
                    id: 2,
                    text: "No ads".into()
                }
            ]
        );
        assert_eq!(settings.languages, vec!["fr", "en"]);
    }

    #[test]
    fn a_removed_rule_s_id_is_never_given_again() {
        let mut changed = input();
        changed.rules = vec![
            RuleInput {
                id: Some(2),
                text: "No ads, no spam".into(),
            },
            RuleInput {
                id: None,
                text: "Speak French or English".into(),
            },
        ];
        let expected = InstanceSettings {
            rules: vec![
                Rule {
                    id: 2,
                    text: "No ads, no spam".into(),
                },
                Rule {
                    id: 3,
                    text: "Speak French or English".into(),
                },
            ],
            ..saved()
        };
        Test::with(())
            .given(vec![InstanceChange::SettingsChanged { settings: saved() }])
            .when(InstanceCommand::ChangeSettings {
                input: changed,
                current: InstanceSettings::default(),
            })
            .then_expect_events(vec![InstanceChange::SettingsChanged { settings: expected }]);
    }

    #[test]
    fn saving_the_same_settings_again_changes_nothing() {
        Test::with(())
            .given(vec![InstanceChange::SettingsChanged { settings: saved() }])
            .when(InstanceCommand::ChangeSettings {
                input: SettingsInput {
                    rules: vec![
                        RuleInput {
                            id: Some(1),
                            text: "Be kind".into(),
                        },
                        RuleInput {
                            id: Some(2),
                            text: " No ads ".into(),
                        },
                    ],
                    ..input()
                },
                current: InstanceSettings::default(),
            })
            .then_expect_events(vec![]);
    }

    #[test]
    fn bad_settings_name_each_field() {
        let bad = SettingsInput {
            name: "x".repeat(NAME_MAX + 1),
            contact: "not an address".into(),
            languages: vec!["français".into()],
            rules: vec![RuleInput {
                id: Some(9),
                text: "Unknown".into(),
            }],
            registrations: Registrations::Allowlist { allowed: vec![] },
            approval_after_idle_days: Some(0),
            ..input()
        };
        let fields: Vec<String> = settle(bad, &[], 0)
            .expect_err("invalid settings")
            .into_iter()
            .map(|e| e.field)
            .collect();
        assert_eq!(
            fields,
            [
                "name",
                "contact",
                "rules[0].id",
                "languages",
                "registrations.allowed",
                "approval_after_idle_days"
            ]
        );
    }

    #[test]
    fn only_open_registrations_switch_to_approval() {
        let switch = |current: InstanceSettings| InstanceCommand::SwitchToApproval {
            current,
            idle_days: 7,
            last_activity: "2026-01-01T00:00:00.000000Z".into(),
        };
        let open = saved();
        Test::with(())
            .given_no_previous_events()
            .when(switch(open.clone()))
            .then_expect_events(vec![InstanceChange::RegistrationsSwitchedToApproval {
                settings: InstanceSettings {
                    registrations: Registrations::Approval,
                    ..open
                },
                idle_days: 7,
                last_activity: "2026-01-01T00:00:00.000000Z".into(),
            }]);
        let closed = InstanceSettings {
            registrations: Registrations::Closed,
            ..saved()
        };
        Test::with(())
            .given(vec![InstanceChange::SettingsChanged { settings: closed }])
            .when(switch(saved()))
            .then_expect_events(vec![]);
    }

    #[test]
    fn an_allowlist_takes_addresses_and_domains() {
        let list = Registrations::Allowlist {
            allowed: vec!["example.org".into(), "zoe@other.net".into()],
        };
        assert!(list.allows("ana@example.org"));
        assert!(list.allows("zoe@other.net"));
        assert!(!list.allows("bob@other.net"));
        assert!(!Registrations::Closed.allows("ana@example.org"));
        assert!(Registrations::Approval.allows("ana@example.org"));
    }
}
