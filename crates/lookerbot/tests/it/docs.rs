//! The README documents every variable and is the source of the test command CI runs.

const README: &str = include_str!("../../../../README.md");
const CI: &str = include_str!("../../../../.ci/run");

#[test]
fn the_readme_documents_every_variable() {
    for (_, variables) in config::variables::GROUPS {
        for variable in *variables {
            assert!(
                README.contains(&format!("`{}`", variable.name)),
                "README.md does not document {}",
                variable.name
            );
        }
    }
}

#[test]
fn ci_runs_the_readme_test_command() {
    let command = README
        .split("```sh\n")
        .nth(2)
        .and_then(|block| block.lines().next())
        .expect("the README's second code block is the test command");
    assert_eq!(command, "cargo test --workspace");
    assert!(
        CI.lines().any(|line| line.trim() == command),
        ".ci/run must run `{command}`"
    );
    let demo = README.split("```sh\n").nth(1).and_then(|b| b.lines().next()).unwrap();
    assert_eq!(demo, "cargo run -p lookerbot -- demo");
}

/// Every variable name a deploy file sets or lists must be one lookerbot reads, and the samples list them all.
mod deploy_files {
    const APP_JSON: &str = include_str!("../../../../app.json");
    const ENV_EXAMPLE: &str = include_str!("../../../../.env.example");
    const PROCFILE: &str = include_str!("../../../../Procfile");
    const RUST_CONFIG: &str = include_str!("../../../../RustConfig");
    const DOCKERFILE: &str = include_str!("../../../../Dockerfile");
    const SYSTEMD: &str = include_str!("../../../../deploy/lookerbot.service");
    const KUBERNETES: &str = include_str!("../../../../deploy/kubernetes/lookerbot.yaml");
    const README: &str = include_str!("../../../../README.md");

    fn all_variables() -> Vec<&'static str> {
        config::variables::GROUPS
            .iter()
            .flat_map(|(_, vars)| vars.iter().map(|v| v.name))
            .collect()
    }

    #[test]
    fn app_json_sets_only_known_variables_and_requires_the_essentials() {
        let app: serde_json::Value = serde_json::from_str(APP_JSON).unwrap();
        let env = app["env"].as_object().unwrap();
        for name in env.keys() {
            assert!(
                config::variables::is_known(name),
                "app.json sets {name}, which lookerbot does not read"
            );
        }
        for required in [
            "SLACK_API_KEY",
            "LOOKER_API_BASE_URL",
            "LOOKER_API_3_CLIENT_ID",
            "LOOKER_API_3_CLIENT_SECRET",
        ] {
            assert_eq!(env[required]["required"], true, "app.json must require {required}");
        }
        assert_eq!(app["buildpacks"][0]["url"], "emk/rust");
        assert!(README.contains("https://www.herokucdn.com/deploy/button.svg"));
    }

    #[test]
    fn env_example_lists_every_variable_and_nothing_else() {
        let listed: Vec<&str> = ENV_EXAMPLE
            .lines()
            .filter_map(|l| l.trim_start_matches("# ").split_once('='))
            .map(|(name, _)| name)
            .filter(|name| {
                name.chars()
                    .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
            })
            .collect();
        for name in &listed {
            assert!(
                config::variables::is_known(name),
                ".env.example lists {name}, which lookerbot does not read"
            );
        }
        for name in all_variables() {
            assert!(listed.contains(&name), ".env.example lacks {name}");
        }
    }

    #[test]
    fn the_buildpack_builds_the_binary_the_procfile_runs() {
        assert_eq!(PROCFILE.trim(), "web: ./target/release/lookerbot serve");
        assert!(RUST_CONFIG.lines().any(|l| l.starts_with("RUST_CARGO_BUILD_FLAGS=")
            && l.contains("--release")
            && l.contains("-p lookerbot")));
        assert!(RUST_CONFIG.lines().any(|l| l.starts_with("VERSION=1.")));
    }

    /// Production builds leave the demo's Looker sandbox out, and without the `demo` feature nothing pulls it in.
    #[test]
    fn production_builds_leave_the_sandbox_out() {
        assert!(DOCKERFILE.contains("cargo build --release --locked -p lookerbot --no-default-features"));
        assert!(RUST_CONFIG.contains("-p lookerbot --no-default-features"));
        assert!(README.contains("cargo build --release -p lookerbot --no-default-features"));
        let tree = |features: &[&str]| {
            let out = std::process::Command::new(env!("CARGO"))
                .args([
                    "tree",
                    "--offline",
                    "-p",
                    "lookerbot",
                    "-e",
                    "normal",
                    "--prefix",
                    "none",
                ])
                .args(features)
                .current_dir(env!("CARGO_MANIFEST_DIR"))
                .output()
                .expect("cargo tree runs");
            assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
            String::from_utf8(out.stdout).expect("utf-8")
        };
        assert!(!tree(&["--no-default-features"]).contains("looker-sandbox"));
        assert!(tree(&[]).contains("looker-sandbox"), "the default build has the demo");
    }

    #[test]
    fn the_dockerfile_pins_its_bases_caches_dependencies_and_stops_gracefully() {
        for from in DOCKERFILE.lines().filter(|l| l.starts_with("FROM ")) {
            let image = from.split_whitespace().nth(1).unwrap();
            if !image.contains(':') && !image.contains('@') {
                continue; // an earlier stage
            }
            let tag = image.split(['@', ':']).nth(1).unwrap();
            let exact = image.contains("@sha256:") || tag.chars().filter(|c| *c == '.').count() >= 1;
            assert!(
                exact && !tag.contains("latest"),
                "{image} is not pinned to an exact tag or digest"
            );
        }
        assert!(
            DOCKERFILE.contains("cargo chef cook"),
            "dependencies get their own cached layer"
        );
        assert!(DOCKERFILE.contains("STOPSIGNAL SIGTERM"));
        assert!(
            DOCKERFILE.contains("--time 30") && README.contains("--time 30"),
            "a stop timeout over the 20 s grace"
        );
    }

    #[test]
    fn the_systemd_unit_restarts_keeps_state_and_is_hardened() {
        for setting in [
            "RestartSec=",
            "StateDirectory=lookerbot",
            "NoNewPrivileges=yes",
            "ProtectSystem=strict",
            "ProtectHome=yes",
            "PrivateTmp=yes",
            "StartLimitIntervalSec=0",
            "Environment=LOOKERBOT_DATA_DIR=/var/lib/lookerbot/data",
        ] {
            assert!(
                SYSTEMD.lines().any(|l| l.starts_with(setting)),
                "the unit lacks {setting}"
            );
        }
        let stop: u64 = SYSTEMD
            .lines()
            .find_map(|l| l.strip_prefix("TimeoutStopSec="))
            .unwrap()
            .parse()
            .unwrap();
        assert!(stop > 20, "systemd must wait longer than the bot's 20 s grace");
    }

    /// systemd's own checker, where the machine has it: the unit parses, every setting is known, and it runs this
    /// build's binary.
    #[test]
    fn systemd_analyze_verifies_the_unit() {
        if std::process::Command::new("systemd-analyze")
            .arg("--version")
            .output()
            .is_err()
        {
            eprintln!("!!! SKIPPED: systemd-analyze is not installed, so the unit was not verified !!!");
            return;
        }
        let dir = tempfile::tempdir().unwrap();
        let unit = dir.path().join("lookerbot.service");
        let binary = env!("CARGO_BIN_EXE_lookerbot");
        std::fs::write(&unit, SYSTEMD.replace("/usr/local/bin/lookerbot", binary)).unwrap();
        let output = std::process::Command::new("systemd-analyze")
            .arg("verify")
            .arg(&unit)
            .output()
            .unwrap();
        let complaints = String::from_utf8_lossy(&output.stderr);
        assert!(output.status.success() && complaints.trim().is_empty(), "{complaints}");
    }

    #[test]
    fn kubernetes_runs_one_replica_with_a_volume_and_both_probes() {
        let documents: Vec<serde_yaml_ng::Value> = serde_yaml_ng::Deserializer::from_str(KUBERNETES)
            .map(|d| serde::Deserialize::deserialize(d).unwrap())
            .collect();
        let kind = |k: &str| {
            documents
                .iter()
                .find(|d| d["kind"] == k)
                .unwrap_or_else(|| panic!("no {k}"))
        };
        let deployment = kind("Deployment");
        assert_eq!(deployment["spec"]["replicas"], 1);
        assert_eq!(deployment["spec"]["strategy"]["type"], "Recreate");
        let pod = &deployment["spec"]["template"]["spec"];
        assert!(pod["terminationGracePeriodSeconds"].as_u64().unwrap() > 20);
        let container = &pod["containers"][0];
        assert_eq!(container["readinessProbe"]["httpGet"]["path"], "/ready");
        assert_eq!(container["livenessProbe"]["httpGet"]["path"], "/health_check");
        let claim = kind("PersistentVolumeClaim")["metadata"]["name"].clone();
        assert_eq!(pod["volumes"][0]["persistentVolumeClaim"]["claimName"], claim);
        for env in container["env"].as_sequence().unwrap() {
            assert!(config::variables::is_known(env["name"].as_str().unwrap()));
        }
    }
}

/// Every test the documents cite by name exists, and where a document names its file, it is in that file: a claim
/// backed by a test that was renamed or moved would otherwise point at nothing.
#[test]
fn every_test_the_documents_cite_exists_where_they_say() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut sources = Vec::new();
    let mut folders = vec![root.join("crates")];
    while let Some(folder) = folders.pop() {
        for path in std::fs::read_dir(&folder).unwrap().flatten().map(|e| e.path()) {
            if path.is_dir() && !path.ends_with("target") {
                folders.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                sources.push((path.clone(), std::fs::read_to_string(&path).unwrap()));
            }
        }
    }
    let defined =
        |name: &str, source: &str| source.contains(&format!("fn {name}(")) || source.contains(&format!("fn {name}<"));
    let mut documents = vec![root.join("README.md"), root.join("ARCHITECTURE.md")];
    documents.extend(
        std::fs::read_dir(root.join("docs"))
            .unwrap()
            .flatten()
            .map(|e| e.path()),
    );
    let mut wrong = Vec::new();
    for document in documents {
        let text = std::fs::read_to_string(&document).unwrap();
        let spans: Vec<&str> = text.split('`').collect();
        // Odd pieces are code spans; a test name is a snake_case span of four words or more (metric names aside).
        for (i, name) in spans.iter().enumerate().skip(1).step_by(2) {
            let looks_like_a_test = name.matches('_').count() >= 3
                && !name.starts_with("lookerbot_")
                && name
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
            if !looks_like_a_test {
                continue;
            }
            let cited_file = spans
                .get(i + 1)
                .and_then(|after| after.strip_prefix(" ("))
                .filter(|after| after.starts_with("crates/"))
                .and_then(|after| after.split([')', ',', ' ', ':']).next());
            let found = match cited_file {
                Some(file) => std::fs::read_to_string(root.join(file)).is_ok_and(|source| defined(name, &source)),
                None => sources.iter().any(|(_, source)| defined(name, source)),
            };
            if !found {
                wrong.push(format!("{}: {name} {}", document.display(), cited_file.unwrap_or("")));
            }
        }
    }
    assert!(wrong.is_empty(), "cited tests not found:\n{}", wrong.join("\n"));
}
