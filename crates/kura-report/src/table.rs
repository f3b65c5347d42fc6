//! Human-readable tables.
//!
//! Every string that came from the image is passed through [`clean`] first: a package name or
//! advisory title holding terminal escape sequences must not be able to rewrite the screen.

use crate::RenderOptions;
use kura_types::{Finding, FixAdvice, Inventory, ScanReport, Severity};
use std::collections::BTreeMap;
use std::io::{self, Write};

const RESET: &str = "\x1b[0m";
const BOLD: &str = "\x1b[1m";
const DIM: &str = "\x1b[2m";
const RED: &str = "\x1b[31m";
const BOLD_RED: &str = "\x1b[1;31m";
const GREEN: &str = "\x1b[32m";
const YELLOW: &str = "\x1b[33m";
const BLUE: &str = "\x1b[34m";
const TITLE_MAX: usize = 100;

/// Colours on or off.
struct Paint {
    on: bool,
}

impl Paint {
    fn paint(&self, code: &str, s: &str) -> String {
        if self.on {
            format!("{code}{s}{RESET}")
        } else {
            s.to_string()
        }
    }

    fn severity(&self, s: Severity, text: &str) -> String {
        let code = match s {
            Severity::Critical => BOLD_RED,
            Severity::High => RED,
            Severity::Medium => YELLOW,
            Severity::Low => BLUE,
            Severity::Unknown => DIM,
        };
        self.paint(code, text)
    }
}

/// Replace control characters (ESC, CR, BEL…) with `?` and newlines with spaces.
fn clean(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '\n' | '\t' => ' ',
            c if c.is_control() => '?',
            c => c,
        })
        .collect()
}

fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(max.saturating_sub(1)).collect();
        t.push('…');
        t
    }
}

fn pad(s: &str, width: usize) -> String {
    let n = s.chars().count();
    format!("{s}{}", " ".repeat(width.saturating_sub(n)))
}

fn target_lines(w: &mut dyn Write, inv: &Inventory, paint: &Paint) -> io::Result<()> {
    let t = &inv.target;
    let digest = crate::util::target_digest(t)
        .map(|d| format!(" {}", clean(d)))
        .unwrap_or_default();
    writeln!(
        w,
        "{} {} ({}){}",
        paint.paint(BOLD, "Target:"),
        clean(&t.name),
        clean(&t.kind),
        paint.paint(DIM, &digest)
    )?;
    if let Some(os) = &inv.os {
        let pretty = os
            .pretty_name
            .as_deref()
            .map(|p| format!(" ({})", clean(p)))
            .unwrap_or_default();
        let eol = match (&os.eol, os.eol_reached) {
            (Some(d), true) => paint.paint(BOLD_RED, &format!(" — end of life since {}", clean(d))),
            (Some(d), false) => format!(" — end of life {}", clean(d)),
            (None, _) => String::new(),
        };
        writeln!(
            w,
            "{} {} {}{}{}",
            paint.paint(BOLD, "OS:"),
            clean(&os.id),
            clean(&os.version),
            pretty,
            eol
        )?;
    }
    Ok(())
}

/// The inventory table of `kura sbom --format table`.
pub fn write_inventory(w: &mut dyn Write, inv: &Inventory, opts: &RenderOptions) -> io::Result<()> {
    let paint = Paint { on: opts.color };
    target_lines(w, inv, &paint)?;
    if !inv.layers.is_empty() {
        writeln!(w, "{} {}", paint.paint(BOLD, "Layers:"), inv.layers.len())?;
    }
    writeln!(w)?;
    let header = ["NAME", "VERSION", "ECOSYSTEM", "LAYER", "PATH"];
    let rows: Vec<[String; 5]> = inv
        .packages
        .iter()
        .map(|p| {
            [
                clean(&p.name),
                clean(&p.version),
                p.ecosystem.to_string(),
                p.location
                    .layer_index
                    .map_or_else(|| "-".to_string(), |i| i.to_string()),
                clean(&p.location.path),
            ]
        })
        .collect();
    // One very long name (a Go module path, a nested jar) must not push every row off the
    // screen: columns pad to at most MAX_COLUMN; longer cells overflow their own row only.
    const MAX_COLUMN: usize = 40;
    let mut widths = header.map(str::len);
    for r in &rows {
        for (wd, c) in widths.iter_mut().zip(r) {
            *wd = (*wd).max(c.chars().count().min(MAX_COLUMN));
        }
    }
    let line = |cells: [&str; 5]| -> String {
        let mut s = String::new();
        for (i, (c, wd)) in cells.iter().zip(widths).enumerate() {
            if i == 4 {
                s.push_str(c);
            } else {
                s.push_str(&pad(c, wd));
                s.push_str("  ");
            }
        }
        s
    };
    writeln!(w, "{}", paint.paint(BOLD, line(header).trim_end()))?;
    for r in &rows {
        writeln!(w, "{}", line(r.each_ref().map(String::as_str)).trim_end())?;
    }
    writeln!(w)?;
    writeln!(
        w,
        "{} package{}",
        inv.packages.len(),
        if inv.packages.len() == 1 { "" } else { "s" }
    )?;
    write_warnings(w, inv, &paint)
}

fn write_warnings(w: &mut dyn Write, inv: &Inventory, paint: &Paint) -> io::Result<()> {
    if !inv.warnings.is_empty() {
        writeln!(w)?;
    }
    for warn in &inv.warnings {
        let place = [warn.layer.as_deref(), warn.path.as_deref()]
            .into_iter()
            .flatten()
            .map(clean)
            .collect::<Vec<_>>()
            .join(" ");
        let place = if place.is_empty() {
            place
        } else {
            format!("{place}: ")
        };
        writeln!(
            w,
            "{} {place}{}",
            paint.paint(YELLOW, "warning:"),
            clean(&warn.message)
        )?;
    }
    Ok(())
}

/// Counts of gating (unsuppressed) findings per severity, highest first.
fn counts(findings: &[&Finding]) -> [(Severity, usize); 5] {
    let mut c = [
        (Severity::Critical, 0),
        (Severity::High, 0),
        (Severity::Medium, 0),
        (Severity::Low, 0),
        (Severity::Unknown, 0),
    ];
    for f in findings {
        if let Some(slot) = c.iter_mut().find(|(s, _)| *s == f.severity) {
            slot.1 += 1;
        }
    }
    c
}

/// The findings table of `kura scan --format table`.
pub fn write_report(
    w: &mut dyn Write,
    report: &ScanReport,
    opts: &RenderOptions,
) -> io::Result<()> {
    let paint = Paint { on: opts.color };
    target_lines(w, &report.inventory, &paint)?;
    let (active, suppressed): (Vec<&Finding>, Vec<&Finding>) =
        report.findings.iter().partition(|f| f.suppressed.is_none());
    let summary = counts(&active)
        .iter()
        .map(|(s, n)| paint.severity(*s, &format!("{s}: {n}")))
        .collect::<Vec<_>>()
        .join(", ");
    let supp = if suppressed.is_empty() {
        String::new()
    } else {
        format!(", {} suppressed", suppressed.len())
    };
    writeln!(
        w,
        "{} {} ({summary}){supp}",
        paint.paint(BOLD, "Total:"),
        active.len()
    )?;
    writeln!(w)?;
    if active.is_empty() {
        writeln!(w, "No vulnerabilities found.")?;
    } else {
        write_groups(w, &active, &report.fixes, &paint)?;
    }
    let fixes: Vec<&FixAdvice> = report.fixes.iter().filter(|f| f.clears > 0).collect();
    if !fixes.is_empty() {
        writeln!(w)?;
        writeln!(w, "{}", paint.paint(BOLD, "Fixes:"))?;
        for f in fixes {
            writeln!(w, "  {}", fix_line(f, &paint))?;
        }
    }
    if !suppressed.is_empty() {
        writeln!(w)?;
        writeln!(w, "{}", paint.paint(BOLD, "Suppressed:"))?;
        for f in suppressed {
            let why = f
                .suppressed
                .as_ref()
                .map(|s| {
                    let mut t = clean(&s.kind);
                    if let Some(st) = &s.status {
                        t.push_str(&format!(" {}", clean(st)));
                    }
                    if let Some(src) = &s.source {
                        t.push_str(&format!(" ({})", clean(src)));
                    }
                    if let Some(r) = &s.reason {
                        t.push_str(&format!(": {}", clean(r)));
                    }
                    t
                })
                .unwrap_or_default();
            writeln!(
                w,
                "  {} in {} {} — {why}",
                clean(&f.id),
                clean(&f.package_name),
                clean(&f.installed_version)
            )?;
        }
    }
    if !report.expired_ignores.is_empty() {
        writeln!(w)?;
        writeln!(
            w,
            "{}",
            paint.paint(YELLOW, "Expired ignore entries (they no longer suppress):")
        )?;
        for e in &report.expired_ignores {
            writeln!(w, "  {}", clean(e))?;
        }
    }
    write_warnings(w, &report.inventory, &paint)
}

fn fix_line(f: &FixAdvice, paint: &Paint) -> String {
    let mut extra = Vec::new();
    if f.clears_critical > 0 {
        extra.push(paint.severity(
            Severity::Critical,
            &format!("{} critical", f.clears_critical),
        ));
    }
    if f.clears_high > 0 {
        extra.push(paint.severity(Severity::High, &format!("{} high", f.clears_high)));
    }
    let extra = if extra.is_empty() {
        String::new()
    } else {
        format!(" ({})", extra.join(", "))
    };
    format!(
        "upgrade {} to {}: clears {} finding{}{extra}",
        paint.paint(BOLD, &clean(&f.package_name)),
        paint.paint(GREEN, &clean(&f.fixed_version)),
        f.clears,
        if f.clears == 1 { "" } else { "s" }
    )
}

fn write_groups(
    w: &mut dyn Write,
    active: &[&Finding],
    fixes: &[FixAdvice],
    paint: &Paint,
) -> io::Result<()> {
    let mut groups: BTreeMap<&str, Vec<&Finding>> = BTreeMap::new();
    for f in active {
        groups.entry(f.package_key.as_str()).or_default().push(f);
    }
    let mut groups: Vec<Vec<&Finding>> = groups.into_values().collect();
    for g in &mut groups {
        g.sort_by(|a, b| b.severity.cmp(&a.severity).then_with(|| a.id.cmp(&b.id)));
    }
    let worst = |g: &Vec<&Finding>| g.first().map(|f| f.severity).unwrap_or_default();
    groups.sort_by(|a, b| {
        worst(b).cmp(&worst(a)).then_with(|| {
            let ka = a.first().map(|f| (&f.package_name, &f.installed_version));
            let kb = b.first().map(|f| (&f.package_name, &f.installed_version));
            ka.cmp(&kb)
        })
    });
    let id_width = active
        .iter()
        .map(|f| f.id.chars().count())
        .max()
        .unwrap_or(0);
    for g in &groups {
        let Some(first) = g.first() else { continue };
        let fixed = fixed_for(g, fixes);
        let fixed = match fixed {
            Some(v) => format!(" → {}", paint.paint(GREEN, &clean(&v))),
            None => paint.paint(DIM, " (no fix)"),
        };
        let mut place = vec![first.ecosystem.to_string()];
        if let Some(i) = first.location.layer_index {
            place.push(format!("layer {i}"));
        }
        if first.in_base_layer {
            place.push("base image".to_string());
        }
        if !first.location.path.is_empty() {
            place.push(clean(&first.location.path));
        }
        writeln!(
            w,
            "{} {}{fixed}  {}",
            paint.paint(BOLD, &clean(&first.package_name)),
            clean(&first.installed_version),
            paint.paint(DIM, &format!("[{}]", place.join(", ")))
        )?;
        for f in g {
            let title = f.title.as_deref().map(clean).unwrap_or_default();
            let line = format!(
                "  {}  {}  {}",
                paint.severity(f.severity, &pad(f.severity.as_str(), 8)),
                pad(&clean(&f.id), id_width),
                truncate(&title, TITLE_MAX)
            );
            writeln!(w, "{}", line.trim_end())?;
        }
    }
    Ok(())
}

/// The version to upgrade to: the fix advice's when there is one for this package, else the
/// distinct fixed versions of its findings.
fn fixed_for(group: &[&Finding], fixes: &[FixAdvice]) -> Option<String> {
    let first = group.first()?;
    if let Some(a) = fixes.iter().find(|a| {
        a.package_name == first.package_name
            && a.ecosystem == first.ecosystem
            && a.installed_version == first.installed_version
    }) {
        return Some(a.fixed_version.clone());
    }
    let mut versions: Vec<&str> = group
        .iter()
        .filter_map(|f| f.fixed_version.as_deref())
        .collect();
    versions.sort_unstable();
    versions.dedup();
    (!versions.is_empty()).then(|| versions.join(", "))
}
