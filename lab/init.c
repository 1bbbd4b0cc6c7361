// SPDX-License-Identifier: MIT
/*
 * PID 1 of the rvmig lab (static riscv64 binary inside the initramfs).
 *
 * Mounts the pseudo file systems, hugetlbfs for 2M and 1G pages and the host's run directory over 9p
 * (tag "results"), brings up the loopback interface, records the environment (kernel, eager_page_split, huge pages, KVM capabilities) in
 * /results/env.json, then, as the kernel command line says:
 *   rvmig.mode=job    runs /results/job.sh with busybox sh and stores its exit status in
 *                     /results/exit-status;
 *   rvmig.mode=shell  starts an interactive busybox shell on the console.
 * Finally it powers the machine off, so QEMU exits and run.sh picks up the results.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <net/if.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#define RESULTS "/results"

static void warn_errno(const char *what, const char *arg)
{
	fprintf(stderr, "init: %s %s: %s\n", what, arg, strerror(errno));
}

static void mount_one(const char *src, const char *dir, const char *type, const char *opts)
{
	mkdir(dir, 0755);
	if (mount(src, dir, type, 0, opts) < 0)
		fprintf(stderr, "init: mount -t %s %s %s (%s): %s\n", type, src, dir, opts ? opts : "", strerror(errno));
}

/* Reads a small file into buf without the trailing newline; "" when it cannot be read. */
static const char *read_line(const char *path, char *buf, size_t len)
{
	buf[0] = 0;
	FILE *f = fopen(path, "r");
	if (!f)
		return buf;
	if (!fgets(buf, (int)len, f))
		buf[0] = 0;
	fclose(f);
	buf[strcspn(buf, "\n")] = 0;
	return buf;
}

/* Value of rvmig.<key>= on the kernel command line, or def. */
static const char *cmdline_value(const char *key, const char *def)
{
	static char line[4096];
	char pat[64];
	read_line("/proc/cmdline", line, sizeof(line));
	snprintf(pat, sizeof(pat), "rvmig.%s=", key);
	char *p = strstr(line, pat);
	if (!p)
		return def;
	p += strlen(pat);
	p[strcspn(p, " ")] = 0;
	return p;
}

static int run(char *const argv[])
{
	pid_t pid = fork();
	if (pid < 0) {
		warn_errno("fork for", argv[0]);
		return -1;
	}
	if (pid == 0) {
		execv(argv[0], argv);
		warn_errno("exec", argv[0]);
		_exit(127);
	}
	int status;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* Brings up the loopback interface, so rvmig migrate/recv can talk over tcp:127.0.0.1:PORT. */
static void loopback_up(void)
{
	struct ifreq ifr = { 0 };
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		warn_errno("socket", "AF_INET (for lo)");
		return;
	}
	strncpy(ifr.ifr_name, "lo", IFNAMSIZ - 1);
	if (ioctl(fd, SIOCGIFFLAGS, &ifr) < 0)
		warn_errno("SIOCGIFFLAGS", "lo");
	ifr.ifr_flags |= IFF_UP;
	if (ioctl(fd, SIOCSIFFLAGS, &ifr) < 0)
		warn_errno("SIOCSIFFLAGS IFF_UP", "lo");
	close(fd);
}

struct kvm_cap_name {
	int cap;
	const char *name;
};

static const struct kvm_cap_name kvm_caps[] = {
	{ KVM_CAP_USER_MEMORY, "USER_MEMORY" },
	{ KVM_CAP_ONE_REG, "ONE_REG" },
	{ KVM_CAP_MP_STATE, "MP_STATE" },
	{ KVM_CAP_NR_VCPUS, "NR_VCPUS" },
	{ KVM_CAP_MAX_VCPUS, "MAX_VCPUS" },
	{ KVM_CAP_NR_MEMSLOTS, "NR_MEMSLOTS" },
	{ KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2, "MANUAL_DIRTY_LOG_PROTECT2" },
	{ KVM_CAP_DIRTY_LOG_RING, "DIRTY_LOG_RING" },
	{ KVM_CAP_DIRTY_LOG_RING_ACQ_REL, "DIRTY_LOG_RING_ACQ_REL" },
	{ KVM_CAP_BINARY_STATS_FD, "BINARY_STATS_FD" },
	{ KVM_CAP_USER_MEMORY2, "USER_MEMORY2" },
	{ KVM_CAP_IMMEDIATE_EXIT, "IMMEDIATE_EXIT" },
};

static void json_kvm(FILE *f)
{
	int kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (kvm < 0) {
		fprintf(f, "  \"kvm\": {\"available\": false, \"error\": \"open /dev/kvm: %s\"}\n", strerror(errno));
		return;
	}
	fprintf(f, "  \"kvm\": {\"available\": true, \"api_version\": %d, \"caps\": {",
		ioctl(kvm, KVM_GET_API_VERSION, 0));
	for (size_t i = 0; i < sizeof(kvm_caps) / sizeof(kvm_caps[0]); i++)
		fprintf(f, "%s\"%s\": %d", i ? ", " : "", kvm_caps[i].name,
			ioctl(kvm, KVM_CHECK_EXTENSION, kvm_caps[i].cap));
	fprintf(f, "}}\n");
	close(kvm);
}

static void record_env(void)
{
	char eager[16], hp2m[32], hp1g[32], thp[128];
	struct utsname u;
	uname(&u);
	FILE *f = fopen(RESULTS "/env.json", "w");
	if (!f) {
		warn_errno("create", RESULTS "/env.json");
		return;
	}
	read_line("/sys/module/kvm/parameters/eager_page_split", eager, sizeof(eager));
	read_line("/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages", hp2m, sizeof(hp2m));
	read_line("/sys/kernel/mm/hugepages/hugepages-1048576kB/nr_hugepages", hp1g, sizeof(hp1g));
	read_line("/sys/kernel/mm/transparent_hugepage/enabled", thp, sizeof(thp));
	fprintf(f, "{\n  \"kernel\": \"%s %s %s\",\n", u.sysname, u.release, u.version);
	fprintf(f, "  \"machine\": \"%s\",\n  \"cpus\": %ld,\n", u.machine, sysconf(_SC_NPROCESSORS_ONLN));
	fprintf(f, "  \"eager_page_split\": \"%s\",\n", eager[0] ? eager : "absent");
	fprintf(f, "  \"hugepages_2M\": \"%s\",\n  \"hugepages_1G\": \"%s\",\n", hp2m, hp1g);
	fprintf(f, "  \"thp\": \"%s\",\n", thp);
	json_kvm(f);
	fprintf(f, "}\n");
	fclose(f);
}

static int run_job(void)
{
	char *const argv[] = { "/bin/sh", RESULTS "/job.sh", NULL };
	if (chdir(RESULTS) < 0)
		warn_errno("chdir", RESULTS);
	int rc = run(argv);
	FILE *f = fopen(RESULTS "/exit-status", "w");
	if (f) {
		fprintf(f, "%d\n", rc);
		fclose(f);
	} else {
		warn_errno("create", RESULTS "/exit-status");
	}
	return rc;
}

static void run_shell(void)
{
	/* cttyhack gives the shell the console as controlling terminal, so Ctrl-C works. */
	char *const argv[] = { "/bin/setsid", "/bin/cttyhack", "/bin/sh", "-l", NULL };
	if (chdir(RESULTS) < 0)
		warn_errno("chdir", RESULTS);
	run(argv);
}

int main(void)
{
	mount_one("proc", "/proc", "proc", NULL);
	mount_one("sysfs", "/sys", "sysfs", NULL);
	mount_one("devtmpfs", "/dev", "devtmpfs", NULL);
	mount_one("tmpfs", "/tmp", "tmpfs", NULL);
	mount_one("hugetlbfs", "/dev/hugepages", "hugetlbfs", "pagesize=2M");
	mount_one("hugetlbfs", "/dev/hugepages-1G", "hugetlbfs", "pagesize=1G");
	mount_one("results", RESULTS, "9p", "trans=virtio,version=9p2000.L,msize=262144,cache=none");
	/* tracefs for the in-kernel fault and split counts (kprobe events); a kernel built without
	 * tracing (KERNEL_IMAGE=...) has no mount point, and the bench then says it cannot count. */
	if (access("/sys/kernel/tracing", F_OK) == 0)
		mount_one("tracefs", "/sys/kernel/tracing", "tracefs", NULL);

	char *const install[] = { "/bin/busybox", "--install", "-s", "/bin", NULL };
	run(install);
	setenv("PATH", "/bin:/sbin", 1);
	setenv("HOME", RESULTS, 1);

	loopback_up();
	record_env();
	if (strcmp(cmdline_value("mode", "job"), "shell") == 0)
		run_shell();
	else
		run_job();

	sync();
	reboot(RB_POWER_OFF);
	return 0;
}
