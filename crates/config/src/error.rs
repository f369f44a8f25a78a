//! Configuration problems, worded so that the person reading them knows which variable to fix and how.

use std::fmt;

/// One thing wrong with the configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The variable at fault (or the first of several that together are at fault).
    pub variable: String,
    /// What is wrong and what to do, in a sentence.
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.variable, self.message)
    }
}

/// Every problem found, so that all can be fixed at once. The program exits with code 2 on it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ConfigError {
    pub problems: Vec<Problem>,
}

impl ConfigError {
    /// Whether some problem names `variable`; handy in tests and in `check`.
    pub fn mentions(&self, variable: &str) -> bool {
        self.problems.iter().any(|p| p.variable == variable)
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "lookerbot cannot start: the configuration has {} problem(s):",
            self.problems.len()
        )?;
        for problem in &self.problems {
            writeln!(f, "  - {problem}")?;
        }
        write!(
            f,
            "Set these as environment variables or in a .env file; `lookerbot --help` lists every variable."
        )
    }
}

/// Collects problems while settings are read, so that reading goes on past the first one.
#[derive(Debug, Default)]
pub(crate) struct Problems(pub Vec<Problem>);

impl Problems {
    pub fn add(&mut self, variable: &str, message: impl Into<String>) {
        self.0.push(Problem {
            variable: variable.to_string(),
            message: message.into(),
        });
    }
}
