# The value of the Neo4j secret credex-core reads: for each database its Bolt
# URL, user and a password Secrets Manager generates, as one JSON object
# (<db>bolturl, <db>user, <db>pass).
#
# Neither the passwords nor the JSON ever enter a plan or the state: the
# passwords come from an ephemeral resource, and the JSON reaches AWS only
# through the write-only secret_string_wo (Terraform >= 1.11), which is sent
# when secret_string_wo_version changes and never stored. Increase
# password_version to write new passwords (docs/terraform.md, "Rotating the
# Neo4j passwords").

# A new password per database from Secrets Manager's GetRandomPassword on
# every plan and apply; only those generated while the version below is
# written are ever used.
ephemeral "aws_secretsmanager_random_password" "this" {
  for_each = var.bolt_urls

  password_length            = 32
  exclude_punctuation        = true
  require_each_included_type = true
}

resource "aws_secretsmanager_secret_version" "this" {
  secret_id = var.secret_id
  secret_string_wo = jsonencode(merge([
    for db, url in var.bolt_urls : {
      "${db}bolturl" = url
      "${db}user"    = var.user
      "${db}pass"    = ephemeral.aws_secretsmanager_random_password.this[db].random_password
    }
  ]...))
  secret_string_wo_version = var.password_version
}
