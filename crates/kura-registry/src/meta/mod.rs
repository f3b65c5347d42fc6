//! Metadata: repositories, tags, manifests and their references, uploads, users, projects,
//! robots and the audit log.
//!
//! Called by services, auth and audit. [`MetaStore`] is the seam a PostgreSQL backend implements;
//! every method is one transaction, so invariants (a tag points to a stored manifest, a manifest's
//! references exist) hold across crashes.

pub mod sqlite;

use crate::digest::Digest;
use crate::names::RepoName;
use serde::{Deserialize, Serialize};

/// Metadata failures.
#[derive(Debug, thiserror::Error)]
pub enum MetaError {
    /// Database error, with the operation.
    #[error("metadata {op}: {source}")]
    Db {
        /// Operation.
        op: &'static str,
        /// Cause.
        #[source]
        source: rusqlite::Error,
    },
    /// A stored value could not be decoded (edited database).
    #[error("metadata {what} is corrupt: {detail}")]
    Corrupt {
        /// Which value.
        what: &'static str,
        /// Details.
        detail: String,
    },
    /// The tag is immutable in its project and already points elsewhere.
    #[error("tag {tag} in {repo} is immutable")]
    TagImmutable {
        /// Repository.
        repo: String,
        /// Tag.
        tag: String,
    },
    /// A lock was poisoned by a panic in another thread.
    #[error("metadata lock poisoned")]
    Poisoned,
}

/// A stored manifest.
#[derive(Debug, Clone)]
pub struct ManifestRow {
    /// Content digest.
    pub digest: Digest,
    /// `mediaType` it was pushed with (Content-Type).
    pub media_type: String,
    /// Exact bytes.
    pub content: Vec<u8>,
    /// `artifactType` (or config media type for images, per the referrers API rules).
    pub artifact_type: Option<String>,
    /// `subject` digest.
    pub subject: Option<Digest>,
    /// Top-level annotations as JSON text.
    pub annotations: Option<String>,
}

/// One referrer descriptor.
#[derive(Debug, Clone)]
pub struct Referrer {
    /// Digest of the referring manifest.
    pub digest: Digest,
    /// Its media type.
    pub media_type: String,
    /// Its size.
    pub size: u64,
    /// Its artifact type.
    pub artifact_type: Option<String>,
    /// Its annotations (JSON).
    pub annotations: Option<String>,
}

/// Project roles, least to most privileged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Pull.
    Guest,
    /// Pull, push.
    Developer,
    /// Pull, push, delete tags.
    Maintainer,
    /// Everything in the project, including members, policies and deletes.
    Admin,
}

impl Role {
    /// Stored/CLI name.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Guest => "guest",
            Role::Developer => "developer",
            Role::Maintainer => "maintainer",
            Role::Admin => "admin",
        }
    }
    /// Parse a stored/CLI name.
    pub fn parse(s: &str) -> Option<Role> {
        match s {
            "guest" => Some(Role::Guest),
            "developer" => Some(Role::Developer),
            "maintainer" => Some(Role::Maintainer),
            "admin" => Some(Role::Admin),
            _ => None,
        }
    }
}

/// A local user.
#[derive(Debug, Clone)]
pub struct User {
    /// Login name.
    pub name: String,
    /// PHC-format argon2id hash.
    pub password_hash: String,
    /// System administrator (all projects, user management).
    pub admin: bool,
    /// Disabled users cannot log in.
    pub disabled: bool,
}

/// A project: the first path component of repository names.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Project {
    /// Name.
    pub name: String,
    /// Anonymous pull allowed.
    pub public: bool,
    /// Storage quota in bytes.
    pub quota_bytes: Option<u64>,
    /// Tag patterns (`*` wildcard) that cannot be moved or deleted once pushed.
    pub immutable_tags: Vec<String>,
}

/// A robot account scoped to one project.
#[derive(Debug, Clone)]
pub struct Robot {
    /// Full login name `robot$<project>+<name>`.
    pub name: String,
    /// Project.
    pub project: String,
    /// Argon2id hash of the secret.
    pub secret_hash: String,
    /// Allowed actions (`pull`, `push`, `delete`).
    pub actions: Vec<String>,
    /// Unix seconds after which it is refused.
    pub expires_at: Option<i64>,
    /// Disabled robots cannot log in.
    pub disabled: bool,
}

/// One audit event as produced by the server.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct AuditRecord {
    /// RFC 3339 UTC time.
    pub time: String,
    /// User, robot or `anonymous`.
    pub actor: String,
    /// Source address.
    pub source: String,
    /// Action (`login`, `token`, `push`, `pull`, `delete`, `member`, `project`, `policy`, …).
    pub action: String,
    /// Repository, if any.
    pub repository: String,
    /// Tag or digest reference, if any.
    pub reference: String,
    /// Content digest, if any.
    pub digest: String,
    /// `ok`, `denied`, `error: …`.
    pub result: String,
}

/// A stored audit entry: the record plus its place in the hash chain.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct AuditEntry {
    /// Sequence number, contiguous from 1.
    pub seq: u64,
    /// The event.
    #[serde(flatten)]
    pub record: AuditRecord,
    /// Hash of the previous entry (or of the checkpoint).
    pub prev_hash: String,
    /// `sha256(prev_hash || canonical JSON of seq and record)`.
    pub hash: String,
}

/// The last entry removed by retention: verification resumes from it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    /// Sequence number of the last pruned entry.
    pub seq: u64,
    /// Its hash.
    pub hash: String,
}

/// Outcome of a manifest put.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PutOutcome {
    /// Stored.
    Stored,
}

/// The metadata interface.
pub trait MetaStore: Send + Sync + 'static {
    /// Does the repository exist (has any blob, manifest or upload)?
    fn repo_exists(&self, repo: &RepoName) -> Result<bool, MetaError>;
    /// Size of a blob linked into a repository.
    fn repo_blob(&self, repo: &RepoName, d: &Digest) -> Result<Option<u64>, MetaError>;
    /// Size of a blob known anywhere.
    fn blob(&self, d: &Digest) -> Result<Option<u64>, MetaError>;
    /// Record a committed blob and link it into a repository.
    fn link_blob(&self, repo: &RepoName, d: &Digest, size: u64) -> Result<(), MetaError>;
    /// Link an existing blob into another repository; `false` if the blob is unknown.
    fn mount_blob(&self, repo: &RepoName, d: &Digest) -> Result<Option<u64>, MetaError>;
    /// Unlink a blob from a repository.
    fn unlink_blob(&self, repo: &RepoName, d: &Digest) -> Result<bool, MetaError>;
    /// Which of `digests` are neither a blob linked in `repo` nor a manifest of `repo`.
    fn missing_refs(&self, repo: &RepoName, digests: &[Digest]) -> Result<Vec<Digest>, MetaError>;
    /// Manifest by digest.
    fn manifest(&self, repo: &RepoName, d: &Digest) -> Result<Option<ManifestRow>, MetaError>;
    /// Digest a tag points to.
    fn tag(&self, repo: &RepoName, tag: &str) -> Result<Option<Digest>, MetaError>;
    /// Store a manifest, its references, and optionally a tag, in one transaction.
    fn put_manifest(
        &self,
        repo: &RepoName,
        m: &ManifestRow,
        refs: &[Digest],
        tag: Option<&str>,
        immutable: &dyn Fn(&str) -> bool,
    ) -> Result<PutOutcome, MetaError>;
    /// Delete a manifest and the tags pointing to it.
    fn delete_manifest(&self, repo: &RepoName, d: &Digest) -> Result<bool, MetaError>;
    /// Delete a tag.
    fn delete_tag(&self, repo: &RepoName, tag: &str) -> Result<bool, MetaError>;
    /// Tags in lexical order after `last`, at most `n`; `None` if the repository is unknown.
    fn tags(
        &self,
        repo: &RepoName,
        last: Option<&str>,
        n: Option<usize>,
    ) -> Result<Option<Vec<String>>, MetaError>;
    /// Repository names in lexical order after `last`.
    fn repositories(&self, last: Option<&str>) -> Result<Vec<String>, MetaError>;
    /// Manifests whose subject is `subject`.
    fn referrers(&self, repo: &RepoName, subject: &Digest) -> Result<Vec<Referrer>, MetaError>;
    /// Bytes of distinct blobs linked into the project's repositories.
    fn project_usage(&self, project: &str) -> Result<u64, MetaError>;

    /// Record a new upload.
    fn upload_create(&self, id: &str, repo: &RepoName, now: i64) -> Result<(), MetaError>;
    /// Repository of an open upload.
    fn upload_repo(&self, id: &str) -> Result<Option<String>, MetaError>;
    /// Touch an upload (activity time).
    fn upload_touch(&self, id: &str, now: i64) -> Result<(), MetaError>;
    /// Forget an upload.
    fn upload_delete(&self, id: &str) -> Result<(), MetaError>;
    /// Uploads idle since before `before`.
    fn uploads_idle(&self, before: i64) -> Result<Vec<String>, MetaError>;
    /// Number of open uploads.
    fn uploads_open(&self) -> Result<u64, MetaError>;
    /// Blobs not linked anywhere, created before `before`.
    fn orphan_blobs(&self, before: i64) -> Result<Vec<Digest>, MetaError>;
    /// Forget a blob if it is still unlinked; `true` if it was removed (then the caller deletes bytes).
    fn forget_blob_if_orphan(&self, d: &Digest) -> Result<bool, MetaError>;

    /// A user.
    fn user(&self, name: &str) -> Result<Option<User>, MetaError>;
    /// Create or replace a user.
    fn put_user(&self, u: &User) -> Result<(), MetaError>;
    /// All users.
    fn users(&self) -> Result<Vec<User>, MetaError>;
    /// A project.
    fn project(&self, name: &str) -> Result<Option<Project>, MetaError>;
    /// Create or replace a project.
    fn put_project(&self, p: &Project) -> Result<(), MetaError>;
    /// All projects.
    fn projects(&self) -> Result<Vec<Project>, MetaError>;
    /// Set (or with `None`, remove) a member's role.
    fn set_member(&self, project: &str, user: &str, role: Option<Role>) -> Result<(), MetaError>;
    /// A member's role.
    fn member(&self, project: &str, user: &str) -> Result<Option<Role>, MetaError>;
    /// Projects a user is a member of.
    fn memberships(&self, user: &str) -> Result<Vec<(String, Role)>, MetaError>;
    /// A robot.
    fn robot(&self, name: &str) -> Result<Option<Robot>, MetaError>;
    /// Create or replace a robot.
    fn put_robot(&self, r: &Robot) -> Result<(), MetaError>;

    /// Append audit records, extending the hash chain; returns the entries written.
    fn audit_append(&self, recs: &[AuditRecord]) -> Result<Vec<AuditEntry>, MetaError>;
    /// Entries with `seq > after`, at most `limit`.
    fn audit_entries(&self, after: u64, limit: usize) -> Result<Vec<AuditEntry>, MetaError>;
    /// The retention checkpoint, if entries were pruned.
    fn audit_checkpoint(&self) -> Result<Option<Checkpoint>, MetaError>;
    /// The newest sequence number and hash recorded as the chain head.
    fn audit_head(&self) -> Result<Option<Checkpoint>, MetaError>;
    /// Remove entries older than `before` (RFC 3339), keeping a checkpoint; returns how many.
    fn audit_prune(&self, before: &str) -> Result<u64, MetaError>;
}

/// Does `tag` match a pattern with `*` wildcards?
pub fn glob_match(pattern: &str, tag: &str) -> bool {
    fn go(p: &[u8], t: &[u8]) -> bool {
        match p.split_first() {
            None => t.is_empty(),
            Some((b'*', rest)) => (0..=t.len()).any(|i| t.get(i..).is_some_and(|s| go(rest, s))),
            Some((c, rest)) => t
                .split_first()
                .is_some_and(|(tc, trest)| tc == c && go(rest, trest)),
        }
    }
    // Patterns come from admins and tags are ≤128 bytes; bound the backtracking anyway.
    pattern.len() <= 128
        && pattern.bytes().filter(|b| *b == b'*').count() <= 4
        && go(pattern.as_bytes(), tag.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::glob_match;

    #[test]
    fn immutability_patterns_table() {
        for (p, t, ok) in [
            ("v*", "v1.0", true),
            ("v*", "latest", false),
            ("*", "x", true),
            ("release-*-final", "release-2-final", true),
            ("release-*-final", "release-2", false),
            ("exact", "exact", true),
        ] {
            assert_eq!(glob_match(p, t), ok, "{p} {t}");
        }
    }
}
