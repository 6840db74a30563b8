//! The Python progress helper of `examples/progress/`: its unit tests (against a local
//! HTTP server) pass, and the Keras callback and the MNIST example at least compile
//! (TensorFlow and Horovod are not installed here, so they cannot be imported).

use std::path::Path;
use std::process::Command;

fn dir() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/progress")
}

fn python(args: &[&str]) -> std::process::Output {
    Command::new("python3")
        .args(args)
        .current_dir(dir())
        // No __pycache__ in the source tree.
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .output()
        .expect("python3 is needed to test examples/progress (install python3)")
}

#[test]
fn the_report_function_talks_to_an_http_server_as_documented() {
    let out = python(&["-m", "unittest", "-v", "test_voda_progress"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("Ran 5 tests"), "{stderr}");
}

#[test]
fn the_keras_callback_and_the_mnist_example_compile() {
    // py_compile, with the bytecode written outside the source tree.
    let check = "import os, py_compile, sys, tempfile\n\
                 out = os.path.join(tempfile.mkdtemp(), 'check.pyc')\n\
                 for f in sys.argv[1:]:\n    \
                 py_compile.compile(f, cfile=out, doraise=True)\n";
    let out = python(&[
        "-c",
        check,
        "voda_keras.py",
        "tensorflow2_keras_mnist_elastic.py",
        "voda_progress.py",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
