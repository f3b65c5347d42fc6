//! Inventory builders shared by the matching tests.
#![allow(dead_code)]

use kura_types::{Ecosystem, Inventory, LayerInfo, Location, OsInfo, Package};

pub fn pkg(eco: Ecosystem, name: &str, version: &str) -> Package {
    Package {
        name: name.into(),
        version: version.into(),
        ecosystem: eco,
        purl: format!("pkg:{}/{name}@{version}", eco.purl_type()),
        licenses: vec![],
        source_name: None,
        source_version: None,
        arch: None,
        dev: false,
        location: Location {
            path: format!("/fixture/{name}"),
            layer_index: Some(1),
            layer_diff_id: Some("sha256:l1".into()),
        },
    }
}

pub fn with_source(mut p: Package, source: &str, source_version: Option<&str>) -> Package {
    p.source_name = Some(source.into());
    p.source_version = source_version.map(str::to_string);
    p
}

pub fn os(id: &str, release: &str) -> OsInfo {
    OsInfo {
        id: id.into(),
        version: release.into(),
        release: release.into(),
        source_path: "/etc/os-release".into(),
        ..OsInfo::default()
    }
}

pub fn inventory(os: Option<OsInfo>, packages: Vec<Package>) -> Inventory {
    Inventory {
        os,
        layers: vec![
            LayerInfo {
                index: 0,
                diff_id: "sha256:l0".into(),
                base: true,
                created_by: Some("ADD rootfs.tar /".into()),
                ..LayerInfo::default()
            },
            LayerInfo {
                index: 1,
                diff_id: "sha256:l1".into(),
                base: false,
                created_by: Some("RUN install things".into()),
                ..LayerInfo::default()
            },
        ],
        packages,
        ..Inventory::default()
    }
}
