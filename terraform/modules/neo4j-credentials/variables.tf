variable "secret_id" {
  type        = string
  description = "ARN or name of the Secrets Manager secret the connection details are written to."
}

variable "bolt_urls" {
  type        = map(string)
  description = "Bolt URL of each database (an encrypted scheme: bolt+s:// or bolt+ssc://), by database name (ledgerspace, searchspace): the JSON keys are <name>bolturl, <name>user and <name>pass."

  validation {
    condition     = length(var.bolt_urls) > 0 && alltrue([for db in keys(var.bolt_urls) : can(regex("^[a-z][a-z0-9]*$", db))])
    error_message = "bolt_urls needs at least one database, named in lower case letters and digits (the names prefix the JSON keys)."
  }

  # The passwords cross the network on these connections.
  validation {
    condition     = alltrue([for url in values(var.bolt_urls) : can(regex("^(bolt|neo4j)\\+(s|ssc)://", url))])
    error_message = "Each of bolt_urls must use an encrypted scheme (bolt+s://, bolt+ssc://, neo4j+s:// or neo4j+ssc://): bolt:// sends the passwords and the data in clear."
  }
}

variable "user" {
  type        = string
  description = "Neo4j user of every database."
  default     = "neo4j"
}

variable "password_version" {
  type        = number
  description = "Version of the generated passwords: new passwords are written each time it changes."
  default     = 1
}
