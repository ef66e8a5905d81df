terraform {
  # 1.10 brings the S3 backend's native lock file (use_lockfile); 1.11
  # write-only arguments, which keep the Neo4j passwords out of the plan and
  # the state (modules/neo4j).
  required_version = ">= 1.11"

  required_providers {
    # Exact versions: a saved plan is applied in a fresh container after a
    # fresh init, which must select the very providers the plan was made with.
    aws = {
      source  = "hashicorp/aws"
      version = "5.100.0"
    }
  }

  # bucket, key and region are given at init, one state key per environment:
  #   terraform init -backend-config=bucket=credex-terraform-state-<account id> \
  #     -backend-config=key=credex-core/<env>/terraform.tfstate -backend-config=region=af-south-1
  backend "s3" {
    encrypt      = true
    use_lockfile = true
  }
}
