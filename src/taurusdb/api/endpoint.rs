//! Where the API and IAM live, and the one check every configured URL passes.
//!
//! Credentials go only to hosts the user configured. So a region must be a region name
//! before it becomes part of a host name (`x@127.0.0.1:1/` would turn the regional URL
//! into one for 127.0.0.1), and an endpoint or IAM URL must be a plain http(s) URL with a
//! host and no user name or password (which would end up in logs and error texts). The
//! provider's configure diagnostics and the client use the same checks, so they agree.
//! (Regions: shared/reference/taurusdb-api.md §4.)

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

/// The regional TaurusDB endpoint, e.g. `https://gaussdb.cn-north-4.myhuaweicloud.com`;
/// None when `region` is not a region name.
pub fn regional(region: &str) -> Option<String> {
    if !is_region_name(region) {
        return None;
    }
    let service = match region {
        "ap-southeast-1" | "ap-southeast-2" | "cn-north-11" | "tr-west-1" => "gaussdbformysql",
        "af-south-1" => "gaussdb-mysql",
        _ => "gaussdb",
    };
    Some(format!("https://{service}.{region}.{}", domain(region)))
}

/// The region's IAM v3 endpoint, e.g. `https://iam.cn-north-4.myhuaweicloud.com/v3`;
/// None when `region` is not a region name.
pub fn iam(region: &str) -> Option<String> {
    is_region_name(region).then(|| format!("https://iam.{region}.{}/v3", domain(region)))
}

fn domain(region: &str) -> &'static str {
    if region.starts_with("eu-west-1") {
        "myhuaweicloud.eu"
    } else {
        "myhuaweicloud.com"
    }
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
        assert_eq!(
            regional("cn-north-4").as_deref(),
            Some("https://gaussdb.cn-north-4.myhuaweicloud.com")
        );
        assert_eq!(
            regional("ap-southeast-1").as_deref(),
            Some("https://gaussdbformysql.ap-southeast-1.myhuaweicloud.com")
        );
        assert_eq!(
            regional("af-south-1").as_deref(),
            Some("https://gaussdb-mysql.af-south-1.myhuaweicloud.com")
        );
        assert_eq!(
            regional("eu-west-101").as_deref(),
            Some("https://gaussdb.eu-west-101.myhuaweicloud.eu")
        );
        assert_eq!(
            iam("cn-north-4").as_deref(),
            Some("https://iam.cn-north-4.myhuaweicloud.com/v3")
        );
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
            assert_eq!(regional(bad), None, "{bad:?}");
            assert_eq!(iam(bad), None, "{bad:?}");
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
