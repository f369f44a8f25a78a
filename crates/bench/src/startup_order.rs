//! `--startup-order FILE`: records which of the bot's functions run from spawn until it is ready and idle, for the
//! linker to lay out side by side (`crates/lookerbot/build.rs`). Scattered through the binary's 15 MB of code, they
//! made the kernel map 9.9 MB of it at start-up, since every page fault also maps the pages around it; side by
//! side, 2.7 MB.
//!
//! The bot runs under valgrind's callgrind, against the same stand-ins as the bench, and is dumped once it has been
//! ready for as long as the idle measurement waits. Callgrind names functions from the binary's symbol table, which
//! release builds keep (`strip = "debuginfo"` in the workspace's Cargo.toml).

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, bail};

use crate::callgrind::Profiled;
use crate::rig::StandIns;

/// What the order file says about itself (the linker skips lines starting with `#`).
const HEADER: &str = "\
# Functions lookerbot runs from spawn until it is ready and idle, in the order the linker places them first.
# Written by `lookerbot-bench --startup-order` (README, Performance); read by build.rs. Names the linker no longer
# finds (after a Rust or dependency upgrade) are skipped: the bench's idle memory shows when to record it again.
";

/// Start-ups recorded: a function that runs in only some of them (a timer, a race) is placed with the others.
const RUNS: usize = 3;

/// Runs each binary under callgrind until it is ready and idle, [`RUNS`] times, and writes the functions any run
/// ran to `out`, first seen first. Builds with other features (the production build leaves the demo out) name
/// many of the same functions differently, so each build that matters is recorded into the one file.
pub async fn record(binaries: &[PathBuf], stand_ins: &StandIns, idle: Duration, out: &Path) -> anyhow::Result<usize> {
    let mut seen = HashSet::new();
    let mut functions = Vec::new();
    for binary in binaries {
        let binary = binary
            .canonicalize()
            .with_context(|| format!("no binary at {}", binary.display()))?;
        for _ in 0..RUNS {
            let run = record_once(&binary, stand_ins, idle).await?;
            functions.extend(run.into_iter().filter(|function| seen.insert(function.clone())));
        }
    }
    let mut file = String::from(HEADER);
    for function in &functions {
        file.push_str(function);
        file.push('\n');
    }
    std::fs::write(out, file).with_context(|| format!("could not write {}", out.display()))?;
    Ok(functions.len())
}

/// The functions of `binary` one start-up ran, until it had been ready for `idle`.
async fn record_once(binary: &Path, stand_ins: &StandIns, idle: Duration) -> anyhow::Result<Vec<String>> {
    let profiled = Profiled::start(binary, stand_ins, &["--demangle=no"], &[]).await?;
    tokio::time::sleep(idle).await;
    let dumped = profiled.control("--dump").await;
    let text = profiled.finish(dumped).await?;
    let functions = functions_run_in(&text, &binary.display().to_string());
    if functions.is_empty() {
        bail!(
            "callgrind named no function of {}: its symbol table was stripped; build it with the release profile as the workspace sets it",
            binary.display()
        );
    }
    Ok(functions)
}

/// The names of the functions with a cost in `object`, in the order the profile first names them. Callgrind
/// compresses names (`fn=(7) name` once, then `fn=(7)`) and marks recursion levels (`name'2`); both are undone.
fn functions_run_in(profile: &str, object: &str) -> Vec<String> {
    let mut objects: HashMap<&str, &str> = HashMap::new();
    let mut names: HashMap<&str, &str> = HashMap::new();
    let mut in_object = false;
    let mut seen = HashSet::new();
    let mut functions = Vec::new();
    for line in profile.lines() {
        let Some((key, value)) = line.split_once('=') else {
            continue;
        };
        match key {
            "ob" => in_object = expand(&mut objects, value) == Some(object),
            "cob" => {
                expand(&mut objects, value);
            }
            "fn" | "cfn" => {
                let name = expand(&mut names, value);
                if key == "fn"
                    && in_object
                    && let Some(name) = name
                {
                    let name = name.rsplit_once('\'').map_or(name, |(base, level)| {
                        if level.bytes().all(|b| b.is_ascii_digit()) {
                            base
                        } else {
                            name
                        }
                    });
                    if !name.starts_with("0x") && seen.insert(name) {
                        functions.push(name.to_owned());
                    }
                }
            }
            _ => {}
        }
    }
    functions
}

/// `(id) name` defines `id`; `(id)` refers to it.
fn expand<'a>(table: &mut HashMap<&'a str, &'a str>, value: &'a str) -> Option<&'a str> {
    let Some(rest) = value.strip_prefix('(') else {
        return Some(value.trim());
    };
    let (id, name) = rest.split_once(')')?;
    let name = name.trim();
    if name.is_empty() {
        table.get(id).copied()
    } else {
        table.insert(id, name);
        Some(name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn functions_are_those_with_a_cost_in_the_binary_first_seen_first_and_named_once() {
        let profile = "\
version: 1
cmd: /bin/lookerbot serve
events: Ir
ob=(1) /usr/lib/libc.so.6
fn=(1) memcpy
5 10
ob=(2) /bin/lookerbot
fn=(2) _ZN4main17h0123456789abcdefE
3 4
cob=(1)
cfn=(1)
calls=1 0
3 10
cfn=(3) _ZN5serve17h1111111111111111E
calls=1 0
4 100
fn=(3)
7 100
fn=(4) sqlite3VdbeExec'2
8 1
fn=(5) sqlite3VdbeExec
9 1
fn=(6) 0x000000000001f000
1 1
ob=(1)
fn=(7) free
2 2
ob=(2)
fn=(2)
3 4
";
        assert_eq!(
            functions_run_in(profile, "/bin/lookerbot"),
            [
                "_ZN4main17h0123456789abcdefE",
                "_ZN5serve17h1111111111111111E",
                "sqlite3VdbeExec"
            ]
        );
        assert_eq!(functions_run_in(profile, "/usr/lib/libc.so.6"), ["memcpy", "free"]);
    }
}
