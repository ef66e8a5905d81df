# shellcheck shell=bash
# The Neo4j boot script's Bolt TLS certificate. Terraform inlines this file
# into the boot script (user_data.sh.tftpl); the tests (internal/tfscripts)
# source it and run it with the real openssl.
#
# The certificate is made on the instance, so its private key never leaves
# it (no Terraform tls provider: its keys would sit in the state). It is
# self-signed; credex-core connects with bolt+ssc://, which encrypts without
# verifying it (docs/terraform.md, "Bolt over TLS").

# bolt_certificate DIR NAME ADDRESS makes the Bolt server's key and
# self-signed certificate in DIR (private.key, public.crt: the file names
# neo4j.conf's dbms.ssl.policy.bolt names), for NAME with ADDRESS (the
# instance's private IP) as an IP subject alternative name, unless DIR holds
# a key and certificate already (a reboot, or a volume reattached to a new
# instance, keeps them). Prints the certificate's SHA-256 fingerprint, for
# the boot log.
bolt_certificate() {
  local dir=$1 name=$2 address=$3
  mkdir -p "$dir/trusted" "$dir/revoked"
  if [ ! -s "$dir/private.key" ] || [ ! -s "$dir/public.crt" ]; then
    (
      umask 077
      openssl req -x509 -newkey rsa:3072 -nodes -sha256 -days "${BOLT_CERTIFICATE_DAYS:-3650}" \
        -subj "/CN=$name" -addext "subjectAltName=DNS:$name,IP:$address" \
        -keyout "$dir/private.key" -out "$dir/public.crt" 2>/dev/null
    )
  fi
  chmod 600 "$dir/private.key"
  chmod 644 "$dir/public.crt"
  openssl x509 -noout -fingerprint -sha256 -in "$dir/public.crt"
}
