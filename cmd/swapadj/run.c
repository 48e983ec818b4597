// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * swapadj run: a command run with its own vm.swappiness (recorded in the
 * state file, restored when it exits) and memory cgroup limits.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <syslog.h>
#include <unistd.h>

#include "ctl/cgroup.h"
#include "ctl/file.h"
#include "cli/cli.h"
#include "swapadj.h"

/* The child of run, for the signal handlers (the one global of the tool). */
static volatile sig_atomic_t child_pid;

static const int fwd_signals[] = {SIGHUP,  SIGINT,  SIGQUIT, SIGTERM,
				  SIGUSR1, SIGUSR2, SIGALRM, SIGWINCH};

static void forward(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	/* ^C or ^\ from a terminal hits the whole group: the child has it. */
	if ((sig == SIGINT || sig == SIGQUIT) && si->si_code == SI_KERNEL)
		return;
	if (child_pid > 0)
		kill((pid_t)child_pid, sig);
}

/* Why a cgroup step failed, with the fix when there is one. */
static int cg_fail(const struct ctl_cgroup *cg, int err)
{
	const char *attr = cg->attr[0] ? cg->attr : NULL;
	const char *hint = "";
	int rc = ctl_exit_for(err);

	if (err == -EACCES || err == -EPERM) {
		hint = " (run as root)";
	} else if (err == -ENOTSUP) {
		hint = cg->version == 1 ? ": no swap accounting in this kernel "
					  "(boot with swapaccount=1)"
					: ": no swap accounting in this kernel";
		rc = CTL_EXIT_UNSUPP;
	} else if (err == -EBUSY && attr &&
		   strcmp(attr, "cgroup.subtree_control") == 0) {
		hint = ": that cgroup has processes of its own, so cgroup v2 "
		       "cannot delegate memory to a child; start swapadj in a "
		       "cgroup whose parent has none (systemd-run --scope)";
		rc = CTL_EXIT_UNSUPP;
	}
	cli_say(LOG_ERR, "%s%s%s: %s%s", cg->path, attr ? "/" : "",
		attr ? attr : "", strerror(-err), hint);
	return rc;
}

static int setup_cgroup(struct opts *o, const struct ctl_cgroup_mem *m,
			struct ctl_cgroup *cg)
{
	char name[32];
	int err;

	snprintf(name, sizeof(name), "swapadj.%d", (int)getpid());
	err = ctl_cgroup_create(o->root, m, name, cg);
	if (err < 0)
		return cg_fail(cg, err);
	err = ctl_cgroup_set_limits(o->root, cg, o->memory_max, o->swap_max);
	if (!err && o->swappiness >= 0 && m->version == 1)
		err = ctl_cgroup_set_swappiness(o->root, cg,
						(unsigned int)o->swappiness);
	if (err < 0) {
		int rc = cg_fail(cg, err);

		ctl_cgroup_rmdir(o->root, cg->path);
		return rc;
	}
	return 0;
}

struct exec_err {
	int stage; /* 1 joining the cgroup, 2 exec */
	int err;
};

static void child_exec(struct opts *o, struct ctl_cgroup *cg, pid_t parent,
		       const sigset_t *mask, int fd, char **argv)
{
	struct exec_err e = {0};

	/*
	 * The forwarding handlers are installed after the fork: the child
	 * has swapadj's inherited dispositions, an ignored signal (nohup)
	 * stays ignored across exec as it would across a shell's.
	 */
	sigprocmask(SIG_SETMASK, mask, NULL);
	/* The command must not outlive the change: SIGTERM if we die. */
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	if (getppid() != parent)
		raise(SIGTERM);
	if (cg) {
		e.err = -ctl_cgroup_attach(o->root, cg, getpid());
		if (e.err) {
			e.stage = 1;
			if (write(fd, &e, sizeof(e)) < 0)
				_exit(126);
			_exit(126);
		}
	}
	execvp(argv[0], argv);
	e.stage = 2;
	e.err = errno;
	if (write(fd, &e, sizeof(e)) < 0)
		_exit(126);
	_exit(e.err == ENOENT ? 127 : 126);
}

/* Fork, exec and wait for ARGV; the exit status a shell would give. */
static int spawn(struct opts *o, struct ctl_cgroup *cg, char **argv,
		 const sigset_t *old)
{
	struct sigaction sa = {.sa_sigaction = forward,
			       .sa_flags = SA_SIGINFO | SA_RESTART};
	struct exec_err e;
	sigset_t all;
	pid_t parent = getpid(), pid;
	int pfd[2], status;
	ssize_t n;

	if (pipe2(pfd, O_CLOEXEC) < 0) {
		cli_say(LOG_ERR, "pipe: %s", strerror(errno));
		return CTL_EXIT_FAIL;
	}
	/* Signals wait until the handlers know the child. */
	sigfillset(&all);
	sigprocmask(SIG_BLOCK, &all, NULL);
	pid = fork();
	if (pid == 0)
		child_exec(o, cg, parent, old, pfd[1], argv);
	close(pfd[1]);
	if (pid < 0) {
		sigprocmask(SIG_SETMASK, old, NULL);
		close(pfd[0]);
		cli_say(LOG_ERR, "fork: %s", strerror(errno));
		return CTL_EXIT_FAIL;
	}
	child_pid = pid;
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < ARRAY_SIZE(fwd_signals); i++) {
		struct sigaction was;

		/* What our caller ignores (nohup) is not ours to pass on. */
		if (sigaction(fwd_signals[i], NULL, &was) == 0 &&
		    was.sa_handler == SIG_IGN)
			continue;
		sigaction(fwd_signals[i], &sa, NULL);
	}
	sigprocmask(SIG_SETMASK, old, NULL);
	do
		n = read(pfd[0], &e, sizeof(e));
	while (n < 0 && errno == EINTR);
	close(pfd[0]);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR) {
			cli_say(LOG_ERR, "waitpid: %s", strerror(errno));
			return CTL_EXIT_FAIL;
		}
	child_pid = 0;
	if (n == (ssize_t)sizeof(e)) {
		if (e.stage == 1) {
			cli_say(LOG_ERR, "%s/cgroup.procs: %s", cg->path,
				strerror(e.err));
			return CTL_EXIT_FAIL;
		}
		if (e.err == ENOENT)
			cli_say(LOG_ERR, "%s: command not found", argv[0]);
		else
			cli_say(LOG_ERR, "%s: %s", argv[0], strerror(e.err));
		return e.err == ENOENT ? 127 : 126;
	}
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}

int cmd_run(struct opts *o, int argc, char **argv)
{
	struct ctl_vm_owner me = {.pid = getpid(), .value = -1};
	struct ctl_cgroup_mem m = {0};
	struct ctl_cgroup cg = {0};
	struct ctl_vm_restore res;
	sigset_t fwd, mask;
	int want_cg = o->memory_max != CTL_CGROUP_UNLIMITED ||
		      o->swap_max != CTL_CGROUP_UNLIMITED;
	int orig = -1, rc, err;

	if (argc == 0)
		cli_die(CTL_EXIT_USAGE,
			"run: no COMMAND given (swapadj run [options] -- COMMAND [ARG...])");
	if (want_cg) {
		err = ctl_cgroup_mem_find(o->root, &m);
		if (err == -ENOTSUP)
			cli_die(CTL_EXIT_UNSUPP,
				"cgroup: no memory controller mounted (looked for cgroup v2 at /sys/fs/cgroup and /sys/fs/cgroup/unified, cgroup v1 at /sys/fs/cgroup/memory)");
		if (err < 0)
			cli_die(ctl_exit_for(err), "/proc/self/cgroup: %s",
				strerror(-err));
		if (m.version == 1 && o->swap_max != CTL_CGROUP_UNLIMITED &&
		    o->memory_max == CTL_CGROUP_UNLIMITED)
			cli_die(CTL_EXIT_USAGE,
				"--swap-max on cgroup v1 needs --memory-max: v1 limits memory and swap together (memory.memsw.limit_in_bytes)");
	}
	/* On v1 the new cgroup has its own swappiness: the host's stays. */
	if (o->swappiness >= 0 && !(want_cg && m.version == 1))
		me.value = o->swappiness;
	if (o->cli.dry_run) {
		unsigned int cur = 0;

		ctl_vm_swappiness_get(o->root, &cur);
		if (me.value >= 0)
			printf("vm.swappiness %u %s %d for the command\n", cur,
			       o->arrow, me.value);
		if (want_cg)
			printf("cgroup v%d under %s%s%s\n", m.version, m.mount,
			       strcmp(m.self, "/") ? m.self : "",
			       o->swappiness >= 0 && m.version == 1
				       ? ", with its own memory.swappiness"
				       : "");
		printf("would run: %s\n", argv[0]);
		return CTL_EXIT_OK;
	}
	/*
	 * A signal from here on must not kill us between the change and the
	 * restore: it waits, and is forwarded once the command runs.
	 */
	sigemptyset(&fwd);
	for (size_t i = 0; i < ARRAY_SIZE(fwd_signals); i++)
		sigaddset(&fwd, fwd_signals[i]);
	sigprocmask(SIG_BLOCK, &fwd, &mask);
	if (want_cg) {
		rc = setup_cgroup(o, &m, &cg);
		if (rc)
			return rc;
		snprintf(me.cgroup, sizeof(me.cgroup), "%s", cg.path);
	}
	if (me.value >= 0 || want_cg) {
		ctl_vm_pid_start(o->root, me.pid, &me.start);
		err = ctl_vm_state_join(o->root, &me, &orig);
		if (err < 0 && want_cg)
			ctl_cgroup_rmdir(o->root, cg.path);
		if (err == -EIO) {
			/* The join has written back the value it found. */
			cli_say(LOG_ERR,
				"%s%s: wrote %d, the kernel kept another value; the value found is back, the command was not run",
				rootp(o), CTL_VM_SWAPPINESS, me.value);
			return CTL_EXIT_FAIL;
		}
		if (err < 0)
			return change_fail(o, err);
		if (o->cli.verbose && me.value >= 0)
			cli_say(LOG_INFO,
				"vm.swappiness %d %s %d (original %d recorded in %s)",
				orig, o->arrow, me.value, orig,
				CTL_VM_STATE_FILE);
	}
	rc = spawn(o, want_cg ? &cg : NULL, argv, &mask);
	if (want_cg) {
		/* What the command left (a pipeline after an OOM kill, say)
		 * usually exits at once: give it a second. */
		err = ctl_cgroup_rmdir(o->root, cg.path);
		for (int i = 0; err == -EBUSY && i < 50; i++) {
			sleep_secs(0.02);
			err = ctl_cgroup_rmdir(o->root, cg.path);
		}
		if (err < 0 && err != -ENOENT)
			cli_say(LOG_WARNING,
				"%s: not removed: %s (processes the command left behind are still in it)",
				cg.path, strerror(-err));
	}
	if (me.value < 0 && !want_cg)
		return rc;
	if (state_leave(o, me.pid, &res) < 0)
		return rc ? rc : CTL_EXIT_FAIL;
	if (o->cli.verbose && res.applied >= 0)
		cli_say(LOG_INFO, "vm.swappiness %d %s %d (%s)", res.before,
			o->arrow, res.applied,
			res.remaining ? "another run is still active"
				      : "restored");
	return rc;
}
