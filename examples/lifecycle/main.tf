# A pause for the length of a maintenance window: paused again for every release (even if
# someone resumed the task in between), resumed when the resource is destroyed, with the
# waits bounded.
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

provider "taurusdb" {}

variable "instance_id" {
  description = "ID of the TaurusDB StarRocks instance."
  type        = string
}

variable "release" {
  description = "The release being rolled out; a new one pauses the task again."
  type        = string
  default     = "2024.06.1"
}

resource "taurusdb_replication_pause" "maintenance" {
  instance_id = var.instance_id
  task_name   = "orders_sync"

  # Pause again for every release, and resume when the resource is destroyed.
  triggers          = { release = var.release }
  resume_on_destroy = true

  timeouts {
    create = "20m"
    delete = "20m"
  }
}

output "job_id" {
  description = "ID of the job that paused the task."
  value       = taurusdb_replication_pause.maintenance.job_id
}

output "stage" {
  description = "The task's stage after the pause."
  value       = taurusdb_replication_pause.maintenance.stage
}
