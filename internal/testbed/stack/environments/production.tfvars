# The credex-ci test bed's account: see staging.tfvars. NOT an AWS account.
aws_account_id = "000000000000"
aws_region     = "af-south-1"
environment    = "production"
desired_count  = 2
