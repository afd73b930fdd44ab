//! Versions of crates in the workspace's Cargo.lock, read with a TOML parser.

use std::path::Path;

use crate::cmd::Fail;

/// Every version of `name` in the lock file at `path`, in file order (usually one).
pub fn locked_versions(path: &Path, name: &str) -> Result<Vec<String>, Fail> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        Fail::new(format!(
            "cannot read {}: {e} (it is committed; is this a full clone?)",
            path.display()
        ))
    })?;
    versions_in(&text, name).map_err(|e| Fail::new(format!("{}: {e}", path.display())))
}

/// The single locked version of `name`: the first if the lock file has several.
pub fn locked_version(path: &Path, name: &str) -> Result<String, Fail> {
    locked_versions(path, name)?
        .into_iter()
        .next()
        .ok_or_else(|| Fail::new(format!("no package {name} in {}", path.display())))
}

fn versions_in(text: &str, name: &str) -> Result<Vec<String>, String> {
    let lock: toml::Table = text.parse().map_err(|e| format!("not valid TOML: {e}"))?;
    let packages = lock
        .get("package")
        .and_then(|p| p.as_array())
        .ok_or("no [[package]] entries")?;
    Ok(packages
        .iter()
        .filter(|p| p.get("name").and_then(|n| n.as_str()) == Some(name))
        .filter_map(|p| p.get("version").and_then(|v| v.as_str()))
        .map(str::to_owned)
        .collect())
}

#[cfg(test)]
mod tests {
    use super::versions_in;

    const LOCK: &str = r#"
version = 4

[[package]]
name = "wasm-bindgen"
version = "0.2.130"
dependencies = ["wasm-bindgen-macro"]

[[package]]
name = "wasm-bindgen-macro"
version = "0.2.130"

[[package]]
name = "getrandom"
version = "0.2.16"

[[package]]
name = "getrandom"
version = "0.4.1"
"#;

    #[test]
    fn finds_the_exact_name_only() {
        assert_eq!(versions_in(LOCK, "wasm-bindgen").unwrap(), ["0.2.130"]);
        assert_eq!(versions_in(LOCK, "getrandom").unwrap(), ["0.2.16", "0.4.1"]);
        assert!(versions_in(LOCK, "wasm").unwrap().is_empty());
    }

    #[test]
    fn the_real_lock_file_has_wasm_bindgen() {
        let lock = concat!(env!("CARGO_MANIFEST_DIR"), "/../Cargo.lock");
        let text = std::fs::read_to_string(lock).unwrap();
        assert_eq!(versions_in(&text, "wasm-bindgen").unwrap().len(), 1);
    }
}
