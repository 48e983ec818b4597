// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libctl vm: swappiness range and writes, meminfo, vmstat, swaps, sysctl.d
 * precedence, the adaptive rule and the state file, on fake trees.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "ctl/file.h"
#include "ctl/macro.h"
#include "ctl/vm.h"
#include "fake.h"

static struct ctl_root *root;

static int setup(void **state)
{
	(void)state;
	fake_new();
	fake_write("proc/sys/vm/swappiness", "60\n");
	fake_write("proc/sys/kernel/osrelease", "6.18.44-fc\n");
	fake_mkdir("run");
	return ctl_root_open(fake_root, &root);
}

static int teardown(void **state)
{
	(void)state;
	alarm(0); /* a failed FIFO test's bound must not hit the next test */
	ctl_root_free(root);
	root = NULL;
	fake_free();
	return 0;
}

static unsigned int swappiness(void)
{
	unsigned int v = 9999;

	assert_int_equal(ctl_vm_swappiness_get(root, &v), 0);
	return v;
}

/* A pid that certainly belongs to no process: a reaped child's. */
static pid_t dead_pid(void)
{
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0)
		_exit(0);
	assert_int_equal(waitpid(pid, NULL, 0), pid);
	return pid;
}

static void test_range(void **state)
{
	(void)state;
	assert_int_equal(ctl_vm_swappiness_max(root), 200);
	fake_write("proc/sys/kernel/osrelease", "5.8.0\n");
	assert_int_equal(ctl_vm_swappiness_max(root), 200);
	fake_write("proc/sys/kernel/osrelease", "5.7.19-generic\n");
	assert_int_equal(ctl_vm_swappiness_max(root), 100);
	fake_write("proc/sys/kernel/osrelease", "4.19.0\n");
	assert_int_equal(ctl_vm_swappiness_max(root), 100);
	fake_write("proc/sys/kernel/osrelease", "garbage\n");
	assert_int_equal(ctl_vm_swappiness_max(root), -EINVAL);
}

static void test_set(void **state)
{
	unsigned int now = 0;

	(void)state;
	assert_int_equal(swappiness(), 60);
	assert_int_equal(ctl_vm_swappiness_set(root, 200, &now), 0);
	assert_int_equal(now, 200);
	assert_string_equal(fake_read("proc/sys/vm/swappiness"), "200");
	/* Out of range: refused before any write. */
	assert_int_equal(ctl_vm_swappiness_set(root, 201, NULL), -ERANGE);
	assert_int_equal(swappiness(), 200);
	fake_write("proc/sys/kernel/osrelease", "5.4.0\n");
	assert_int_equal(ctl_vm_swappiness_set(root, 150, NULL), -ERANGE);
	assert_int_equal(ctl_vm_swappiness_set(root, 0, &now), 0);
	assert_int_equal(now, 0);
	fake_write("proc/sys/vm/swappiness", "abc\n");
	assert_int_equal(ctl_vm_swappiness_get(root, &now), -EINVAL);
}

/*
 * A kernel that keeps a value of its own. Fake trees read back what was
 * written, so the write is stubbed at link time (-Wl,--wrap, see the
 * Makefile): a write of vm/swappiness is logged, and the file then holds
 * the next value of KEPT instead, as a kernel that rounds or refuses
 * silently would leave it. Without a script the write goes through as is.
 */
static struct {
	const char *const *kept;
	char log[256];
} kernel;

int __real_ctl_root_write_file(const struct ctl_root *r, const char *path,
			       const char *val, int flags);
int __wrap_ctl_root_write_file(const struct ctl_root *r, const char *path,
			       const char *val, int flags);
int __wrap_ctl_root_write_file(const struct ctl_root *r, const char *path,
			       const char *val, int flags)
{
	const char *tail = "vm/swappiness";
	size_t n = strlen(path), t = strlen(tail);

	if (!kernel.kept || !*kernel.kept || n < t ||
	    strcmp(path + n - t, tail) != 0)
		return __real_ctl_root_write_file(r, path, val, flags);
	strncat(kernel.log, val, sizeof(kernel.log) - strlen(kernel.log) - 2);
	strcat(kernel.log, "\n");
	return __real_ctl_root_write_file(r, path, *kernel.kept++, flags);
}

static void kernel_start(const char *const *kept)
{
	kernel.kept = kept;
	kernel.log[0] = '\0';
}

/* Stop keeping values; returns the values written, a line each. */
static const char *kernel_stop(void)
{
	kernel.kept = NULL;
	return kernel.log;
}

/* The kernel kept another value: -EIO and what it kept, never success. */
static void test_set_kept(void **state)
{
	unsigned int now = 0;

	(void)state;
	fake_write("proc/sys/vm/swappiness", "60\n");
	kernel_start((const char *const[]){"60\n", NULL});
	assert_int_equal(ctl_vm_swappiness_set(root, 5, &now), -EIO);
	assert_int_equal(now, 60);
	assert_string_equal(kernel_stop(), "5\n");
}

/*
 * A join whose write the kernel does not keep (it holds 7, not 5) puts
 * back the value it found and leaves no state: nothing half-applied.
 */
static void test_join_kept(void **state)
{
	struct ctl_vm_owner me = {.pid = getpid(), .value = 5};
	(void)state;
	fake_write("proc/sys/vm/swappiness", "60\n");
	kernel_start((const char *const[]){"7\n", "60\n", NULL});
	assert_int_equal(ctl_vm_state_join(root, &me, NULL), -EIO);
	assert_string_equal(kernel_stop(), "5\n60\n");
	assert_string_equal(fake_read("proc/sys/vm/swappiness"), "60\n");
	assert_null(fake_read("run/swapadj.state"));
}

static void test_meminfo(void **state)
{
	const struct ctl_meminfo want = {.total = 24684084,
					 .free = 24371660,
					 .available = 6171021,
					 .swap_total = 1048572,
					 .swap_free = 524288};
	struct ctl_meminfo mi;

	(void)state;
	fake_write("proc/meminfo", "MemTotal:       24684084 kB\n"
				   "MemFree:        24371660 kB\n"
				   "MemAvailable:    6171021 kB\n"
				   "Buffers:            4204 kB\n"
				   "SwapTotal:       1048572 kB\n"
				   "SwapFree:         524288 kB\n");
	assert_int_equal(ctl_vm_meminfo_read(root, &mi), 0);
	/* Every field (all uint64_t, no padding) as the file gives it. */
	assert_memory_equal(&mi, &want, sizeof(mi));
	fake_write("proc/meminfo", "MemFree: 1 kB\n");
	assert_int_equal(ctl_vm_meminfo_read(root, &mi), -ENODATA);
	unlink(strcat(strcpy((char[512]){0}, fake_root), "/proc/meminfo"));
	assert_int_equal(ctl_vm_meminfo_read(root, &mi), -ENOENT);
}

static void test_vmstat(void **state)
{
	const struct ctl_vmstat want = {
		.pgpgin = 1000, .pgpgout = 50, .pswpin = 3, .pswpout = 4};
	struct ctl_vmstat a, b;

	(void)state;
	fake_write("proc/vmstat", "nr_free_pages 100\npgpgin 1000\n"
				  "pgpgout 50\npswpin 3\npswpout 4\n");
	assert_int_equal(ctl_vm_vmstat_read(root, &a), 0);
	assert_memory_equal(&a, &want, sizeof(a));
	fake_write("proc/vmstat", "pgpgin 5000\npgpgout 50\n");
	assert_int_equal(ctl_vm_vmstat_read(root, &b), 0);
	/* pgpgin counts KiB: 4000 KiB over 2 s is 2000 KiB/s. */
	assert_true(ctl_vm_readin_rate(&a, &b, 2.0) == 2000.0);
	assert_true(ctl_vm_readin_rate(&b, &a, 2.0) == 0.0);
	assert_true(ctl_vm_readin_rate(&a, &b, 0) == 0.0);
	fake_write("proc/vmstat", "pgpgout 50\n");
	assert_int_equal(ctl_vm_vmstat_read(root, &b), -ENODATA);
}

static void test_swaps(void **state)
{
	/* The name unescaped (\040); zram told by the device name. */
	static const struct ctl_swap want[] = {
		{"/dev/zram0", "partition", 1048572, 2048, 100, true},
		{"/var/swap file", "file", 524284, 0, -2, false},
	};
	struct ctl_swap *sw;
	size_t n;

	(void)state;
	fake_write("proc/swaps",
		   "Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n");
	assert_int_equal(ctl_vm_swaps_read(root, &sw, &n), 0);
	assert_int_equal(n, 0);
	assert_null(sw);
	fake_write(
		"proc/swaps",
		"Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n"
		"/dev/zram0                              partition\t1048572\t\t2048\t\t100\n"
		"/var/swap\\040file                       file\t\t524284\t\t0\t\t-2\n");
	assert_int_equal(ctl_vm_swaps_read(root, &sw, &n), 0);
	assert_int_equal(n, ARRAY_SIZE(want));
	for (size_t i = 0; i < n; i++) {
		assert_string_equal(sw[i].name, want[i].name);
		assert_string_equal(sw[i].type, want[i].type);
		assert_int_equal(sw[i].size, want[i].size);
		assert_int_equal(sw[i].used, want[i].used);
		assert_int_equal(sw[i].prio, want[i].prio);
		assert_int_equal(sw[i].zram, want[i].zram);
	}
	free(sw);
}

static void test_psi(void **state)
{
	struct ctl_psi p;

	(void)state;
	fake_write("proc/pressure/memory",
		   "some avg10=1.50 avg60=0.75 avg300=0.10 total=12345\n"
		   "full avg10=0.50 avg60=0.25 avg300=0.00 total=678\n");
	assert_int_equal(ctl_vm_psi_read(root, &p), 0);
	assert_true(p.some[0] == 1.50 && p.some[1] == 0.75 &&
		    p.some[2] == 0.10);
	assert_int_equal(p.some_total, 12345);
	assert_true(p.has_full);
	assert_true(p.full[0] == 0.50 && p.full[1] == 0.25 &&
		    p.full[2] == 0.00);
	assert_int_equal(p.full_total, 678);
	/* Before "full" existed for a resource, only "some" is there. */
	fake_write("proc/pressure/memory",
		   "some avg10=0.00 avg60=0.00 avg300=0.00 total=0\n");
	assert_int_equal(ctl_vm_psi_read(root, &p), 0);
	assert_false(p.has_full);
	/* Not the PSI format: refused, never half-read. */
	fake_write("proc/pressure/memory", "garbage\n");
	assert_int_equal(ctl_vm_psi_read(root, &p), -EBADMSG);
	fake_write("proc/pressure/memory",
		   "full avg10=0.50 avg60=0.25 avg300=0.00 total=678\n");
	assert_int_equal(ctl_vm_psi_read(root, &p), -EBADMSG);
	fake_write("proc/pressure/memory", "some avg10=1.50 avg60=0.75\n");
	assert_int_equal(ctl_vm_psi_read(root, &p), -EBADMSG);
	/* A kernel without PSI has no file. */
	unlink(strcat(strcpy((char[512]){0}, fake_root),
		      "/proc/pressure/memory"));
	assert_int_equal(ctl_vm_psi_read(root, &p), -ENOENT);
	/* A FIFO in its place is refused, not waited on. */
	assert_int_equal(mkfifo(strcat(strcpy((char[512]){0}, fake_root),
				       "/proc/pressure/memory"),
				0600),
			 0);
	alarm(10);
	assert_int_equal(ctl_vm_psi_read(root, &p), -CTL_ENOTREG);
	alarm(0);
}

static void test_sysctl_precedence(void **state)
{
	struct ctl_sysctl_hit *h;
	size_t n;

	(void)state;
	assert_int_equal(ctl_vm_sysctl_scan(root, "vm.swappiness", &h, &n), 0);
	assert_int_equal(n, 0);
	/* /etc hides the same name in /usr/lib. */
	fake_write("etc/sysctl.d/10-a.conf", "# comment\n; also comment\n"
					     "vm.swappiness=10\n");
	fake_write("usr/lib/sysctl.d/10-a.conf", "vm.swappiness = 99\n");
	fake_write("usr/lib/sysctl.d/50-b.conf",
		   "vm.swappiness_other = 1\nvm/swappiness = 50\n");
	fake_write("run/sysctl.d/60-c.conf", "  -vm.swappiness =  60  \n");
	fake_write("run/sysctl.d/70-d.txt", "vm.swappiness = 71\n");
	fake_write("lib/sysctl.d/05-e.conf", "vm.swappiness = 5\n");
	fake_write("etc/sysctl.conf",
		   "#vm.swappiness = 1\nvm.swappiness = 70\n");
	assert_int_equal(ctl_vm_sysctl_scan(root, "vm.swappiness", &h, &n), 0);
	assert_int_equal(n, 5);
	assert_string_equal(h[0].path, "/lib/sysctl.d/05-e.conf");
	assert_string_equal(h[1].path, "/etc/sysctl.d/10-a.conf");
	assert_string_equal(h[1].value, "10");
	assert_int_equal(h[1].line, 3);
	assert_string_equal(h[2].path, "/usr/lib/sysctl.d/50-b.conf");
	assert_string_equal(h[2].value, "50");
	assert_int_equal(h[2].line, 2);
	assert_string_equal(h[3].path, "/run/sysctl.d/60-c.conf");
	assert_string_equal(h[3].value, "60");
	/* /etc/sysctl.conf comes last and wins. */
	assert_string_equal(h[4].path, "/etc/sysctl.conf");
	assert_string_equal(h[4].value, "70");
	free(h);

	/* Debian's 99-sysctl.conf -> ../sysctl.conf is read once. */
	fake_symlink("../sysctl.conf", "etc/sysctl.d/99-sysctl.conf");
	fake_write("etc/sysctl.d/95-z.conf", "vm.swappiness = 95\n");
	assert_int_equal(ctl_vm_sysctl_scan(root, "vm.swappiness", &h, &n), 0);
	assert_int_equal(n, 6);
	assert_string_equal(h[4].path, "/etc/sysctl.d/95-z.conf");
	assert_string_equal(h[5].path, "/etc/sysctl.d/99-sysctl.conf");
	assert_string_equal(h[5].value, "70");
	free(h);
}

static void test_persist(void **state)
{
	struct ctl_sysctl_hit *h;
	size_t n;

	(void)state;
	/* /etc/sysctl.d does not exist yet: it is created. */
	fake_mkdir("etc");
	assert_int_equal(ctl_vm_persist(root, 25), 0);
	assert_string_equal(fake_read("etc/sysctl.d/90-swapadj.conf"),
			    "# Written by swapadj set --persist; applied at "
			    "boot.\nvm.swappiness = 25\n");
	assert_int_equal(ctl_vm_persist(root, 30), 0);
	assert_int_equal(ctl_vm_sysctl_scan(root, "vm.swappiness", &h, &n), 0);
	assert_int_equal(n, 1);
	assert_string_equal(h[0].path, CTL_VM_PERSIST_FILE);
	assert_string_equal(h[0].value, "30");
	free(h);
	/* No temporary file is left behind. */
	assert_int_equal(
		system(strcat(strcat(strcpy((char[700]){0}, "test $(ls -A '"),
				     fake_root),
			      "/etc/sysctl.d' | wc -l) -eq 1")),
		0);
}

static void test_auto_rule(void **state)
{
	struct ctl_vm_auto_in in = {
		.total = 1000, .available = 1000, .min = 10, .max = 60};
	struct ctl_vm_auto a;

	(void)state;
	/* Idle host (the article's first row): 10. */
	assert_int_equal(ctl_vm_auto_compute(&in, &a), 0);
	assert_int_equal(a.value, 10);
	assert_int_equal(a.base, 10);
	assert_false(a.readin_high);
	in.available = 500;
	assert_int_equal(ctl_vm_auto_compute(&in, &a), 0);
	assert_int_equal(a.value, 25);
	in.available = 0;
	assert_int_equal(ctl_vm_auto_compute(&in, &a), 0);
	assert_int_equal(a.value, 40);
	/* The threshold is strict and in KiB/s. */
	in.readin = CTL_VM_AUTO_READIN_KIBS;
	assert_int_equal(ctl_vm_auto_compute(&in, &a), 0);
	assert_int_equal(a.value, 40);
	in.readin = CTL_VM_AUTO_READIN_KIBS + 1;
	assert_int_equal(ctl_vm_auto_compute(&in, &a), 0);
	assert_int_equal(a.value, 50);
	assert_true(a.readin_high);
	in.max = 45;
	assert_int_equal(ctl_vm_auto_compute(&in, &a), 0);
	assert_int_equal(a.value, 45);
	assert_int_equal(a.clamped, 1);
	in.available = 1000;
	in.readin = 0;
	in.min = 30;
	assert_int_equal(ctl_vm_auto_compute(&in, &a), 0);
	assert_int_equal(a.value, 30);
	assert_int_equal(a.clamped, -1);
	/* Truncation: 1 - 0.7 = 0.3 -> 9 -> 19. */
	in.min = 0;
	in.available = 700;
	assert_int_equal(ctl_vm_auto_compute(&in, &a), 0);
	assert_int_equal(a.value, 19);
	in.min = 50;
	in.max = 40;
	assert_int_equal(ctl_vm_auto_compute(&in, &a), -EINVAL);
	in.min = 10;
	in.total = 0;
	assert_int_equal(ctl_vm_auto_compute(&in, &a), -EINVAL);
}

static void test_state_format(void **state)
{
	struct ctl_vm_state st = {.original = 60, .n = 2}, back;
	char buf[2048];

	(void)state;
	st.owner[0] = (struct ctl_vm_owner){.pid = 10, .start = 5, .value = 11};
	st.owner[1] = (struct ctl_vm_owner){.pid = 20, .value = -1};
	strcpy(st.owner[1].cgroup, "/sys/fs/cgroup/memory/swapadj.20");
	assert_true(ctl_vm_state_format(&st, buf, sizeof(buf)) > 0);
	assert_non_null(strstr(buf, "original 60\n"));
	assert_non_null(strstr(buf, "owner 10 5 11 -\n"));
	assert_non_null(
		strstr(buf, "owner 20 0 - /sys/fs/cgroup/memory/swapadj.20\n"));
	assert_int_equal(ctl_vm_state_parse(buf, &back), 0);
	assert_int_equal(back.original, 60);
	assert_int_equal(back.n, 2);
	assert_int_equal(back.owner[0].pid, 10);
	assert_int_equal(back.owner[0].start, 5);
	assert_int_equal(back.owner[0].value, 11);
	assert_string_equal(back.owner[0].cgroup, "");
	assert_int_equal(back.owner[1].value, -1);
	assert_string_equal(back.owner[1].cgroup,
			    "/sys/fs/cgroup/memory/swapadj.20");
	assert_int_equal(ctl_vm_state_parse("original x\n", &back), -EINVAL);
	assert_int_equal(ctl_vm_state_parse("owner 1 2\n", &back), -EINVAL);
	assert_int_equal(ctl_vm_state_parse("owner -5 0 1 -\n", &back),
			 -EINVAL);
	assert_int_equal(ctl_vm_state_parse("junk\n", &back), -EINVAL);
	assert_int_equal(ctl_vm_state_format(&st, buf, 20), -ENAMETOOLONG);
}

/* Write run/swapadj.state as swapadj does: the lines, then the seal. */
static __attribute__((format(printf, 1, 2))) void write_state(const char *fmt,
							      ...)
{
	char buf[4096];
	unsigned int records = 0;
	va_list ap;
	int n;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	for (const char *p = buf; *p; p = strchr(p, '\n') + 1) {
		if (strncmp(p, "original ", 9) == 0 ||
		    strncmp(p, "owner ", 6) == 0)
			records++;
		if (!strchr(p, '\n'))
			break;
	}
	n = ctl_seal_append(buf, sizeof(buf), strlen(buf), records);
	assert_true(n > 0);
	fake_write("run/swapadj.state", "%.*s", n, buf);
}

static struct ctl_vm_owner owner(pid_t pid, int value)
{
	return (struct ctl_vm_owner){.pid = pid, .value = value};
}

/* restore applies WANT, which the kernel then holds, and removes the file. */
static void restores(int want, struct ctl_vm_restore *res)
{
	assert_int_equal(ctl_vm_state_restore(root, res), 0);
	assert_int_equal(res->applied, want);
	assert_int_equal(swappiness(), (unsigned int)want);
	assert_null(fake_read("run/swapadj.state"));
}

/* Two overlapping runs: the last one out restores the first's original. */
static void test_state_overlap(void **state)
{
	struct ctl_vm_restore res;
	struct ctl_vm_owner a = owner(getpid(), 11), b = owner(getppid(), 12);
	struct ctl_vm_state st;
	int orig = -2;

	(void)state;
	assert_int_equal(ctl_vm_state_join(root, &a, &orig), 0);
	assert_int_equal(orig, 60);
	assert_int_equal(swappiness(), 11);
	assert_int_equal(ctl_vm_state_join(root, &b, &orig), 0);
	assert_int_equal(orig, 60);
	assert_int_equal(swappiness(), 12);
	assert_int_equal(ctl_vm_state_read(root, &st), 1);
	assert_int_equal(st.n, 2);
	assert_int_equal(st.original, 60);
	/* The first leaves first: the second's value stays. */
	assert_int_equal(ctl_vm_state_leave(root, a.pid, &res), 0);
	assert_int_equal(res.remaining, 1);
	assert_int_equal(res.applied, 12);
	assert_int_equal(swappiness(), 12);
	assert_non_null(fake_read("run/swapadj.state"));
	assert_int_equal(ctl_vm_state_leave(root, a.pid, &res), -ESRCH);
	assert_int_equal(ctl_vm_state_leave(root, b.pid, &res), 0);
	assert_int_equal(res.remaining, 0);
	assert_int_equal(res.applied, 60);
	assert_int_equal(res.before, 12);
	assert_int_equal(swappiness(), 60);
	assert_null(fake_read("run/swapadj.state"));

	/* The second leaves first: the first's value comes back. */
	assert_int_equal(ctl_vm_state_join(root, &a, NULL), 0);
	assert_int_equal(ctl_vm_state_join(root, &b, NULL), 0);
	assert_int_equal(ctl_vm_state_leave(root, b.pid, &res), 0);
	assert_int_equal(swappiness(), 11);
	assert_int_equal(ctl_vm_state_leave(root, a.pid, &res), 0);
	assert_int_equal(swappiness(), 60);
	assert_null(fake_read("run/swapadj.state"));
}

static void test_state_set(void **state)
{
	struct ctl_vm_restore res;
	struct ctl_vm_owner a = owner(getpid(), 20), b = owner(getppid(), 12);

	(void)state;
	assert_int_equal(ctl_vm_state_join(root, &a, NULL), 0);
	assert_int_equal(ctl_vm_state_set(root, a.pid, 33), 0);
	assert_int_equal(swappiness(), 33);
	assert_non_null(strstr(fake_read("run/swapadj.state"), " 33 -\n"));
	assert_int_equal(ctl_vm_state_set(root, getppid(), 1), -ESRCH);
	assert_int_equal(ctl_vm_state_leave(root, a.pid, &res), 0);
	assert_int_equal(swappiness(), 60);

	/*
	 * A newer run's value applies while it runs: the older owner's change
	 * is recorded, not written, and comes back when the newer one leaves.
	 */
	assert_int_equal(ctl_vm_state_join(root, &a, NULL), 0);
	assert_int_equal(ctl_vm_state_join(root, &b, NULL), 0);
	assert_int_equal(swappiness(), 12);
	assert_int_equal(ctl_vm_state_set(root, a.pid, 33), 1);
	assert_int_equal(swappiness(), 12);
	assert_int_equal(ctl_vm_state_leave(root, b.pid, &res), 0);
	assert_int_equal(res.applied, 33);
	assert_int_equal(swappiness(), 33);
	assert_int_equal(ctl_vm_state_leave(root, a.pid, &res), 0);
	assert_int_equal(swappiness(), 60);
}

static void test_state_stale(void **state)
{
	struct ctl_vm_restore res;
	struct ctl_vm_owner me = owner(getpid(), 20);
	pid_t dead = dead_pid();
	int orig;

	(void)state;
	/* Nothing to restore. */
	assert_int_equal(ctl_vm_state_restore(root, &res), 0);
	assert_int_equal(res.applied, -1);

	/* A crashed run left 10 in place; its original was 60. */
	fake_write("proc/sys/vm/swappiness", "10\n");
	write_state("original 60\nowner %d 0 10 -\n", (int)dead);
	restores(60, &res);
	assert_int_equal(res.before, 10);
	assert_int_equal(res.dropped, 1);

	/* A new run joining a stale state keeps the pre-crash original. */
	fake_write("proc/sys/vm/swappiness", "10\n");
	write_state("original 60\nowner %d 0 10 -\n", (int)dead);
	assert_int_equal(ctl_vm_state_join(root, &me, &orig), 0);
	assert_int_equal(orig, 60);
	assert_int_equal(ctl_vm_state_leave(root, me.pid, &res), 0);
	assert_int_equal(swappiness(), 60);

	/* A live owner is not overridden. */
	fake_write("proc/sys/vm/swappiness", "10\n");
	write_state("original 60\nowner %d 0 10 -\nowner %d 0 15 -\n",
		    (int)dead, (int)getppid());
	assert_int_equal(ctl_vm_state_restore(root, &res), -EBUSY);
	assert_int_equal(res.live, getppid());
	assert_int_equal(res.dropped, 1);
	assert_int_equal(swappiness(), 10);
	assert_non_null(strstr(fake_read("run/swapadj.state"), "original 60"));
	assert_null(strstr(fake_read("run/swapadj.state"), " 10 -"));
}

/* restore --dry-run: what restore would do, with nothing written. */
static void test_state_plan(void **state)
{
	struct ctl_vm_restore plan, res;
	pid_t dead = dead_pid();
	char *was;

	(void)state;
	assert_int_equal(ctl_vm_state_plan(root, &plan), 0);
	assert_int_equal(plan.applied, -1);
	assert_false(plan.found);
	assert_null(fake_read("run/swapadj.state"));

	fake_write("proc/sys/vm/swappiness", "10\n");
	write_state("original 60\nowner %d 0 10 -\n", (int)dead);
	was = strdup(fake_read("run/swapadj.state"));
	assert_int_equal(ctl_vm_state_plan(root, &plan), 0);
	assert_true(plan.found);
	assert_int_equal(plan.applied, 60);
	assert_int_equal(plan.before, 10);
	assert_int_equal(plan.dropped, 1);
	assert_int_equal(swappiness(), 10);
	assert_string_equal(fake_read("run/swapadj.state"), was);
	assert_null(fake_read("run/swapadj.lock"));
	restores(60, &res);
	assert_int_equal(res.before, plan.before);
	assert_int_equal(res.dropped, plan.dropped);

	/* The original is already back: a restore would write nothing. */
	fake_write("run/swapadj.state", "%s", was);
	assert_int_equal(ctl_vm_state_plan(root, &plan), 0);
	assert_int_equal(plan.applied, 60);
	assert_int_equal(plan.before, 60);
	free(was);

	/* A live owner: refused as restore refuses, the file as it was. */
	write_state("original 60\nowner %d 0 10 -\nowner %d 0 15 -\n",
		    (int)dead, (int)getppid());
	was = strdup(fake_read("run/swapadj.state"));
	assert_int_equal(ctl_vm_state_plan(root, &plan), -EBUSY);
	assert_int_equal(plan.live, getppid());
	assert_int_equal(plan.dropped, 1);
	assert_int_equal(plan.applied, -1);
	assert_string_equal(fake_read("run/swapadj.state"), was);
	free(was);
}

/*
 * A join whose write is refused leaves the state as it found it: the
 * original a crashed run recorded must survive for "restore".
 */
static void test_state_join_fail_keeps_stale(void **state)
{
	struct ctl_vm_restore res;
	struct ctl_vm_owner me = owner(getpid(), 150);
	pid_t dead = dead_pid();

	(void)state;
	fake_write("proc/sys/vm/swappiness", "10\n");
	write_state("original 60\nowner %d 0 10 -\n", (int)dead);
	/* 150 is out of range for 5.4: the write fails after the record. */
	fake_write("proc/sys/kernel/osrelease", "5.4.0\n");
	assert_int_equal(ctl_vm_state_join(root, &me, NULL), -ERANGE);
	assert_int_equal(swappiness(), 10);
	assert_non_null(fake_read("run/swapadj.state"));
	assert_non_null(strstr(fake_read("run/swapadj.state"), "original 60"));
	restores(60, &res);
}

static void test_state_cgroup_cleanup(void **state)
{
	struct ctl_vm_restore res;
	pid_t dead = dead_pid();

	(void)state;
	fake_mkdir("sys/fs/cgroup/memory/a/swapadj.1");
	fake_mkdir("sys/fs/cgroup/memory/a/swapadj.2");
	fake_write("sys/fs/cgroup/memory/a/swapadj.2/cgroup.procs", "77\n");
	write_state("owner %d 0 - /sys/fs/cgroup/memory/a/swapadj.1\n"
		    "owner %d 0 - /sys/fs/cgroup/memory/a/swapadj.2\n",
		    (int)dead, (int)dead);
	assert_int_equal(ctl_vm_state_restore(root, &res), 0);
	assert_int_equal(res.applied, -1); /* no swappiness was changed */
	assert_int_equal(res.dropped, 2);
	assert_int_equal(res.removed, 1);
	/* A cgroup that cannot go (here: not empty) is reported. */
	assert_int_equal(res.nkept, 1);
	assert_string_equal(res.kept[0], "/sys/fs/cgroup/memory/a/swapadj.2");
	assert_int_equal(swappiness(), 60);
	assert_null(fake_read("run/swapadj.state"));
}

/* What swapadj writes is sealed: a record count and a CRC at the end. */
static void test_state_sealed(void **state)
{
	struct ctl_vm_restore res;
	struct ctl_vm_owner a = owner(getpid(), 11), b = owner(getppid(), -1);
	unsigned int records = 0;
	const char *buf;
	size_t body = 0;

	(void)state;
	strcpy(b.cgroup, "/sys/fs/cgroup/memory/swapadj.1");
	assert_int_equal(ctl_vm_state_join(root, &a, NULL), 0);
	assert_int_equal(ctl_vm_state_join(root, &b, NULL), 0);
	buf = fake_read("run/swapadj.state");
	assert_int_equal(ctl_seal_check(buf, strlen(buf), &body, &records), 0);
	assert_int_equal(records, 3); /* original, two owners */
	assert_non_null(strstr(buf, "original 60\n"));
	assert_int_equal(ctl_vm_state_leave(root, b.pid, &res), 0);
	buf = fake_read("run/swapadj.state");
	assert_int_equal(ctl_seal_check(buf, strlen(buf), NULL, &records), 0);
	assert_int_equal(records, 2);
	assert_int_equal(ctl_vm_state_leave(root, a.pid, &res), 0);
	assert_null(fake_read("run/swapadj.state"));
	/* No temporary file is left in /run. */
	assert_int_equal(system(strcat(strcat(strcpy((char[700]){0},
						     "test -z \"$(ls -A '"),
					      fake_root),
				       "/run' | grep -v '^swapadj.lock$')\"")),
			 0);
}

/*
 * A state file cut anywhere, or without the seal (as swapadj wrote it
 * before), is refused whole: restore applies nothing, a new run does not
 * join, and the file is left as it is for the operator.
 */
static void test_state_cut(void **state)
{
	struct ctl_vm_restore res;
	struct ctl_vm_owner me = owner(getpid(), 20);
	struct ctl_vm_state st;
	pid_t dead = dead_pid();
	char full[1024], cut[1024];
	size_t len, cuts[8];

	(void)state;
	fake_write("proc/sys/vm/swappiness", "10\n");
	write_state("# swapadj state\noriginal 60\nowner %d 0 10 -\n",
		    (int)dead);
	snprintf(full, sizeof(full), "%s", fake_read("run/swapadj.state"));
	len = strlen(full);
	cuts[0] = 0;
	cuts[1] = 1;
	cuts[2] = strstr(full, "original") - full + 9; /* "original " */
	cuts[3] = strstr(full, "owner") - full; /* owner line lost whole */
	cuts[4] = strstr(full, "# end") - full; /* the seal lost whole */
	cuts[5] = cuts[4] + 10; /* inside the seal */
	cuts[6] = len - 1; /* only the last newline */
	cuts[7] = len - 2;
	for (size_t i = 0; i < sizeof(cuts) / sizeof(cuts[0]); i++) {
		snprintf(cut, sizeof(cut), "%.*s", (int)cuts[i], full);
		fake_write("run/swapadj.state", "%s", cut);
		assert_int_equal(ctl_vm_state_read(root, &st), -EBADMSG);
		assert_int_equal(ctl_vm_state_restore(root, &res), -EBADMSG);
		assert_int_equal(res.applied, -1);
		assert_int_equal(swappiness(), 10);
		assert_int_equal(ctl_vm_state_join(root, &me, NULL), -EBADMSG);
		assert_int_equal(swappiness(), 10);
		assert_string_equal(fake_read("run/swapadj.state"), cut);
	}
	/* Unsealed, as swapadj wrote it before: no end marker, refused. */
	fake_write("run/swapadj.state", "original 60\nowner %d 0 10 -\n",
		   (int)dead);
	assert_int_equal(ctl_vm_state_restore(root, &res), -EBADMSG);
	assert_int_equal(swappiness(), 10);
	/* A line after the seal; a seal counting another number of lines. */
	fake_write("run/swapadj.state", "%sowner %d 0 10 -\n", full, (int)dead);
	assert_int_equal(ctl_vm_state_restore(root, &res), -EBADMSG);
	snprintf(cut, sizeof(cut), "original 60\nowner %d 0 10 -\n", (int)dead);
	assert_true(ctl_seal_append(cut, sizeof(cut), strlen(cut), 3) > 0);
	fake_write("run/swapadj.state", "%s", cut);
	assert_int_equal(ctl_vm_state_restore(root, &res), -EBADMSG);
	assert_int_equal(swappiness(), 10);
	/* Sealed but not state lines: not a state file. */
	snprintf(cut, sizeof(cut), "garbage\n");
	assert_true(ctl_seal_append(cut, sizeof(cut), strlen(cut), 1) > 0);
	fake_write("run/swapadj.state", "%s", cut);
	assert_int_equal(ctl_vm_state_restore(root, &res), -EINVAL);
	assert_int_equal(swappiness(), 10);
	/* The whole file again: restored. */
	fake_write("run/swapadj.state", "%s", full);
	restores(60, &res);
}

/* A FIFO or a directory in place of the state file: refused at once. */
static void test_state_not_regular(void **state)
{
	struct ctl_vm_restore res;
	struct ctl_vm_owner me = owner(getpid(), 20);
	char path[1536];

	(void)state;
	snprintf(path, sizeof(path), "%s/run/swapadj.state", fake_root);
	assert_int_equal(mkfifo(path, 0600), 0);
	alarm(10); /* a blocking open would hang here */
	assert_int_equal(ctl_vm_state_restore(root, &res), -CTL_ENOTREG);
	assert_int_equal(ctl_vm_state_join(root, &me, NULL), -CTL_ENOTREG);
	alarm(0);
	assert_int_equal(swappiness(), 60);
	assert_int_equal(unlink(path), 0);
	fake_mkdir("run/swapadj.state");
	assert_int_equal(ctl_vm_state_restore(root, &res), -EISDIR);
	assert_int_equal(ctl_vm_state_join(root, &me, NULL), -EISDIR);
	assert_int_equal(swappiness(), 60);
}

/* A sealed file with no records: nothing to restore; it is removed. */
static void test_state_empty_sealed(void **state)
{
	struct ctl_vm_restore res;

	(void)state;
	assert_int_equal(ctl_vm_state_restore(root, &res), 0);
	assert_false(res.found);
	write_state("%s", "");
	assert_string_equal(fake_read("run/swapadj.state"),
			    "# end records=0 crc32c=00000000\n");
	assert_int_equal(ctl_vm_state_restore(root, &res), 0);
	assert_true(res.found);
	assert_int_equal(res.applied, -1);
	assert_int_equal(res.dropped, 0);
	assert_int_equal(swappiness(), 60);
	assert_null(fake_read("run/swapadj.state"));
}

/* The save file of set --save: what it says, sealed, refused when not whole. */
static void test_save_format(void **state)
{
	struct ctl_vm_save s = {60, CTL_VM_SAVE_UNSET}, t;
	char buf[256], cut[256], path[1536];
	int n;

	(void)state;
	n = ctl_vm_save_format(&s, buf, sizeof(buf));
	assert_true(n > 0);
	assert_int_equal(strncmp(buf,
				 "# swapadj save file v1\n"
				 "# undo with: swapadj restore FILE\n"
				 "swappiness 60\n# end records=1 crc32c=",
				 83),
			 0);
	assert_int_equal(ctl_vm_save_parse(buf, (size_t)n, &t), 0);
	assert_int_equal(t.swappiness, 60);
	assert_int_equal(t.dropin, CTL_VM_SAVE_UNSET);
	/* With --persist: the drop-in's value, or that there was none. */
	s.dropin = CTL_VM_SAVE_NONE;
	n = ctl_vm_save_format(&s, buf, sizeof(buf));
	assert_non_null(strstr(buf, "\nswappiness 60\ndropin none\n# end "
				    "records=2 "));
	assert_int_equal(ctl_vm_save_parse(buf, (size_t)n, &t), 0);
	assert_int_equal(t.swappiness, 60);
	assert_int_equal(t.dropin, CTL_VM_SAVE_NONE);
	s = (struct ctl_vm_save){0, 200};
	n = ctl_vm_save_format(&s, buf, sizeof(buf));
	assert_int_equal(ctl_vm_save_parse(buf, (size_t)n, &t), 0);
	assert_int_equal(t.swappiness, 0);
	assert_int_equal(t.dropin, 200);
	/* Cut anywhere, even inside the first line: -EBADMSG. (Parsing
	 * changed BUF: made again.) */
	n = ctl_vm_save_format(&s, buf, sizeof(buf));
	for (int len = 0; len < n; len++) {
		memcpy(cut, buf, (size_t)len);
		cut[len] = '\0';
		assert_int_equal(ctl_vm_save_parse(cut, (size_t)len, &t),
				 -EBADMSG);
		assert_int_equal(t.swappiness, CTL_VM_SAVE_UNSET);
	}
	/* A record edited under the seal. */
	n = ctl_vm_save_format(&s, buf, sizeof(buf));
	strstr(buf, "swappiness 0")[11] = '5';
	assert_int_equal(ctl_vm_save_parse(buf, (size_t)n, &t), -EBADMSG);
	/* Too small a buffer. */
	assert_int_equal(ctl_vm_save_format(&s, buf, 40), -ENOSPC);
	/* Sealed, no records: parsed, nothing to restore. */
	s = (struct ctl_vm_save){CTL_VM_SAVE_UNSET, CTL_VM_SAVE_UNSET};
	n = ctl_vm_save_format(&s, buf, sizeof(buf));
	assert_int_equal(ctl_vm_save_parse(buf, (size_t)n, &t), 0);
	assert_int_equal(t.swappiness, CTL_VM_SAVE_UNSET);
	/* Write and read back: mode 0600, no temporary file left. */
	s = (struct ctl_vm_save){35, 10};
	snprintf(path, sizeof(path), "%s/run/x.save", fake_root);
	assert_int_equal(ctl_vm_save_write(path, &s), 0);
	assert_int_equal(ctl_vm_save_read(path, &t), 0);
	assert_int_equal(t.swappiness, 35);
	assert_int_equal(t.dropin, 10);
	{
		struct stat st;

		assert_int_equal(stat(path, &st), 0);
		assert_int_equal(st.st_mode & 07777, 0600);
	}
	snprintf(path, sizeof(path), "%s/none/x.save", fake_root);
	assert_int_equal(ctl_vm_save_write(path, &s), -ENOENT);
}

/* Sealed files that are no save file, and inputs that are no file. */
static void test_save_refused(void **state)
{
	static const struct {
		const char *text;
		unsigned int records;
	} bad[] = {
		{"vm.swappiness = 5\n", 1},
		{"# swapadj save file v2\nswappiness 5\n", 1},
		{"# swapadj save file v1\nswappiness x\n", 1},
		{"# swapadj save file v1\nswappiness 1001\n", 1},
		{"# swapadj save file v1\nswappiness -1\n", 1},
		{"# swapadj save file v1\nswappiness 5 \n", 1},
		{"# swapadj save file v1\nswappiness 5\nswappiness 6\n", 2},
		{"# swapadj save file v1\nswappiness 5\ndropin 1\ndropin 2\n",
		 3},
		{"# swapadj save file v1\nswappiness 5\ndropin some\n", 2},
		{"# swapadj save file v1\ndropin none\n", 1},
		{"# swapadj save file v1\noriginal 5\n", 1},
	};
	struct ctl_vm_save t;
	char buf[256], path[1536];
	int n;

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		n = snprintf(buf, sizeof(buf), "%s", bad[i].text);
		n = ctl_seal_append(buf, sizeof(buf), (size_t)n,
				    bad[i].records);
		assert_true(n > 0);
		assert_int_equal(ctl_vm_save_parse(buf, (size_t)n, &t),
				 -ENOMSG);
		assert_int_equal(t.swappiness, CTL_VM_SAVE_UNSET);
	}
	/* The seal counts other records than the file has. */
	n = snprintf(buf, sizeof(buf),
		     "# swapadj save file v1\nswappiness 5\n");
	n = ctl_seal_append(buf, sizeof(buf), (size_t)n, 2);
	assert_int_equal(ctl_vm_save_parse(buf, (size_t)n, &t), -EBADMSG);
	/* Unsealed. */
	n = snprintf(buf, sizeof(buf),
		     "# swapadj save file v1\nswappiness 5\n");
	assert_int_equal(ctl_vm_save_parse(buf, (size_t)n, &t), -EBADMSG);
	/* A FIFO cannot block; a directory, a large file, no file. */
	snprintf(path, sizeof(path), "%s/run/fifo", fake_root);
	assert_int_equal(mkfifo(path, 0600), 0);
	alarm(10);
	assert_int_equal(ctl_vm_save_read(path, &t), -CTL_ENOTREG);
	alarm(0);
	snprintf(path, sizeof(path), "%s/run", fake_root);
	assert_int_equal(ctl_vm_save_read(path, &t), -EISDIR);
	fake_write("run/big", "%0*d\n", CTL_VM_SAVE_SIZE, 0);
	snprintf(path, sizeof(path), "%s/run/big", fake_root);
	assert_int_equal(ctl_vm_save_read(path, &t), -EFBIG);
	snprintf(path, sizeof(path), "%s/run/none", fake_root);
	assert_int_equal(ctl_vm_save_read(path, &t), -ENOENT);
}

/* What the drop-in holds, and its removal. */
static void test_dropin(void **state)
{
	int v = 0;

	(void)state;
	assert_int_equal(ctl_vm_dropin_get(root, &v), 0);
	assert_int_equal(v, CTL_VM_SAVE_NONE);
	assert_int_equal(ctl_vm_unpersist(root), 0); /* none: fine */
	fake_mkdir("etc");
	assert_int_equal(ctl_vm_persist(root, 25), 0);
	assert_int_equal(ctl_vm_dropin_get(root, &v), 0);
	assert_int_equal(v, 25);
	fake_write("etc/sysctl.d/90-swapadj.conf",
		   "vm.swappiness = 5\nvm/swappiness=7\n");
	assert_int_equal(ctl_vm_dropin_get(root, &v), 0);
	assert_int_equal(v, 7);
	fake_write("etc/sysctl.d/90-swapadj.conf", "# by hand\n");
	assert_int_equal(ctl_vm_dropin_get(root, &v), -ENOMSG);
	fake_write("etc/sysctl.d/90-swapadj.conf", "vm.swappiness = lots\n");
	assert_int_equal(ctl_vm_dropin_get(root, &v), -ENOMSG);
	assert_int_equal(ctl_vm_unpersist(root), 0);
	assert_null(fake_read("etc/sysctl.d/90-swapadj.conf"));
	assert_int_equal(ctl_vm_dropin_get(root, &v), 0);
	assert_int_equal(v, CTL_VM_SAVE_NONE);
	fake_mkdir("etc/sysctl.d/90-swapadj.conf");
	assert_int_equal(ctl_vm_dropin_get(root, &v), -EISDIR);
}

static void test_pid_start(void **state)
{
	uint64_t start = 0;
	char path[64];

	(void)state;
	/* comm may contain spaces and ')'. */
	fake_write("proc/4242/stat",
		   "4242 (a) b (c)) S 1 4242 4242 0 -1 4194560 100 0 0 0 1 2 "
		   "0 0 20 0 1 0 987654 1000 10\n");
	assert_int_equal(ctl_vm_pid_start(root, 4242, &start), 0);
	assert_int_equal(start, 987654);
	assert_int_equal(ctl_vm_pid_start(root, 4243, &start), -ENOENT);
	/* Our pid, with another start time in the tree: recycled, dead. */
	snprintf(path, sizeof(path), "proc/%d/stat", (int)getpid());
	fake_write(path,
		   "%d (x) S 1 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 555 0 0\n",
		   (int)getpid());
	assert_int_equal(ctl_vm_pid_alive(root, getpid(), 555), 1);
	assert_int_equal(ctl_vm_pid_alive(root, getpid(), 556), 0);
	assert_int_equal(ctl_vm_pid_alive(root, getpid(), 0), 1);
	assert_int_equal(ctl_vm_pid_alive(root, dead_pid(), 0), 0);
	/*
	 * A zombie (killed, not yet reaped) still answers kill(pid, 0) but
	 * will never restore anything: gone, start time known or not.
	 */
	fake_write(path,
		   "%d (x) Z 1 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 555 0 0\n",
		   (int)getpid());
	assert_int_equal(ctl_vm_pid_alive(root, getpid(), 555), 0);
	assert_int_equal(ctl_vm_pid_alive(root, getpid(), 0), 0);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_range),
		T(test_set),
		T(test_set_kept),
		T(test_join_kept),
		T(test_meminfo),
		T(test_vmstat),
		T(test_swaps),
		T(test_psi),
		T(test_sysctl_precedence),
		T(test_persist),
		T(test_auto_rule),
		T(test_state_format),
		T(test_state_overlap),
		T(test_state_set),
		T(test_state_stale),
		T(test_state_plan),
		T(test_state_join_fail_keeps_stale),
		T(test_state_cgroup_cleanup),
		T(test_state_sealed),
		T(test_state_cut),
		T(test_state_not_regular),
		T(test_state_empty_sealed),
		T(test_save_format),
		T(test_save_refused),
		T(test_dropin),
		T(test_pid_start),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
