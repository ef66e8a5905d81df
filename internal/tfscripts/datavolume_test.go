package tfscripts

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// The Neo4j boot script's disk selection (scripts/data-volume.sh): the EBS
// volume is found by its ID, whatever other NVMe disks the instance has and
// in whatever order; it is formatted only when blank; the boot fails,
// formatting nothing, when the volume never appears.

const volumeID = "vol-0123456789abcdef0"

// diskMachine is a sandbox with the fake commands the data volume functions
// call. A device has a file system when fs/<device name> exists (holding
// its UUID): blkid -p reports it (exit 0) or exits 2 for a blank disk;
// mkfs.xfs writes one; sleep counts its calls and, on the call named by
// $SANDBOX/attach-after, attaches the EBS volume (links it in by-id).
func diskMachine(t *testing.T) *Sandbox {
	t.Helper()
	s, err := NewSandbox(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{"dev", "dev/disk/by-id", "fs", "mnt"} {
		if err := os.MkdirAll(s.Path(d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(s.Path("fstab"), []byte("UUID=root-uuid / xfs defaults 0 0\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	s.Env = []string{"DISK_BY_ID=" + s.Path("dev/disk/by-id"), "FSTAB=" + s.Path("fstab"), "VOLUME_WAIT_ATTEMPTS=5", "VOLUME_WAIT_SECONDS=1"}
	fakes := map[string]string{
		"blkid": `dev=${*: -1}; fs="$SANDBOX/fs/$(basename "$dev")"
[ -n "${BLKID_EXIT:-}" ] && exit "$BLKID_EXIT"
[ -e "$dev" ] || exit 2
[ -f "$fs" ] || exit 2
if [ "$*" = "-p -s UUID -o value $dev" ]; then cat "$fs"; else echo "$dev: UUID=\"$(cat "$fs")\" TYPE=\"xfs\""; fi`,
		"mkfs.xfs":   `dev=${*: -1}; echo "uuid-of-$(basename "$dev")" >"$SANDBOX/fs/$(basename "$dev")"`,
		"mount":      `:`,
		"mountpoint": `exit 1`,
		"sleep": `n=$(( $(cat "$SANDBOX/sleeps" 2>/dev/null || echo 0) + 1 )); echo "$n" >"$SANDBOX/sleeps"
if [ -f "$SANDBOX/attach-after" ] && [ "$n" -ge "$(cat "$SANDBOX/attach-after")" ]; then
  ln -sf ../../nvme2n1 "$SANDBOX/dev/disk/by-id/nvme-Amazon_Elastic_Block_Store_vol0123456789abcdef0"
fi`,
	}
	for name, body := range fakes {
		if err := s.Fake(name, body); err != nil {
			t.Fatal(err)
		}
	}
	return s
}

// disk adds a device and its by-id link (the link's name is what udev
// makes of the disk's model and serial).
func disk(t *testing.T, s *Sandbox, dev, byID string) {
	t.Helper()
	if err := os.WriteFile(s.Path("dev", dev), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if byID != "" {
		if err := os.Symlink("../../"+dev, s.Path("dev/disk/by-id", byID)); err != nil {
			t.Fatal(err)
		}
	}
}

// formatted gives a device a file system.
func formatted(t *testing.T, s *Sandbox, dev, uuid string) {
	t.Helper()
	if err := os.WriteFile(s.Path("fs", dev), []byte(uuid+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
}

// The boot script's own sequence.
const prepareVolume = `dev=$(volume_device "` + volumeID + `")
echo "device=$dev"
ensure_filesystem "$dev"
mount_volume "$dev" "$SANDBOX/mnt/neo4j"
`

func TestInstanceStoreFirstIsNeverChosen(t *testing.T) {
	s := diskMachine(t)
	// The kernel named the instance store nvme1n1, before the EBS volume.
	disk(t, s, "nvme0n1", "nvme-Amazon_Elastic_Block_Store_vol0rootrootrootroot0")
	disk(t, s, "nvme1n1", "nvme-Amazon_EC2_NVMe_Instance_Storage_AWS1A2B3C4D5E6F7")
	disk(t, s, "nvme2n1", "nvme-Amazon_Elastic_Block_Store_vol0123456789abcdef0")
	r, err := s.Run(t.Context(), []string{"data-volume.sh"}, prepareVolume)
	if err != nil || r.ExitCode != 0 {
		t.Fatalf("exit %d, %v\n%s", r.ExitCode, err, r.Stderr)
	}
	if want := "device=" + s.Path("dev", "nvme2n1"); !strings.Contains(r.Stdout, want) {
		t.Errorf("want %s, got %s", want, r.Stdout)
	}
	if got := s.Called("mkfs.xfs"); len(got) != 1 || !strings.HasSuffix(got[0], "/nvme2n1") {
		t.Errorf("only the EBS volume is formatted, got %q", got)
	}
	fstab, _ := os.ReadFile(s.Path("fstab"))
	if !strings.Contains(string(fstab), "UUID=uuid-of-nvme2n1 "+s.Path("mnt/neo4j")+" xfs defaults,nofail 0 2") {
		t.Errorf("fstab:\n%s", fstab)
	}
	if got := s.Called("mount"); !slices.Equal(got, []string{"mount " + s.Path("mnt/neo4j")}) {
		t.Errorf("mount calls: %q", got)
	}
}

func TestVolumeAttachedLateIsWaitedFor(t *testing.T) {
	s := diskMachine(t)
	disk(t, s, "nvme0n1", "nvme-Amazon_Elastic_Block_Store_vol0rootrootrootroot0")
	disk(t, s, "nvme2n1", "") // the device exists; the link comes on the third wait
	if err := os.WriteFile(s.Path("attach-after"), []byte("3"), 0o644); err != nil {
		t.Fatal(err)
	}
	r, err := s.Run(t.Context(), []string{"data-volume.sh"}, prepareVolume)
	if err != nil || r.ExitCode != 0 {
		t.Fatalf("exit %d, %v\n%s", r.ExitCode, err, r.Stderr)
	}
	if got := len(s.Called("sleep")); got != 3 {
		t.Errorf("waited %d times, want 3", got)
	}
	if got := s.Called("mkfs.xfs"); len(got) != 1 || !strings.HasSuffix(got[0], "/nvme2n1") {
		t.Errorf("mkfs calls: %q", got)
	}
}

func TestFormattedVolumeIsKept(t *testing.T) {
	s := diskMachine(t)
	disk(t, s, "nvme1n1", "nvme-Amazon_Elastic_Block_Store_vol0123456789abcdef0")
	formatted(t, s, "nvme1n1", "3f0c-data")
	// Twice: a second boot (or a re-run) changes nothing.
	for range 2 {
		r, err := s.Run(t.Context(), []string{"data-volume.sh"}, prepareVolume)
		if err != nil || r.ExitCode != 0 {
			t.Fatalf("exit %d, %v\n%s", r.ExitCode, err, r.Stderr)
		}
		if !strings.Contains(r.Stderr, "already has a file system; keeping it") {
			t.Errorf("stderr: %s", r.Stderr)
		}
	}
	if got := s.Called("mkfs.xfs"); len(got) != 0 {
		t.Errorf("a volume with a file system was formatted: %q", got)
	}
	fstab, _ := os.ReadFile(s.Path("fstab"))
	if n := strings.Count(string(fstab), "UUID=3f0c-data "); n != 1 {
		t.Errorf("the volume is in fstab %d times, want once:\n%s", n, fstab)
	}
}

func TestVolumeThatNeverAppearsFailsTheBoot(t *testing.T) {
	s := diskMachine(t)
	disk(t, s, "nvme0n1", "nvme-Amazon_Elastic_Block_Store_vol0rootrootrootroot0")
	disk(t, s, "nvme1n1", "nvme-Amazon_EC2_NVMe_Instance_Storage_AWS1A2B3C4D5E6F7")
	r, err := s.Run(t.Context(), []string{"data-volume.sh"}, prepareVolume)
	if err != nil {
		t.Fatal(err)
	}
	if r.ExitCode != 1 {
		t.Errorf("exit %d, want 1", r.ExitCode)
	}
	for _, want := range []string{"EBS volume " + volumeID + " never appeared", "nvme-Amazon_Elastic_Block_Store_vol0123456789abcdef0", "waited 5s"} {
		if !strings.Contains(r.Stderr, want) {
			t.Errorf("the error should say %q: %s", want, r.Stderr)
		}
	}
	if got := len(s.Called("sleep")); got != 5 {
		t.Errorf("waited %d times, want VOLUME_WAIT_ATTEMPTS=5", got)
	}
	for _, cmd := range []string{"mkfs.xfs", "mount", "blkid"} {
		if got := s.Called(cmd); len(got) != 0 {
			t.Errorf("%s was called: %q", cmd, got)
		}
	}
}

func TestUnreadableDiskIsNotFormatted(t *testing.T) {
	s := diskMachine(t)
	disk(t, s, "nvme1n1", "nvme-Amazon_Elastic_Block_Store_vol0123456789abcdef0")
	s.Env = append(s.Env, "BLKID_EXIT=4")
	r, err := s.Run(t.Context(), []string{"data-volume.sh"}, prepareVolume)
	if err != nil {
		t.Fatal(err)
	}
	if r.ExitCode == 0 || !strings.Contains(r.Stderr, "refusing to format a disk that cannot be read") {
		t.Errorf("exit %d: %s", r.ExitCode, r.Stderr)
	}
	if got := s.Called("mkfs.xfs"); len(got) != 0 {
		t.Errorf("formatted: %q", got)
	}
}

func TestNotAVolumeID(t *testing.T) {
	s := diskMachine(t)
	r, err := s.Run(t.Context(), []string{"data-volume.sh"}, `volume_device /dev/sdf`)
	if err != nil {
		t.Fatal(err)
	}
	if r.ExitCode != 2 || !strings.Contains(r.Stderr, "is not an EBS volume ID") {
		t.Errorf("exit %d: %s", r.ExitCode, r.Stderr)
	}
}

// Every script passes shellcheck (when it is installed: .ci/run installs
// it).
func TestScriptsPassShellcheck(t *testing.T) {
	sc, err := exec.LookPath("shellcheck")
	if err != nil {
		t.Skip("shellcheck is not installed (apt-get install shellcheck)")
	}
	files, err := filepath.Glob(filepath.Join(ScriptsDir, "*.sh"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no scripts in %s: %v", ScriptsDir, err)
	}
	out, err := exec.CommandContext(t.Context(), sc, append([]string{"--severity=style"}, files...)...).CombinedOutput()
	if err != nil {
		t.Errorf("shellcheck: %v\n%s", err, out)
	}
}
