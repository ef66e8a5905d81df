# The credex-ci test bed's account (kumo's STS answers 000000000000): the
# pipeline reads aws_account_id and aws_region here (internal/envs), and the
# provider refuses any other account. NOT an AWS account.
aws_account_id = "000000000000"
aws_region     = "af-south-1"
environment    = "staging"
desired_count  = 2
