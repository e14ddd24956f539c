//! PLG009: the plugin's cert-manager Certificates, not Ready or expiring.

use std::collections::BTreeSet;

use super::{AREA, Ctx, TLS_ANNOTATIONS};
use crate::assess::read::{cond_line, warning_events};
use crate::assess::{Finding, Kind, ObjectRef, Outcome, Severity};
use crate::model::kubefmt::{delta, human_duration, ts};
use crate::model::rows::{CertificateRow, Condition, condition};
use crate::model::state::Readable;

/// PLG009: the plugin's cert-manager Certificates (nothing to check without cert-manager).
pub(super) fn certificates(out: &mut Outcome, c: &Ctx) {
    let Some(plugins) = &c.plugins else { return };
    if plugins.is_empty() {
        return;
    }
    let certs = match c.f.certificates.readable(&Kind::Certificate.qualified()) {
        Readable::Rows(r) => r,
        Readable::NotInstalled(_) => return,
        Readable::Unknown(why) => {
            out.unknown(AREA, why);
            return;
        }
    };
    let limit = delta(c.th.cert_expiry);
    for p in plugins {
        let secrets: BTreeSet<&str> = TLS_ANNOTATIONS
            .iter()
            .filter_map(|a| p.svc.annotations.get(*a).map(String::as_str))
            .collect();
        // The Service's annotations name the plugin's secrets; without them, fall back to
        // the names the manifest and the chart derive from the Service.
        let ours = |cert: &CertificateRow| {
            cert.namespace == p.svc.namespace
                && if secrets.is_empty() {
                    cert.name.starts_with(&p.svc.name) || cert.dns_names.contains(&p.svc.name)
                } else {
                    cert.secret_name
                        .as_deref()
                        .is_some_and(|s| secrets.contains(s))
                }
        };
        for cert in certs.iter().filter(|x| ours(x)) {
            let ready = condition(&cert.conditions, "Ready");
            let not_ready = !ready.is_some_and(Condition::is_true);
            let left = cert.not_after.map(|t| t - c.now);
            let expiring = left.is_some_and(|l| l < limit);
            if !not_ready && !expiring {
                continue;
            }
            let mut evidence = vec![match ready {
                Some(r) => cond_line(r),
                None => "condition Ready: absent".into(),
            }];
            if let Some(t) = cert.not_after {
                evidence.push(format!("status.notAfter: {}", ts(t)));
            }
            if let Some(s) = &cert.secret_name {
                evidence.push(format!("spec.secretName: {s}"));
            }
            evidence.extend(warning_events(
                c.f,
                Kind::Certificate,
                &cert.namespace,
                &cert.name,
                2,
            ));
            let when = match left {
                Some(l) if l < chrono::Duration::zero() => {
                    format!("expired {} ago", human_duration(-l))
                }
                Some(l) => format!("expires in {}", human_duration(l)),
                None => "has no expiry date yet".into(),
            };
            let summary = if not_ready {
                format!(
                    "The plugin's Certificate {}/{} is not Ready ({when})",
                    cert.namespace, cert.name
                )
            } else {
                format!(
                    "The plugin's Certificate {}/{} {when}",
                    cert.namespace, cert.name
                )
            };
            out.push(Finding {
                code: "PLG009",
                severity: Severity::Warning,
                object: ObjectRef::new(Kind::Certificate, &cert.namespace, &cert.name),
                summary,
                evidence,
                remedy: format!(
                    "kubectl -n {ns} describe certificate {n}; to renew now: cmctl renew {n} -n {ns}. No restart is needed: the plugin (v0.6.0 and newer) loads its certificate for each new connection, and the operator (1.26 and newer) reloads the client certificate when its Secret changes. Only with older versions restart the plugin, knowing its Deployment uses strategy Recreate (a short outage): kubectl rollout restart deployment {dep} -n {ns}",
                    ns = cert.namespace,
                    n = cert.name,
                    dep = p.deployment_name()
                ),
            });
        }
    }
}
