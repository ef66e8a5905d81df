# What an environment needs before its first image is pushed, in its own
# state so it can be applied first: the environment's KMS key and the ECR
# repository it encrypts. The pipeline applies this stack, pushes the image,
# then plans the main stack with the image's digest; the main stack finds the
# key by its alias (docs/terraform.md, "First deploy").

module "key" {
  source = "../modules/environment-key"

  alias       = "alias/credex-core-${var.environment}" # the main stack's data source
  account_id  = var.aws_account_id
  region      = var.aws_region
  environment = var.environment
}

module "registry" {
  source = "../modules/registry"

  name        = "credex-core-${var.environment}" # envs.RepositoryName, and the main stack's data source
  keep_images = var.keep_images
  kms_key_arn = module.key.arn
}
