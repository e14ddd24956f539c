//! One evaluation: reach the cluster, gather, judge, render. Nothing but the rendered page,
//! the counters and the last bucket proofs outlives it.

use std::time::{Duration, Instant};

use chrono::Utc;

use super::metrics::{self, Counters, Evaluated, Page};
use crate::assess::{self, Thresholds};
use crate::checks;
use crate::cluster::connect::{ConnectOptions, connect_bounded};
use crate::model::bucket::StoreProof;

#[derive(Debug, Clone)]
pub struct Options {
    pub connect: ConnectOptions,
    pub interval: Duration,
    /// Listing a bucket costs requests: the stores are read at most this often.
    pub bucket_interval: Duration,
    pub thresholds: Thresholds,
    /// Codes never reported.
    pub silence: Vec<String>,
}

/// What one attempt came to.
#[derive(Debug, Clone, PartialEq)]
pub enum Attempt {
    /// The page, and how many findings it reports.
    Complete { page: Page, findings: usize },
    /// The cluster could not be reached at all: the page keeps only the exporter's own
    /// series and every kind unreadable.
    Failed { page: Page, reason: String },
}

/// Runs evaluations one after another, keeping the client and the last bucket proofs.
pub struct Evaluator {
    pub opts: Options,
    client: Option<(kube::Client, bool)>,
    context: String,
    stores: Vec<StoreProof>,
    last_bucket_read: Option<Instant>,
    counters: Counters,
}

impl Evaluator {
    pub fn new(opts: Options) -> Evaluator {
        let context = opts
            .connect
            .context
            .clone()
            .unwrap_or_else(|| "the current context".into());
        Evaluator {
            opts,
            client: None,
            context,
            stores: Vec::new(),
            last_bucket_read: None,
            counters: Counters::default(),
        }
    }

    /// The kubeconfig context in use (its name once connected).
    pub fn context(&self) -> &str {
        &self.context
    }

    /// Sets up the client, once; the reason when it cannot be.
    pub async fn connect(&mut self) -> Result<(), String> {
        if self.client.is_some() {
            return Ok(());
        }
        match connect_bounded(&self.opts.connect).await {
            Ok((client, target)) => {
                self.context = target.context;
                self.client = Some((client, false));
                Ok(())
            }
            Err(e) => {
                self.context = e.target.clone();
                Err(format!("{}: {} ({})", e.target, e.what, e.hint))
            }
        }
    }

    /// The page before the first evaluation: the exporter's own series only.
    pub fn starting_page(&self) -> Page {
        metrics::render_own(&self.counters, env!("CARGO_PKG_VERSION"))
    }

    pub async fn evaluate(&mut self) -> Attempt {
        self.counters.evaluations += 1;
        let started = Instant::now();
        match self.gather().await {
            Ok(mut facts) => {
                let now = Utc::now();
                let mut outcome = assess::assess(&facts, now, &self.opts.thresholds);
                let silence = &self.opts.silence;
                outcome
                    .findings
                    .retain(|f| !silence.iter().any(|s| s == f.code));
                let drills = assess::restore::drill_reports(&facts, now);
                self.counters.last_complete = Some((Utc::now(), started.elapsed().as_secs_f64()));
                // The kept proofs were lent to the rules: take them back.
                let page = metrics::render(
                    Some(&Evaluated {
                        facts: &facts,
                        findings: &outcome.findings,
                        drills: &drills,
                        now,
                    }),
                    &self.counters,
                    env!("CARGO_PKG_VERSION"),
                );
                self.stores = std::mem::take(&mut facts.stores);
                Attempt::Complete {
                    page,
                    findings: outcome.findings.len(),
                }
            }
            Err(reason) => {
                self.counters.failures += 1;
                Attempt::Failed {
                    page: metrics::render(None, &self.counters, env!("CARGO_PKG_VERSION")),
                    reason,
                }
            }
        }
    }

    /// The facts, with the bucket proofs of the last read when this is not a bucket turn;
    /// Err when the cluster cannot be reached at all.
    async fn gather(&mut self) -> Result<crate::model::facts::Facts, String> {
        self.connect().await?;
        let Some((client, simulated)) = self.client.as_mut() else {
            return Err("no client".into());
        };
        let bucket = self
            .last_bucket_read
            .is_none_or(|t| t.elapsed() >= self.opts.bucket_interval);
        let read = checks::site::read(
            client,
            "the API server",
            self.opts.connect.namespace.as_deref(),
            bucket,
        )
        .await?;
        *simulated = read.simulated;
        let mut facts = read.facts;
        if bucket {
            self.last_bucket_read = Some(Instant::now());
        } else {
            facts.stores = std::mem::take(&mut self.stores);
        }
        Ok(facts)
    }
}
