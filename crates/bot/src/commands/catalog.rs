//! Custom commands: the dashboards and Looks in each Looker's command folder (and its subfolders), loaded at start,
//! refreshed periodically and when someone asks for `help`.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use looker::LookerError;
use looker::models::{Dashboard, DashboardElement, ExploreFieldset, Look, Query};
use tokio::sync::{Mutex, RwLock};

use crate::commands::request::Parameter;
use crate::lookers::{Looker, Lookers};

/// Marks commands and folders that work but are left out of `help`.
pub const HIDDEN_MARK: &str = "[hidden]";

/// One tile of a command's dashboard, with the query it runs and the dashboard filters it listens to.
#[derive(Debug, Clone)]
pub struct Tile {
    pub title: Option<String>,
    pub query: Query,
    /// (parameter key, field) pairs: a dashboard filter's name and the field it feeds; a Look's field twice.
    pub listens: Vec<(String, String)>,
}

/// What a command runs: a dashboard's tiles, or a Look's query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    Dashboard(String),
    Look(String),
}

/// A custom command.
#[derive(Debug, Clone)]
pub struct CustomCommand {
    /// The dashboard's title, lowercased and trimmed (without the hidden mark): what people type.
    pub name: String,
    pub title: String,
    pub description: Option<String>,
    pub looker: usize,
    pub source: Source,
    pub url: String,
    /// The subfolder it sits in; `None` for the command folder itself ("Shortcuts").
    pub category: Option<String>,
    pub hidden: bool,
    /// The dashboard's filters, or the Look's query filters, in order.
    pub parameters: Vec<Parameter>,
    pub tiles: Vec<Tile>,
}

/// A command folder, for help's "where to add commands" links.
#[derive(Debug, Clone)]
pub struct CommandFolder {
    pub name: String,
    pub url: String,
}

/// Everything loaded from every Looker.
#[derive(Debug, Clone, Default)]
pub struct Catalog {
    pub commands: Vec<CustomCommand>,
    pub folders: Vec<CommandFolder>,
    /// Folders that could not be read, worded for `help` and the logs.
    pub problems: Vec<String>,
}

impl Catalog {
    /// The command `text` starts with (the longest one wins), and the rest of the text.
    pub fn find<'t>(&self, text: &'t str) -> Option<(&CustomCommand, &'t str)> {
        let lower = text.to_lowercase();
        self.commands
            .iter()
            .filter(|c| {
                lower.starts_with(&c.name) && lower[c.name.len()..].chars().next().is_none_or(char::is_whitespace)
            })
            .max_by_key(|c| c.name.len())
            .map(|c| (c, text.get(c.name.len()..).unwrap_or("").trim()))
    }
}

/// The current catalog, swapped whole on refresh so readers never wait for Looker.
#[derive(Default)]
pub struct CatalogStore {
    current: RwLock<Arc<Catalog>>,
    /// When the current catalog finished loading; `None` before the first load.
    loaded_at: std::sync::Mutex<Option<Instant>>,
    /// Held while loading, so that refreshes asked for at the same time load once.
    loading: Mutex<()>,
}

impl CatalogStore {
    pub async fn get(&self) -> Arc<Catalog> {
        self.current.read().await.clone()
    }

    /// Reloads from every Looker; keeps what loaded even when some folders fail.
    pub async fn refresh(&self, lookers: &Lookers) -> Arc<Catalog> {
        let _loading = self.loading.lock().await;
        self.load(lookers).await
    }

    /// The catalog, reloaded first unless it finished loading less than `max_age` ago (a refresh already under way
    /// is waited for, not repeated): `help` reloads to show new commands, but a burst of helps costs Looker one load.
    pub async fn refresh_if_older(&self, lookers: &Lookers, max_age: Duration) -> Arc<Catalog> {
        let _loading = self.loading.lock().await;
        let loaded_at = *self.loaded_at.lock().unwrap_or_else(|p| p.into_inner());
        if loaded_at.is_some_and(|at| at.elapsed() < max_age) {
            return self.get().await;
        }
        self.load(lookers).await
    }

    async fn load(&self, lookers: &Lookers) -> Arc<Catalog> {
        let mut catalog = Catalog::default();
        for (index, looker) in lookers.all().iter().enumerate() {
            if let Some(folder_id) = looker.instance().custom_command_folder_id.clone()
                && let Err(e) = load_folder(looker, index, &folder_id, &mut catalog).await
            {
                let problem = format!("Custom commands of {} could not be loaded: {e}", looker.base());
                tracing::warn!("{problem}");
                catalog.problems.push(problem);
            }
        }
        catalog.commands.sort_by(|a, b| a.name.cmp(&b.name));
        let catalog = Arc::new(catalog);
        *self.current.write().await = catalog.clone();
        *self.loaded_at.lock().unwrap_or_else(|p| p.into_inner()) = Some(Instant::now());
        catalog
    }
}

async fn load_folder(looker: &Looker, index: usize, folder_id: &str, catalog: &mut Catalog) -> Result<(), LookerError> {
    let client = &looker.client;
    let folder = client.folder(folder_id).await?;
    catalog.folders.push(CommandFolder {
        name: folder.name.clone(),
        url: format!("{}/folders/{folder_id}", looker.base()),
    });
    let mut labels = Labels::default();
    load_dashboards(looker, index, folder_id, None, catalog).await?;
    load_looks(looker, index, folder_id, None, &mut labels, catalog).await?;
    for child in client.folder_children(folder_id).await? {
        let Some(child_id) = child.id.clone() else {
            continue;
        };
        let hidden_folder = child.name.contains(HIDDEN_MARK);
        let category = child.name.replace(HIDDEN_MARK, "").trim().to_string();
        let before = catalog.commands.len();
        load_dashboards(looker, index, &child_id, Some(category.clone()), catalog).await?;
        load_looks(looker, index, &child_id, Some(category), &mut labels, catalog).await?;
        if hidden_folder {
            catalog.commands[before..].iter_mut().for_each(|c| c.hidden = true);
        }
    }
    Ok(())
}

async fn load_dashboards(
    looker: &Looker,
    index: usize,
    folder_id: &str,
    category: Option<String>,
    catalog: &mut Catalog,
) -> Result<(), LookerError> {
    for listed in looker.client.folder_dashboards(folder_id).await? {
        let Some(id) = listed.id.clone() else {
            continue;
        };
        if listed.deleted == Some(true) {
            continue;
        }
        let dashboard = if listed.dashboard_elements.is_empty() {
            looker.client.dashboard(&id).await?
        } else {
            listed
        };
        if let Some(command) = command_from(looker, index, &id, dashboard, category.clone()).await? {
            catalog.commands.push(command);
        }
    }
    Ok(())
}

async fn command_from(
    looker: &Looker,
    index: usize,
    id: &str,
    dashboard: Dashboard,
    category: Option<String>,
) -> Result<Option<CustomCommand>, LookerError> {
    let Some(named) = Named::from_title(dashboard.title.as_deref()) else {
        return Ok(None);
    };
    let mut tiles = Vec::new();
    for element in &dashboard.dashboard_elements {
        if let Some(query) = tile_query(looker, element).await? {
            let title = element
                .title
                .clone()
                .or_else(|| element.title_text.clone())
                .or_else(|| element.look.as_ref().and_then(|l| l.title.clone()));
            tiles.push(Tile {
                title,
                query,
                listens: listens(element),
            });
        }
    }
    let parameters = dashboard
        .dashboard_filters
        .iter()
        .filter_map(|f| {
            let name = f.name.clone().filter(|n| !n.is_empty())?;
            Some(Parameter {
                title: f
                    .title
                    .clone()
                    .filter(|t| !t.trim().is_empty())
                    .unwrap_or_else(|| name.clone()),
                aliases: vec![name.clone()],
                key: name,
                default: f.default_value.clone().filter(|d| !d.is_empty()),
                required: f.required == Some(true),
            })
        })
        .collect();
    Ok(Some(CustomCommand {
        name: named.name,
        hidden: named.hidden,
        title: named.title,
        description: dashboard.description.clone().filter(|d| !d.trim().is_empty()),
        looker: index,
        source: Source::Dashboard(id.to_string()),
        url: format!("{}/dashboards/{id}", looker.base()),
        category,
        parameters,
        tiles,
    }))
}

/// A command's name, title and hidden mark, from a dashboard's or Look's title; `None` for an empty title.
struct Named {
    name: String,
    title: String,
    hidden: bool,
}

impl Named {
    fn from_title(title: Option<&str>) -> Option<Named> {
        let title = title.unwrap_or_default();
        let clean = title.replace(HIDDEN_MARK, "").trim().to_string();
        (!clean.is_empty()).then(|| Named {
            name: clean.to_lowercase(),
            title: clean,
            hidden: title.contains(HIDDEN_MARK),
        })
    }
}

/// Explores' fields by (model, explore), fetched once per load: Look commands name their parameters by label.
#[derive(Default)]
struct Labels {
    explores: HashMap<(String, String), Option<ExploreFieldset>>,
}

impl Labels {
    /// The field's (label, short label); from its name when Looker does not say (`orders.created_date` is
    /// "Orders Created Date", short "Created Date"), as Looker labels fields without a LookML label.
    async fn of(&mut self, looker: &Looker, query: &Query, field: &str) -> (String, String) {
        let key = (query.model.clone(), query.view.clone());
        if !self.explores.contains_key(&key) {
            let fields = match looker.client.lookml_model_explore(&key.0, &key.1).await {
                Ok(explore) => explore.fields,
                Err(e) => {
                    tracing::warn!(error = %e, model = %key.0, explore = %key.1, "field labels unavailable; using names");
                    None
                }
            };
            self.explores.insert(key.clone(), fields);
        }
        let known = self.explores[&key].as_ref().and_then(|f| f.field(field));
        let (view, short) = field.split_once('.').unwrap_or(("", field));
        let short_label = known
            .and_then(|f| f.label_short.clone())
            .unwrap_or_else(|| title_case(short));
        let label = known
            .and_then(|f| f.label.clone())
            .unwrap_or_else(|| format!("{} {short_label}", title_case(view)).trim().to_string());
        (label, short_label)
    }
}

/// `created_date` → "Created Date".
fn title_case(name: &str) -> String {
    name.split('_')
        .filter(|w| !w.is_empty())
        .map(|w| {
            let mut chars = w.chars();
            chars
                .next()
                .map(|c| c.to_uppercase().chain(chars).collect::<String>())
                .unwrap_or_default()
        })
        .collect::<Vec<_>>()
        .join(" ")
}

async fn load_looks(
    looker: &Looker,
    index: usize,
    folder_id: &str,
    category: Option<String>,
    labels: &mut Labels,
    catalog: &mut Catalog,
) -> Result<(), LookerError> {
    for listed in looker.client.folder_looks(folder_id).await? {
        let Some(id) = listed.id.clone() else {
            continue;
        };
        if listed.deleted == Some(true) {
            continue;
        }
        let look = if listed.query.is_some() {
            listed
        } else {
            looker.client.look(&id).await?
        };
        if let Some(command) = look_command(looker, index, &id, look, category.clone(), labels).await {
            catalog.commands.push(command);
        }
    }
    Ok(())
}

/// A Look as a command: one tile, its query; each of the query's filters is a parameter named by the field's
/// label, with the Look's value as its default.
async fn look_command(
    looker: &Looker,
    index: usize,
    id: &str,
    look: Look,
    category: Option<String>,
    labels: &mut Labels,
) -> Option<CustomCommand> {
    let named = Named::from_title(look.title.as_deref())?;
    let query = look.query?;
    let mut parameters = Vec::new();
    let mut listens = Vec::new();
    for (field, value) in query.filters.iter().flatten() {
        let (label, short_label) = labels.of(looker, &query, field).await;
        parameters.push(Parameter {
            key: field.clone(),
            title: label,
            aliases: vec![short_label, field.clone()],
            default: Some(value.clone()).filter(|v| !v.is_empty()),
            required: false,
        });
        listens.push((field.clone(), field.clone()));
    }
    Some(CustomCommand {
        name: named.name,
        hidden: named.hidden,
        title: named.title.clone(),
        description: look.description.clone().filter(|d| !d.trim().is_empty()),
        looker: index,
        source: Source::Look(id.to_string()),
        url: look
            .url
            .clone()
            .unwrap_or_else(|| format!("{}/looks/{id}", looker.base())),
        category,
        parameters,
        tiles: vec![Tile {
            title: Some(named.title),
            query,
            listens,
        }],
    })
}

/// The query a tile runs: its own, its Look's, or its result maker's (fetched when only an id is given).
async fn tile_query(looker: &Looker, element: &DashboardElement) -> Result<Option<Query>, LookerError> {
    let maker = element.result_maker.as_ref();
    let inline = element
        .query
        .clone()
        .or_else(|| element.look.as_ref().and_then(|l| l.query.clone()))
        .or_else(|| maker.and_then(|m| m.query.clone()));
    if let Some(query) = inline {
        return Ok(Some(query));
    }
    let query_id = element
        .query_id
        .clone()
        .or_else(|| maker.and_then(|m| m.query_id.clone()));
    if let Some(id) = query_id {
        return looker.client.query(&id).await.map(Some);
    }
    if let Some(look_id) = &element.look_id {
        return Ok(looker.client.look(look_id).await?.query);
    }
    Ok(None)
}

/// Which dashboard filter feeds which field: `result_maker.filterables[].listen[]`, and the older `listen` map.
fn listens(element: &DashboardElement) -> Vec<(String, String)> {
    let mut pairs: Vec<(String, String)> = element
        .result_maker
        .iter()
        .flat_map(|m| &m.filterables)
        .flat_map(|f| &f.listen)
        .filter_map(|l| Some((l.dashboard_filter_name.clone()?, l.field.clone()?)))
        .collect();
    if let Some(map) = &element.listen {
        pairs.extend(map.iter().map(|(filter, field)| (filter.clone(), field.clone())));
    }
    pairs.sort();
    pairs.dedup();
    pairs
}

#[cfg(test)]
mod tests {
    use looker::{ClientOptions, LookerClient};
    use looker_sandbox::{Sandbox, SandboxConfig, content};

    use super::*;

    async fn sandbox_lookers() -> (Sandbox, Lookers) {
        let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
        let sandbox = Sandbox::start(SandboxConfig::default()).await.unwrap();
        let instance = sandbox.looker_instance();
        let client = LookerClient::new(&instance, ClientOptions::default()).unwrap();
        (sandbox, Lookers::new(vec![client]))
    }

    #[tokio::test]
    async fn a_fresh_catalog_is_not_reloaded_and_concurrent_reloads_load_once() {
        let (sandbox, lookers) = sandbox_lookers().await;
        let store = CatalogStore::default();
        let (a, b) = tokio::join!(
            store.refresh_if_older(&lookers, Duration::from_secs(60)),
            store.refresh_if_older(&lookers, Duration::from_secs(60)),
        );
        assert!(!a.commands.is_empty() && a.commands.len() == b.commands.len());
        assert_eq!(sandbox.calls("folder"), 1, "two helps at once, one load");
        store.refresh_if_older(&lookers, Duration::from_secs(60)).await;
        assert_eq!(sandbox.calls("folder"), 1, "fresh enough");
        store.refresh_if_older(&lookers, Duration::ZERO).await;
        assert_eq!(sandbox.calls("folder"), 2, "too old: reloaded");
        store.refresh(&lookers).await;
        assert_eq!(sandbox.calls("folder"), 3, "an explicit refresh always loads");
    }

    fn command<'c>(catalog: &'c Catalog, name: &str) -> &'c CustomCommand {
        catalog
            .commands
            .iter()
            .find(|c| c.name == name)
            .unwrap_or_else(|| panic!("no command {name}"))
    }

    fn titles(command: &CustomCommand) -> Vec<&str> {
        command.parameters.iter().map(|p| p.title.as_str()).collect()
    }

    #[tokio::test]
    async fn dashboard_filters_keep_their_defaults_and_required_flags() {
        let (_sandbox, lookers) = sandbox_lookers().await;
        let catalog = CatalogStore::default().refresh(&lookers).await;
        let weekly = command(&catalog, "weekly sales");
        assert_eq!(titles(weekly), ["State", "Category", "Date"]);
        assert_eq!(weekly.parameters[2].key, "date");
        assert_eq!(
            weekly.parameters[2].default.as_deref(),
            Some(content::WEEKLY_SALES_DATE_DEFAULT)
        );
        assert_eq!(weekly.parameters[0].default, None, "an empty default is none");
        assert!(command(&catalog, "brand report").parameters[0].required);
        assert!(!weekly.parameters[0].required);
    }

    #[tokio::test]
    async fn looks_in_the_folder_are_commands_named_by_field_labels() {
        let (sandbox, lookers) = sandbox_lookers().await;
        let catalog = CatalogStore::default().refresh(&lookers).await;
        let orders = command(&catalog, "orders");
        assert_eq!(orders.source, Source::Look(content::ORDERS_LOOK_ID.into()));
        assert!(!orders.hidden && orders.url.ends_with("/looks/11"));
        assert_eq!(titles(orders), ["Orders Status", "Users State"]);
        assert_eq!(orders.parameters[0].aliases, ["Status", "orders.status"]);
        assert_eq!(orders.parameters[0].default, None);
        assert_eq!(orders.tiles.len(), 1);
        let hidden = command(&catalog, "order statuses");
        assert!(hidden.hidden);
        assert_eq!(
            hidden.parameters[0].default.as_deref(),
            Some(content::HIDDEN_LOOK_DATE_DEFAULT),
            "the Look's own value is the default"
        );
        assert_eq!(sandbox.calls("lookml_model_explore"), 1, "one explore, fetched once");
    }

    #[tokio::test]
    async fn without_the_explore_labels_come_from_field_names() {
        let (sandbox, lookers) = sandbox_lookers().await;
        sandbox.inject_fault("lookml_model_explore", looker_sandbox::Fault::Status(403), None);
        let catalog = CatalogStore::default().refresh(&lookers).await;
        assert!(catalog.problems.is_empty(), "{:?}", catalog.problems);
        let hidden = command(&catalog, "order statuses");
        assert_eq!(titles(hidden), ["Orders Created Date"]);
        assert_eq!(hidden.parameters[0].aliases, ["Created Date", "orders.created_date"]);
    }
}
