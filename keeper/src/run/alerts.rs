//! Alerts to Discord and Telegram webhooks: fills, breaker trips and runs of failing ticks.
//!
//! Raising an alert never waits on the network: the message is rate-limited on the spot and
//! handed to a background sender. Alerts over the limits are counted, and the count rides on
//! the next message that goes out. Webhook URLs and bot tokens are secrets: they are never
//! logged, and failures name only the kind of sink.

use crate::chain::endpoints::redact;
use serde::Deserialize;
use std::collections::HashMap;
use std::time::{Duration, Instant};
use tokio::sync::mpsc;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AlertsFile {
    /// Discord webhook URL (or KEEPER_DISCORD_WEBHOOK).
    pub discord_webhook: Option<String>,
    /// Telegram bot token (or KEEPER_TELEGRAM_BOT_TOKEN) and the chat to post to.
    pub telegram_bot_token: Option<String>,
    pub telegram_chat_id: Option<String>,
    /// Telegram's API base (default https://api.telegram.org).
    pub telegram_api: Option<String>,
    /// Least time between two alerts of the same kind ("60s").
    pub min_interval: Option<String>,
    /// Most alerts sent in any hour, all kinds together.
    pub per_hour: Option<u32>,
    /// Failed ticks in a row that raise an alert.
    pub error_streak: Option<u64>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Sink {
    Discord {
        url: String,
    },
    Telegram {
        api: String,
        token: String,
        chat: String,
    },
}

#[derive(Clone, Debug)]
pub struct AlertConfig {
    pub sinks: Vec<Sink>,
    pub min_interval: Duration,
    pub per_hour: u32,
    pub error_streak: u64,
}

impl Default for AlertConfig {
    fn default() -> Self {
        Self {
            sinks: Vec::new(),
            min_interval: Duration::from_secs(60),
            per_hour: 30,
            error_streak: 3,
        }
    }
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

impl AlertConfig {
    /// Checks the `[alerts]` table; environment variables override the secrets in it.
    pub fn from_file(file: Option<AlertsFile>, bad: &mut impl FnMut(String)) -> Self {
        let f = file.unwrap_or_default();
        let mut cfg = Self::default();
        if let Some(url) = env("KEEPER_DISCORD_WEBHOOK").or(f.discord_webhook) {
            if url.starts_with("https://") || url.starts_with("http://") {
                cfg.sinks.push(Sink::Discord { url });
            } else {
                bad(format!(
                    "alerts.discord_webhook: {} is not an https:// URL",
                    redact(&url)
                ));
            }
        }
        let token = env("KEEPER_TELEGRAM_BOT_TOKEN").or(f.telegram_bot_token);
        match (token, f.telegram_chat_id) {
            (Some(token), Some(chat)) => cfg.sinks.push(Sink::Telegram {
                api: f
                    .telegram_api
                    .unwrap_or_else(|| "https://api.telegram.org".into())
                    .trim_end_matches('/')
                    .to_string(),
                token,
                chat,
            }),
            (Some(_), None) => bad("alerts.telegram_chat_id: missing; the bot token needs a chat".into()),
            (None, Some(_)) => bad("alerts.telegram_bot_token: missing; the chat id needs a bot token (or KEEPER_TELEGRAM_BOT_TOKEN)".into()),
            (None, None) => {}
        }
        if let Some(t) = f.min_interval {
            match crate::ops::parse_duration(&t) {
                Ok(s) => cfg.min_interval = Duration::from_secs(s),
                Err(e) => bad(format!("alerts.min_interval: {e}")),
            }
        }
        match f.per_hour {
            Some(0) => {
                bad("alerts.per_hour: 0 would silence every alert; remove the sinks instead".into())
            }
            Some(n) => cfg.per_hour = n,
            None => {}
        }
        match f.error_streak {
            Some(0) => bad("alerts.error_streak: must be at least 1".into()),
            Some(n) => cfg.error_streak = n,
            None => {}
        }
        cfg
    }

    /// The sinks as they may be shown: kind and host only.
    pub fn shown(&self) -> Vec<String> {
        self.sinks
            .iter()
            .map(|s| match s {
                Sink::Discord { url } => format!("discord {}", redact(url)),
                Sink::Telegram { api, chat, .. } => {
                    format!("telegram {} chat {chat}", redact(api))
                }
            })
            .collect()
    }
}

/// What an alert is about; each kind is rate-limited on its own.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Kind {
    Fill,
    Breaker,
    Errors,
    Lifecycle,
}

/// Raises alerts; cheap to call from the keeper's loop.
pub struct Alerts {
    cfg: AlertConfig,
    tx: Option<mpsc::Sender<String>>,
    last: HashMap<Kind, Instant>,
    sent: Vec<Instant>,
    suppressed: u64,
}

impl Alerts {
    /// Starts the sender task (when there is any sink).
    pub fn start(cfg: AlertConfig) -> Self {
        let tx = (!cfg.sinks.is_empty()).then(|| {
            let (tx, rx) = mpsc::channel(64);
            tokio::spawn(deliver(cfg.sinks.clone(), rx));
            tx
        });
        Self {
            cfg,
            tx,
            last: HashMap::new(),
            sent: Vec::new(),
            suppressed: 0,
        }
    }

    /// Alerts suppressed by the limits since the last one that went out.
    pub fn suppressed(&self) -> u64 {
        self.suppressed
    }

    /// Sends `text` unless a limit holds it back. Returns whether it was queued.
    pub fn raise(&mut self, kind: Kind, text: &str) -> bool {
        self.raise_at(kind, text, Instant::now())
    }

    fn raise_at(&mut self, kind: Kind, text: &str, now: Instant) -> bool {
        let Some(tx) = &self.tx else {
            return false;
        };
        let hour = Duration::from_secs(3_600);
        self.sent.retain(|t| now.duration_since(*t) < hour);
        let too_soon = self
            .last
            .get(&kind)
            .is_some_and(|t| now.duration_since(*t) < self.cfg.min_interval);
        // Lifecycle messages (start, stop) are rare and always wanted.
        let limited =
            kind != Kind::Lifecycle && (too_soon || self.sent.len() >= self.cfg.per_hour as usize);
        if limited {
            self.suppressed += 1;
            return false;
        }
        let mut msg = format!("flashforge keeper: {text}");
        if self.suppressed > 0 {
            msg.push_str(&format!(
                " ({} more alert{} held back by the rate limit)",
                self.suppressed,
                if self.suppressed == 1 { "" } else { "s" }
            ));
        }
        if tx.try_send(msg).is_err() {
            // The sender is backed up (a dead webhook): counting beats blocking the keeper.
            self.suppressed += 1;
            return false;
        }
        self.suppressed = 0;
        self.last.insert(kind, now);
        self.sent.push(now);
        true
    }
}

async fn deliver(sinks: Vec<Sink>, mut rx: mpsc::Receiver<String>) {
    let client = match reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
    {
        Ok(c) => c,
        Err(e) => {
            tracing::warn!("alerts disabled: no HTTP client: {e}");
            return;
        }
    };
    while let Some(msg) = rx.recv().await {
        for s in &sinks {
            let (name, req) = match s {
                Sink::Discord { url } => (
                    "discord",
                    client
                        .post(url)
                        .json(&serde_json::json!({ "content": msg })),
                ),
                Sink::Telegram { api, token, chat } => (
                    "telegram",
                    client
                        .post(format!("{api}/bot{token}/sendMessage"))
                        .json(&serde_json::json!({ "chat_id": chat, "text": msg })),
                ),
            };
            // The error's own text may contain the URL (and so the token): report its kind.
            match req.send().await {
                Ok(r) if r.status().is_success() => {}
                Ok(r) => tracing::warn!("{name} alert refused with HTTP {}", r.status().as_u16()),
                Err(e) if e.is_timeout() => tracing::warn!("{name} alert timed out"),
                Err(_) => tracing::warn!("{name} alert could not be delivered"),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn alerts(per_hour: u32) -> (Alerts, mpsc::Receiver<String>) {
        let (tx, rx) = mpsc::channel(64);
        let a = Alerts {
            cfg: AlertConfig {
                sinks: Vec::new(),
                min_interval: Duration::from_secs(60),
                per_hour,
                error_streak: 3,
            },
            tx: Some(tx),
            last: HashMap::new(),
            sent: Vec::new(),
            suppressed: 0,
        };
        (a, rx)
    }

    #[test]
    fn one_alert_per_kind_per_interval_and_the_held_back_are_counted() {
        let (mut a, mut rx) = alerts(30);
        let t0 = Instant::now();
        assert!(a.raise_at(Kind::Fill, "fill 1", t0));
        assert!(!a.raise_at(Kind::Fill, "fill 2", t0 + Duration::from_secs(10)));
        assert!(!a.raise_at(Kind::Fill, "fill 3", t0 + Duration::from_secs(59)));
        // Another kind has its own clock.
        assert!(a.raise_at(Kind::Breaker, "tripped", t0 + Duration::from_secs(59)));
        assert!(a.raise_at(Kind::Fill, "fill 4", t0 + Duration::from_secs(120)));
        assert_eq!(rx.try_recv().unwrap(), "flashforge keeper: fill 1");
        assert_eq!(
            rx.try_recv().unwrap(),
            "flashforge keeper: tripped (2 more alerts held back by the rate limit)"
        );
        assert_eq!(rx.try_recv().unwrap(), "flashforge keeper: fill 4");
        assert!(rx.try_recv().is_err());
    }

    #[test]
    fn the_hourly_cap_holds_across_kinds_and_lifts_after_the_hour() {
        let (mut a, _rx) = alerts(2);
        let t0 = Instant::now();
        assert!(a.raise_at(Kind::Fill, "a", t0));
        assert!(a.raise_at(Kind::Breaker, "b", t0));
        assert!(!a.raise_at(Kind::Errors, "c", t0));
        assert_eq!(a.suppressed(), 1);
        // Lifecycle messages pass the cap.
        assert!(a.raise_at(Kind::Lifecycle, "stopping", t0));
        assert!(a.raise_at(Kind::Errors, "d", t0 + Duration::from_secs(3_601)));
    }

    #[test]
    fn bad_alert_settings_are_named() {
        let mut problems = Vec::new();
        let f = AlertsFile {
            telegram_bot_token: Some("123:secret".into()),
            discord_webhook: Some("discord.com/api/webhooks/1/secret".into()),
            per_hour: Some(0),
            ..Default::default()
        };
        AlertConfig::from_file(Some(f), &mut |p| problems.push(p));
        assert_eq!(
            problems,
            vec![
                "alerts.discord_webhook: <endpoint> is not an https:// URL".to_string(),
                "alerts.telegram_chat_id: missing; the bot token needs a chat".to_string(),
                "alerts.per_hour: 0 would silence every alert; remove the sinks instead"
                    .to_string(),
            ]
        );
        assert!(!problems.join(" ").contains("secret"));
    }
}
