// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libctl notify: sd_notify() through the dlopen()ed libsystemd, received
 * on a datagram socket the test binds (a path and an abstract name), as
 * the service manager would; and the $JOURNAL_STREAM check of an fd.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "ctl/notify.h"

struct listener {
	char dir[64];
	char addr[128]; /* what NOTIFY_SOCKET says */
	int fd;
};

/* Bind a datagram socket at ADDR ("@name" is abstract), as systemd does. */
static void listen_at(struct listener *l, const char *addr)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	socklen_t len;

	snprintf(l->addr, sizeof(l->addr), "%s", addr);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", addr);
	len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) +
			  strlen(addr) + (addr[0] == '@' ? 0 : 1));
	if (addr[0] == '@')
		sa.sun_path[0] = '\0';
	l->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	assert_true(l->fd >= 0);
	assert_int_equal(bind(l->fd, (struct sockaddr *)&sa, len), 0);
	assert_int_equal(setenv("NOTIFY_SOCKET", addr, 1), 0);
}

/* The next datagram, without waiting: sd_notify() has sent it already. */
static void expect_datagram(const struct listener *l, const char *want)
{
	char buf[512];
	ssize_t n = recv(l->fd, buf, sizeof(buf) - 1, MSG_DONTWAIT);

	assert_true(n >= 0);
	buf[n] = '\0';
	assert_string_equal(buf, want);
}

static void expect_nothing(const struct listener *l)
{
	char buf[64];

	assert_int_equal(recv(l->fd, buf, sizeof(buf), MSG_DONTWAIT), -1);
	assert_int_equal(errno, EAGAIN);
}

/* Load libsystemd, or skip: the wrapper cannot run without it. */
static struct ctl_notify *open_or_skip(void)
{
	struct ctl_notify *n = NULL;
	char why[256] = "";
	int err = ctl_notify_open(&n, why, sizeof(why));

	if (err == -ENOTSUP) {
		print_message("libsystemd.so.0 cannot be loaded: %s\n", why);
		skip();
	}
	assert_int_equal(err, 0);
	assert_non_null(n);
	return n;
}

static int setup(void **state)
{
	struct listener *l = calloc(1, sizeof(*l));

	if (!l)
		return -1;
	snprintf(l->dir, sizeof(l->dir), "/tmp/test_notify.XXXXXX");
	if (!mkdtemp(l->dir)) {
		free(l);
		return -1;
	}
	l->fd = -1;
	unsetenv("NOTIFY_SOCKET");
	*state = l;
	return 0;
}

static int teardown(void **state)
{
	struct listener *l = *state;
	char path[160];

	unsetenv("NOTIFY_SOCKET");
	if (l->fd >= 0)
		close(l->fd);
	snprintf(path, sizeof(path), "%s/sock", l->dir);
	unlink(path);
	rmdir(l->dir);
	free(l);
	return 0;
}

static void test_path_socket(void **state)
{
	struct listener *l = *state;
	struct ctl_notify *n = NULL;
	char path[160];

	snprintf(path, sizeof(path), "%s/sock", l->dir);
	listen_at(l, path);
	n = open_or_skip();
	/* Several assignments in one datagram, as sd_notify(3) allows. */
	assert_true(ctl_notify_send(n, "READY=1\nSTATUS=vm.swappiness 21") > 0);
	expect_datagram(l, "READY=1\nSTATUS=vm.swappiness 21");
	assert_true(ctl_notify_send(n, "STOPPING=1") > 0);
	expect_datagram(l, "STOPPING=1");
	/* NOTIFY_SOCKET is left set: every later send still reaches it. */
	assert_string_equal(getenv("NOTIFY_SOCKET"), path);
	expect_nothing(l);
	ctl_notify_close(n);
}

static void test_abstract_socket(void **state)
{
	struct listener *l = *state;
	struct ctl_notify *n = NULL;
	char name[64];

	snprintf(name, sizeof(name), "@test_notify-%d", (int)getpid());
	listen_at(l, name);
	n = open_or_skip();
	assert_true(ctl_notify_send(n, "READY=1") > 0);
	expect_datagram(l, "READY=1");
	ctl_notify_close(n);
}

static void test_no_socket(void **state)
{
	struct listener *l = *state;
	struct ctl_notify *n = NULL;
	char path[160];

	/* Not run by a service manager: nothing sent, not an error. */
	n = open_or_skip();
	assert_int_equal(ctl_notify_send(n, "READY=1"), 0);
	/* A socket nobody listens on: the error, not a silent success. */
	snprintf(path, sizeof(path), "%s/nobody", l->dir);
	setenv("NOTIFY_SOCKET", path, 1);
	assert_int_equal(ctl_notify_send(n, "READY=1"), -ENOENT);
	ctl_notify_close(n);
	/* close(NULL) is a no-op, like free(). */
	ctl_notify_close(NULL);
}

static void test_journal_stream(void **state)
{
	struct listener *l = *state;
	char path[160], env[96];
	struct stat st;
	int fd, other;

	snprintf(path, sizeof(path), "%s/stream", l->dir);
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	other = open("/dev/null", O_RDONLY | O_CLOEXEC);
	assert_true(other >= 0);
	assert_int_equal(fstat(fd, &st), 0);
	/* systemd writes st_dev and st_ino in decimal, "DEV:INO". */
	snprintf(env, sizeof(env), "%" PRIu64 ":%" PRIu64, (uint64_t)st.st_dev,
		 (uint64_t)st.st_ino);
	assert_int_equal(ctl_journal_stream(env, fd), 1);
	/* The variable is inherited: an fd redirected elsewhere is not. */
	assert_int_equal(ctl_journal_stream(env, other), 0);
	snprintf(env, sizeof(env), "%" PRIu64 ":%" PRIu64, (uint64_t)st.st_dev,
		 (uint64_t)st.st_ino + 1);
	assert_int_equal(ctl_journal_stream(env, fd), 0);
	snprintf(env, sizeof(env), "%" PRIu64 ":%" PRIu64,
		 (uint64_t)st.st_dev + 1, (uint64_t)st.st_ino);
	assert_int_equal(ctl_journal_stream(env, fd), 0);
	/* Unset, empty or malformed: not the journal. */
	assert_int_equal(ctl_journal_stream(NULL, fd), 0);
	assert_int_equal(ctl_journal_stream("", fd), 0);
	snprintf(env, sizeof(env), "%" PRIu64 ":%" PRIu64 "x",
		 (uint64_t)st.st_dev, (uint64_t)st.st_ino);
	assert_int_equal(ctl_journal_stream(env, fd), 0);
	snprintf(env, sizeof(env), "%" PRIu64, (uint64_t)st.st_dev);
	assert_int_equal(ctl_journal_stream(env, fd), 0);
	snprintf(env, sizeof(env), ":%" PRIu64, (uint64_t)st.st_ino);
	assert_int_equal(ctl_journal_stream(env, fd), 0);
	snprintf(env, sizeof(env), "-%" PRIu64 ":%" PRIu64, (uint64_t)st.st_dev,
		 (uint64_t)st.st_ino);
	assert_int_equal(ctl_journal_stream(env, fd), 0);
	/* A closed fd is nobody's stream. */
	snprintf(env, sizeof(env), "%" PRIu64 ":%" PRIu64, (uint64_t)st.st_dev,
		 (uint64_t)st.st_ino);
	close(other);
	assert_int_equal(ctl_journal_stream(env, other), 0);
	close(fd);
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_path_socket, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_abstract_socket, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_no_socket, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_journal_stream, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
