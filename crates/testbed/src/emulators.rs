//! The storage emulators the chart-image tests run against: moto (S3), Azurite (Azure Blob Storage) and
//! gcp-storage-emulator (Google Cloud Storage), all installed by `.ci/install-emulators`.

use crate::install::Program;
use crate::process;

/// One emulator: the program, how to start it on a port, and the variable that names one of your own instead.
pub struct Emulator {
    pub program: Program,
    /// When set (and not empty), the endpoint of an emulator the person running the tests started; nothing is
    /// installed or started then.
    pub env_var: &'static str,
    /// The program's arguments to listen on a given loopback port.
    pub args: fn(u16) -> Vec<String>,
    /// Appended to `http://127.0.0.1:{port}` to make the endpoint handed to tests.
    pub endpoint_suffix: &'static str,
}

impl Emulator {
    /// The emulator's endpoint: the one named by [`Emulator::env_var`], or else one this process starts (after
    /// installing it if needed) and stops when it ends. Call once per test binary and keep the answer.
    pub fn endpoint(&self) -> String {
        if let Ok(endpoint) = std::env::var(self.env_var)
            && !endpoint.is_empty()
        {
            return endpoint.trim_end_matches('/').to_owned();
        }
        let program = self.program.ensure();
        let port = process::free_port();
        process::start(self.program.name, &program, &(self.args)(port), port);
        format!("http://127.0.0.1:{port}{}", self.endpoint_suffix)
    }
}

const INSTALLER: &str = ".ci/install-emulators";
const INSTALL_DIRS: &[&str] = &[".ci/.emulators/venv/bin", ".ci/.emulators/node/bin"];

pub const MOTO: Emulator = Emulator {
    program: Program {
        name: "moto (S3 emulator)",
        command: "moto_server",
        installer: INSTALLER,
        install_dirs: INSTALL_DIRS,
    },
    env_var: "LOOKERBOT_TEST_S3_ENDPOINT",
    args: |port| strings(&["-H", "127.0.0.1", "-p", &port.to_string()]),
    endpoint_suffix: "",
};

/// Azurite's endpoint, as handed to tests, is the blob endpoint of its well-known account.
pub const AZURITE: Emulator = Emulator {
    program: Program {
        name: "Azurite (Azure Blob Storage emulator)",
        command: "azurite-blob",
        installer: INSTALLER,
        install_dirs: INSTALL_DIRS,
    },
    env_var: "LOOKERBOT_TEST_AZURE_ENDPOINT",
    args: |port| {
        strings(&[
            "--blobHost",
            "127.0.0.1",
            "--blobPort",
            &port.to_string(),
            "--loose",
            "--skipApiVersionCheck",
            "--inMemoryPersistence",
            "--disableTelemetry",
        ])
    },
    endpoint_suffix: "/devstoreaccount1",
};

pub const GCS: Emulator = Emulator {
    program: Program {
        name: "gcp-storage-emulator (Google Cloud Storage emulator)",
        command: "gcp-storage-emulator",
        installer: INSTALLER,
        install_dirs: INSTALL_DIRS,
    },
    env_var: "LOOKERBOT_TEST_GCS_ENDPOINT",
    args: |port| {
        strings(&[
            "start",
            "--host",
            "127.0.0.1",
            "--port",
            &port.to_string(),
            "--in-memory",
            "-q",
        ])
    },
    endpoint_suffix: "",
};

fn strings(args: &[&str]) -> Vec<String> {
    args.iter().map(|arg| (*arg).to_owned()).collect()
}
