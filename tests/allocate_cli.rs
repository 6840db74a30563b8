//! `voda-scheduler allocate` as a user runs it: stdin in, stdout/stderr and exit code out.

use std::io::Write;
use std::process::{Command, Stdio};

fn allocate(input: &str) -> (i32, String, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_voda-scheduler"))
        .arg("allocate")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("binary runs");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(input.as_bytes())
        .expect("write stdin");
    let out = child.wait_with_output().expect("wait");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn the_readme_example_gives_the_documented_output() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/allocate");
    let input = std::fs::read_to_string(dir.join("elastic-tiresias.json")).expect("example");
    let (code, stdout, stderr) = allocate(&input);
    assert_eq!(code, 0, "stderr: {stderr}");
    // Worked out by hand in examples/allocate/README.md.
    assert_eq!(stdout, "{\"allocation\":{\"a\":4,\"b\":8,\"c\":4}}\n");
}

#[test]
fn invalid_input_exits_2_with_one_line_and_no_stdout() {
    for input in [
        "not json",
        r#"{"algorithm":"Nope","gpus":1,"jobs":[]}"#,
        r#"{"algorithm":"FIFO","gpus":1,"jobs":[{"name":"a","submitTime":0,"workers":{"min":3,"max":2}}]}"#,
    ] {
        let (code, stdout, stderr) = allocate(input);
        assert_eq!(code, 2, "{input}");
        assert!(stdout.is_empty(), "{input}: stdout {stdout:?}");
        assert_eq!(stderr.lines().count(), 1, "{input}: stderr {stderr:?}");
        assert!(stderr.starts_with("allocate: "), "{stderr}");
    }
}
