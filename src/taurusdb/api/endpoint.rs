//! Where the TaurusDB API of a region lives (see shared/reference/taurusdb-api.md §4).

/// The regional TaurusDB endpoint, e.g. `https://gaussdb.cn-north-4.myhuaweicloud.com`.
pub fn regional(region: &str) -> String {
    let service = match region {
        "ap-southeast-1" | "ap-southeast-2" | "cn-north-11" | "tr-west-1" => "gaussdbformysql",
        "af-south-1" => "gaussdb-mysql",
        _ => "gaussdb",
    };
    format!("https://{service}.{region}.{}", domain(region))
}

/// The region's IAM v3 endpoint, e.g. `https://iam.cn-north-4.myhuaweicloud.com/v3`.
pub fn iam(region: &str) -> String {
    format!("https://iam.{region}.{}/v3", domain(region))
}

fn domain(region: &str) -> &'static str {
    if region.starts_with("eu-west-1") {
        "myhuaweicloud.eu"
    } else {
        "myhuaweicloud.com"
    }
}

/// Whether `url` is an http:// or https:// URL with a host, the only kind of endpoint
/// the client can call.
pub fn is_http_url(url: &str) -> bool {
    (url.starts_with("https://") || url.starts_with("http://"))
        && reqwest::Url::parse(url).is_ok_and(|u| u.host_str().is_some_and(|h| !h.is_empty()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regions_map_to_their_service_names_and_domains() {
        assert_eq!(
            regional("cn-north-4"),
            "https://gaussdb.cn-north-4.myhuaweicloud.com"
        );
        assert_eq!(
            regional("ap-southeast-1"),
            "https://gaussdbformysql.ap-southeast-1.myhuaweicloud.com"
        );
        assert_eq!(
            regional("af-south-1"),
            "https://gaussdb-mysql.af-south-1.myhuaweicloud.com"
        );
        assert_eq!(
            regional("eu-west-101"),
            "https://gaussdb.eu-west-101.myhuaweicloud.eu"
        );
    }

    #[test]
    fn only_http_urls_with_a_host_are_endpoints() {
        assert!(is_http_url("https://gaussdb.cn-north-4.myhuaweicloud.com"));
        assert!(is_http_url("http://127.0.0.1:8790"));
        assert!(!is_http_url("ftp://example.com"));
        assert!(!is_http_url("https://"));
        assert!(!is_http_url("gaussdb.cn-north-4.myhuaweicloud.com"));
    }
}
