//! The committed CRD manifests must be exactly what the Rust types generate.

use voda_scheduler::cli::crd;

#[test]
fn committed_crds_match_the_rust_types() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("crds");
    for (file, def) in crd::all() {
        let want = crd::to_yaml(&def).expect("CRD serialises");
        let have = std::fs::read_to_string(dir.join(file)).unwrap_or_default();
        assert!(
            have == want,
            "crds/{file} is stale or missing: run `make crds` and commit the result"
        );
    }
}
