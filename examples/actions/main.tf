# A schema migration that pauses replication first (Terraform 1.14+ actions).
#
# Before terraform_data.migration is created or replaced (a new schema_version), the
# action pauses the StarRocks data synchronization task, waits until it reads Paused, and
# only then runs the migration script. Invoke either action on its own with
#   terraform apply -invoke=action.taurusdb_replication_pause.before_migration
#   terraform apply -invoke=action.taurusdb_replication_resume.after_migration
#
# Credentials and location come from the environment (HW_AUTH_TOKEN, HW_PROJECT_ID,
# HW_REGION_NAME or HW_TAURUSDB_ENDPOINT), so nothing secret lives in this file.

terraform {
  required_version = ">= 1.14"
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

variable "task_name" {
  description = "Data synchronization task to pause during the migration."
  type        = string
  default     = "orders_sync"
}

variable "schema_version" {
  description = "The schema version to migrate to; a new one runs the migration again."
  type        = string
  default     = "v1"
}

action "taurusdb_replication_pause" "before_migration" {
  config {
    instance_id = var.instance_id
    task_name   = var.task_name
    timeout     = "30m"
  }
}

action "taurusdb_replication_resume" "after_migration" {
  config {
    instance_id = var.instance_id
    task_name   = var.task_name
  }
}

resource "terraform_data" "migration" {
  triggers_replace = var.schema_version

  provisioner "local-exec" {
    # Your migration tool goes here.
    command = "echo \"migrating the warehouse schema to ${self.triggers_replace}\""
  }

  lifecycle {
    action_trigger {
      events  = [before_create, before_update]
      actions = [action.taurusdb_replication_pause.before_migration]
    }
  }
}
