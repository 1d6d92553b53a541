//! The mails about an account itself — confirming an address, a password reset, an address
//! change, failed logins, a registration's approval or rejection — in the account's language,
//! and the links of a participation without an account, in the event's language,
//! each with a plain-text and an HTML part. The texts are in `api/mail/{lang}.toml`. Each goes
//! through the notifications' mail outbox ([`send`]), so none is lost when the mail server is
//! down.

use crate::mail::{escape, MailError, Outgoing};
use crate::AppState;
use convene_projections::account_mails;
use std::collections::HashMap;
use std::sync::OnceLock;

/// Which mail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccountMail {
    Confirm,
    AlreadyRegistered,
    FailedLogins,
    Reset,
    NewAddress,
    AddressMayChange,
    RegistrationApproved,
    RegistrationRejected,
    /// The links confirming and cancelling a participation without an account.
    Participation,
}

impl AccountMail {
    pub const ALL: [AccountMail; 9] = [
        AccountMail::Confirm,
        AccountMail::AlreadyRegistered,
        AccountMail::FailedLogins,
        AccountMail::Reset,
        AccountMail::NewAddress,
        AccountMail::AddressMayChange,
        AccountMail::RegistrationApproved,
        AccountMail::RegistrationRejected,
        AccountMail::Participation,
    ];

    /// The mail called `key` (as [`AccountMail::key`] names it).
    pub fn parse(key: &str) -> Option<AccountMail> {
        AccountMail::ALL.into_iter().find(|m| m.key() == key)
    }

    pub fn key(self) -> &'static str {
        match self {
            AccountMail::Confirm => "confirm",
            AccountMail::AlreadyRegistered => "already_registered",
            AccountMail::FailedLogins => "failed_logins",
            AccountMail::Reset => "reset",
            AccountMail::NewAddress => "new_address",
            AccountMail::AddressMayChange => "address_may_change",
            AccountMail::RegistrationApproved => "registration_approved",
            AccountMail::RegistrationRejected => "registration_rejected",
            AccountMail::Participation => "participation",
        }
    }
}

#[derive(serde::Deserialize)]
struct Template {
    subject: String,
    text: String,
}

type Catalogue = HashMap<String, Template>;

const SOURCES: [(&str, &str); 2] = [
    ("en", include_str!("../mail/en.toml")),
    ("fr", include_str!("../mail/fr.toml")),
];

fn catalogues() -> &'static HashMap<&'static str, Catalogue> {
    static CATALOGUES: OnceLock<HashMap<&'static str, Catalogue>> = OnceLock::new();
    CATALOGUES.get_or_init(|| {
        SOURCES
            .iter()
            .map(|(lang, source)| {
                let catalogue = toml::from_str(source)
                    .unwrap_or_else(|e| panic!("api/mail/{lang}.toml does not read: {e}"));
                (*lang, catalogue)
            })
            .collect()
    })
}

/// `mail` to `to` in `lang` (English when there is none in that language), with each `{name}`
/// of the template replaced by its value.
pub fn compose(mail: AccountMail, lang: &str, to: &str, values: &[(&str, &str)]) -> Outgoing {
    let catalogues = catalogues();
    let template = catalogues
        .get(lang)
        .or_else(|| catalogues.get("en"))
        .and_then(|c| c.get(mail.key()))
        .or_else(|| catalogues.get("en").and_then(|c| c.get(mail.key())))
        .expect("every account mail has an English template");
    let fill = |template: &str| {
        values
            .iter()
            .fold(template.to_string(), |out, (name, value)| {
                out.replace(&format!("{{{name}}}"), value)
            })
    };
    let text = fill(&template.text);
    Outgoing {
        to: to.to_string(),
        subject: fill(&template.subject),
        html: html_of(&text),
        text,
        unsubscribe: None,
        message_id: None,
    }
}

/// How long the request that wrote a mail keeps it from the notifications sender while it
/// tries it once (the sender's own lease).
const CLAIM_SECONDS: i64 = 300;

/// Composes and sends `mail` durably: written first to the notifications' mail outbox (what
/// composing it again needs, its values only until it is sent), then tried at once. A refusal
/// that may pass (the server is down, a 4xx) leaves it to the notifications sender's retries,
/// as does a process that dies before it knows the outcome; never a digest, never turned off.
/// The request it follows has succeeded either way: a failure is logged.
pub async fn send(
    state: &AppState,
    mail: AccountMail,
    lang: &str,
    to: &str,
    values: &[(&str, &str)],
) {
    if let Err(error) = send_durably(state, mail, lang, to, values).await {
        tracing::error!(%error, mail = mail.key(), "an account mail could not be kept to send");
    }
}

async fn send_durably(
    state: &AppState,
    mail: AccountMail,
    lang: &str,
    to: &str,
    values: &[(&str, &str)],
) -> Result<(), convene_projections::Error> {
    let pool = state.db.pool();
    let id = uuid::Uuid::new_v4().to_string();
    let now = time::OffsetDateTime::now_utc();
    let created_at = convene_domain::metadata::format_timestamp(now);
    let now = now.unix_timestamp();
    account_mails::queue(
        pool,
        &id,
        mail.key(),
        lang,
        to,
        values,
        now + CLAIM_SECONDS,
        &created_at,
    )
    .await?;
    let outgoing = Outgoing {
        message_id: Some(crate::mail::message_id(&id, &state.config.public_url)),
        ..compose(mail, lang, to, values)
    };
    match state.config.mailer.send_mail(&outgoing).await {
        Ok(()) => {
            let at = convene_domain::metadata::format_timestamp(time::OffsetDateTime::now_utc());
            account_mails::sent(pool, &id, &at).await
        }
        Err(MailError::Send(reason)) => {
            tracing::info!(%reason, mail = mail.key(), "an account mail was refused for now; the outbox tries again");
            account_mails::retry_at(pool, &id, now, &reason).await
        }
        Err(error) => {
            tracing::warn!(%error, mail = mail.key(), "an account mail failed");
            account_mails::failed(pool, &id, &error.to_string()).await
        }
    }
}

/// The HTML part of a plain text: a paragraph per blank line, its line breaks kept, each
/// `http(s)://` address a link.
fn html_of(text: &str) -> String {
    let link = |word: &str| {
        if word.starts_with("https://") || word.starts_with("http://") {
            let href = escape(word);
            format!("<a href=\"{href}\">{href}</a>")
        } else {
            escape(word)
        }
    };
    text.split("\n\n")
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|paragraph| {
            let lines: Vec<String> = paragraph
                .lines()
                .map(|line| line.split(' ').map(link).collect::<Vec<_>>().join(" "))
                .collect();
            format!("<p>{}</p>", lines.join("<br>"))
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_language_has_every_mail_and_every_placeholder_is_filled() {
        let values = [
            ("link", "https://convene.example/confirm-email?token=abc"),
            ("base", "https://convene.example"),
            ("token", "abc"),
            ("email", "new@example.org"),
            ("count", "10"),
            ("title", "Soup night"),
            (
                "cancel",
                "https://convene.example/participations/cancel?token=def",
            ),
        ];
        for (lang, _) in SOURCES {
            let catalogue = &catalogues()[lang];
            assert_eq!(
                catalogue.len(),
                AccountMail::ALL.len(),
                "{lang}: extra keys"
            );
            for mail in AccountMail::ALL {
                assert!(catalogue.contains_key(mail.key()), "{lang}: {mail:?}");
                let out = compose(mail, lang, "ana@example.org", &values);
                for part in [&out.subject, &out.text, &out.html] {
                    assert!(!part.contains('{'), "{lang} {mail:?}: {part}");
                }
            }
        }
    }

    #[test]
    fn the_html_part_keeps_paragraphs_and_links_and_escapes_the_rest() {
        let out = compose(
            AccountMail::Confirm,
            "fr",
            "ana@example.org",
            &[("link", "https://convene.example/confirm-email?token=a&b")],
        );
        assert_eq!(out.subject, "Confirmez votre adresse électronique");
        assert!(out.text.contains("Bienvenue sur Convene !"), "{}", out.text);
        assert!(
            out.html.contains(
                "<p><a href=\"https://convene.example/confirm-email?token=a&amp;b\">\
                 https://convene.example/confirm-email?token=a&amp;b</a></p>"
            ),
            "{}",
            out.html
        );
        assert_eq!(out.html.matches("<p>").count(), 4, "{}", out.html);
        // A language without the mails falls back to English.
        let out = compose(AccountMail::Confirm, "de", "ana@example.org", &[]);
        assert_eq!(out.subject, "Confirm your email address");
    }
}
