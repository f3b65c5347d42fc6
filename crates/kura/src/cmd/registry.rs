//! `kura registry serve|user|project|member|robot|audit|gc|key`.

use crate::Global;
use crate::exit;
use anyhow::{Context, bail};
use kura_registry::config::Config;
use kura_registry::meta::{MetaStore, Project, Role};
use std::io::Read;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

/// Subcommands of `kura registry`.
#[derive(Debug, clap::Subcommand)]
pub enum RegistryCommand {
    /// Run the registry server.
    Serve(Box<ServeArgs>),
    /// Manage local users.
    #[command(subcommand)]
    User(UserCommand),
    /// Manage projects (the first component of repository names).
    #[command(subcommand)]
    Project(ProjectCommand),
    /// Grant or remove a project role.
    Member(MemberArgs),
    /// Manage robot accounts.
    #[command(subcommand)]
    Robot(RobotCommand),
    /// Verify or export the audit log.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Remove unreferenced blobs and expired uploads.
    Gc(DataArgs),
    /// Token signing key management.
    #[command(subcommand)]
    Key(KeyCommand),
}

/// Where the registry keeps its data.
#[derive(Debug, Clone, clap::Args)]
pub struct DataArgs {
    /// Data directory.
    #[arg(long, env = "KURA_REGISTRY_DATA", default_value = "./kura-data")]
    pub data: PathBuf,
}

/// `kura registry serve`: every config key is also a flag and an environment variable.
#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    /// TOML configuration file; flags and environment variables override it.
    #[arg(long, env = "KURA_REGISTRY_CONFIG")]
    pub config: Option<PathBuf>,
    /// Listen address (port 0 picks a free one).
    #[arg(long, env = "KURA_REGISTRY_LISTEN")]
    pub listen: Option<String>,
    /// Data directory.
    #[arg(long, env = "KURA_REGISTRY_DATA")]
    pub data: Option<PathBuf>,
    /// Write the bound address here once listening.
    #[arg(long)]
    pub addr_file: Option<PathBuf>,
    /// Allow plain HTTP on a non-loopback address.
    #[arg(long, env = "KURA_REGISTRY_INSECURE_HTTP")]
    pub insecure_http: bool,
    /// TLS certificate chain (PEM).
    #[arg(long, env = "KURA_REGISTRY_TLS_CERT", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// TLS private key (PEM).
    #[arg(long, env = "KURA_REGISTRY_TLS_KEY", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
    /// Challenge with Basic instead of the Bearer token flow.
    #[arg(long, env = "KURA_REGISTRY_BASIC_CHALLENGE")]
    pub basic_challenge: bool,
    /// Token service name (audience).
    #[arg(long, env = "KURA_REGISTRY_SERVICE")]
    pub service: Option<String>,
    /// Token realm URL advertised in challenges.
    #[arg(long, env = "KURA_REGISTRY_REALM")]
    pub realm: Option<String>,
    /// Token lifetime, seconds.
    #[arg(long, env = "KURA_REGISTRY_TOKEN_TTL")]
    pub token_ttl: Option<u64>,
    /// Failed logins before lockout.
    #[arg(long, env = "KURA_REGISTRY_MAX_FAILURES")]
    pub max_failures: Option<u32>,
    /// Lockout duration, seconds.
    #[arg(long, env = "KURA_REGISTRY_LOCKOUT")]
    pub lockout: Option<u64>,
    /// Disable access control (loopback only; every request acts as admin).
    #[arg(long, env = "KURA_REGISTRY_NO_AUTH")]
    pub no_auth: bool,
    /// Largest manifest accepted, bytes.
    #[arg(long, env = "KURA_REGISTRY_MAX_MANIFEST_BYTES")]
    pub max_manifest_bytes: Option<usize>,
    /// Largest blob accepted, bytes.
    #[arg(long, env = "KURA_REGISTRY_MAX_BLOB_BYTES")]
    pub max_blob_bytes: Option<u64>,
    /// Cut off request bodies idle this long, seconds.
    #[arg(long, env = "KURA_REGISTRY_BODY_IDLE")]
    pub body_idle: Option<u64>,
    /// Accept manifests whose references are missing.
    #[arg(long, env = "KURA_REGISTRY_ALLOW_MISSING_REFS")]
    pub allow_missing_refs: bool,
    /// Run GC every N seconds (0 = never in the server).
    #[arg(long, env = "KURA_REGISTRY_GC_INTERVAL")]
    pub gc_interval: Option<u64>,
    /// GC grace period for new blobs, seconds.
    #[arg(long, env = "KURA_REGISTRY_GC_GRACE")]
    pub gc_grace: Option<u64>,
    /// Discard uploads idle longer than this, seconds.
    #[arg(long, env = "KURA_REGISTRY_UPLOAD_EXPIRY")]
    pub upload_expiry: Option<u64>,
    /// Audit retention in days.
    #[arg(long, env = "KURA_REGISTRY_AUDIT_RETENTION_DAYS")]
    pub audit_retention_days: Option<u32>,
    /// Seconds to let in-flight requests finish on shutdown.
    #[arg(long, default_value_t = 30)]
    pub drain: u64,
}

impl ServeArgs {
    fn config(&self) -> anyhow::Result<Config> {
        let mut c = match &self.config {
            Some(p) => Config::load(p)?,
            None => Config::default(),
        };
        macro_rules! set {
            ($field:expr, $v:expr) => {
                if let Some(v) = $v.clone() {
                    $field = v;
                }
            };
        }
        set!(c.listen, self.listen);
        set!(c.data, self.data);
        set!(c.auth.service, self.service);
        set!(c.auth.token_ttl_secs, self.token_ttl);
        set!(c.auth.max_failures, self.max_failures);
        set!(c.auth.lockout_secs, self.lockout);
        set!(c.limits.max_manifest_bytes, self.max_manifest_bytes);
        set!(c.limits.max_blob_bytes, self.max_blob_bytes);
        set!(c.limits.body_idle_secs, self.body_idle);
        set!(c.gc.interval_secs, self.gc_interval);
        set!(c.gc.grace_secs, self.gc_grace);
        set!(c.gc.upload_expiry_secs, self.upload_expiry);
        if self.realm.is_some() {
            c.auth.realm = self.realm.clone();
        }
        if self.audit_retention_days.is_some() {
            c.audit.retention_days = self.audit_retention_days;
        }
        if let (Some(cert), Some(key)) = (&self.tls_cert, &self.tls_key) {
            c.tls = Some(kura_registry::config::TlsConfig {
                cert: cert.clone(),
                key: key.clone(),
            });
        }
        c.insecure_http |= self.insecure_http;
        c.auth.disabled |= self.no_auth;
        c.auth.token &= !self.basic_challenge;
        c.limits.allow_missing_refs |= self.allow_missing_refs;
        Ok(c)
    }
}

/// `kura registry user …`
#[derive(Debug, clap::Subcommand)]
pub enum UserCommand {
    /// Create a user (works before the first start).
    Add {
        /// User name.
        name: String,
        /// System administrator.
        #[arg(long)]
        admin: bool,
        /// Read the password from standard input (first line).
        #[arg(long, required = true)]
        password_stdin: bool,
        #[command(flatten)]
        data: DataArgs,
    },
    /// Change a password.
    Passwd {
        /// User name.
        name: String,
        /// Read the password from standard input.
        #[arg(long, required = true)]
        password_stdin: bool,
        #[command(flatten)]
        data: DataArgs,
    },
    /// Disable (or with --enable, re-enable) a user.
    Disable {
        /// User name.
        name: String,
        /// Re-enable instead.
        #[arg(long)]
        enable: bool,
        #[command(flatten)]
        data: DataArgs,
    },
    /// List users.
    List(DataArgs),
}

/// `kura registry project …`
#[derive(Debug, clap::Subcommand)]
pub enum ProjectCommand {
    /// Create or update a project.
    Set {
        /// Project name.
        name: String,
        /// Allow anonymous pull.
        #[arg(long)]
        public: bool,
        /// Storage quota in bytes.
        #[arg(long)]
        quota: Option<u64>,
        /// Immutable tag pattern (`*` wildcard); repeatable.
        #[arg(long = "immutable")]
        immutable: Vec<String>,
        #[command(flatten)]
        data: DataArgs,
    },
    /// List projects.
    List(DataArgs),
}

/// `kura registry member PROJECT USER ROLE|none`
#[derive(Debug, clap::Args)]
pub struct MemberArgs {
    /// Project.
    pub project: String,
    /// User.
    pub user: String,
    /// guest, developer, maintainer, admin, or none to remove.
    pub role: String,
    #[command(flatten)]
    pub data: DataArgs,
}

/// `kura registry robot …`
#[derive(Debug, clap::Subcommand)]
pub enum RobotCommand {
    /// Create a robot account; prints its name and secret once.
    Add {
        /// Project.
        project: String,
        /// Robot name (login is robot$PROJECT+NAME).
        name: String,
        /// Allowed actions, comma-separated: pull, push, delete.
        #[arg(long, value_delimiter = ',', default_value = "pull")]
        actions: Vec<String>,
        /// Expire after this many days.
        #[arg(long)]
        expires_days: Option<u32>,
        #[command(flatten)]
        data: DataArgs,
    },
}

/// `kura registry audit …`
#[derive(Debug, clap::Subcommand)]
pub enum AuditCommand {
    /// Check the hash chain; exit 1 if any entry was edited, deleted or reordered.
    Verify(DataArgs),
    /// Write entries as JSON lines or RFC 5424 syslog.
    Export {
        /// Output format.
        #[arg(long, value_enum, default_value = "jsonl")]
        format: ExportFormat,
        /// Only entries after this sequence number.
        #[arg(long, default_value_t = 0)]
        after: u64,
        /// Output file (default: standard output).
        #[arg(long, short)]
        output: Option<PathBuf>,
        #[command(flatten)]
        data: DataArgs,
    },
}

/// Audit export formats.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum ExportFormat {
    /// JSON lines.
    Jsonl,
    /// RFC 5424 syslog.
    Syslog,
}

/// `kura registry key …`
#[derive(Debug, clap::Subcommand)]
pub enum KeyCommand {
    /// Generate a new token signing key; the old one keeps verifying tokens already issued.
    Rotate(DataArgs),
}

fn meta(d: &DataArgs) -> anyhow::Result<Arc<dyn MetaStore>> {
    kura_registry::app::open_meta(&d.data)
        .with_context(|| format!("opening registry data {}", d.data.display()))
}

fn read_password() -> anyhow::Result<String> {
    let mut s = String::new();
    std::io::stdin()
        .read_to_string(&mut s)
        .context("reading password from standard input")?;
    let p = s.lines().next().unwrap_or_default().to_owned();
    if p.is_empty() {
        bail!("empty password on standard input");
    }
    Ok(p)
}

/// Run `kura registry`.
pub fn run(cmd: RegistryCommand, _g: &Global) -> anyhow::Result<ExitCode> {
    use kura_registry::admin;
    match cmd {
        RegistryCommand::Serve(a) => serve(*a),
        RegistryCommand::User(UserCommand::Add {
            name,
            admin: is_admin,
            data,
            ..
        }) => {
            admin::user_add(meta(&data)?.as_ref(), &name, &read_password()?, is_admin)?;
            eprintln!(
                "created user {name}{}",
                if is_admin { " (admin)" } else { "" }
            );
            Ok(ExitCode::from(exit::OK))
        }
        RegistryCommand::User(UserCommand::Passwd { name, data, .. }) => {
            admin::user_passwd(meta(&data)?.as_ref(), &name, &read_password()?)?;
            Ok(ExitCode::from(exit::OK))
        }
        RegistryCommand::User(UserCommand::Disable { name, enable, data }) => {
            admin::user_disable(meta(&data)?.as_ref(), &name, !enable)?;
            Ok(ExitCode::from(exit::OK))
        }
        RegistryCommand::User(UserCommand::List(data)) => {
            for u in meta(&data)?.users()? {
                println!(
                    "{}\t{}\t{}",
                    u.name,
                    if u.admin { "admin" } else { "user" },
                    if u.disabled { "disabled" } else { "enabled" }
                );
            }
            Ok(ExitCode::from(exit::OK))
        }
        RegistryCommand::Project(ProjectCommand::Set {
            name,
            public,
            quota,
            immutable,
            data,
        }) => {
            let p = Project {
                name,
                public,
                quota_bytes: quota,
                immutable_tags: immutable,
            };
            admin::project_set(meta(&data)?.as_ref(), &p)?;
            Ok(ExitCode::from(exit::OK))
        }
        RegistryCommand::Project(ProjectCommand::List(data)) => {
            for p in meta(&data)?.projects()? {
                println!("{}", serde_json::to_string(&p)?);
            }
            Ok(ExitCode::from(exit::OK))
        }
        RegistryCommand::Member(a) => {
            let role = match a.role.as_str() {
                "none" => None,
                r => Some(Role::parse(r).with_context(|| {
                    format!("unknown role {r:?} (guest, developer, maintainer, admin, none)")
                })?),
            };
            admin::member_set(meta(&a.data)?.as_ref(), &a.project, &a.user, role)?;
            Ok(ExitCode::from(exit::OK))
        }
        RegistryCommand::Robot(RobotCommand::Add {
            project,
            name,
            actions,
            expires_days,
            data,
        }) => {
            let exp = expires_days.map(|d| kura_registry::util::unix_now() + i64::from(d) * 86_400);
            let (full, secret) =
                admin::robot_add(meta(&data)?.as_ref(), &project, &name, &actions, exp)?;
            println!("name: {full}\nsecret: {secret}");
            eprintln!("the secret is shown only once; it is stored hashed");
            Ok(ExitCode::from(exit::OK))
        }
        RegistryCommand::Audit(AuditCommand::Verify(data)) => {
            let r = kura_registry::audit::verify(meta(&data)?.as_ref())?;
            for p in &r.problems {
                println!("TAMPERED: {p}");
            }
            println!(
                "checked {} entries ({:?}..{:?}): {}",
                r.checked,
                r.first,
                r.last,
                if r.problems.is_empty() {
                    "intact"
                } else {
                    "BROKEN"
                }
            );
            Ok(ExitCode::from(if r.problems.is_empty() {
                exit::OK
            } else {
                exit::FINDINGS
            }))
        }
        RegistryCommand::Audit(AuditCommand::Export {
            format,
            after,
            output,
            data,
        }) => {
            let m = meta(&data)?;
            let fmt = match format {
                ExportFormat::Jsonl => kura_registry::audit::ExportFormat::JsonLines,
                ExportFormat::Syslog => kura_registry::audit::ExportFormat::Syslog,
            };
            let n = match output {
                Some(p) => {
                    let mut f = std::io::BufWriter::new(fs_create(&p)?);
                    let n = kura_registry::audit::export(m.as_ref(), after, fmt, &mut f)?;
                    std::io::Write::flush(&mut f)?;
                    n
                }
                None => {
                    let out = std::io::stdout();
                    let mut lock = out.lock();
                    kura_registry::audit::export(m.as_ref(), after, fmt, &mut lock)?
                }
            };
            eprintln!("exported {n} entries");
            Ok(ExitCode::from(exit::OK))
        }
        RegistryCommand::Gc(data) => {
            let rt = runtime()?;
            let cfg = Config {
                data: data.data,
                ..Config::default()
            };
            let r = rt.block_on(async move {
                let app = kura_registry::app::App::open(cfg)?;
                anyhow::Ok(kura_registry::gc::run(&app).await?)
            })?;
            println!("{}", serde_json::to_string(&r)?);
            Ok(ExitCode::from(exit::OK))
        }
        RegistryCommand::Key(KeyCommand::Rotate(data)) => {
            let kid = kura_registry::auth::token::TokenKeys::rotate(&data.data.join("keys"))?;
            println!("new signing key {kid}; restart the server to use it");
            Ok(ExitCode::from(exit::OK))
        }
    }
}

fn fs_create(p: &std::path::Path) -> anyhow::Result<std::fs::File> {
    std::fs::File::create(p).with_context(|| format!("creating {}", p.display()))
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")
}

fn serve(a: ServeArgs) -> anyhow::Result<ExitCode> {
    let cfg = a.config()?;
    let rt = runtime()?;
    rt.block_on(async move {
        let bound = kura_registry::server::bind(cfg).await?;
        if let Some(p) = &a.addr_file {
            bound.write_addr_file(p)?;
        }
        eprintln!("kura registry listening on {}", bound.addr);
        bound
            .serve(shutdown_signal(), std::time::Duration::from_secs(a.drain))
            .await;
        eprintln!("kura registry stopped");
        anyhow::Ok(ExitCode::from(exit::OK))
    })
}

async fn shutdown_signal() {
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term => {}
    }
}
