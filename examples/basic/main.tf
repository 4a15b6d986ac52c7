# Pause a TaurusDB StarRocks data synchronization task and keep the job ID.
#
# Credentials and location come from the environment (HW_AUTH_TOKEN, HW_PROJECT_ID,
# HW_REGION_NAME or HW_TAURUSDB_ENDPOINT), so nothing secret lives in this file.

terraform {
  required_providers {
    taurusdb = {
      source = "taurusdb/taurusdb"
    }
  }
}

provider "taurusdb" {
  language = "en-us"
}

variable "instance_id" {
  description = "ID of the TaurusDB StarRocks instance."
  type        = string
}

variable "task_name" {
  description = "Data synchronization task to pause."
  type        = string
  default     = "orders_sync"
}

resource "taurusdb_replication_pause" "nightly" {
  instance_id = var.instance_id
  task_name   = var.task_name
}

output "job_id" {
  description = "ID of the job that paused the task."
  value       = taurusdb_replication_pause.nightly.job_id
}
