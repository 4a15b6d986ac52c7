# The provider `terraform query` uses for main.tfquery.hcl. Credentials and location come
# from the environment (HW_AUTH_TOKEN, HW_PROJECT_ID, HW_REGION_NAME or
# HW_TAURUSDB_ENDPOINT).

terraform {
  required_providers {
    taurusdb = {
      source = "taurusdb/taurusdb"
    }
  }
}

provider "taurusdb" {}
