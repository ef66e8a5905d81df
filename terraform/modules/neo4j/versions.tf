terraform {
  # 1.11: write-only arguments (modules/neo4j-credentials).
  required_version = ">= 1.11"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.88"
    }
  }
}
