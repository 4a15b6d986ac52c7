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
}
