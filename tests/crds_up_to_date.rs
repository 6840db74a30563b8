//! The committed CRD manifests must be exactly what the Rust types generate, and the
//! Helm chart must ship exactly the files of `crds/`.

use std::collections::BTreeMap;
use std::path::Path;

use voda_scheduler::cli::crd;

#[test]
fn committed_crds_match_the_rust_types() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("crds");
    for (file, def) in crd::all() {
        let want = crd::to_yaml(&def).expect("CRD serialises");
        let have = std::fs::read_to_string(dir.join(file)).unwrap_or_default();
        assert!(
            have == want,
            "crds/{file} is stale or missing: run `make crds` and commit the result"
        );
    }
}

/// Every file of `dir` by name, with its bytes.
fn files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let entries = std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    entries
        .map(|e| e.unwrap_or_else(|e| panic!("{}: {e}", dir.display())))
        .filter(|e| e.path().is_file())
        .map(|e| {
            let bytes = std::fs::read(e.path())
                .unwrap_or_else(|err| panic!("{}: {err}", e.path().display()));
            (e.file_name().to_string_lossy().into_owned(), bytes)
        })
        .collect()
}

/// Helm installs whatever `charts/voda-scheduler/crds/` holds, so it must be every
/// file of `crds/` (also one added by hand, not only those `crd::all` generates),
/// byte for byte, and nothing else.
#[test]
fn chart_ships_every_file_of_crds_unchanged() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let want = files(&root.join("crds"));
    let have = files(&root.join("charts/voda-scheduler/crds"));
    assert!(!want.is_empty(), "crds/ holds no files");
    let stale: Vec<&String> = want
        .iter()
        .filter(|(name, bytes)| have.get(*name) != Some(bytes))
        .map(|(name, _)| name)
        .collect();
    let extra: Vec<&String> = have.keys().filter(|n| !want.contains_key(*n)).collect();
    assert!(
        stale.is_empty() && extra.is_empty(),
        "charts/voda-scheduler/crds/ is out of sync with crds/ (missing or different: \
         {stale:?}; not in crds/: {extra:?}): run `make crds` and commit the result"
    );
}
