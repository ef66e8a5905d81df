# shellcheck shell=bash
# Functions of the Neo4j boot script that find, format and mount the
# database's EBS data volume. Terraform inlines this file into the boot
# script (user_data.sh.tftpl); the tests (internal/tfscripts) source it with
# a fake /dev/disk/by-id and fake blkid, mkfs.xfs and mount on PATH.

# Where udev links NVMe disks by model and serial, the file systems table,
# and how long to wait for the volume (attempts, seconds apart): settable
# for the tests.
: "${DISK_BY_ID:=/dev/disk/by-id}"
: "${FSTAB:=/etc/fstab}"
: "${VOLUME_WAIT_ATTEMPTS:=120}"
: "${VOLUME_WAIT_SECONDS:=5}"

# volume_device VOLUME_ID waits until the EBS volume VOLUME_ID (vol-0123...)
# is attached and prints its device (/dev/nvme1n1). A Nitro instance sees an
# EBS volume as an NVMe disk whose serial is the volume ID without its dash,
# linked by udev as nvme-Amazon_Elastic_Block_Store_vol0123...; the root
# volume and instance-store disks (nvme-Amazon_EC2_NVMe_Instance_Storage_*)
# have other serials, so they are never chosen, whatever order the kernel
# numbers the disks in.
volume_device() {
  local id=$1 link attempt
  if [[ ! $id =~ ^vol-[0-9a-f]+$ ]]; then
    echo "neo4j: '$id' is not an EBS volume ID (vol-...)" >&2
    return 2
  fi
  link="$DISK_BY_ID/nvme-Amazon_Elastic_Block_Store_${id/-/}"
  for ((attempt = 1; attempt <= VOLUME_WAIT_ATTEMPTS; attempt++)); do
    if [ -e "$link" ]; then
      readlink -f "$link"
      return 0
    fi
    sleep "$VOLUME_WAIT_SECONDS"
  done
  echo "neo4j: EBS volume $id never appeared as $link (waited $((VOLUME_WAIT_ATTEMPTS * VOLUME_WAIT_SECONDS))s): check it is attached to this instance (aws ec2 describe-volumes --volume-ids $id) and that the instance type is a Nitro one" >&2
  return 1
}

# ensure_filesystem DEVICE makes an XFS file system on DEVICE only when the
# disk is blank: no file system, partition table or other signature, which
# `blkid -p` (probing the disk itself, not blkid's cache) reports with exit
# code 2. A disk with anything on it is left as it is, and so is one blkid
# cannot read: a database volume is never formatted twice.
ensure_filesystem() {
  local dev=$1 rc=0
  blkid -p "$dev" >/dev/null 2>&1 || rc=$?
  case $rc in
    0)
      echo "neo4j: $dev already has a file system; keeping it" >&2
      ;;
    2)
      echo "neo4j: $dev is blank; making an XFS file system" >&2
      mkfs.xfs -L neo4j-data "$dev"
      ;;
    *)
      echo "neo4j: blkid -p $dev failed with exit code $rc; refusing to format a disk that cannot be read" >&2
      return 1
      ;;
  esac
}

# mount_volume DEVICE DIR mounts DEVICE's file system on DIR, by UUID, and
# records it in the file systems table once (nofail: a boot without the
# volume still reaches Session Manager; Neo4j itself requires the mount).
mount_volume() {
  local dev=$1 dir=$2 uuid
  uuid=$(blkid -p -s UUID -o value "$dev")
  if [ -z "$uuid" ]; then
    echo "neo4j: $dev has no file system UUID" >&2
    return 1
  fi
  mkdir -p "$dir"
  if ! grep -q "^UUID=$uuid " "$FSTAB"; then
    echo "UUID=$uuid $dir xfs defaults,nofail 0 2" >>"$FSTAB"
  fi
  mountpoint -q "$dir" || mount "$dir"
}
