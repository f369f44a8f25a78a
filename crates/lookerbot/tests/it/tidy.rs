//! The house rules, checked: the dependency rules of ARCHITECTURE.md (read from its table, so the document and the
//! check cannot disagree), a `//!` header on every source file, and a code map that names every crate and every
//! module of the core. Each check is a function of what it reads, and `the_checks_catch_broken_rules` shows each one
//! failing on a broken input.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn architecture() -> String {
    std::fs::read_to_string(root().join("ARCHITECTURE.md")).expect("ARCHITECTURE.md")
}

/// Each workspace crate's name and the workspace crates its `[dependencies]` name (optional ones left out: they
/// are test support behind a feature).
fn workspace_dependencies() -> BTreeMap<String, Vec<String>> {
    let crates_dir = root().join("crates");
    let names: Vec<String> = crate_dirs(&crates_dir).iter().map(|d| file_name(d)).collect();
    let mut graph = BTreeMap::new();
    for dir in crate_dirs(&crates_dir) {
        let manifest: toml::Table = std::fs::read_to_string(dir.join("Cargo.toml"))
            .expect("Cargo.toml")
            .parse()
            .expect("Cargo.toml parses");
        let deps = manifest
            .get("dependencies")
            .and_then(toml::Value::as_table)
            .into_iter()
            .flatten()
            .filter(|(name, spec)| {
                names.contains(name) && spec.get("optional").and_then(toml::Value::as_bool) != Some(true)
            })
            .map(|(name, _)| name.clone())
            .collect();
        graph.insert(file_name(&dir), deps);
    }
    graph
}

fn crate_dirs(crates_dir: &Path) -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(crates_dir)
        .expect("crates/")
        .map(|entry| entry.expect("entry").path())
        .filter(|path| path.join("Cargo.toml").is_file())
        .collect();
    dirs.sort();
    dirs
}

fn file_name(path: &Path) -> String {
    path.file_name().expect("a name").to_string_lossy().into_owned()
}

/// The rows of ARCHITECTURE's dependency table: crate → the crates it may depend on (`None`: any).
fn dependency_rules(architecture: &str) -> BTreeMap<String, Option<Vec<String>>> {
    let section = architecture
        .split("## Dependency rules")
        .nth(1)
        .and_then(|rest| rest.split("\n## ").next())
        .expect("ARCHITECTURE.md has a Dependency rules section");
    let mut rules = BTreeMap::new();
    for row in section.lines().filter(|l| l.starts_with('|') && l.contains('`')) {
        let cells: Vec<&str> = row.split('|').map(str::trim).collect();
        let (crates, allowed) = (cells[2], cells[3]);
        let allowed = (allowed != "any crate").then(|| ticked(allowed));
        for name in ticked(crates) {
            rules.insert(name, allowed.clone());
        }
    }
    rules
}

/// The `names` in backticks of a table cell.
fn ticked(cell: &str) -> Vec<String> {
    cell.split('`').skip(1).step_by(2).map(str::to_owned).collect()
}

fn dependency_breaks(
    graph: &BTreeMap<String, Vec<String>>,
    rules: &BTreeMap<String, Option<Vec<String>>>,
) -> Vec<String> {
    let mut breaks = Vec::new();
    for (name, deps) in graph {
        match rules.get(name) {
            None => breaks.push(format!("{name} has no row in ARCHITECTURE.md's dependency rules")),
            Some(None) => {}
            Some(Some(allowed)) => breaks.extend(
                deps.iter()
                    .filter(|dep| !allowed.contains(dep))
                    .map(|dep| format!("{name} depends on {dep}, which its layer may not")),
            ),
        }
    }
    breaks
}

/// Every `.rs` file under `crates/*/src` whose first line is not a `//!` header.
fn files_without_header(crates_dir: &Path) -> Vec<PathBuf> {
    let mut missing = Vec::new();
    let mut stack: Vec<PathBuf> = crate_dirs(crates_dir).into_iter().map(|d| d.join("src")).collect();
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let text = std::fs::read_to_string(&path).unwrap_or_default();
                if !text.starts_with("//!") {
                    missing.push(path);
                }
            }
        }
    }
    missing.sort();
    missing
}

/// Crates the code map does not list, and modules of the core (`bot`) ARCHITECTURE.md does not name.
fn missing_from_code_map(architecture: &str, crates: &[String], core_modules: &[String]) -> Vec<String> {
    let crates = crates
        .iter()
        .filter(|name| !architecture.contains(&format!("| `{name}` |")))
        .map(|name| format!("crate {name}"));
    let modules = core_modules
        .iter()
        .filter(|module| {
            !architecture.contains(&format!("`{module}.rs`")) && !architecture.contains(&format!("`{module}/`"))
        })
        .map(|module| format!("bot module {module}"));
    crates.chain(modules).collect()
}

fn core_modules() -> Vec<String> {
    let mut modules = Vec::new();
    let mut folders = vec![root().join("crates/bot/src")];
    while let Some(folder) = folders.pop() {
        for path in std::fs::read_dir(&folder)
            .expect("a folder of bot/src")
            .flatten()
            .map(|e| e.path())
        {
            let name = file_name(&path);
            match name.strip_suffix(".rs") {
                Some("lib" | "mod" | "tests") => {}
                Some(module) => modules.push(module.to_owned()),
                None if path.is_dir() => {
                    modules.push(name);
                    folders.push(path);
                }
                None => {}
            }
        }
    }
    modules.sort();
    modules
}

#[test]
fn the_workspace_keeps_the_dependency_rules() {
    let breaks = dependency_breaks(&workspace_dependencies(), &dependency_rules(&architecture()));
    assert!(breaks.is_empty(), "{breaks:#?}");
}

#[test]
fn every_source_file_opens_with_its_header() {
    let missing = files_without_header(&root().join("crates"));
    assert!(missing.is_empty(), "no `//!` header: {missing:#?}");
}

#[test]
fn the_code_map_names_every_crate_and_every_module_of_the_core() {
    let crates: Vec<String> = workspace_dependencies().into_keys().collect();
    let missing = missing_from_code_map(&architecture(), &crates, &core_modules());
    assert!(missing.is_empty(), "ARCHITECTURE.md's code map misses {missing:#?}");
}

#[test]
fn the_checks_catch_broken_rules() {
    let rules = dependency_rules(
        "## Dependency rules\n| layer | crates | may depend on |\n|---|---|---|\n\
         | core | `bot` | `config` |\n| programs | `app` | any crate |\n## Next",
    );
    let graph = BTreeMap::from([
        ("bot".to_owned(), vec!["config".to_owned(), "slack".to_owned()]),
        ("app".to_owned(), vec!["bot".to_owned(), "slack".to_owned()]),
        ("slack".to_owned(), vec![]),
    ]);
    assert_eq!(
        dependency_breaks(&graph, &rules),
        [
            "bot depends on slack, which its layer may not",
            "slack has no row in ARCHITECTURE.md's dependency rules"
        ]
    );

    let scratch = tempfile::tempdir().expect("temp dir");
    let src = scratch.path().join("demo/src/inner");
    std::fs::create_dir_all(&src).expect("dirs");
    std::fs::write(scratch.path().join("demo/Cargo.toml"), "[package]\nname = \"demo\"\n").expect("manifest");
    std::fs::write(scratch.path().join("demo/src/lib.rs"), "//! Documented.\nmod inner;\n").expect("lib");
    std::fs::write(src.join("bare.rs"), "fn undocumented() {}\n").expect("bare");
    assert_eq!(files_without_header(scratch.path()), [src.join("bare.rs")]);

    let map = "| `bot` | the core: `answer.rs`, `commands/` |";
    assert_eq!(
        missing_from_code_map(
            map,
            &["bot".into(), "slack".into()],
            &["answer".into(), "commands".into(), "turn".into()]
        ),
        ["crate slack", "bot module turn"]
    );
}
