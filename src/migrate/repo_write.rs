//! The migration written into the GitOps checkout that declares the Clusters: each edit
//! made where the object is declared (its file, or the overlay patch that sets its backup
//! section), the new ObjectStore beside it and listed where kustomize would read it, the
//! Flux dependency on the plugin added; every edited document proven by reading it back;
//! nothing else touched. Or the same as a patch for `git apply`.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use super::doc_edit::{self, ClusterEdit};
use super::manifest;
use super::plan::{ClusterPlan, MigrationPlan};
use super::yaml_edit::Text;
use crate::gitops::{Declaration, Repo, Role};

/// Files as they were and as they are to be (None before: a new file).
#[derive(Default)]
struct Edits {
    root: PathBuf,
    files: BTreeMap<PathBuf, (Option<String>, String)>,
    /// What a person must know or do by hand.
    notes: Vec<String>,
    /// Files changed or created, with why.
    done: Vec<String>,
    /// ObjectStores (namespace, name) written by this run.
    written_stores: Vec<(String, String)>,
}

impl Edits {
    fn current(&mut self, rel: &Path) -> Result<String, String> {
        if let Some((_, now)) = self.files.get(rel) {
            return Ok(now.clone());
        }
        let abs = self.root.join(rel);
        let text = crate::files::read_text(&abs, crate::files::MANIFEST_LIMIT)
            .map_err(|e| format!("reading {}: {e}", rel.display()))?;
        self.files
            .insert(rel.to_path_buf(), (Some(text.clone()), text.clone()));
        Ok(text)
    }

    fn set(&mut self, rel: &Path, text: String) {
        match self.files.get_mut(rel) {
            Some((_, now)) => *now = text,
            None => {
                self.files.insert(rel.to_path_buf(), (None, text));
            }
        }
    }

    /// Edits document `doc` of `file` (counted as the index counts them: documents with
    /// content) and proves it. `line` is where it was found, for messages.
    fn edit(
        &mut self,
        file: &Path,
        (doc, line): (usize, usize),
        edit: impl FnOnce(&mut Text, usize) -> Result<bool, String>,
        expected: impl FnOnce(&Value) -> Option<Value>,
    ) -> Result<bool, String> {
        let text = self.current(file)?;
        let doc = Text::parse(&text)
            .content_document(doc)
            .ok_or_else(|| format!("{}:{line}: no YAML document there", file.display()))?;
        match doc_edit::proven_edit(&text, doc, edit, expected)
            .map_err(|e| format!("{}:{line}: {e}; make this change by hand", file.display()))?
        {
            Some(new) => {
                self.set(file, new);
                Ok(true)
            }
            None => Ok(false),
        }
    }
}

/// Writes the plan into the checkout at `root` (or, with `patch`, writes a patch there
/// instead); what was done, for the person.
pub fn write(plan: &MigrationPlan, root: &Path, patch: Option<&Path>) -> Result<String, String> {
    let repo = Repo::open(root).map_err(|e| format!("{e}"))?;
    let mut ed = Edits {
        root: repo.root().to_path_buf(),
        ..Edits::default()
    };
    let mut owners: Vec<(String, String)> = Vec::new();
    for cp in &plan.clusters {
        if let Err(e) = cluster(&repo, &mut ed, cp, &mut owners) {
            ed.notes.push(format!("Cluster {}: {e}", cp.id()));
        }
    }
    flux_chain(&repo, &mut ed, plan, &owners);
    let changed: Vec<(&PathBuf, &(Option<String>, String))> = ed
        .files
        .iter()
        .filter(|(_, (before, after))| before.as_deref() != Some(after.as_str()))
        .collect();
    let mut out = String::new();
    match patch {
        Some(path) => {
            let mut diff = String::new();
            for (rel, (before, after)) in &changed {
                diff.push_str(&unified(rel, before.as_deref(), after));
            }
            crate::files::write_atomically(path, &diff)
                .map_err(|e| format!("writing the patch {}: {e:#}", path.display()))?;
            let _ = writeln!(
                out,
                "Git: the change is in {} (apply it with `git -C {} apply {}`); no file of the checkout was touched.",
                path.display(),
                ed.root.display(),
                path.display()
            );
        }
        None => {
            for (rel, (_, after)) in &changed {
                crate::files::write_atomically(&ed.root.join(rel), after)
                    .map_err(|e| format!("writing {}: {e:#}", rel.display()))?;
            }
            let _ = writeln!(out, "Git: written in {}:", ed.root.display());
        }
    }
    for d in &ed.done {
        let _ = writeln!(out, "  {d}");
    }
    if changed.is_empty() {
        let _ = writeln!(
            out,
            "  nothing: no declaration in the checkout needed a change"
        );
    }
    for n in &ed.notes {
        let _ = writeln!(out, "  ! {n}");
    }
    let _ = write!(
        out,
        "Review with `git -C {0} diff`, commit and push; once Flux has applied it: backstop migrate verify CLUSTER.",
        ed.root.display()
    );
    Ok(out)
}

fn rel_dir(p: &Path) -> PathBuf {
    p.parent().map(Path::to_path_buf).unwrap_or_default()
}

/// One Cluster: its declarations edited, its ObjectStore(s) written beside the one that
/// carried the in-tree section, its ScheduledBackups moved.
fn cluster(
    repo: &Repo,
    ed: &mut Edits,
    cp: &ClusterPlan,
    owners: &mut Vec<(String, String)>,
) -> Result<(), String> {
    let l = &cp.legacy;
    let decls = applied(repo, repo.declarations("Cluster", &l.namespace, &l.name));
    if decls.is_empty() {
        return Err(
            "not declared in the checkout: apply it with the kubectl commands (--script), or add its manifest to Git first"
                .to_string(),
        );
    }
    let externals: Vec<(String, String, String)> = l
        .external
        .iter()
        .zip(external_stores(cp))
        .map(|((_, name, config), store)| {
            (name.clone(), store, manifest::external_server(name, config))
        })
        .collect();
    let change = ClusterEdit {
        store: &cp.store,
        server: l.server_written.then_some(l.server.as_str()),
        externals: &externals,
    };
    let mut carried: Option<PathBuf> = None;
    if let Some(d) = decls
        .iter()
        .find(|d| matches!(d.role, Role::HelmValues { .. }))
    {
        if let Role::HelmValues { release } = &d.role {
            helm_values(repo, ed, cp, d, release);
        }
        // The chart renders the ObjectStore and the schedules from the same values.
        return Ok(());
    }
    for d in &decls {
        match &d.role {
            Role::HelmValues { .. } => continue,
            Role::Resource | Role::Patch { .. } => {}
        }
        if is_kustomize_file(&d.file) {
            ed.notes.push(format!(
                "{}:{}: an inline patch of Cluster {} in a kustomization file; edit it by hand",
                d.file.display(),
                d.line,
                cp.id()
            ));
            continue;
        }
        let carries = std::cell::Cell::new(false);
        let edited = ed.edit(
            &d.file,
            (d.doc_index, d.line),
            |t, i| {
                carries.set(doc_edit::carries_backup(t, i));
                doc_edit::cluster(t, i, &change)
            },
            |doc| doc_edit::expected_cluster(doc, &change),
        )?;
        if edited {
            ed.done.push(format!(
                "{}: Cluster {}: {} ({})",
                d.file.display(),
                cp.id(),
                if carries.get() {
                    "spec.backup.barmanObjectStore → plugins[barman-cloud.cloudnative-pg.io]"
                } else {
                    "externalClusters read through the plugin"
                },
                role_word(d)
            ));
            owners.extend(repo.flux_owner(&d.file));
            if carries.get() {
                carried = Some(d.file.clone());
            }
        }
    }
    let Some(carrier) = carried else {
        return Err(format!(
            "no declaration in the checkout carries spec.backup.barmanObjectStore ({}): it may come from a remote base or a generator; write the change by hand (-o FILE has the object)",
            decls
                .iter()
                .map(|d| format!("{}:{}", d.file.display(), d.line))
                .collect::<Vec<_>>()
                .join(", ")
        ));
    };
    let dir = rel_dir(&carrier);
    for store in &cp.stores {
        let name = store
            .pointer("/metadata/name")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let declared = !applied(repo, repo.declarations("ObjectStore", &l.namespace, name))
            .is_empty()
            || ed
                .written_stores
                .contains(&(l.namespace.clone(), name.to_string()));
        if !declared {
            new_file(repo, ed, &dir, store)?;
            ed.written_stores
                .push((l.namespace.clone(), name.to_string()));
        }
    }
    // Every schedule of the Cluster, whether or not the live one still needs the change:
    // Git is what Flux applies.
    for sb in cp.before.iter().skip(1) {
        if let Some(name) = sb.pointer("/metadata/name").and_then(Value::as_str) {
            scheduled(repo, ed, cp, name);
        }
    }
    Ok(())
}

/// The declarations a Flux Kustomization applies, when there are any; else all of them
/// (a checkout Flux does not read, or one whose Kustomizations are not in it). A copy
/// lying elsewhere in the checkout (a saved backup, an old draft) is never edited then.
fn applied(repo: &Repo, decls: Vec<Declaration>) -> Vec<Declaration> {
    let reached: Vec<Declaration> = decls
        .iter()
        .filter(|d| repo.flux_owner(&d.file).is_some())
        .cloned()
        .collect();
    if reached.is_empty() { decls } else { reached }
}

/// A Cluster the cloudnative-pg `cluster` chart renders: `backups.method: plugin` and the
/// plugin's name in its values make the chart write the plugin entry and create the
/// ObjectStore `<fullname>-backups` itself (charts/cluster `barmanPluginRequired`); the
/// chart writes no serverName either way, so the archive stays under the Cluster's name.
fn helm_values(repo: &Repo, ed: &mut Edits, cp: &ClusterPlan, d: &Declaration, release: &str) {
    let path = ["spec", "values", "backups"];
    let steps: [(&str, Value); 2] = [
        ("method", json!("plugin")),
        (
            "pluginConfiguration",
            json!({"name": crate::model::domain::PLUGIN_NAME}),
        ),
    ];
    for (key, value) in steps {
        if let Err(e) = ed.edit(
            &d.file,
            (d.doc_index, d.line),
            |t, i| doc_edit::set_key(t, i, &path, key, &value),
            |doc| doc_edit::expected_set(doc, &path, key, &value),
        ) {
            ed.notes.push(format!(
                "HelmRelease {release}: {e} (set values.backups.method: plugin and values.backups.pluginConfiguration.name: {})",
                crate::model::domain::PLUGIN_NAME
            ));
            return;
        }
    }
    ed.done.push(format!(
        "{}: HelmRelease {release}: values.backups.method: plugin (the chart writes the plugin entry and creates the ObjectStore {}-backups)",
        d.file.display(),
        cp.legacy.name
    ));
    let schedules = repo
        .index()
        .helm
        .iter()
        .find(|h| format!("{}/{}", h.namespace, h.name) == release)
        .and_then(|h| {
            h.values
                .get("backups")?
                .get("scheduledBackups")?
                .as_sequence()
                .map(Vec::len)
        })
        .unwrap_or(0);
    if schedules > 0 {
        ed.notes.push(format!(
            "HelmRelease {release}: set method: plugin and pluginConfiguration: {{name: {}}} on each of its {schedules} values.backups.scheduledBackups entries ({}:{})",
            crate::model::domain::PLUGIN_NAME,
            d.file.display(),
            d.line
        ));
    }
}

/// The ObjectStore of each externalClusters entry, in the order of `Legacy::external`.
fn external_stores(cp: &ClusterPlan) -> Vec<String> {
    let ext = cp
        .cluster
        .pointer("/spec/externalClusters")
        .and_then(Value::as_array);
    cp.legacy
        .external
        .iter()
        .map(|(i, _, _)| {
            ext.and_then(|e| e.get(*i))
                .and_then(|e| e.pointer("/plugin/parameters/barmanObjectName"))
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string()
        })
        .collect()
}

fn role_word(d: &Declaration) -> String {
    match &d.role {
        Role::Resource => "its manifest".into(),
        Role::Patch { base } => format!("the patch over {}", base.display()),
        Role::HelmValues { release } => format!("HelmRelease {release}'s values"),
    }
}

fn is_kustomize_file(p: &Path) -> bool {
    matches!(
        p.file_name().and_then(|n| n.to_str()),
        Some("kustomization.yaml" | "kustomization.yml" | "Kustomization")
    )
}

/// A new manifest in `dir`, under a name git does not ignore, listed in the kustomization
/// file that would otherwise never read it.
fn new_file(repo: &Repo, ed: &mut Edits, dir: &Path, obj: &Value) -> Result<(), String> {
    let name = obj
        .pointer("/metadata/name")
        .and_then(Value::as_str)
        .unwrap_or("objectstore");
    let mut chosen = None;
    let mut ignored_by = Vec::new();
    for candidate in [
        format!("objectstore-{name}.yaml"),
        format!("{name}.objectstore.yaml"),
    ] {
        let rel = dir.join(&candidate);
        if ed.root.join(&rel).exists() || ed.files.contains_key(&rel) {
            continue;
        }
        match repo.checkout().ignored(&rel) {
            Ok(Some(i)) => ignored_by.push(format!("{} ({})", rel.display(), i.display())),
            Ok(None) => {
                chosen = Some(rel);
                break;
            }
            Err(e) => return Err(format!("asking git about {}: {e}", rel.display())),
        }
    }
    let Some(rel) = chosen else {
        return Err(format!(
            "no file name for ObjectStore {name} that Git would keep: {}; fix the .gitignore pattern first (backstop gitops lint)",
            ignored_by.join(", ")
        ));
    };
    ed.set(&rel, manifest::to_yaml(obj));
    ed.done
        .push(format!("{}: ObjectStore {name} (new)", rel.display()));
    if let Some(k) = repo.kustomization_for(dir) {
        let entry = rel
            .strip_prefix(rel_dir(&k))
            .map(Path::to_path_buf)
            .unwrap_or_else(|_| rel.clone());
        let item = json!(entry.to_string_lossy());
        ed.edit(
            &k,
            (0, 1),
            |t, i| doc_edit::append_item(t, i, &["resources"], &item),
            |d| doc_edit::expected_append(d, &["resources"], &item),
        )?;
        ed.done
            .push(format!("{}: resources += {}", k.display(), entry.display()));
    }
    Ok(())
}

/// A ScheduledBackup moved to the plugin where it is declared; said loudly when Git would
/// not carry the file.
fn scheduled(repo: &Repo, ed: &mut Edits, cp: &ClusterPlan, name: &str) {
    let ns = &cp.legacy.namespace;
    let decls = applied(repo, repo.declarations("ScheduledBackup", ns, name));
    if decls.is_empty() {
        ed.notes.push(format!(
            "ScheduledBackup {ns}/{name} is not declared in the checkout (applied by hand?): add it to Git with method: plugin (-o FILE has it), or patch it with kubectl"
        ));
        return;
    }
    for d in decls
        .iter()
        .filter(|d| !matches!(d.role, Role::HelmValues { .. }))
    {
        match ed.edit(&d.file, (d.doc_index, d.line), doc_edit::scheduled, |doc| {
            Some(manifest::migrated_scheduled(doc))
        }) {
            Ok(true) => {
                ed.done.push(format!(
                    "{}: ScheduledBackup {ns}/{name}: method: plugin",
                    d.file.display()
                ));
                let state = repo.index().git_state(&d.file);
                if let Some(i) = &state.ignored {
                    ed.notes.push(format!(
                        "{} is ignored by git ({}): the change is written, but Git does not carry this file and Flux never applied it. Fix the pattern, then `git add` it (backstop gitops lint lists every such file)",
                        d.file.display(),
                        i.display()
                    ));
                } else if !state.tracked {
                    ed.notes.push(format!(
                        "{} is not tracked by git: `git add` it",
                        d.file.display()
                    ));
                }
            }
            Ok(false) => {}
            Err(e) => ed.notes.push(e),
        }
    }
}

/// The user's guide's dependency chain: the Kustomizations that apply migrated Clusters
/// depend on the one that applies the plugin, which health-checks the plugin Deployment.
fn flux_chain(repo: &Repo, ed: &mut Edits, plan: &MigrationPlan, owners: &[(String, String)]) {
    let Some((pns, pname)) = &plan.plugin_flux else {
        return;
    };
    let fluxes = &repo.index().fluxes;
    let mut seen = Vec::new();
    for (ns, name) in owners {
        if seen.contains(&(ns, name)) || (ns == pns && name == pname) {
            continue;
        }
        seen.push((ns, name));
        let Some(k) = fluxes
            .iter()
            .find(|k| &k.namespace == ns && &k.name == name)
        else {
            continue;
        };
        if depends(fluxes, (ns, name), (pns, pname)) {
            continue;
        }
        let mut dep = json!({"name": pname});
        if pns != ns {
            dep["namespace"] = json!(pns);
        }
        match ed.edit(
            &k.file,
            (k.doc_index, k.line),
            |t, i| doc_edit::append_item(t, i, &["spec", "dependsOn"], &dep),
            |d| doc_edit::expected_append(d, &["spec", "dependsOn"], &dep),
        ) {
            Ok(_) => ed.done.push(format!(
                "{}: Kustomization {ns}/{name}: dependsOn += {pname} (the Clusters wait for the plugin)",
                k.file.display()
            )),
            Err(e) => ed.notes.push(e),
        }
    }
    let Some(k) = fluxes
        .iter()
        .find(|k| &k.namespace == pns && &k.name == pname)
    else {
        return;
    };
    let Some((dns, dname)) = &plan.plugin_deployment else {
        return;
    };
    if k.wait
        || k.health_checks
            .iter()
            .any(|h| h.kind == "Deployment" && &h.name == dname)
    {
        return;
    }
    let hc =
        json!({"apiVersion": "apps/v1", "kind": "Deployment", "name": dname, "namespace": dns});
    match ed.edit(
        &k.file,
        (k.doc_index, k.line),
        |t, i| doc_edit::append_item(t, i, &["spec", "healthChecks"], &hc),
        |d| doc_edit::expected_append(d, &["spec", "healthChecks"], &hc),
    ) {
        Ok(_) => ed.done.push(format!(
            "{}: Kustomization {pns}/{pname}: healthChecks += Deployment {dns}/{dname} (Ready only when the plugin is)",
            k.file.display()
        )),
        Err(e) => ed.notes.push(e),
    }
}

/// Whether Kustomization `from` depends on `to` in the checkout, directly or through others.
fn depends(
    fluxes: &[crate::gitops::objects::FluxKustomization],
    from: (&String, &String),
    to: (&String, &String),
) -> bool {
    let mut todo = vec![(from.0.clone(), from.1.clone())];
    let mut seen = Vec::new();
    while let Some(k) = todo.pop() {
        if seen.contains(&k) {
            continue;
        }
        if let Some(row) = fluxes.iter().find(|f| f.namespace == k.0 && f.name == k.1) {
            for d in &row.depends_on {
                let dep = (d.namespace.clone(), d.name.clone());
                if &dep.0 == to.0 && &dep.1 == to.1 {
                    return true;
                }
                todo.push(dep);
            }
        }
        seen.push(k);
    }
    false
}

/// A unified diff of one file for `git apply` (a new file from /dev/null).
fn unified(rel: &Path, before: Option<&str>, after: &str) -> String {
    let path = rel.to_string_lossy();
    let diff = similar::TextDiff::from_lines(before.unwrap_or(""), after);
    let old = if before.is_some() {
        format!("a/{path}")
    } else {
        "/dev/null".to_string()
    };
    let mut out = format!("diff --git a/{path} b/{path}\n");
    if before.is_none() {
        out.push_str("new file mode 100644\n");
    }
    out.push_str(
        &diff
            .unified_diff()
            .context_radius(3)
            .header(&old, &format!("b/{path}"))
            .to_string(),
    );
    out
}
