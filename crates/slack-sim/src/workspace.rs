//! The simulated workspace: team, users and conversations, seeded with the cases the bot must handle
//! (guests, deleted users, other-team users, a channel the bot is not in, a private and an archived channel).

use serde_json::{Value, json};

pub const TEAM_ID: &str = "T0SIM";
pub const TEAM_NAME: &str = "Sim Team";
pub const TEAM_DOMAIN: &str = "sim";
pub const BOT_USER_ID: &str = "UBOT";
pub const BOT_USER_NAME: &str = "lookerbot";
pub const BOT_ID: &str = "B0SIMBOT";
pub const APP_ID: &str = "A0SIM";

/// Creation time shown for seeded objects (2024-01-01T00:00:00Z).
const SEED_CREATED: i64 = 1_704_067_200;
/// The Enterprise Grid org the sim team belongs to (`team_id` of Grid members).
pub const ENTERPRISE_ID: &str = "E0SIM";

/// A workspace member.
#[derive(Debug, Clone, PartialEq)]
pub struct User {
    pub id: String,
    pub team_id: String,
    pub name: String,
    pub real_name: String,
    pub email: Option<String>,
    pub deleted: bool,
    pub is_bot: bool,
    pub is_admin: bool,
    pub is_restricted: bool,
    pub is_ultra_restricted: bool,
    /// An app's user that is not a bot user (`is_app_user`).
    pub is_app_user: bool,
    /// Someone outside the workspace, seen through a shared channel (`is_stranger`).
    pub is_stranger: bool,
    /// Enterprise Grid: the org's workspaces this person belongs to (`teams`, `enterprise_user.teams`); their
    /// `team_id` is then the org's id.
    pub teams: Vec<String>,
    pub tz: String,
}

impl User {
    /// A full member of the sim team.
    pub fn member(id: &str, name: &str, real_name: &str) -> User {
        User {
            id: id.to_owned(),
            team_id: TEAM_ID.to_owned(),
            name: name.to_owned(),
            real_name: real_name.to_owned(),
            email: Some(format!("{name}@sim.example")),
            deleted: false,
            is_bot: false,
            is_admin: false,
            is_restricted: false,
            is_ultra_restricted: false,
            is_app_user: false,
            is_stranger: false,
            teams: Vec::new(),
            tz: "Europe/London".to_owned(),
        }
    }
}

/// What kind of conversation this is; decides `is_channel`/`is_private`/`is_im` and visibility.
#[derive(Debug, Clone, PartialEq)]
pub enum ConversationKind {
    PublicChannel,
    PrivateChannel,
    /// Direct message between the bot and `user`.
    Im {
        user: String,
    },
    Mpim,
}

/// A channel, private channel, DM or group DM.
#[derive(Debug, Clone, PartialEq)]
pub struct Conversation {
    pub id: String,
    /// Empty for DMs.
    pub name: String,
    pub kind: ConversationKind,
    pub is_archived: bool,
    pub is_general: bool,
    /// Member user ids; the bot is a member when [`BOT_USER_ID`] is listed.
    pub members: Vec<String>,
    pub topic: String,
    pub purpose: String,
    pub created: i64,
}

impl Conversation {
    fn new(id: &str, name: &str, kind: ConversationKind, members: Vec<String>) -> Conversation {
        Conversation {
            id: id.to_owned(),
            name: name.to_owned(),
            kind,
            is_archived: false,
            is_general: false,
            members,
            topic: String::new(),
            purpose: String::new(),
            created: SEED_CREATED,
        }
    }

    /// A public channel with the given members.
    pub fn public(id: &str, name: &str, members: &[&str]) -> Conversation {
        let members = members.iter().map(|m| (*m).to_owned()).collect();
        Conversation::new(id, name, ConversationKind::PublicChannel, members)
    }

    /// A private channel with the given members.
    pub fn private(id: &str, name: &str, members: &[&str]) -> Conversation {
        Conversation {
            kind: ConversationKind::PrivateChannel,
            ..Conversation::public(id, name, members)
        }
    }

    pub fn has_member(&self, user: &str) -> bool {
        self.members.iter().any(|m| m == user)
    }

    pub fn bot_is_member(&self) -> bool {
        self.has_member(BOT_USER_ID)
    }

    /// The conversations.list `types` value this conversation falls under.
    pub fn type_name(&self) -> &'static str {
        match self.kind {
            ConversationKind::PublicChannel => "public_channel",
            ConversationKind::PrivateChannel => "private_channel",
            ConversationKind::Im { .. } => "im",
            ConversationKind::Mpim => "mpim",
        }
    }

    /// Whether the bot can see it at all: public channels always, anything else only as a member.
    pub fn visible_to_bot(&self) -> bool {
        self.kind == ConversationKind::PublicChannel || self.bot_is_member()
    }
}

/// Team, users and conversations, mutated by the Web API handlers and by tests.
#[derive(Debug, Clone)]
pub struct Workspace {
    pub users: Vec<User>,
    pub conversations: Vec<Conversation>,
    mpim_count: u32,
}

impl Workspace {
    /// The seeded workspace described in the crate README.
    pub fn seeded() -> Workspace {
        let alice = User {
            is_admin: true,
            ..User::member("U0ALICE", "alice", "Alice Analyst")
        };
        let bob = User::member("U0BOB", "bob", "Bob Builder");
        let guest = User {
            is_restricted: true,
            ..User::member("U0GUEST", "guest", "Gina Guest")
        };
        let ultra = User {
            is_restricted: true,
            is_ultra_restricted: true,
            ..User::member("U0ULTRA", "ultra", "Uma Ultra")
        };
        let helper = User {
            is_bot: true,
            email: None,
            ..User::member("U0HELPER", "helperbot", "Helper Bot")
        };
        let gone = User {
            deleted: true,
            ..User::member("U0GONE", "gone", "Gary Gone")
        };
        let other = User {
            team_id: "T0OTHER".to_owned(),
            email: Some("olga@other.example".to_owned()),
            ..User::member("U0OTHER", "olga", "Olga Outsider")
        };
        let bot = User {
            is_bot: true,
            email: None,
            ..User::member(BOT_USER_ID, BOT_USER_NAME, "Lookerbot")
        };
        let app = User {
            is_app_user: true,
            email: None,
            ..User::member("U0APP", "workflowapp", "Workflow App")
        };
        let grid = User {
            team_id: ENTERPRISE_ID.to_owned(),
            teams: vec!["T0ELSEWHERE".to_owned(), TEAM_ID.to_owned()],
            ..User::member("W0GRID", "grace", "Grace Grid")
        };
        let stranger = User {
            team_id: "T0OTHER".to_owned(),
            is_stranger: true,
            email: None,
            ..User::member("U0STRANGER", "stan", "Stan Stranger")
        };

        let mut general = Conversation::public(
            "C0GENERAL",
            "general",
            &[
                BOT_USER_ID,
                "U0ALICE",
                "U0BOB",
                "U0GUEST",
                "U0HELPER",
                "U0APP",
                "W0GRID",
                "U0STRANGER",
            ],
        );
        general.is_general = true;
        general.purpose = "Company-wide announcements".to_owned();
        let alerts = Conversation::public("C0ALERTS", "alerts", &[BOT_USER_ID, "U0ALICE", "U0ULTRA"]);
        let random = Conversation::public("C0RANDOM", "random", &["U0ALICE", "U0BOB", "U0GUEST"]);
        let secret = Conversation::private("G0PRIVATE", "secret-plans", &[BOT_USER_ID, "U0ALICE"]);
        let mut archived = Conversation::public("C0ARCHIVED", "old-project", &[BOT_USER_ID, "U0ALICE"]);
        archived.is_archived = true;

        let mut workspace = Workspace {
            users: vec![alice, bob, guest, ultra, helper, gone, other, bot, app, grid, stranger],
            conversations: vec![general, alerts, random, secret, archived],
            mpim_count: 0,
        };
        // People who can write to the bot have a DM with it already, as in a real workspace where the bot's
        // "Messages" tab is open to everyone.
        for user in [
            "U0ALICE",
            "U0BOB",
            "U0GUEST",
            "U0ULTRA",
            "U0OTHER",
            "W0GRID",
            "U0STRANGER",
            "U0HELPER",
        ] {
            workspace.open_im(user);
        }
        workspace
    }

    pub fn user(&self, id: &str) -> Option<&User> {
        self.users.iter().find(|u| u.id == id)
    }

    pub fn conversation(&self, id: &str) -> Option<&Conversation> {
        self.conversations.iter().find(|c| c.id == id)
    }

    /// Finds a conversation the bot can see by id, or by channel name with or without `#`.
    pub fn find_visible(&self, id_or_name: &str) -> Option<&Conversation> {
        let name = id_or_name.strip_prefix('#').unwrap_or(id_or_name);
        self.conversations
            .iter()
            .find(|c| c.id == id_or_name || (!c.name.is_empty() && c.name == name))
            .filter(|c| c.visible_to_bot())
    }

    /// Adds or replaces (by id) a user.
    pub fn upsert_user(&mut self, user: User) {
        match self.users.iter_mut().find(|u| u.id == user.id) {
            Some(existing) => *existing = user,
            None => self.users.push(user),
        }
    }

    /// Adds or replaces (by id) a conversation.
    pub fn upsert_conversation(&mut self, conversation: Conversation) {
        match self.conversations.iter_mut().find(|c| c.id == conversation.id) {
            Some(existing) => *existing = conversation,
            None => self.conversations.push(conversation),
        }
    }

    /// The bot's DM with `user`, created on first use. Returns the DM id and whether it already existed.
    pub fn open_im(&mut self, user: &str) -> (String, bool) {
        let existing = self
            .conversations
            .iter()
            .find(|c| matches!(&c.kind, ConversationKind::Im { user: u } if u == user));
        if let Some(im) = existing {
            return (im.id.clone(), true);
        }
        let id = format!("D{}", user.strip_prefix(['U', 'W']).unwrap_or(user));
        let kind = ConversationKind::Im { user: user.to_owned() };
        let members = vec![BOT_USER_ID.to_owned(), user.to_owned()];
        self.conversations.push(Conversation::new(&id, "", kind, members));
        (id, false)
    }

    /// The group DM of the bot with `users`, created on first use. Returns its id and whether it existed.
    pub fn open_mpim(&mut self, users: &[String]) -> (String, bool) {
        let mut members: Vec<String> = users.to_vec();
        members.push(BOT_USER_ID.to_owned());
        members.sort();
        members.dedup();
        let existing = self.conversations.iter().find(|c| {
            let mut theirs = c.members.clone();
            theirs.sort();
            c.kind == ConversationKind::Mpim && theirs == members
        });
        if let Some(mpim) = existing {
            return (mpim.id.clone(), true);
        }
        self.mpim_count += 1;
        let id = format!("G0MPIM{}", self.mpim_count);
        let names: Vec<String> = members
            .iter()
            .map(|m| self.user(m).map_or_else(|| m.clone(), |u| u.name.clone()))
            .collect();
        let name = format!("mpdm-{}-1", names.join("--"));
        self.conversations
            .push(Conversation::new(&id, &name, ConversationKind::Mpim, members));
        (id, false)
    }
}

/// Web API JSON for users and conversations, shaped like Slack's documented examples.
pub mod render {
    use super::*;

    fn image_url(base_url: &str, user_id: &str, size: &str) -> String {
        format!("{base_url}/avatars/{user_id}_{size}.png")
    }

    pub fn user(u: &User, base_url: &str) -> Value {
        let mut profile = json!({
            "avatar_hash": format!("sim{}", u.id.to_lowercase()),
            "status_text": "",
            "status_emoji": "",
            "real_name": u.real_name,
            "display_name": u.name,
            "real_name_normalized": u.real_name,
            "display_name_normalized": u.name,
            "image_original": image_url(base_url, &u.id, "original"),
            "team": u.team_id,
        });
        for size in ["24", "32", "48", "72", "192", "512"] {
            profile[format!("image_{size}")] = json!(image_url(base_url, &u.id, size));
        }
        if let Some(email) = &u.email {
            profile["email"] = json!(email);
        }
        if u.is_bot {
            profile["bot_id"] = json!(if u.id == BOT_USER_ID {
                BOT_ID.to_owned()
            } else {
                format!("B{}", u.id)
            });
        }
        let mut user = json!({
            "id": u.id,
            "team_id": u.team_id,
            "name": u.name,
            "deleted": u.deleted,
            "color": "9f69e7",
            "real_name": u.real_name,
            "tz": u.tz,
            "tz_label": "Greenwich Mean Time",
            "tz_offset": 0,
            "profile": profile,
            "is_admin": u.is_admin,
            "is_owner": false,
            "is_primary_owner": false,
            "is_restricted": u.is_restricted,
            "is_ultra_restricted": u.is_ultra_restricted,
            "is_bot": u.is_bot,
            "updated": SEED_CREATED,
            "is_app_user": u.is_app_user,
            "has_2fa": false,
        });
        if u.is_stranger {
            user["is_stranger"] = json!(true);
        }
        if !u.teams.is_empty() {
            user["teams"] = json!(u.teams);
            user["enterprise_user"] = json!({
                "id": u.id, "enterprise_id": ENTERPRISE_ID, "enterprise_name": "Sim Org",
                "is_admin": false, "is_owner": false, "teams": u.teams,
            });
        }
        user
    }

    /// A conversation as listed by conversations.list; `detailed` adds the fields conversations.info and
    /// conversations.open(return_im) carry for DMs.
    pub fn conversation(c: &Conversation, ws: &Workspace, detailed: bool) -> Value {
        if let ConversationKind::Im { user } = &c.kind {
            let mut im = json!({
                "id": c.id,
                "created": c.created,
                "is_im": true,
                "is_org_shared": false,
                "user": user,
                "is_user_deleted": ws.user(user).is_some_and(|u| u.deleted),
                "priority": 0,
            });
            if detailed {
                for (key, value) in [
                    ("last_read", json!("0000000000.000000")),
                    ("latest", Value::Null),
                    ("unread_count", json!(0)),
                    ("unread_count_display", json!(0)),
                    ("is_open", json!(true)),
                ] {
                    im[key] = value;
                }
            }
            return im;
        }
        let is_private = c.kind != ConversationKind::PublicChannel;
        let is_mpim = c.kind == ConversationKind::Mpim;
        let text_field = |value: &str| json!({ "value": value, "creator": "", "last_set": 0 });
        json!({
            "id": c.id,
            "name": c.name,
            "is_channel": !is_private,
            "is_group": is_private,
            "is_im": false,
            "is_mpim": is_mpim,
            "is_private": is_private,
            "created": c.created,
            "creator": "U0ALICE",
            "is_archived": c.is_archived,
            "is_general": c.is_general,
            "unlinked": 0,
            "name_normalized": c.name,
            "is_shared": false,
            "is_frozen": false,
            "is_ext_shared": false,
            "is_org_shared": false,
            "shared_team_ids": [TEAM_ID],
            "pending_shared": [],
            "pending_connected_team_ids": [],
            "is_pending_ext_shared": false,
            "context_team_id": TEAM_ID,
            "parent_conversation": null,
            "is_member": c.bot_is_member(),
            "updated": c.created * 1000,
            "topic": text_field(&c.topic),
            "purpose": text_field(&c.purpose),
            "previous_names": [],
            "num_members": c.members.len(),
        })
    }
}
