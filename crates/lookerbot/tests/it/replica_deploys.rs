//! The deploy files for several replicas on PostgreSQL, read as Kubernetes and Docker Compose would read them:
//! `deploy/kubernetes-replicas/` (a Deployment of several pods without a volume, a disruption budget, a Service, the
//! Secret with `LOOKERBOT_DATABASE_URL`) and the README's Compose example (PostgreSQL and two bots). Every variable
//! they set is one lookerbot reads, the shutdown waits fit the bot's grace, and the probe paths answer 200 on two
//! real `lookerbot serve` replicas sharing a real PostgreSQL database; while it is stopped, readiness fails and
//! liveness does not.

use crate::reliability_support;

use std::time::{Duration, Instant};

use reliability_support::{BotProcess, Peers};
use serde_yaml_ng::Value;
use testbed::postgres::Cluster;

const MANIFEST: &str = include_str!("../../../../deploy/kubernetes-replicas/lookerbot.yaml");
const SECRET: &str = include_str!("../../../../deploy/kubernetes-replicas/secret.example.yaml");
const README: &str = include_str!("../../../../README.md");

fn documents(yaml: &str) -> Vec<Value> {
    serde_yaml_ng::Deserializer::from_str(yaml)
        .map(|d| serde::Deserialize::deserialize(d).unwrap())
        .collect()
}

fn kind<'a>(documents: &'a [Value], kind: &str) -> &'a Value {
    documents
        .iter()
        .find(|d| d["kind"] == kind)
        .unwrap_or_else(|| panic!("no {kind}"))
}

fn deployment() -> Value {
    kind(&documents(MANIFEST), "Deployment").clone()
}

fn container() -> Value {
    deployment()["spec"]["template"]["spec"]["containers"][0].clone()
}

fn assert_known(name: &str, source: &str) {
    assert!(
        config::variables::is_known(name),
        "{source} sets {name}, which lookerbot does not read"
    );
}

#[test]
fn kubernetes_runs_several_replicas_without_a_volume_on_the_secrets_database() {
    let documents = documents(MANIFEST);
    let deployment = kind(&documents, "Deployment");
    let replicas = deployment["spec"]["replicas"].as_u64().unwrap();
    assert!(replicas >= 2, "several replicas: {replicas}");
    assert_eq!(deployment["spec"]["strategy"]["type"], "RollingUpdate");
    assert_eq!(deployment["spec"]["strategy"]["rollingUpdate"]["maxUnavailable"], 0);
    let pod = &deployment["spec"]["template"]["spec"];
    assert!(
        pod["terminationGracePeriodSeconds"].as_u64().unwrap() > lookerbot::serve::SHUTDOWN_GRACE.as_secs(),
        "Kubernetes waits longer than the bot lets deliveries finish"
    );
    assert!(pod["volumes"].is_null(), "the queue is in PostgreSQL, not on a volume");

    let container = &pod["containers"][0];
    for env in container["env"].as_sequence().unwrap() {
        assert_known(env["name"].as_str().unwrap(), "the Deployment");
        if env["name"] == "PORT" {
            let port = container["ports"][0]["containerPort"].as_u64().unwrap();
            assert_eq!(
                env["value"].as_str(),
                Some(port.to_string().as_str()),
                "the bot listens on the pod's port"
            );
        }
    }
    let secret = documents_of_secret();
    assert_eq!(container["envFrom"][0]["secretRef"]["name"], secret["metadata"]["name"]);
    let keys: Vec<&str> = secret["stringData"]
        .as_mapping()
        .unwrap()
        .keys()
        .map(|k| k.as_str().unwrap())
        .collect();
    for key in &keys {
        assert_known(key, "secret.example.yaml");
    }
    assert!(keys.contains(&"LOOKERBOT_DATABASE_URL"), "{keys:?}");

    let pod_labels = &deployment["spec"]["template"]["metadata"]["labels"];
    let service = kind(&documents, "Service");
    assert_eq!(&service["spec"]["selector"], pod_labels);
    assert_eq!(service["spec"]["ports"][0]["targetPort"], container["ports"][0]["name"]);
    let budget = kind(&documents, "PodDisruptionBudget");
    assert_eq!(&budget["spec"]["selector"]["matchLabels"], pod_labels);
    assert!(budget["spec"]["minAvailable"].as_u64().unwrap() < replicas);
    let spread = &pod["topologySpreadConstraints"][0];
    assert_eq!(&spread["labelSelector"]["matchLabels"], pod_labels);
}

fn documents_of_secret() -> Value {
    kind(&documents(SECRET), "Secret").clone()
}

/// The README's Compose example, with its `<<: *bot` merges applied.
fn compose() -> Value {
    let block = README
        .split("```yaml\n")
        .find(|block| block.starts_with("# docker-compose.yml"))
        .and_then(|block| block.split("```").next())
        .expect("the README has the Compose example");
    let mut compose: Value = serde_yaml_ng::from_str(block).unwrap();
    compose.apply_merge().unwrap();
    compose
}

#[test]
fn the_compose_example_runs_two_bots_on_its_postgres() {
    let compose = compose();
    let services = compose["services"].as_mapping().unwrap();
    let postgres = &compose["services"]["postgres"]["environment"];
    let database_url = format!(
        "postgres://{}:{}@postgres:5432/{}",
        postgres["POSTGRES_USER"].as_str().unwrap(),
        postgres["POSTGRES_PASSWORD"].as_str().unwrap(),
        postgres["POSTGRES_DB"].as_str().unwrap()
    );
    let bots: Vec<&Value> = services
        .iter()
        .filter(|(name, _)| name.as_str() != Some("postgres"))
        .map(|(_, bot)| bot)
        .collect();
    assert_eq!(bots.len(), 2);
    for bot in bots {
        let environment = bot["environment"].as_mapping().unwrap();
        for name in environment.keys() {
            assert_known(name.as_str().unwrap(), "the Compose example");
        }
        assert_eq!(
            bot["environment"]["LOOKERBOT_DATABASE_URL"].as_str(),
            Some(database_url.as_str())
        );
        let grace: u64 = bot["stop_grace_period"]
            .as_str()
            .and_then(|s| s.strip_suffix('s'))
            .and_then(|s| s.parse().ok())
            .unwrap();
        assert!(grace > lookerbot::serve::SHUTDOWN_GRACE.as_secs());
        assert_eq!(bot["depends_on"][0], "postgres");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_probe_paths_answer_on_replicas_sharing_postgres_and_only_readiness_fails_while_it_is_down() {
    let container = container();
    let [liveness, readiness] = ["livenessProbe", "readinessProbe"].map(|probe| {
        assert_eq!(container[probe]["httpGet"]["port"], container["ports"][0]["name"]);
        container[probe]["httpGet"]["path"].as_str().unwrap().to_owned()
    });
    let mut cluster = Cluster::create();
    let mut peers = Peers::start(Duration::ZERO).await;
    peers.database_url = Some(cluster.url());
    let bots = [peers.spawn_bot().await, peers.spawn_bot().await];
    let status = |bot: &BotProcess, path: &str| {
        let request = peers.http.get(format!("{}{path}", bot.url));
        async move { request.send().await.unwrap().status().as_u16() }
    };
    for bot in &bots {
        assert_eq!(status(bot, &liveness).await, 200);
        assert_eq!(status(bot, &readiness).await, 200, "log:\n{}", bot.log_text());
    }

    tokio::task::block_in_place(|| cluster.stop());
    for bot in &bots {
        assert_eq!(
            status(bot, &readiness).await,
            503,
            "no traffic while the queue cannot commit"
        );
        assert_eq!(
            status(bot, &liveness).await,
            200,
            "the pods are not restarted for the database's outage"
        );
    }
    tokio::task::block_in_place(|| cluster.start());
    for bot in &bots {
        let deadline = Instant::now() + Duration::from_secs(60);
        while status(bot, &readiness).await != 200 {
            assert!(Instant::now() < deadline, "ready again once PostgreSQL is back");
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
}
