# Terraform 1.14+: `terraform query -var instance_id=...` lists the data synchronization
# tasks of an instance as taurusdb_replication_pause resources, each with the identity
# an import block takes. `terraform query -generate-config-out=paused.tf` writes the
# resource and import blocks for them.

variable "instance_id" {
  description = "ID of the TaurusDB StarRocks instance whose tasks are listed."
  type        = string
}

# Every task of the instance.
list "taurusdb_replication_pause" "all" {
  provider = taurusdb

  config {
    instance_id = var.instance_id
    # project_id = "..."    # defaults to the provider's
  }
}

# Only paused tasks (any case), at most 10, each with its full resource object.
list "taurusdb_replication_pause" "paused" {
  provider         = taurusdb
  include_resource = true
  limit            = 10

  config {
    instance_id = var.instance_id
    stage       = "paused"
  }
}
