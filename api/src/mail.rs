//! Outgoing email: through SMTP when configured, otherwise written as `.eml` files into a folder
//! (and logged), so a small instance works without a mail server and tests read what was sent.

use lettre::message::header::{ContentTransferEncoding, ContentType, HeaderName, HeaderValue};
use lettre::message::{Body, Mailbox, MultiPart, SinglePart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncFileTransport, AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum MailError {
    #[error("`{0}` is not a mail address")]
    Address(String),
    #[error("the mail could not be built: {0}")]
    Build(#[from] lettre::error::Error),
    #[error("the mail could not be sent: {0}")]
    Send(String),
    /// The server refused it for good (an SMTP 5xx): trying again would not help.
    #[error("the mail server refused the mail: {0}")]
    Refused(String),
    #[error(
        "`{0}` is not an SMTP URL: use smtp://user:password@host:587 (STARTTLS) or smtps://… (TLS)"
    )]
    Url(String),
}

enum Transport {
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    Files(PathBuf, AsyncFileTransport<Tokio1Executor>),
}

/// Sends the instance's mail.
pub struct Mailer {
    from: Mailbox,
    transport: Transport,
}

impl Mailer {
    /// Mail written as `.eml` files into `folder` (created with the first mail, so that a
    /// command that sends none leaves nothing behind).
    pub fn to_folder(from: &str, folder: &Path) -> Result<Self, MailError> {
        Ok(Self {
            from: mailbox(from)?,
            transport: Transport::Files(folder.to_path_buf(), AsyncFileTransport::new(folder)),
        })
    }

    /// Mail sent through the SMTP server at `url` (`smtp://` uses STARTTLS, `smtps://` TLS).
    pub fn smtp(from: &str, url: &str) -> Result<Self, MailError> {
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
            .map_err(|_| MailError::Url(url.to_string()))?;
        let parsed = url::Url::parse(url).map_err(|_| MailError::Url(url.to_string()))?;
        let transport = if parsed.username().is_empty() {
            transport
        } else {
            transport.credentials(Credentials::new(
                parsed.username().to_string(),
                parsed.password().unwrap_or_default().to_string(),
            ))
        };
        Ok(Self {
            from: mailbox(from)?,
            transport: Transport::Smtp(transport.build()),
        })
    }
}

/// A message with a plain-text and an HTML part and, for mail people may stop, the headers of
/// RFC 2369 and RFC 8058 one-click unsubscription.
#[derive(Debug, Clone)]
pub struct Outgoing {
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: String,
    /// An HTTPS (or HTTP) URL that stops this kind of mail when POSTed to.
    pub unsubscribe: Option<String>,
    /// The `Message-ID` of a mail kept in an outbox ([`message_id`]), the same on every attempt;
    /// `None`: a new one for each message.
    pub message_id: Option<String>,
}

/// The `Message-ID` of the outbox's mail `id` sent by the instance at `public_url`: a mail sent
/// again (its process died after the server accepted it, before the outbox recorded it) is
/// recognisably the same message.
pub fn message_id(id: &str, public_url: &str) -> String {
    let host = url::Url::parse(public_url)
        .ok()
        .and_then(|url| url.host_str().map(str::to_string))
        .unwrap_or_else(|| "localhost".into());
    format!("<{id}@{host}>")
}

impl Mailer {
    /// Sends `mail`. A permanent refusal (SMTP 5xx) is [`MailError::Refused`]; anything that may
    /// pass (4xx, a server that cannot be reached) is [`MailError::Send`].
    pub async fn send_mail(&self, mail: &Outgoing) -> Result<(), MailError> {
        let part = |content_type: ContentType, text: &str| match self.transport {
            Transport::Smtp(_) => Ok(SinglePart::builder()
                .header(content_type)
                .body(text.to_string())),
            Transport::Files(..) => {
                Body::new_with_encoding(text.to_string(), ContentTransferEncoding::Binary)
                    .map(|body| SinglePart::builder().header(content_type).body(body))
                    .map_err(|_| MailError::Send("unencodable body".into()))
            }
        };
        let mut builder = Message::builder()
            .from(self.from.clone())
            .to(mailbox(&mail.to)?)
            .subject(&mail.subject)
            .message_id(mail.message_id.clone());
        if let Some(url) = &mail.unsubscribe {
            builder = builder
                .raw_header(raw_header("List-Unsubscribe", format!("<{url}>"))?)
                .raw_header(raw_header(
                    "List-Unsubscribe-Post",
                    "List-Unsubscribe=One-Click".to_string(),
                )?);
        }
        let message = builder.multipart(
            MultiPart::alternative()
                .singlepart(part(ContentType::TEXT_PLAIN, &mail.text)?)
                .singlepart(part(ContentType::TEXT_HTML, &mail.html)?),
        )?;
        match &self.transport {
            Transport::Smtp(smtp) => {
                smtp.send(message).await.map_err(|e| {
                    if e.is_permanent() {
                        MailError::Refused(e.to_string())
                    } else {
                        MailError::Send(e.to_string())
                    }
                })?;
                tracing::info!(to = mail.to, subject = mail.subject, "mail sent");
            }
            Transport::Files(folder, files) => {
                tokio::fs::create_dir_all(folder)
                    .await
                    .map_err(|e| MailError::Send(e.to_string()))?;
                let id = files
                    .send(message)
                    .await
                    .map_err(|e| MailError::Send(e.to_string()))?;
                let file = folder.join(format!("{id}.eml"));
                tracing::info!(to = mail.to, subject = mail.subject, file = %file.display(), "mail written (no SMTP server configured)");
            }
        }
        Ok(())
    }
}

fn raw_header(name: &str, value: String) -> Result<HeaderValue, MailError> {
    let name = HeaderName::new_from_ascii(name.to_string())
        .map_err(|_| MailError::Send(format!("bad header name {name}")))?;
    Ok(HeaderValue::new(name, value))
}

fn mailbox(address: &str) -> Result<Mailbox, MailError> {
    address
        .parse()
        .map_err(|_| MailError::Address(address.to_string()))
}

/// `text` with HTML's special characters escaped.
pub fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}
