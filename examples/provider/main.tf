# The provider block: where the TaurusDB API is and how to authenticate. Every setting
# is optional and falls back to its environment variable; secrets belong in the
# environment (or a secret store), not in the configuration.
#
# This configuration only reads: it lists the data synchronization tasks of an instance.

terraform {
  required_providers {
    taurusdb = {
      source = "taurusdb/taurusdb"
    }
  }
}

variable "region" {
  description = "Huawei Cloud region of the instance."
  type        = string
  default     = "cn-north-4"
}

variable "instance_id" {
  description = "ID of the TaurusDB StarRocks instance."
  type        = string
}

provider "taurusdb" {
  region = var.region # or HW_REGION_NAME; picks the regional endpoints
  # endpoint   = "https://..."  # or HW_TAURUSDB_ENDPOINT: a private cloud's endpoint; wins over region
  # project_id = "..."          # or HW_PROJECT_ID: the project resources default to

  # Credentials, in this order of precedence (the first one given is used):
  #   token                               or HW_AUTH_TOKEN
  #   access_key + secret_key             or HW_ACCESS_KEY + HW_SECRET_KEY (+ HW_SECURITY_TOKEN)
  #   user_name + password + domain_name  or HW_USER_NAME + HW_USER_PASSWORD + HW_DOMAIN_NAME
  #     (or domain_id, HW_DOMAIN_ID; or user_id + password, HW_USER_ID)
  #   shared_config_file / profile        or HW_SHARED_CONFIG_FILE / HW_PROFILE (hcloud's file)
  #   assume_role_with_oidc { ... }       or HW_ASSUME_ROLE_IDP_ID + HW_ASSUME_ROLE_ID_TOKEN_FILE ...
  #   nothing: the agency of the ECS this runs on (the ECS metadata service)
  # then each assume_role { agency_name = ..., domain_name = ... } hop, in order.

  language    = "en-us" # API messages in English (or "zh-cn")
  max_retries = 5       # throttled and busy answers are retried up to this often
}

data "taurusdb_replication_tasks" "all" {
  instance_id = var.instance_id
}

output "tasks" {
  description = "Each task's stage, by task name."
  value       = { for task in data.taurusdb_replication_tasks.all.tasks : task.task_name => task.stage }
}
