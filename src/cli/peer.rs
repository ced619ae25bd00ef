//! The benchmarks' Python peers (`benches/peers/*.py`, measured in the same run as the station):
//! a script reads image paths on stdin, prints `{"peer": NAME}` and then one JSON object per
//! path, in order, each with its `"image"`. This runs one and hands back its answers.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::Stdio;

use anyhow::Context as _;

/// What a peer said: its name (with version) and one answer per path given, in that order.
pub(super) struct PeerRun {
    pub name: String,
    pub answers: Vec<serde_json::Value>,
}

/// Runs `benches/peers/<script>` with `args` under `python` on `paths`. `needs` says what the
/// Python must have installed, for the error when the peer fails.
pub(super) fn run_peer(
    python: &Path,
    script: &str,
    args: &[&str],
    paths: &[PathBuf],
    needs: &str,
) -> anyhow::Result<PeerRun> {
    let script = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("benches/peers")
        .join(script);
    let mut child = std::process::Command::new(python)
        .arg(&script)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .with_context(|| {
            format!(
                "starting the peer {} {}",
                python.display(),
                script.display()
            )
        })?;
    // The peer answers each path as it reads it: its answers are read while the paths are
    // written, or a long list fills both pipes and neither side moves.
    let mut stdin = child.stdin.take().context("the peer's stdin")?;
    let list: String = paths
        .iter()
        .map(|path| format!("{}\n", path.display()))
        .collect();
    let writer = std::thread::Builder::new()
        .name("peer-stdin".into())
        .spawn(move || stdin.write_all(list.as_bytes()))
        .context("starting the thread that writes the peer's paths")?;
    let output = child.wait_with_output()?;
    let written = writer
        .join()
        .map_err(|_| anyhow::anyhow!("writing the paths to the peer panicked"))?;
    anyhow::ensure!(
        output.status.success(),
        "the peer {} {args:?} failed (is {needs} installed in that Python?): {}",
        script.display(),
        String::from_utf8_lossy(&output.stderr)
    );
    written.context("writing the paths to the peer")?;
    let mut name = args.join(" ");
    let mut answers = Vec::with_capacity(paths.len());
    for line in String::from_utf8_lossy(&output.stdout).lines() {
        let value: serde_json::Value =
            serde_json::from_str(line).with_context(|| format!("the peer printed {line:?}"))?;
        match value["peer"].as_str() {
            Some(peer) => name = peer.to_owned(),
            None => answers.push(value),
        }
    }
    for (index, path) in paths.iter().enumerate() {
        let answered = answers
            .get(index)
            .and_then(|answer| answer["image"].as_str())
            .is_some_and(|image| image == path.display().to_string());
        anyhow::ensure!(answered, "the peer gave no answer for {}", path.display());
    }
    Ok(PeerRun { name, answers })
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    #[test]
    fn a_long_list_is_answered_while_it_is_written() {
        // A peer that answers each path as it reads it, with more than a pipe's worth both
        // ways (the script path is absolute, so it replaces benches/peers).
        let dir = tempfile::tempdir().unwrap();
        let script = dir.path().join("echo_peer.sh");
        let pad = "x".repeat(600);
        std::fs::write(
            &script,
            format!(
                "echo '{{\"peer\": \"echo 1\"}}'\n\
                 while IFS= read -r line; do printf '{{\"image\": \"%s\", \"pad\": \"{pad}\"}}\\n' \"$line\"; done\n"
            ),
        )
        .unwrap();
        let paths: Vec<PathBuf> = (0..2000)
            .map(|i| {
                dir.path()
                    .join(format!("image-{i:05}-{}.png", "y".repeat(40)))
            })
            .collect();
        let run = run_peer(
            Path::new("sh"),
            script.to_str().unwrap(),
            &[],
            &paths,
            "nothing",
        )
        .unwrap();
        assert_eq!(run.name, "echo 1");
        assert_eq!(run.answers.len(), paths.len());
        assert_eq!(
            run.answers[1999]["image"].as_str(),
            Some(paths[1999].to_str().unwrap())
        );
    }
}
