# The ECR repository of one environment, in its own state so it can be
# applied before the first image exists: the pipeline applies this stack,
# pushes the image, then plans the main stack with the image's digest
# (docs/terraform.md, "First deploy").

module "registry" {
  source = "../modules/registry"

  name        = "credex-core-${var.environment}" # envs.RepositoryName, and the main stack's data source
  keep_images = var.keep_images
}
