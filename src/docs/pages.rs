//! The page set: one page for the provider and one per resource, data source, action and
//! list resource type the provider serves, in the registry's layout (`index.md`,
//! `resources/`, `data-sources/`, `actions/`, `list-resources/`), each with the schema
//! the provider serves for it (and a resource's identity schema). A new type gets its
//! page without any change here. Guides (`guides/`) are the other way round: one page per
//! template in `templates/guides/`, with no schema.

use std::path::{Path, PathBuf};

use tfplugin::proto::tfplugin6 as pb;
use tfplugin::tf::provider::Provider;

/// What a page documents.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Provider,
    Resource,
    DataSource,
    Action,
    ListResource,
    /// A guide: prose only, one per template in `templates/guides/`.
    Guide,
}

impl Kind {
    /// The registry's folder for pages of this kind (none: the provider's `index.md`).
    pub fn folder(self) -> Option<&'static str> {
        match self {
            Kind::Provider => None,
            Kind::Resource => Some("resources"),
            Kind::DataSource => Some("data-sources"),
            Kind::Action => Some("actions"),
            Kind::ListResource => Some("list-resources"),
            Kind::Guide => Some(GUIDES),
        }
    }

    /// How titles name the kind: `Resource`, `Data Source`, ...
    pub fn title(self) -> &'static str {
        match self {
            Kind::Provider => "Provider",
            Kind::Resource => "Resource",
            Kind::DataSource => "Data Source",
            Kind::Action => "Action",
            Kind::ListResource => "List Resource",
            Kind::Guide => "Guide",
        }
    }

    /// Every folder a page may live in.
    pub const FOLDERS: [&'static str; 5] = [
        "resources",
        "data-sources",
        "actions",
        "list-resources",
        GUIDES,
    ];
}

/// The folder of guides, in `templates/` and in the output alike.
pub const GUIDES: &str = "guides";

/// What a guide template's name ends with.
const TEMPLATE_SUFFIX: &str = ".md.tmpl";

/// One page: what it documents and the schemas it is generated from.
#[derive(Debug, Clone)]
pub struct Page {
    pub kind: Kind,
    /// The type's name (`taurusdb_replication_pause`), or the provider's (`taurusdb`).
    pub name: String,
    /// The schema as GetProviderSchema serves it.
    pub schema: pb::Schema,
    /// A resource's identity schema, as GetResourceIdentitySchemas serves it.
    pub identity: Option<pb::ResourceIdentitySchema>,
    /// Where it goes under the output folder, e.g. `resources/replication_pause.md`.
    pub path: PathBuf,
}

impl Page {
    /// The schema's top-level block.
    pub fn block(&self) -> pb::schema::Block {
        self.schema.block.clone().unwrap_or_default()
    }

    /// The template of this page, relative to the templates folder: its path plus `.tmpl`.
    pub fn template_path(&self) -> PathBuf {
        let mut name = self.path.clone().into_os_string();
        name.push(".tmpl");
        PathBuf::from(name)
    }
}

/// Every page of `provider` (named `provider_name`, the prefix of its type names), the
/// provider's first, then each kind's in name order.
pub fn pages(provider_name: &str, provider: &dyn Provider) -> Vec<Page> {
    let mut typed: Vec<(
        Kind,
        &'static str,
        pb::Schema,
        Option<pb::ResourceIdentitySchema>,
    )> = Vec::new();
    for resource in provider.resources() {
        let identity = resource.identity_schema().map(|i| i.to_proto());
        typed.push((
            Kind::Resource,
            resource.type_name(),
            resource.schema().to_proto(),
            identity,
        ));
    }
    for data_source in provider.data_sources() {
        typed.push((
            Kind::DataSource,
            data_source.type_name(),
            data_source.schema().to_proto(),
            None,
        ));
    }
    for action in provider.actions() {
        typed.push((
            Kind::Action,
            action.type_name(),
            action.schema().to_proto(),
            None,
        ));
    }
    for list in provider.list_resources() {
        typed.push((
            Kind::ListResource,
            list.type_name(),
            list.schema().to_proto(),
            None,
        ));
    }
    let prefix = format!("{provider_name}_");
    let mut typed: Vec<Page> = typed
        .into_iter()
        .map(|(kind, name, schema, identity)| {
            let short = name.strip_prefix(&prefix).unwrap_or(name);
            let folder = kind.folder().unwrap_or_default();
            Page {
                kind,
                name: name.to_string(),
                schema,
                identity,
                path: PathBuf::from(folder).join(format!("{short}.md")),
            }
        })
        .collect();
    typed.sort_by(|a, b| a.path.cmp(&b.path));
    let mut all = vec![Page {
        kind: Kind::Provider,
        name: provider_name.to_string(),
        schema: provider.schema().to_proto(),
        identity: None,
        path: PathBuf::from("index.md"),
    }];
    all.extend(typed);
    all
}

/// One guide page per `*.md.tmpl` file in `templates/guides/` (none without that folder), in
/// name order: `templates/guides/serve.md.tmpl` becomes `guides/serve.md`, named `serve`.
///
/// # Errors
/// The folder cannot be read, or is not a real folder (a symbolic link is refused).
pub fn guides(templates: &Path) -> std::io::Result<Vec<Page>> {
    let dir = templates.join(GUIDES);
    match std::fs::symlink_metadata(&dir) {
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(err) => return Err(err),
        Ok(meta) if !meta.is_dir() => {
            return Err(std::io::Error::other(
                "not a folder (a symbolic link or a file)",
            ));
        }
        Ok(_) => {}
    }
    let mut guides = Vec::new();
    for entry in std::fs::read_dir(&dir)? {
        let file_name = entry?.file_name();
        let Some(stem) = file_name
            .to_str()
            .and_then(|name| name.strip_suffix(TEMPLATE_SUFFIX))
        else {
            continue;
        };
        guides.push(Page {
            kind: Kind::Guide,
            name: stem.to_string(),
            schema: pb::Schema::default(),
            identity: None,
            path: Path::new(GUIDES).join(format!("{stem}.md")),
        });
    }
    guides.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(guides)
}
