//! Where the API and IAM live, and the one check every configured URL passes.
//!
//! Credentials go only to hosts the user configured. So a region must be a region name
//! before it becomes part of a host name (`x@127.0.0.1:1/` would turn the regional URL
//! into one for 127.0.0.1), and an endpoint or IAM URL must be a plain http(s) URL with a
//! host and no user name or password (which would end up in logs and error texts). The
//! provider's configure diagnostics and the client use the same checks, so they agree.
//! The same holds for a configured cloud domain. (Regions and domains:
//! shared/reference/taurusdb-api.md §4 and §8.)

use reqwest::Url;

/// Why a URL cannot be an endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum UrlProblem {
    #[error("must be an http:// or https:// URL with a host")]
    NotHttp,
    #[error(
        "must not contain a user name or password (user:password@); give credentials in their \
         own settings"
    )]
    Userinfo,
}

/// Checks that `url` is an http(s) URL with a host and no userinfo, the only kind of
/// endpoint the client calls.
pub fn check_url(url: &str) -> Result<Url, UrlProblem> {
    let parsed = Url::parse(url).map_err(|_| UrlProblem::NotHttp)?;
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err(UrlProblem::Userinfo);
    }
    let http = url.starts_with("https://") || url.starts_with("http://");
    if !http || parsed.host_str().is_none_or(str::is_empty) {
        return Err(UrlProblem::NotHttp);
    }
    Ok(parsed)
}

/// A refused URL as it may appear in an error text: quoted, unless it contains an `@`
/// (it might carry a password that did not parse as one).
pub fn quoted_for_error(url: &str) -> String {
    if url.contains('@') {
        "(not shown: it contains '@')".to_string()
    } else {
        format!("{url:?}")
    }
}

/// What a region name looks like: two lowercase letters, then one or more `-` parts of
/// lowercase letters and digits (`cn-north-4`, `ap-southeast-1`, `eu-west-101`).
pub const REGION_FORMAT: &str = "two lowercase letters and dash-separated parts of lowercase \
                                 letters and digits, e.g. cn-north-4";

/// Whether `region` is a region name (`^[a-z]{2}(-[a-z0-9]+)+$`).
pub fn is_region_name(region: &str) -> bool {
    let mut parts = region.split('-');
    let first_ok = parts
        .next()
        .is_some_and(|p| p.len() == 2 && p.bytes().all(|b| b.is_ascii_lowercase()));
    let mut rest = parts.peekable();
    let has_rest = rest.peek().is_some();
    first_ok
        && has_rest
        && rest.all(|p| {
            !p.is_empty()
                && p.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        })
}

/// What a cloud domain looks like, e.g. `myhuaweicloud.com`.
pub const CLOUD_FORMAT: &str = "a DNS name of two or more dot-separated labels of lowercase \
                                letters, digits and dashes (not at a label's start or end), \
                                e.g. myhuaweicloud.com";

/// The cloud domain when none is configured.
pub const DEFAULT_CLOUD: &str = "myhuaweicloud.com";

/// The cloud domain regions starting `eu-west-1` use when none is configured.
pub const EU_CLOUD: &str = "myhuaweicloud.eu";

/// Whether `cloud` may be the domain part of an endpoint's host name (the official
/// provider's `cloud`, `HW_CLOUD`): a lowercase DNS name of at least two dot-separated
/// labels, each 1 to 63 characters of `a-z`, `0-9` and `-`, not starting or ending with
/// `-`, 253 characters at most. Nothing that would change where the URL points (`@`, `:`,
/// `/`, a trailing dot, upper case) passes.
pub fn is_cloud_name(cloud: &str) -> bool {
    let label_ok = |label: &str| {
        (1..=63).contains(&label.len())
            && !label.starts_with('-')
            && !label.ends_with('-')
            && label
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    };
    cloud.len() <= 253 && cloud.split('.').count() >= 2 && cloud.split('.').all(label_ok)
}

/// The domain endpoints of `region` live under: `cloud` when given (it must be a cloud
/// name, else None), otherwise `myhuaweicloud.com`, except that regions starting
/// `eu-west-1` use `myhuaweicloud.eu`. A configured cloud wins for every region, eu-west-1*
/// included: whoever sets it names the cloud the region lives in (as the official
/// provider does: it only picks `.eu` for its default).
fn domain<'a>(region: &str, cloud: Option<&'a str>) -> Option<&'a str> {
    match cloud {
        Some(cloud) => is_cloud_name(cloud).then_some(cloud),
        None if region.starts_with("eu-west-1") => Some(EU_CLOUD),
        None => Some(DEFAULT_CLOUD),
    }
}

/// `https://{service}.{region}.{domain}`, None when `region` is not a region name or
/// `cloud` not a cloud name.
fn regional_host(service: &str, region: &str, cloud: Option<&str>) -> Option<String> {
    if !is_region_name(region) {
        return None;
    }
    let domain = domain(region, cloud)?;
    Some(format!("https://{service}.{region}.{domain}"))
}

/// The regional TaurusDB endpoint, e.g. `https://gaussdb.cn-north-4.myhuaweicloud.com`;
/// None when `region` is not a region name or `cloud` is given and not a cloud name.
///
/// The service name follows Huawei's SDK (services/gaussdb/v3/region): `gaussdbformysql`
/// for ap-southeast-1, ap-southeast-2, cn-north-11, me-east-1 and tr-west-1;
/// `gaussdb-mysql` for af-south-1, cn-east-5 and la-north-2; `gaussdb` elsewhere. The
/// domain is `cloud` when given, else `myhuaweicloud.com` (`myhuaweicloud.eu` for
/// regions starting `eu-west-1`); a given cloud wins for every region.
pub fn regional(region: &str, cloud: Option<&str>) -> Option<String> {
    let service = match region {
        "ap-southeast-1" | "ap-southeast-2" | "cn-north-11" | "me-east-1" | "tr-west-1" => {
            "gaussdbformysql"
        }
        "af-south-1" | "cn-east-5" | "la-north-2" => "gaussdb-mysql",
        _ => "gaussdb",
    };
    regional_host(service, region, cloud)
}

/// The region's IAM v3 endpoint, e.g. `https://iam.cn-north-4.myhuaweicloud.com/v3`;
/// None when `region` is not a region name or `cloud` is given and not a cloud name.
/// The domain is chosen as for [`regional`].
pub fn iam(region: &str, cloud: Option<&str>) -> Option<String> {
    regional_host("iam", region, cloud).map(|host| format!("{host}/v3"))
}

/// The region's STS endpoint (where the official provider assumes an agency with a
/// domain ID, `/v5/agencies/assume`), e.g. `https://sts.cn-north-4.myhuaweicloud.com`;
/// None when `region` is not a region name or `cloud` is given and not a cloud name.
/// The domain is chosen as for [`regional`].
pub fn sts(region: &str, cloud: Option<&str>) -> Option<String> {
    regional_host("sts", region, cloud)
}

/// A URL fit for error texts and logs: scheme, host, port and path, without user name,
/// password, query or fragment (which may carry secrets).
pub fn display_url(url: &Url) -> String {
    let mut shown = url.clone();
    let _ = shown.set_username("");
    let _ = shown.set_password(None);
    shown.set_query(None);
    shown.set_fragment(None);
    shown.to_string()
}

/// Why `value` cannot be one path segment of an API URL (project and instance IDs), or
/// None: empty, a '/' or whitespace inside, or a dot segment that URL normalisation
/// would collapse (so the request would go to another path).
pub fn path_segment_problem(value: &str) -> Option<&'static str> {
    if value.trim().is_empty() {
        Some("must not be empty")
    } else if value.contains('/') || value.chars().any(|c| c.is_whitespace() || c.is_control()) {
        Some("must not contain '/' or whitespace")
    } else if value == "." || value == ".." {
        Some("must not be \".\" or \"..\"")
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regions_map_to_their_service_names_and_domains() {
        let cases = [
            ("cn-north-4", "https://gaussdb.cn-north-4.myhuaweicloud.com"),
            (
                "ap-southeast-1",
                "https://gaussdbformysql.ap-southeast-1.myhuaweicloud.com",
            ),
            (
                "ap-southeast-2",
                "https://gaussdbformysql.ap-southeast-2.myhuaweicloud.com",
            ),
            (
                "cn-north-11",
                "https://gaussdbformysql.cn-north-11.myhuaweicloud.com",
            ),
            (
                "tr-west-1",
                "https://gaussdbformysql.tr-west-1.myhuaweicloud.com",
            ),
            (
                "me-east-1",
                "https://gaussdbformysql.me-east-1.myhuaweicloud.com",
            ),
            (
                "af-south-1",
                "https://gaussdb-mysql.af-south-1.myhuaweicloud.com",
            ),
            (
                "cn-east-5",
                "https://gaussdb-mysql.cn-east-5.myhuaweicloud.com",
            ),
            (
                "la-north-2",
                "https://gaussdb-mysql.la-north-2.myhuaweicloud.com",
            ),
            (
                "eu-west-101",
                "https://gaussdb.eu-west-101.myhuaweicloud.eu",
            ),
            ("eu-west-0", "https://gaussdb.eu-west-0.myhuaweicloud.com"),
        ];
        for (region, want) in cases {
            assert_eq!(regional(region, None).as_deref(), Some(want), "{region}");
        }
        assert_eq!(
            iam("cn-north-4", None).as_deref(),
            Some("https://iam.cn-north-4.myhuaweicloud.com/v3")
        );
        assert_eq!(
            iam("eu-west-101", None).as_deref(),
            Some("https://iam.eu-west-101.myhuaweicloud.eu/v3")
        );
        assert_eq!(
            sts("cn-north-4", None).as_deref(),
            Some("https://sts.cn-north-4.myhuaweicloud.com")
        );
        assert_eq!(
            sts("eu-west-101", None).as_deref(),
            Some("https://sts.eu-west-101.myhuaweicloud.eu")
        );
    }

    #[test]
    fn a_given_cloud_is_the_domain_for_every_region() {
        let cloud = Some("example-cloud.co.uk");
        assert_eq!(
            regional("cn-east-5", cloud).as_deref(),
            Some("https://gaussdb-mysql.cn-east-5.example-cloud.co.uk")
        );
        assert_eq!(
            iam("cn-north-4", cloud).as_deref(),
            Some("https://iam.cn-north-4.example-cloud.co.uk/v3")
        );
        assert_eq!(
            sts("cn-north-4", cloud).as_deref(),
            Some("https://sts.cn-north-4.example-cloud.co.uk")
        );
        // eu-west-1* pick `.eu` only when no cloud is given.
        assert_eq!(
            regional("eu-west-101", Some("myhuaweicloud.com")).as_deref(),
            Some("https://gaussdb.eu-west-101.myhuaweicloud.com")
        );
        assert_eq!(
            iam("eu-west-101", Some(DEFAULT_CLOUD)).as_deref(),
            Some("https://iam.eu-west-101.myhuaweicloud.com/v3")
        );
    }

    #[test]
    fn only_cloud_names_become_domains() {
        let longest_label = "a".repeat(63);
        let with_longest_label = format!("{longest_label}.com");
        let long_name = format!("{}.com", ["a"; 124].join("."));
        assert_eq!(long_name.len(), 251);
        for good in [
            "myhuaweicloud.com",
            "myhuaweicloud.eu",
            "example-cloud.co.uk",
            "a.b",
            "x1.y-2.z3",
            with_longest_label.as_str(),
            long_name.as_str(),
        ] {
            assert!(is_cloud_name(good), "{good}");
            assert!(regional("cn-north-4", Some(good)).is_some(), "{good}");
        }
        let too_long = format!("{}.com", ["ab"; 84].join("."));
        assert!(too_long.len() > 253);
        let label_too_long = format!("{longest_label}a.com");
        for bad in [
            "x@h:1/",
            "myhuaweicloud.com/",
            "myhuaweicloud.com:443",
            "user@myhuaweicloud.com",
            "myhuaweicloud.com.",
            ".myhuaweicloud.com",
            "myhuaweicloud..com",
            "MyHuaweiCloud.com",
            "myhuaweicloud",
            "-cloud.com",
            "cloud-.com",
            "cloud.com-",
            "my_cloud.com",
            "my cloud.com",
            "cloud.com\n",
            "",
            too_long.as_str(),
            label_too_long.as_str(),
        ] {
            assert!(!is_cloud_name(bad), "{bad:?}");
            assert_eq!(regional("cn-north-4", Some(bad)), None, "{bad:?}");
            assert_eq!(iam("cn-north-4", Some(bad)), None, "{bad:?}");
            assert_eq!(sts("cn-north-4", Some(bad)), None, "{bad:?}");
        }
    }

    #[test]
    fn only_region_names_become_hosts() {
        for good in [
            "cn-north-4",
            "ap-southeast-1",
            "eu-west-101",
            "sa-brazil-1",
            "la-south-2",
        ] {
            assert!(is_region_name(good), "{good}");
        }
        for bad in [
            "x@127.0.0.1:8080/",
            "cn-north-4.evil.com",
            "cn-north-4/",
            "cn",
            "cn-",
            "cn--north",
            "CN-north-4",
            "cnn-north-4",
            "cn-north-4 ",
            "",
        ] {
            assert!(!is_region_name(bad), "{bad:?}");
            for cloud in [None, Some(DEFAULT_CLOUD)] {
                assert_eq!(regional(bad, cloud), None, "{bad:?}");
                assert_eq!(iam(bad, cloud), None, "{bad:?}");
                assert_eq!(sts(bad, cloud), None, "{bad:?}");
            }
        }
    }

    #[test]
    fn only_http_urls_with_a_host_and_no_userinfo_are_endpoints() {
        for good in [
            "https://gaussdb.cn-north-4.myhuaweicloud.com",
            "http://127.0.0.1:8790",
            "https://iam.example.com/v3",
        ] {
            assert!(check_url(good).is_ok(), "{good}");
        }
        assert_eq!(check_url("ftp://example.com"), Err(UrlProblem::NotHttp));
        assert_eq!(check_url("https://"), Err(UrlProblem::NotHttp));
        assert_eq!(
            check_url("gaussdb.cn-north-4.myhuaweicloud.com"),
            Err(UrlProblem::NotHttp)
        );
        assert_eq!(
            check_url("http://admin:pw@127.0.0.1:1"),
            Err(UrlProblem::Userinfo)
        );
        assert_eq!(
            check_url("http://admin@127.0.0.1:1"),
            Err(UrlProblem::Userinfo)
        );
        assert_eq!(
            check_url("http://:pw@127.0.0.1:1"),
            Err(UrlProblem::Userinfo)
        );
    }

    #[test]
    fn urls_are_shown_without_userinfo_query_or_fragment() {
        let url = Url::parse("http://u:p@host:81/a/b?token=x#frag").expect("url");
        assert_eq!(display_url(&url), "http://host:81/a/b");
    }

    #[test]
    fn path_segments_that_would_change_the_path_are_refused() {
        for bad in ["", " ", "a/b", "a b", "..", ".", "a\nb"] {
            assert!(path_segment_problem(bad).is_some(), "{bad:?}");
        }
        for good in [
            "0123abcd",
            "5c1f0e9a2b7d4e3f8a6c1d2e3f4a5b6cin17",
            "a..b",
            "...",
        ] {
            assert_eq!(path_segment_problem(good), None, "{good:?}");
        }
    }
}
