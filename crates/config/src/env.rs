//! The variables lookerbot reads: the process environment over a `.env` file.

use std::collections::HashMap;
use std::path::Path;

use crate::error::Problems;
use crate::secret::Secret;

/// A snapshot of the variables, with typed accessors that record a [`crate::Problem`] on bad values.
#[derive(Debug, Clone, Default)]
pub struct Environment {
    vars: HashMap<String, String>,
}

impl Environment {
    /// The process environment, completed by `.env` in the working directory when it exists. A variable set in the
    /// real environment wins over `.env`, as in the original.
    pub fn load() -> Result<Self, String> {
        Self::load_with_dotenv(Path::new(".env"), std::env::vars())
    }

    /// [`Environment::load`] with an explicit `.env` path and process variables (for tests).
    pub fn load_with_dotenv(
        dotenv: &Path,
        process: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Self, String> {
        let mut vars: HashMap<String, String> = HashMap::new();
        if dotenv.exists() {
            let entries = dotenvy::from_path_iter(dotenv).map_err(|e| format!("{}: {e}", dotenv.display()))?;
            for entry in entries {
                let (key, value) = entry.map_err(|e| format!("{} is not a valid .env file: {e}", dotenv.display()))?;
                vars.insert(key, value);
            }
        }
        vars.extend(process);
        Ok(Environment { vars })
    }

    pub fn from_pairs<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Self {
        Environment {
            vars: pairs.into_iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
        }
    }

    pub fn set(&mut self, name: &str, value: &str) {
        self.vars.insert(name.to_string(), value.to_string());
    }

    /// The value of `name`, with surrounding blanks removed; an empty value counts as unset.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.vars.get(name).map(|v| v.trim()).filter(|v| !v.is_empty())
    }

    /// The first of `names` that is set, with the name it came from.
    pub fn first_of<'a>(&self, names: &[&'a str]) -> Option<(&'a str, &str)> {
        names.iter().find_map(|n| self.get(n).map(|v| (*n, v)))
    }

    pub fn secret(&self, name: &str) -> Option<Secret> {
        self.get(name).map(Secret::new)
    }

    /// A yes/no variable: `true/false`, `1/0`, `yes/no`, `on/off`, any case.
    pub(crate) fn flag(&self, name: &str, default: bool, problems: &mut Problems) -> bool {
        match self.get(name) {
            None => default,
            Some(value) => match parse_flag(value) {
                Some(flag) => flag,
                None => {
                    problems.add(name, format!("must be true or false, not {value:?}"));
                    default
                }
            },
        }
    }
}

fn parse_flag(value: &str) -> Option<bool> {
    match value.to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "on" => Some(true),
        "false" | "0" | "no" | "off" => Some(false),
        _ => None,
    }
}
