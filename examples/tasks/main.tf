# Pause every data synchronization task of a TaurusDB StarRocks instance, whatever their
# number and names: the taurusdb_replication_tasks data source lists them (every page of
# the list API) and for_each makes one pause per task.
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
  description = "ID of the TaurusDB StarRocks instance whose tasks are paused."
  type        = string
}

variable "name_regex" {
  description = "Only tasks whose name matches this regular expression."
  type        = string
  default     = "_sync$"
}

data "taurusdb_replication_tasks" "all" {
  instance_id = var.instance_id
  name_regex  = var.name_regex
}

# One pause per task that runs, or that this configuration already paused. Do not filter
# on stage = "Incremental" here: a paused task would drop out of the data source, and the
# next plan would destroy (forget) its pause. Cancelled tasks cannot be paused.
resource "taurusdb_replication_pause" "every" {
  for_each = {
    for task in data.taurusdb_replication_tasks.all.tasks : task.task_name => task
    if try(lower(task.stage), "") != "cancelled"
  }

  instance_id = var.instance_id
  task_name   = each.key
}

output "job_ids" {
  description = "The job that paused each task, by task name."
  value       = { for name, pause in taurusdb_replication_pause.every : name => pause.job_id }
}

output "databases" {
  description = "What each task copies, by task name."
  value = {
    for task in data.taurusdb_replication_tasks.all.tasks :
    task.task_name => "${task.source_database} -> ${task.target_database}"
  }
}
