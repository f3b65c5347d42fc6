//! Administration used by the CLI (works with the server stopped or running: SQLite serialises
//! writers): users, projects, members, robots, audit verify/export, key rotation.

use crate::auth::password;
use crate::meta::{AuditRecord, MetaError, MetaStore, Project, Robot, Role, User};

/// Administration failures.
#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    /// Metadata.
    #[error(transparent)]
    Meta(#[from] MetaError),
    /// Hashing.
    #[error(transparent)]
    Hash(#[from] password::HashError),
    /// Bad input.
    #[error("{0}")]
    Invalid(String),
    /// Not found.
    #[error("{0} does not exist")]
    NotFound(String),
}

fn audit(meta: &dyn MetaStore, action: &str, target: &str, result: &str) -> Result<(), MetaError> {
    let actor = std::env::var("USER").unwrap_or_else(|_| "cli".into());
    meta.audit_append(&[AuditRecord {
        time: crate::util::rfc3339_now(),
        actor: format!("cli:{actor}"),
        source: "local".into(),
        action: action.into(),
        reference: target.into(),
        result: result.into(),
        ..Default::default()
    }])?;
    Ok(())
}

fn valid_user_name(n: &str) -> bool {
    !n.is_empty()
        && n.len() <= 64
        && !n.starts_with("robot$")
        && n.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._-@".contains(&b))
}

/// Create a user; fails if it exists.
pub fn user_add(
    meta: &dyn MetaStore,
    name: &str,
    pass: &str,
    admin: bool,
) -> Result<(), AdminError> {
    if !valid_user_name(name) {
        return Err(AdminError::Invalid(format!("invalid user name {name:?}")));
    }
    if pass.len() < 8 {
        return Err(AdminError::Invalid(
            "password must have at least 8 characters".into(),
        ));
    }
    if meta.user(name)?.is_some() {
        return Err(AdminError::Invalid(format!("user {name} already exists")));
    }
    meta.put_user(&User {
        name: name.into(),
        password_hash: password::hash(pass)?,
        admin,
        disabled: false,
    })?;
    audit(
        meta,
        "user-add",
        name,
        if admin { "ok: admin" } else { "ok" },
    )?;
    Ok(())
}

/// Change a password.
pub fn user_passwd(meta: &dyn MetaStore, name: &str, pass: &str) -> Result<(), AdminError> {
    let mut u = meta
        .user(name)?
        .ok_or_else(|| AdminError::NotFound(format!("user {name}")))?;
    if pass.len() < 8 {
        return Err(AdminError::Invalid(
            "password must have at least 8 characters".into(),
        ));
    }
    u.password_hash = password::hash(pass)?;
    meta.put_user(&u)?;
    audit(meta, "user-passwd", name, "ok")?;
    Ok(())
}

/// Disable or re-enable a user.
pub fn user_disable(meta: &dyn MetaStore, name: &str, disabled: bool) -> Result<(), AdminError> {
    let mut u = meta
        .user(name)?
        .ok_or_else(|| AdminError::NotFound(format!("user {name}")))?;
    u.disabled = disabled;
    meta.put_user(&u)?;
    audit(
        meta,
        if disabled {
            "user-disable"
        } else {
            "user-enable"
        },
        name,
        "ok",
    )?;
    Ok(())
}

/// Create or update a project.
pub fn project_set(meta: &dyn MetaStore, p: &Project) -> Result<(), AdminError> {
    if crate::names::RepoName::parse(&p.name).is_none() || p.name.contains('/') {
        return Err(AdminError::Invalid(format!(
            "invalid project name {:?}",
            p.name
        )));
    }
    meta.put_project(p)?;
    let detail = format!(
        "ok: public={} quota={:?} immutable={:?}",
        p.public, p.quota_bytes, p.immutable_tags
    );
    audit(meta, "project", &p.name, &detail)?;
    Ok(())
}

/// Set or remove a member's role.
pub fn member_set(
    meta: &dyn MetaStore,
    project: &str,
    user: &str,
    role: Option<Role>,
) -> Result<(), AdminError> {
    if meta.project(project)?.is_none() {
        return Err(AdminError::NotFound(format!("project {project}")));
    }
    if meta.user(user)?.is_none() {
        return Err(AdminError::NotFound(format!("user {user}")));
    }
    meta.set_member(project, user, role)?;
    audit(
        meta,
        "member",
        &format!("{project}/{user}"),
        &format!("ok: {}", role.map(Role::as_str).unwrap_or("removed")),
    )?;
    Ok(())
}

/// Create a robot; returns its full name and the secret (shown once, stored hashed).
pub fn robot_add(
    meta: &dyn MetaStore,
    project: &str,
    name: &str,
    actions: &[String],
    expires_at: Option<i64>,
) -> Result<(String, String), AdminError> {
    if meta.project(project)?.is_none() {
        return Err(AdminError::NotFound(format!("project {project}")));
    }
    if name.is_empty()
        || !name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_".contains(&b))
    {
        return Err(AdminError::Invalid(format!("invalid robot name {name:?}")));
    }
    for a in actions {
        if !["pull", "push", "delete"].contains(&a.as_str()) {
            return Err(AdminError::Invalid(format!(
                "unknown action {a:?} (pull, push, delete)"
            )));
        }
    }
    let full = format!("robot${project}+{name}");
    let secret = crate::util::random_hex(24);
    meta.put_robot(&Robot {
        name: full.clone(),
        project: project.into(),
        secret_hash: password::hash(&secret)?,
        actions: actions.to_vec(),
        expires_at,
        disabled: false,
    })?;
    audit(
        meta,
        "robot-add",
        &full,
        &format!("ok: {}", actions.join(",")),
    )?;
    Ok((full, secret))
}
