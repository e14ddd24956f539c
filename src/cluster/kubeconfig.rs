//! Reading kubeconfig files as kube's `Kubeconfig::read_from` and kubectl do (the YAML
//! documents of a file merged, relative paths taken from the file's folder, a KUBECONFIG
//! list merged with the first file winning), but through the bounded reader: kube reads
//! whatever it is given whole, and `--kubeconfig /dev/zero` filled 2.4 GB in 5 s.

use std::path::{Path, PathBuf};

use kube::config::Kubeconfig;

/// A kubeconfig file that could not be read, and why (the reason does not repeat the path).
#[derive(Debug, Clone, PartialEq)]
pub struct Unreadable {
    pub path: PathBuf,
    pub reason: String,
}

/// One kubeconfig file.
pub fn read_file(path: &Path) -> Result<Kubeconfig, Unreadable> {
    let unreadable = |reason: String| Unreadable {
        path: path.to_path_buf(),
        reason,
    };
    let bytes = crate::files::read_bytes(path, crate::files::KUBECONFIG_LIMIT)
        .map_err(|e| unreadable(e.to_string()))?;
    let text = text_of(bytes).map_err(unreadable)?;
    let mut config = Kubeconfig::from_yaml(&text).map_err(|e| unreadable(e.to_string()))?;
    if let Some(dir) = path.parent() {
        resolve_relative_paths(&mut config, dir);
    }
    Ok(config)
}

/// The files of a KUBECONFIG list merged as kubectl merges them: empty entries and files
/// that do not exist are skipped, and the first file to set a value wins. None when no
/// file of the list exists.
pub fn read_merged(paths: &[PathBuf]) -> Result<Option<Kubeconfig>, Unreadable> {
    let mut merged: Option<Kubeconfig> = None;
    for path in paths
        .iter()
        .filter(|p| !p.as_os_str().is_empty() && p.exists())
    {
        let next = read_file(path)?;
        merged = Some(match merged {
            None => next,
            Some(first) => first.merge(next).map_err(|e| Unreadable {
                path: path.clone(),
                reason: format!("it does not merge with the files before it: {e}"),
            })?,
        });
    }
    Ok(merged)
}

/// The text of a kubeconfig in the encodings kube accepts: UTF-8 with or without a byte
/// order mark, and UTF-16 with one (what PowerShell's `>` writes).
fn text_of(bytes: Vec<u8>) -> Result<String, String> {
    let utf16 = |rest: &[u8], unit: fn([u8; 2]) -> u16| {
        let units: Vec<u16> = rest
            .chunks(2)
            .map(|c| unit([c[0], *c.get(1).unwrap_or(&0)]))
            .collect();
        String::from_utf16(&units).map_err(|_| "it is not valid UTF-16 text".to_string())
    };
    match bytes.as_slice() {
        [0xFF, 0xFE, rest @ ..] => utf16(rest, u16::from_le_bytes),
        [0xFE, 0xFF, rest @ ..] => utf16(rest, u16::from_be_bytes),
        [0xEF, 0xBB, 0xBF, rest @ ..] => {
            String::from_utf8(rest.to_vec()).map_err(|_| "it is not UTF-8 text".to_string())
        }
        _ => String::from_utf8(bytes).map_err(|_| "it is not UTF-8 text".to_string()),
    }
}

/// Certificate, key, token and exec paths written relative to the kubeconfig are relative
/// to its folder, as kube and client-go read them. An exec command without a path
/// separator is looked up in PATH and stays as it is.
fn resolve_relative_paths(config: &mut Kubeconfig, dir: &Path) {
    let absolute = |field: &mut Option<String>| {
        if let Some(path) = field.as_deref()
            && Path::new(path).is_relative()
            && let Some(joined) = dir.join(path).to_str()
        {
            *field = Some(joined.to_string());
        }
    };
    for cluster in config
        .clusters
        .iter_mut()
        .filter_map(|c| c.cluster.as_mut())
    {
        absolute(&mut cluster.certificate_authority);
    }
    for auth in config
        .auth_infos
        .iter_mut()
        .filter_map(|a| a.auth_info.as_mut())
    {
        absolute(&mut auth.client_certificate);
        absolute(&mut auth.client_key);
        absolute(&mut auth.token_file);
        if let Some(exec) = auth.exec.as_mut()
            && exec
                .command
                .as_deref()
                .is_some_and(|c| c.contains(std::path::MAIN_SEPARATOR))
        {
            absolute(&mut exec.command);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kubeconfig(context: &str, server: &str) -> String {
        format!(
            "apiVersion: v1\nkind: Config\ncurrent-context: {context}\n\
             clusters:\n- name: {context}\n  cluster: {{server: '{server}', certificate-authority: certs/ca.crt}}\n\
             users:\n- name: {context}\n  user: {{tokenFile: token, exec: {{command: ./bin/auth, apiVersion: client.authentication.k8s.io/v1}}}}\n\
             contexts:\n- name: {context}\n  context: {{cluster: {context}, user: {context}}}\n"
        )
    }

    #[test]
    fn a_list_merges_as_kubectl_does_skipping_missing_files() {
        let dir = tempfile::tempdir().expect("temp dir");
        let (a, b) = (dir.path().join("a"), dir.path().join("b"));
        std::fs::write(&a, kubeconfig("first", "https://a:6443")).expect("a");
        std::fs::write(&b, kubeconfig("second", "https://b:6443")).expect("b");
        let list = [
            PathBuf::new(),
            dir.path().join("missing"),
            a.clone(),
            b.clone(),
        ];
        let kc = read_merged(&list)
            .expect("reads")
            .expect("some file exists");
        assert_eq!(
            kc.current_context.as_deref(),
            Some("first"),
            "the first wins"
        );
        let contexts: Vec<&str> = kc.contexts.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(contexts, ["first", "second"]);
        let cluster = kc.clusters[1].cluster.as_ref().expect("cluster");
        assert_eq!(
            cluster.certificate_authority.as_deref(),
            dir.path().join("certs/ca.crt").to_str(),
            "relative to its own file"
        );
        let user = kc.auth_infos[0].auth_info.as_ref().expect("user");
        assert_eq!(
            user.token_file.as_deref(),
            dir.path().join("token").to_str()
        );
        assert_eq!(
            user.exec.as_ref().and_then(|e| e.command.as_deref()),
            dir.path().join("./bin/auth").to_str()
        );
        assert!(matches!(
            read_merged(&[dir.path().join("missing")]),
            Ok(None)
        ));
    }

    #[test]
    fn a_device_is_refused_naming_it_once() {
        let e = read_merged(&[PathBuf::from("/dev/zero")]).expect_err("a device");
        assert_eq!(e.path, PathBuf::from("/dev/zero"));
        assert!(e.reason.starts_with("it is a character device"), "{e:?}");
        assert!(!e.reason.contains("/dev/zero"), "{e:?}");
    }

    #[test]
    fn utf16_and_a_byte_order_mark_read_as_kube_reads_them() {
        let text = "apiVersion: v1\nkind: Config\ncurrent-context: x\n";
        let mut le = vec![0xFF, 0xFE];
        le.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
        assert_eq!(text_of(le).as_deref(), Ok(text));
        let mut bom = vec![0xEF, 0xBB, 0xBF];
        bom.extend(text.bytes());
        assert_eq!(text_of(bom).as_deref(), Ok(text));
    }
}
