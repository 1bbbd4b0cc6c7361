#!/usr/bin/env bash
# test-timeout: 900
# rvmig run --kernel: the lab kernel's own Image boots in a KVM guest inside the lab, on hugetlb-2M,
# with 1 and 2 vCPUs, from a tiny initramfs made in the lab (its busybox and an /init that prints a
# line and powers off); exit status 0 and the line on the console; --append reaches /proc/cmdline; a
# guest reboot ends rvmig with 0 and says so; stdin at EOF does not hang; bad files are exit 2. The
# boot time to the init's line is measured three times in the same lab boot (boot-times.txt).
. "$(dirname "$0")/lib.sh"

id=$(test_run_id linux-boot)
dir=results/$id
mkdir -p "$dir"
# The guest kernel: the lab's own Image (KERNEL_IMAGE, else the newest built one in the cache). The
# lab reads it from the run directory over 9p.
. lab/common.sh
image=$(lab_guest_image)
[ -f "$image" ] || { notok "no kernel Image in $RVMIG_CACHE/kernel (run ./run.sh build first)"; exit 1; }
cp "$image" "$dir/Image"
# The guest's /init: what it prints is what the checks look for; action=reboot on the kernel command
# line makes it reboot instead of powering off.
cat >"$dir/init.sh" <<'EOI'
#!/bin/busybox sh
/bin/busybox mount -t proc proc /proc
read -r up _ </proc/uptime
echo "rvmig-linux-boot: init up ${up}s, $(/bin/busybox grep -c ^processor /proc/cpuinfo) cpus, cmdline: $(/bin/busybox cat /proc/cmdline)"
case " $(/bin/busybox cat /proc/cmdline) " in
*" action=reboot "*) /bin/busybox reboot -f ;;
esac
/bin/busybox poweroff -f
EOI

# shellcheck disable=SC2016 # the job runs in the lab's shell
job='set -o pipefail
mkdir -p /tmp/ir/bin /tmp/ir/proc /tmp/ir/dev
cp /bin/busybox /tmp/ir/bin/busybox && cp init.sh /tmp/ir/init && chmod 755 /tmp/ir/init
(cd /tmp/ir && find . | busybox cpio -o -H newc) >/tmp/initrd.cpio || echo "cpio failed"
boot() { # NAME OPTIONS...: the console with the lab uptime of each line, rc in NAME.rc
	name=$1; shift
	read -r t0 _ </proc/uptime
	echo "start $t0" >$name.out
	{ timeout 240 rvmig run --kernel Image "$@" </dev/null 2>&1; echo $? >$name.rc; } |
		while IFS= read -r l; do read -r t _ </proc/uptime; echo "$t $l"; done >>$name.out
	echo "== $name: rc $(cat $name.rc), $(wc -l <$name.out) lines"
}
boot one --initrd /tmp/initrd.cpio --vcpus 1 --mem 128M --backing hugetlb-2M
boot two --initrd /tmp/initrd.cpio --vcpus 2 --mem 128M --backing hugetlb-2M
boot append --initrd /tmp/initrd.cpio --vcpus 1 --mem 64M --backing hugetlb-2M --append "console=hvc0 rvmig.test=42"
boot reboot --initrd /tmp/initrd.cpio --vcpus 1 --mem 64M --append "console=hvc0 action=reboot"
for n in 1 2 3; do
	boot time$n --initrd /tmp/initrd.cpio --vcpus 1 --mem 128M --backing hugetlb-2M
	boot quiet$n --initrd /tmp/initrd.cpio --vcpus 1 --mem 128M --backing hugetlb-2M --append "console=hvc0 quiet"
done
true | rvmig run --kernel Image --initrd /tmp/initrd.cpio --vcpus 1 --mem 64M >pipe.out 2>&1; echo $? >pipe.rc
rvmig run --kernel /nonexistent/Image >bad-path.out 2>&1; echo $? >bad-path.rc
rvmig run --kernel /lib/rvmig/guest.bin >bad-magic.out 2>&1; echo $? >bad-magic.rc
rvmig run --kernel Image --mem 4M --backing anon >bad-mem.out 2>&1; echo $? >bad-mem.rc
rvmig run --kernel Image --initrd /nonexistent.cpio >bad-initrd.out 2>&1; echo $? >bad-initrd.rc'
./run.sh shell --run-id "$id" --timeout 800 -c "$job" >/dev/null 2>&1

rc_of() { cat "$dir/$1.rc" 2>/dev/null || echo none; }
line='rvmig-linux-boot: init up'
for c in one two append reboot time1 time2 time3 quiet1 quiet2 quiet3; do
	expect "$c: rvmig run --kernel exits 0 (status $(rc_of "$c"))" [ "$(rc_of "$c")" = 0 ]
	expect "$c: the init's line is on the console with a [vcpuN] prefix" grep -q "\[vcpu[0-9]*\] $line" "$dir/$c.out"
done
expect "one: 1 cpu in the guest" grep -q "$line .*, 1 cpus" "$dir/one.out"
expect "two: 2 cpus in the guest (the secondary started through SBI HSM)" grep -q "$line .*, 2 cpus" "$dir/two.out"
expect "two: the secondary hart printed too ([vcpu1] lines)" grep -q '\[vcpu1\] ' "$dir/two.out"
expect "one: the kernel saw the device tree's harts, memory and bootargs" \
	grep -q 'Kernel command line: console=hvc0 earlycon=sbi' "$dir/one.out"
expect "one: the guest powered off through SBI SRST and rvmig says so" \
	grep -q '\[rvmig\] the guest powered off (SBI SRST shutdown)' "$dir/one.out"
expect "append: --append is the guest's /proc/cmdline" grep -q "cmdline: console=hvc0 rvmig.test=42" "$dir/append.out"
expect "reboot: rvmig says the guest asked for a reboot and does not reboot it" \
	grep -q 'asked for a reboot.*does not reboot' "$dir/reboot.out"
expect "stdin a pipe at EOF: the guest boots and powers off (status $(rc_of pipe))" [ "$(rc_of pipe)" = 0 ]
for c in bad-path bad-magic bad-mem bad-initrd; do
	expect "$c: exit 2 (status $(rc_of "$c"))" [ "$(rc_of "$c")" = 2 ]
	expect "$c: one line on stderr" [ "$(wc -l <"$dir/$c.out")" = 1 ]
done
expect "bad-magic: says it is not a RISC-V Linux Image" grep -q 'not a RISC-V Linux Image' "$dir/bad-magic.out"
expect "bad-mem: says which --mem would do" grep -q 'try --mem' "$dir/bad-mem.out"
# Boot time to the init's line: lab uptime of that line minus the lab uptime before rvmig started,
# and the guest's own uptime then; with the whole boot log on the console and with "quiet" (hvc
# writes 16 bytes per SBI call, each a trip to rvmig: the log costs wall time under TCG).
for c in time1 time2 time3 quiet1 quiet2 quiet3; do
	awk -v c="$c" '/^start /{t0=$2} /rvmig-linux-boot: init up/{u = $6; sub(/s,$/, "", u); printf "%s %.2f s (guest uptime %s s)\n", c, $1 - t0, u; exit}' \
		"$dir/$c.out"
done >"$dir/boot-times.txt"
expect "boot time to the init's line measured 3+3 times ($(tr '\n' ';' <"$dir/boot-times.txt"))" \
	[ "$(wc -l <"$dir/boot-times.txt")" = 6 ]
