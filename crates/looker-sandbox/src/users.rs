//! The sandbox's Looker users and what each may do: an admin (the API user the bot logs in as), people (emails as the Slack simulator's people have them) whose role
//! has `access_data` on `thelook` with a `region` user attribute behind an access filter on `users.state`, a
//! viewer whose role has no model access, and a disabled account. The Reports folder (under the command folder) is
//! shared with some only. A test may disable or delete a user while the sandbox runs ([`Directory`]), as an admin
//! would in Looker.

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;

use serde_json::{Value, json};

use crate::content::{self, CUSTOM_COMMAND_SUBFOLDER_ID, SHARED_FOLDER_ID};
use crate::query::QueryDef;

/// The field the `region` user attribute filters, as an access filter in the model would.
pub const REGION_FIELD: &str = "users.state";

/// One Looker user.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct User {
    pub id: &'static str,
    pub first_name: &'static str,
    pub last_name: &'static str,
    pub email: &'static str,
    pub is_disabled: bool,
    /// Admin role: may log in as others and search users.
    pub admin: bool,
    /// A role with `access_data` on the model: may run queries.
    pub access_data: bool,
    /// The `region` user attribute; `None` sees every region (admin) or has no data access anyway.
    pub region: Option<&'static str>,
    /// Whether the Reports folder is shared with this user.
    pub sees_reports: bool,
}

pub const ADMIN_ID: &str = content::SANDBOX_USER_ID;

const USERS: [User; 5] = [
    User {
        id: ADMIN_ID,
        first_name: "Sandbox",
        last_name: "User",
        email: "sandbox@example.com",
        is_disabled: false,
        admin: true,
        access_data: true,
        region: None,
        sees_reports: true,
    },
    User {
        id: "2",
        first_name: "Alice",
        last_name: "Analyst",
        email: "alice@sim.example",
        is_disabled: false,
        admin: false,
        access_data: true,
        region: Some("California"),
        sees_reports: true,
    },
    User {
        id: "3",
        first_name: "Bob",
        last_name: "Builder",
        email: "bob@sim.example",
        is_disabled: false,
        admin: false,
        access_data: true,
        region: Some("Texas"),
        sees_reports: false,
    },
    User {
        id: "4",
        first_name: "Vera",
        last_name: "Viewer",
        email: "vera@sim.example",
        is_disabled: false,
        admin: false,
        access_data: false,
        region: None,
        sees_reports: false,
    },
    User {
        id: "5",
        first_name: "Dora",
        last_name: "Gone",
        email: "dora@sim.example",
        is_disabled: true,
        admin: false,
        access_data: true,
        region: Some("California"),
        sees_reports: true,
    },
];

pub fn all() -> &'static [User] {
    &USERS
}

/// What an admin changed about a user while the sandbox runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Change {
    Disabled,
    Deleted,
}

/// The users as they are now: [`all`] with the changes a test made.
#[derive(Debug, Default)]
pub struct Directory {
    changes: Mutex<HashMap<String, Change>>,
}

impl Directory {
    /// The user with this id now (`None` once deleted).
    pub fn user(&self, id: &str) -> Option<User> {
        self.now().into_iter().find(|u| u.id == id)
    }

    /// Every user not deleted, disabled ones marked so.
    pub fn now(&self) -> Vec<User> {
        let changes = self.changes.lock().unwrap_or_else(|p| p.into_inner());
        USERS
            .iter()
            .filter_map(|u| match changes.get(u.id) {
                Some(Change::Deleted) => None,
                Some(Change::Disabled) => Some(User {
                    is_disabled: true,
                    ..*u
                }),
                None => Some(*u),
            })
            .collect()
    }

    pub fn disable(&self, id: &str) {
        self.change(id, Change::Disabled);
    }

    pub fn delete(&self, id: &str) {
        self.change(id, Change::Deleted);
    }

    fn change(&self, id: &str, change: Change) {
        (self.changes.lock().unwrap_or_else(|p| p.into_inner())).insert(id.to_owned(), change);
    }
}

pub fn admin() -> &'static User {
    &USERS[0]
}

impl User {
    /// Whether content in this folder is visible to the user.
    pub fn sees_folder(&self, folder_id: &str) -> bool {
        folder_id != CUSTOM_COMMAND_SUBFOLDER_ID || self.sees_reports
    }

    /// The query as this user may run it (with their access filters), or `None` without data access.
    pub fn restrict(&self, def: &QueryDef) -> Option<QueryDef> {
        if !self.access_data || self.is_disabled {
            return None;
        }
        let mut restricted = def.clone();
        restricted.access_filters = self.access_filters();
        Some(restricted)
    }

    fn access_filters(&self) -> BTreeMap<String, String> {
        self.region
            .map(|region| (REGION_FIELD.to_owned(), region.to_owned()))
            .into_iter()
            .collect()
    }

    /// The `User` resource.
    pub fn json(&self, web_url: &str) -> Value {
        json!({
            "can": {"show": true, "index": true},
            "avatar_url": null,
            "display_name": format!("{} {}", self.first_name, self.last_name),
            "email": self.email,
            "first_name": self.first_name,
            "last_name": self.last_name,
            "group_ids": ["1"],
            "home_folder_id": SHARED_FOLDER_ID,
            "id": self.id,
            "is_disabled": self.is_disabled,
            "locale": "en",
            "personal_folder_id": null,
            "role_ids": [if self.admin { "2" } else if self.access_data { "3" } else { "4" }],
            "is_service_account": false,
            "url": format!("{web_url}/admin/users/{}", self.id),
        })
    }
}

/// `search_users` among `users`: admins only (others see nobody); `email`, `id`, `is_disabled`, `first_name`,
/// `last_name` compared case-insensitively, `%` as wildcard in text.
pub fn search(actor: &User, users: Vec<User>, params: &HashMap<String, String>) -> Vec<User> {
    if !actor.admin {
        return Vec::new();
    }
    users
        .into_iter()
        .filter(|u| {
            let disabled = u.is_disabled.to_string();
            let fields = [
                ("email", u.email),
                ("id", u.id),
                ("first_name", u.first_name),
                ("last_name", u.last_name),
                ("is_disabled", disabled.as_str()),
            ];
            fields.iter().all(|(name, actual)| {
                params
                    .get(*name)
                    .is_none_or(|wanted| content::title_matches(wanted, actual))
            })
        })
        .collect()
}
