// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * vm.swappiness, meminfo, vmstat, swaps, sysctl.d precedence, the adaptive
 * rule and the state file of scoped changes.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ctl/cgroup.h"
#include "ctl/file.h"
#include "ctl/parse.h"
#include "ctl/vm.h"
#include "internal.h"

int ctl_vm_swappiness_get(const struct ctl_root *r, unsigned int *val)
{
	char buf[32];
	uint64_t v;
	int err = ctl_root_read_file(r, CTL_VM_SWAPPINESS, buf, sizeof(buf));

	if (err < 0)
		return err;
	err = ctl_parse_u64(buf, &v);
	if (err < 0)
		return -EINVAL;
	if (v > 1000)
		return -ERANGE;
	*val = (unsigned int)v;
	return 0;
}

int ctl_vm_swappiness_max(const struct ctl_root *r)
{
	char buf[128];
	unsigned int major = 0, minor = 0;
	int err = ctl_root_read_file(r, "/proc/sys/kernel/osrelease", buf,
				     sizeof(buf));

	if (err < 0)
		return err;
	if (sscanf(buf, "%u.%u", &major, &minor) != 2)
		return -EINVAL;
	/* Linux 5.8 raised the limit to 200 for fast swap (zram, zswap). */
	return (major > 5 || (major == 5 && minor >= 8)) ? 200 : 100;
}

int ctl_vm_swappiness_set(const struct ctl_root *r, unsigned int val,
			  unsigned int *now)
{
	char buf[16];
	unsigned int back;
	int max = ctl_vm_swappiness_max(r);
	int err;

	if (max < 0)
		max = 100; /* no osrelease: assume the older, smaller range */
	if (val > (unsigned int)max)
		return -ERANGE;
	snprintf(buf, sizeof(buf), "%u", val);
	err = ctl_root_write_file(r, CTL_VM_SWAPPINESS, buf, 0);
	if (err < 0)
		return err;
	err = ctl_vm_swappiness_get(r, &back);
	if (err < 0)
		return err;
	if (now)
		*now = back;
	return back == val ? 0 : -EIO;
}

/* Call FN for each "key value" line of a /proc file. */
static int read_kv(const struct ctl_root *r, const char *path,
		   void (*fn)(const char *key, uint64_t val, void *data),
		   void *data)
{
	_cleanup_fclose_ FILE *f = ctl_root_fopen(r, path, "r");
	char line[256];

	if (!f)
		return neg_errno();
	while (fgets(line, sizeof(line), f)) {
		char key[64];
		unsigned long long v;

		if (sscanf(line, "%63[^: \t]%*[: \t]%llu", key, &v) == 2)
			fn(key, v, data);
	}
	return ferror(f) ? -EIO : 0;
}

static void meminfo_kv(const char *key, uint64_t val, void *data)
{
	struct ctl_meminfo *mi = data;

	if (strcmp(key, "MemTotal") == 0)
		mi->total = val;
	else if (strcmp(key, "MemFree") == 0)
		mi->free = val;
	else if (strcmp(key, "MemAvailable") == 0)
		mi->available = val;
	else if (strcmp(key, "SwapTotal") == 0)
		mi->swap_total = val;
	else if (strcmp(key, "SwapFree") == 0)
		mi->swap_free = val;
}

int ctl_vm_meminfo_read(const struct ctl_root *r, struct ctl_meminfo *mi)
{
	int err;

	memset(mi, 0, sizeof(*mi));
	err = read_kv(r, "/proc/meminfo", meminfo_kv, mi);
	if (err < 0)
		return err;
	return mi->total ? 0 : -ENODATA;
}

struct vmstat_ctx {
	struct ctl_vmstat *vs;
	int seen;
};

static void vmstat_kv(const char *key, uint64_t val, void *data)
{
	struct vmstat_ctx *c = data;

	if (strcmp(key, "pgpgin") == 0) {
		c->vs->pgpgin = val;
		c->seen = 1;
	} else if (strcmp(key, "pgpgout") == 0) {
		c->vs->pgpgout = val;
	} else if (strcmp(key, "pswpin") == 0) {
		c->vs->pswpin = val;
	} else if (strcmp(key, "pswpout") == 0) {
		c->vs->pswpout = val;
	}
}

int ctl_vm_vmstat_read(const struct ctl_root *r, struct ctl_vmstat *vs)
{
	struct vmstat_ctx c = {.vs = vs};
	int err;

	memset(vs, 0, sizeof(*vs));
	err = read_kv(r, "/proc/vmstat", vmstat_kv, &c);
	if (err < 0)
		return err;
	return c.seen ? 0 : -ENODATA;
}

double ctl_vm_readin_rate(const struct ctl_vmstat *a,
			  const struct ctl_vmstat *b, double secs)
{
	if (secs <= 0 || b->pgpgin < a->pgpgin)
		return 0;
	return (double)(b->pgpgin - a->pgpgin) / secs;
}

/* One PSI line "KIND avg10=A avg60=B avg300=C total=T". */
static int psi_line(const char *line, const char *kind, double avg[3],
		    uint64_t *total)
{
	char k[8];
	unsigned long long t;
	int end = 0;

	if (sscanf(line, "%7s avg10=%lf avg60=%lf avg300=%lf total=%llu%n", k,
		   &avg[0], &avg[1], &avg[2], &t, &end) != 5 ||
	    strcmp(k, kind) != 0 || (line[end] != '\0' && line[end] != '\n'))
		return -EBADMSG;
	*total = t;
	return 0;
}

int ctl_vm_psi_read(const struct ctl_root *r, struct ctl_psi *p)
{
	char buf[256], *nl;
	int n = ctl_root_read_file(r, "/proc/pressure/memory", buf,
				   sizeof(buf));

	memset(p, 0, sizeof(*p));
	if (n < 0)
		return n;
	if (psi_line(buf, "some", p->some, &p->some_total) < 0)
		return -EBADMSG;
	nl = strchr(buf, '\n');
	if (!nl)
		return 0;
	if (psi_line(nl + 1, "full", p->full, &p->full_total) < 0)
		return -EBADMSG;
	p->has_full = true;
	return 0;
}

/* /proc/swaps escapes space, tab, newline and backslash as \ooo. */
static void unescape(char *s)
{
	char *w = s;

	for (; *s; s++) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' &&
		    s[2] <= '7' && s[3] >= '0' && s[3] <= '7') {
			*w++ = (char)((s[1] - '0') * 64 + (s[2] - '0') * 8 +
				      (s[3] - '0'));
			s += 3;
		} else {
			*w++ = *s;
		}
	}
	*w = '\0';
}

int ctl_vm_swaps_read(const struct ctl_root *r, struct ctl_swap **out,
		      size_t *n)
{
	_cleanup_fclose_ FILE *f = ctl_root_fopen(r, "/proc/swaps", "r");
	struct ctl_swap *v = NULL;
	size_t cnt = 0;
	char line[768];

	*out = NULL;
	*n = 0;
	if (!f)
		return neg_errno();
	while (fgets(line, sizeof(line), f)) {
		struct ctl_swap s = {0};
		unsigned long long size, used;
		const char *base;
		void *nv;

		if (sscanf(line, "%255s %15s %llu %llu %d", s.name, s.type,
			   &size, &used, &s.prio) != 5)
			continue; /* the header, or a line we cannot read */
		unescape(s.name);
		s.size = size;
		s.used = used;
		base = strrchr(s.name, '/');
		base = base ? base + 1 : s.name;
		s.zram = strncmp(base, "zram", 4) == 0;
		nv = realloc(v, (cnt + 1) * sizeof(*v));
		if (!nv) {
			free(v);
			return -ENOMEM;
		}
		v = nv;
		v[cnt++] = s;
	}
	if (ferror(f)) {
		free(v);
		return -EIO;
	}
	*out = v;
	*n = cnt;
	return 0;
}

/* Directories of sysctl.d files, highest precedence first. */
static const char *const sysctl_dirs[] = {
	"/etc/sysctl.d",     "/run/sysctl.d", "/usr/local/lib/sysctl.d",
	"/usr/lib/sysctl.d", "/lib/sysctl.d",
};

static char *trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

static int key_equal(const char *a, const char *b)
{
	for (; *a && *b; a++, b++) {
		char x = *a == '/' ? '.' : *a, y = *b == '/' ? '.' : *b;

		if (x != y)
			return 0;
	}
	return *a == *b;
}

static int hits_add(struct ctl_sysctl_hit **v, size_t *n, const char *path,
		    unsigned int line, const char *value)
{
	struct ctl_sysctl_hit *nv = realloc(*v, (*n + 1) * sizeof(**v));

	if (!nv)
		return -ENOMEM;
	*v = nv;
	memset(&nv[*n], 0, sizeof(nv[*n]));
	snprintf(nv[*n].path, sizeof(nv[*n].path), "%s", path);
	snprintf(nv[*n].value, sizeof(nv[*n].value), "%s", value);
	nv[*n].line = line;
	(*n)++;
	return 0;
}

/*
 * Collect the assignments of KEY in PATH (inside the root), opened as an
 * input that cannot block. *IS (may be NULL) is set when the file is the
 * one SAME names (device and inode), such as /etc/sysctl.conf reached
 * through a link.
 */
static int scan_file(const struct ctl_root *r, const char *path,
		     const char *key, const struct stat *same, int *is,
		     struct ctl_sysctl_hit **v, size_t *n)
{
	_cleanup_fclose_ FILE *f = ctl_root_fopen(r, path, "r");
	char buf[1024];
	unsigned int lineno = 0;
	struct stat st;

	if (!f)
		return errno == ENOENT ? 0 : neg_errno();
	if (is && fstat(fileno(f), &st) == 0 && st.st_dev == same->st_dev &&
	    st.st_ino == same->st_ino)
		*is = 1;
	while (fgets(buf, sizeof(buf), f)) {
		char *s = trim(buf), *eq;
		int err;

		lineno++;
		if (!*s || *s == '#' || *s == ';')
			continue;
		if (*s == '-') /* "-key = v": ignore failure to set */
			s++;
		eq = strchr(s, '=');
		if (!eq)
			continue;
		*eq = '\0';
		if (!key_equal(trim(s), key))
			continue;
		err = hits_add(v, n, path, lineno, trim(eq + 1));
		if (err < 0)
			return err;
	}
	return ferror(f) ? -EIO : 0;
}

struct conf_name {
	char name[256];
	const char *dir;
};

static int conf_cmp(const void *a, const void *b)
{
	return strcmp(((const struct conf_name *)a)->name,
		      ((const struct conf_name *)b)->name);
}

/* Collect *.conf names; an earlier directory hides later same names. */
static int collect_confs(const struct ctl_root *r, struct conf_name **out,
			 size_t *n)
{
	struct conf_name *v = NULL;
	size_t cnt = 0;

	for (size_t i = 0; i < ARRAY_SIZE(sysctl_dirs); i++) {
		DIR *d = ctl_root_opendir(r, sysctl_dirs[i]);
		struct dirent *de;

		if (!d)
			continue;
		while ((de = readdir(d))) {
			size_t len = strlen(de->d_name), j;
			void *nv;

			if (len < 6 || len >= sizeof(v->name) ||
			    strcmp(de->d_name + len - 5, ".conf") != 0)
				continue;
			for (j = 0; j < cnt; j++)
				if (strcmp(v[j].name, de->d_name) == 0)
					break;
			if (j < cnt)
				continue;
			nv = realloc(v, (cnt + 1) * sizeof(*v));
			if (!nv) {
				closedir(d);
				free(v);
				return -ENOMEM;
			}
			v = nv;
			memcpy(v[cnt].name, de->d_name, len + 1);
			v[cnt++].dir = sysctl_dirs[i];
		}
		closedir(d);
	}
	if (cnt)
		qsort(v, cnt, sizeof(*v), conf_cmp);
	*out = v;
	*n = cnt;
	return 0;
}

/* On failure *OUT is one entry naming PATH, the file that failed. */
static int scan_fail(struct ctl_sysctl_hit **out, size_t *n,
		     struct ctl_sysctl_hit *v, const char *path, int err)
{
	struct ctl_sysctl_hit *h = realloc(v, sizeof(*h));

	if (!h) {
		free(v);
		return err;
	}
	memset(h, 0, sizeof(*h));
	snprintf(h->path, sizeof(h->path), "%s", path);
	*out = h;
	*n = 1;
	return err;
}

int ctl_vm_sysctl_scan(const struct ctl_root *r, const char *key,
		       struct ctl_sysctl_hit **out, size_t *n)
{
	_cleanup_free_ struct conf_name *confs = NULL;
	struct ctl_sysctl_hit *v = NULL;
	size_t nconfs = 0, cnt = 0;
	struct stat conf;
	int has_conf, conf_seen = 0, err;

	*out = NULL;
	*n = 0;
	err = collect_confs(r, &confs, &nconfs);
	if (err < 0)
		return err;
	has_conf = ctl_root_stat(r, "/etc/sysctl.conf", &conf) == 0;
	for (size_t i = 0; i < nconfs; i++) {
		char path[512];

		if (ctl_fmt(path, sizeof(path), "%s/%s", confs[i].dir,
			    confs[i].name) < 0)
			continue;
		/* Debian links 99-sysctl.conf to ../sysctl.conf. */
		err = scan_file(r, path, key, &conf,
				has_conf ? &conf_seen : NULL, &v, &cnt);
		if (err < 0)
			return scan_fail(out, n, v, path, err);
	}
	if (!conf_seen) {
		err = scan_file(r, "/etc/sysctl.conf", key, NULL, NULL, &v,
				&cnt);
		if (err < 0)
			return scan_fail(out, n, v, "/etc/sysctl.conf", err);
	}
	*out = v;
	*n = cnt;
	return 0;
}

/*
 * Open the directory of PATH (inside the root) and point *NAME at the last
 * component. MKDIR_P creates the directory (one level) when it is missing.
 * Returns the directory fd or -errno.
 */
static int open_dir_of(const struct ctl_root *r, const char *path,
		       const char **name, bool mkdir_p)
{
	char dir[512];
	const char *base = strrchr(path, '/');
	int dfd;

	if (!base || !base[1] || (size_t)(base - path) >= sizeof(dir))
		return -EINVAL;
	memcpy(dir, path, (size_t)(base - path));
	dir[base - path] = '\0';
	*name = base + 1;
	dfd = ctl_root_open_path(r, dir[0] ? dir : "/", O_RDONLY | O_DIRECTORY,
				 0);
	if (dfd == -ENOENT && mkdir_p && dir[0]) {
		char *slash = strrchr(dir, '/');
		_cleanup_close_ int pfd = -1;

		*slash = '\0';
		pfd = ctl_root_open_path(r, dir[0] ? dir : "/",
					 O_RDONLY | O_DIRECTORY, 0);
		*slash = '/';
		if (pfd < 0)
			return pfd;
		if (mkdirat(pfd, slash + 1, 0755) < 0 && errno != EEXIST)
			return neg_errno();
		dfd = ctl_root_open_path(r, dir, O_RDONLY | O_DIRECTORY, 0);
	}
	return dfd;
}

/* PATH (inside the root) through the one helper for files that must survive. */
static int write_survivor(const struct ctl_root *r, const char *path,
			  const char *buf, size_t len, bool mkdir_p)
{
	const char *name;
	_cleanup_close_ int dfd = open_dir_of(r, path, &name, mkdir_p);

	if (dfd < 0)
		return dfd;
	return ctl_file_write_atomicat(dfd, name, buf, len, 0644);
}

int ctl_vm_persist(const struct ctl_root *r, unsigned int val)
{
	char buf[160];

	snprintf(buf, sizeof(buf),
		 "# Written by swapadj set --persist; applied at boot.\n"
		 "vm.swappiness = %u\n",
		 val);
	return write_survivor(r, CTL_VM_PERSIST_FILE, buf, strlen(buf), true);
}

int ctl_vm_dropin_get(const struct ctl_root *r, int *val)
{
	struct ctl_sysctl_hit *hits = NULL;
	struct stat st;
	size_t n = 0;
	uint64_t v;
	int err;

	*val = CTL_VM_SAVE_NONE;
	err = ctl_root_stat(r, CTL_VM_PERSIST_FILE, &st);
	if (err == -ENOENT)
		return 0;
	if (err < 0)
		return err;
	if (!S_ISREG(st.st_mode))
		return S_ISDIR(st.st_mode) ? -EISDIR : -CTL_ENOTREG;
	err = scan_file(r, CTL_VM_PERSIST_FILE, "vm.swappiness", NULL, NULL,
			&hits, &n);
	/* The last assignment wins, as in sysctl --system. */
	if (!err && (!n || ctl_parse_range(hits[n - 1].value, 0, 1000, &v) < 0))
		err = -ENOMSG;
	else if (!err)
		*val = (int)v;
	free(hits);
	return err;
}

int ctl_vm_unpersist(const struct ctl_root *r)
{
	const char *name;
	_cleanup_close_ int dfd =
		open_dir_of(r, CTL_VM_PERSIST_FILE, &name, false);

	if (dfd == -ENOENT)
		return 0;
	if (dfd < 0)
		return dfd;
	if (unlinkat(dfd, name, 0) < 0)
		return errno == ENOENT ? 0 : neg_errno();
	return ctl_file_fsync_dirat(dfd);
}

/* Save file of set --save. */
#define SAVE_MAGIC "# swapadj save file v1\n"

int ctl_vm_save_format(const struct ctl_vm_save *s, char *buf, size_t len)
{
	unsigned int records = 0;
	int n, off;

	off = ctl_fmt(buf, len, "%s# undo with: swapadj restore FILE\n",
		      SAVE_MAGIC);
	if (off < 0)
		return -ENOSPC;
	if (s->swappiness >= 0) {
		n = ctl_fmt(buf + off, len - (size_t)off, "swappiness %d\n",
			    s->swappiness);
		if (n < 0)
			return -ENOSPC;
		off += n;
		records++;
	}
	if (s->swappiness >= 0 && s->dropin != CTL_VM_SAVE_UNSET) {
		n = s->dropin == CTL_VM_SAVE_NONE
			    ? ctl_fmt(buf + off, len - (size_t)off,
				      "dropin none\n")
			    : ctl_fmt(buf + off, len - (size_t)off,
				      "dropin %d\n", s->dropin);
		if (n < 0)
			return -ENOSPC;
		off += n;
		records++;
	}
	return ctl_seal_append(buf, len, (size_t)off, records);
}

/*
 * "N" of a record, 0 to 1000 (the state file's bound), into *VAL; with
 * NONE_OK, "none" is CTL_VM_SAVE_NONE.
 */
static int save_value(const char *s, bool none_ok, int *val)
{
	uint64_t v;

	if (none_ok && strcmp(s, "none") == 0) {
		*val = CTL_VM_SAVE_NONE;
		return 0;
	}
	if (ctl_parse_range(s, 0, 1000, &v) < 0)
		return -ENOMSG;
	*val = (int)v;
	return 0;
}

int ctl_vm_save_parse(char *buf, size_t len, struct ctl_vm_save *s)
{
	struct ctl_vm_save v = {CTL_VM_SAVE_UNSET, CTL_VM_SAVE_UNSET};
	unsigned int records, cnt = 0;
	char *line, *next;
	size_t body;
	int err;

	*s = v;
	err = ctl_seal_open(buf, len, SAVE_MAGIC, &body, &records);
	if (err < 0)
		return err;
	for (line = buf; *line; line = next) {
		next = strchr(line, '\n');
		if (!next)
			return -EBADMSG; /* the body ends with a newline */
		*next++ = '\0';
		if (line[0] == '#' || line[0] == '\0')
			continue;
		if (++cnt > records)
			return -EBADMSG;
		if (strncmp(line, "swappiness ", 11) == 0 &&
		    v.swappiness == CTL_VM_SAVE_UNSET)
			err = save_value(line + 11, false, &v.swappiness);
		else if (strncmp(line, "dropin ", 7) == 0 &&
			 v.dropin == CTL_VM_SAVE_UNSET)
			err = save_value(line + 7, true, &v.dropin);
		else
			err = -ENOMSG;
		if (err < 0)
			return err;
	}
	if (cnt != records)
		return -EBADMSG;
	/* The drop-in is put back with the value, never alone. */
	if (v.dropin != CTL_VM_SAVE_UNSET && v.swappiness == CTL_VM_SAVE_UNSET)
		return -ENOMSG;
	*s = v;
	return 0;
}

int ctl_vm_save_write(const char *path, const struct ctl_vm_save *s)
{
	char buf[256];
	int n = ctl_vm_save_format(s, buf, sizeof(buf));

	if (n < 0)
		return n;
	return ctl_file_write_atomic(path, buf, (size_t)n, 0600);
}

int ctl_vm_save_read(const char *path, struct ctl_vm_save *s)
{
	_cleanup_free_ char *buf = NULL;
	size_t len;
	int err;

	s->swappiness = s->dropin = CTL_VM_SAVE_UNSET;
	err = ctl_file_read_input(AT_FDCWD, path, CTL_VM_SAVE_SIZE, &buf, &len);
	if (err < 0)
		return err;
	return ctl_vm_save_parse(buf, len, s);
}

/* ctl_vm_save_read() for ctl_file_save_ok(): what PATH is, nothing kept. */
static int save_read_only(const char *path)
{
	struct ctl_vm_save s;

	return ctl_vm_save_read(path, &s);
}

int ctl_vm_save_ok(const char *path)
{
	return ctl_file_save_ok(path, save_read_only);
}

int ctl_vm_auto_compute(const struct ctl_vm_auto_in *in,
			struct ctl_vm_auto *out)
{
	double ratio;
	int v;

	if (!in->total || in->min > in->max)
		return -EINVAL;
	ratio = (double)in->available / (double)in->total;
	if (ratio > 1)
		ratio = 1;
	memset(out, 0, sizeof(*out));
	out->avail_pct = ratio * 100;
	/* Truncated like the article's int() conversion. */
	out->base = 10 + (unsigned int)((1 - ratio) * 30);
	out->readin_high = in->readin > CTL_VM_AUTO_READIN_KIBS;
	v = (int)out->base + (out->readin_high ? 10 : 0);
	if (v < (int)in->min) {
		v = (int)in->min;
		out->clamped = -1;
	} else if (v > (int)in->max) {
		v = (int)in->max;
		out->clamped = 1;
	}
	out->value = (unsigned int)v;
	return 0;
}

/* State file. */

/* Largest state file: CTL_VM_STATE_MAX owner lines of about 560 bytes. */
#define STATE_SIZE 65536

static void state_empty(struct ctl_vm_state *st)
{
	memset(st, 0, sizeof(*st));
	st->original = -1;
}

static unsigned int state_records(const struct ctl_vm_state *st)
{
	return (unsigned int)st->n + (st->original >= 0);
}

int ctl_vm_state_parse(const char *buf, struct ctl_vm_state *st)
{
	const char *p = buf;

	state_empty(st);
	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		char line[700];

		if (len >= sizeof(line))
			return -EINVAL;
		memcpy(line, p, len);
		line[len] = '\0';
		p += len + (nl ? 1 : 0);
		if (!line[0] || line[0] == '#')
			continue;
		if (strncmp(line, "original ", 9) == 0) {
			uint64_t v;

			if (ctl_parse_range(line + 9, 0, 1000, &v) < 0)
				return -EINVAL;
			st->original = (int)v;
		} else if (strncmp(line, "owner ", 6) == 0) {
			struct ctl_vm_owner *o;
			char val[16], cg[512];
			unsigned long long start;
			int pid;

			if (st->n >= CTL_VM_STATE_MAX)
				return -EINVAL;
			if (sscanf(line + 6, "%d %llu %15s %511s", &pid, &start,
				   val, cg) != 4 ||
			    pid <= 0)
				return -EINVAL;
			o = &st->owner[st->n++];
			o->pid = pid;
			o->start = start;
			if (strcmp(val, "-") == 0) {
				o->value = -1;
			} else {
				uint64_t v;

				if (ctl_parse_range(val, 0, 1000, &v) < 0)
					return -EINVAL;
				o->value = (int)v;
			}
			if (strcmp(cg, "-") != 0)
				snprintf(o->cgroup, sizeof(o->cgroup), "%s",
					 cg);
		} else {
			return -EINVAL;
		}
	}
	return 0;
}

int ctl_vm_state_format(const struct ctl_vm_state *st, char *buf, size_t len)
{
	size_t off = 0;
	int n;

	n = ctl_fmt(buf, len,
		    "# swapadj state: \"swapadj restore\" applies it after a "
		    "crash\n");
	if (n < 0)
		return n;
	off = (size_t)n;
	if (st->original >= 0) {
		n = ctl_fmt(buf + off, len - off, "original %d\n",
			    st->original);
		if (n < 0)
			return n;
		off += (size_t)n;
	}
	for (size_t i = 0; i < st->n; i++) {
		const struct ctl_vm_owner *o = &st->owner[i];
		char val[16];

		if (o->value < 0)
			strcpy(val, "-");
		else
			snprintf(val, sizeof(val), "%d", o->value);
		n = ctl_fmt(buf + off, len - off,
			    "owner %d %" PRIu64 " %s %s\n", (int)o->pid,
			    o->start, val, o->cgroup[0] ? o->cgroup : "-");
		if (n < 0)
			return n;
		off += (size_t)n;
	}
	return (int)off;
}

int ctl_vm_state_read(const struct ctl_root *r, struct ctl_vm_state *st)
{
	_cleanup_free_ char *buf = NULL;
	const char *name;
	_cleanup_close_ int dfd =
		open_dir_of(r, CTL_VM_STATE_FILE, &name, false);
	unsigned int records;
	size_t len, body;
	int err;

	state_empty(st);
	if (dfd == -ENOENT)
		return 0;
	if (dfd < 0)
		return dfd;
	/* Non-blocking, regular files only: a FIFO here must not hang us. */
	err = ctl_file_read_input(dfd, name, STATE_SIZE, &buf, &len);
	if (err == -ENOENT)
		return 0;
	if (err < 0)
		return err;
	/* Refused whole when cut: half a state restores the wrong value. */
	err = ctl_seal_open(buf, len, NULL, &body, &records);
	if (err < 0)
		return err;
	err = ctl_vm_state_parse(buf, st);
	if (err < 0)
		return err;
	if (records != state_records(st)) {
		state_empty(st);
		return -EBADMSG;
	}
	return 1;
}

static int state_write(const struct ctl_root *r, const struct ctl_vm_state *st)
{
	_cleanup_free_ char *buf = malloc(STATE_SIZE);
	const char *name;
	_cleanup_close_ int dfd =
		open_dir_of(r, CTL_VM_STATE_FILE, &name, false);
	int n;

	if (!buf)
		return -ENOMEM;
	if (dfd < 0)
		return dfd;
	if (st->n == 0) {
		if (unlinkat(dfd, name, 0) < 0 && errno != ENOENT)
			return neg_errno();
		return ctl_file_fsync_dirat(dfd);
	}
	n = ctl_vm_state_format(st, buf, STATE_SIZE - CTL_SEAL_MAX);
	if (n < 0)
		return n;
	n = ctl_seal_append(buf, STATE_SIZE, (size_t)n, state_records(st));
	if (n < 0)
		return n;
	return ctl_file_write_atomicat(dfd, name, buf, (size_t)n, 0644);
}

/* The state letter and start time of PID from <root>/proc/PID/stat. */
static int pid_stat(const struct ctl_root *r, pid_t pid, char *state,
		    uint64_t *start)
{
	char path[64], buf[1024];
	const char *p;
	unsigned long long v;
	char c;
	int n;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	n = ctl_root_read_file(r, path, buf, sizeof(buf));
	if (n < 0)
		return n;
	/* comm may hold spaces and parentheses: fields start after the last ')'. */
	p = strrchr(buf, ')');
	if (!p)
		return -EINVAL;
	/* After ")": state is field 3, starttime is field 22. */
	if (sscanf(p + 1,
		   " %c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d "
		   "%*d %*d %*d %*d %*d %llu",
		   &c, &v) != 2)
		return -EINVAL;
	*state = c;
	*start = v;
	return 0;
}

int ctl_vm_pid_start(const struct ctl_root *r, pid_t pid, uint64_t *start)
{
	char state;

	return pid_stat(r, pid, &state, start);
}

int ctl_vm_pid_alive(const struct ctl_root *r, pid_t pid, uint64_t start)
{
	uint64_t now;
	char state;

	if (pid <= 0)
		return 0;
	if (kill(pid, 0) < 0 && errno == ESRCH)
		return 0;
	if (pid_stat(r, pid, &state, &now) < 0)
		return 1; /* cannot tell: a live owner is never overridden */
	/* A killed owner its parent has not reaped restores nothing. */
	if (state == 'Z' || state == 'X')
		return 0;
	return !(start && now != start); /* else the pid was recycled */
}

/* Hold the state lock for the lifetime of the returned fd. */
static int state_lock(const struct ctl_root *r)
{
	int fd = ctl_root_open_path(r, CTL_VM_STATE_LOCK, O_RDWR | O_CREAT,
				    0600);

	if (fd < 0)
		return fd;
	while (flock(fd, LOCK_EX) < 0) {
		if (errno != EINTR) {
			int err = neg_errno();

			close(fd);
			return err;
		}
	}
	return fd;
}

/*
 * Take the state lock into *LOCK (held until it is closed) and read the
 * state. Returns ctl_vm_state_read()'s value or -errno.
 */
static int state_locked_read(const struct ctl_root *r, int *lock,
			     struct ctl_vm_state *st)
{
	*lock = state_lock(r);
	if (*lock < 0)
		return *lock;
	return ctl_vm_state_read(r, st);
}

static void drop_owner(struct ctl_vm_state *st, size_t i)
{
	memmove(&st->owner[i], &st->owner[i + 1],
		(st->n - i - 1) * sizeof(st->owner[0]));
	st->n--;
}

/* Drop owners whose process is gone, removing the cgroups they left. */
static void prune_dead(const struct ctl_root *r, struct ctl_vm_state *st,
		       struct ctl_vm_restore *res)
{
	for (size_t i = 0; i < st->n;) {
		const struct ctl_vm_owner *o = &st->owner[i];

		if (ctl_vm_pid_alive(r, o->pid, o->start)) {
			i++;
			continue;
		}
		if (o->cgroup[0]) {
			int err = ctl_cgroup_rmdir(r, o->cgroup);

			if (res && (err == 0 || err == -ENOENT))
				res->removed++;
			else if (res && res->nkept < ARRAY_SIZE(res->kept))
				snprintf(res->kept[res->nkept++],
					 sizeof(res->kept[0]), "%s", o->cgroup);
		}
		if (res)
			res->dropped++;
		drop_owner(st, i);
	}
}

int ctl_vm_state_join(const struct ctl_root *r, const struct ctl_vm_owner *me,
		      int *original)
{
	_cleanup_close_ int lock = -1;
	struct ctl_vm_state st, was;
	unsigned int cur = 0, now = 0;
	int err = state_locked_read(r, &lock, &st);

	if (err < 0)
		return err;
	was = st;
	prune_dead(r, &st, NULL);
	if (st.n >= CTL_VM_STATE_MAX)
		return -ENOSPC;
	if (me->value >= 0) {
		/* The value now: the original if none is recorded, and what
		 * a write the kernel does not keep is undone with. */
		err = ctl_vm_swappiness_get(r, &cur);
		if (err < 0)
			return err;
		if (st.original < 0)
			st.original = (int)cur;
	}
	st.owner[st.n++] = *me;
	/* Record first: a crash right after the write must be recoverable. */
	err = state_write(r, &st);
	if (err < 0)
		return err;
	if (me->value >= 0) {
		err = ctl_vm_swappiness_set(r, (unsigned int)me->value, &now);
		if (err < 0) {
			/* The kernel took a value, not ours: undo it. */
			if (err == -EIO && now != cur)
				ctl_vm_swappiness_set(r, cur, NULL);
			/*
			 * Put the file back as it was. Writing the pruned
			 * state instead would delete it when only dead owners
			 * were left, and with it the original a crashed run
			 * recorded for "restore".
			 */
			state_write(r, &was);
			return err;
		}
	}
	if (original)
		*original = st.original;
	return 0;
}

static struct ctl_vm_owner *find_owner(struct ctl_vm_state *st, pid_t pid,
				       size_t *idx)
{
	for (size_t i = 0; i < st->n; i++) {
		if (st->owner[i].pid == pid) {
			if (idx)
				*idx = i;
			return &st->owner[i];
		}
	}
	return NULL;
}

int ctl_vm_state_set(const struct ctl_root *r, pid_t pid, unsigned int val)
{
	_cleanup_close_ int lock = -1;
	struct ctl_vm_state st;
	struct ctl_vm_owner *o;
	unsigned int cur;
	size_t idx;
	int err = state_locked_read(r, &lock, &st);

	if (err < 0)
		return err;
	o = find_owner(&st, pid, &idx);
	if (!o)
		return -ESRCH;
	if (st.original < 0) {
		err = ctl_vm_swappiness_get(r, &cur);
		if (err < 0)
			return err;
		st.original = (int)cur;
	}
	o->value = (int)val;
	err = state_write(r, &st);
	if (err < 0)
		return err;
	/* The overlap rule: a newer owner's value applies while it runs. */
	for (size_t i = idx + 1; i < st.n; i++)
		if (st.owner[i].value >= 0)
			return 1;
	return ctl_vm_swappiness_set(r, val, NULL);
}

/*
 * With owners left, the newest one that holds a value wins; with none, the
 * original comes back.
 */
static int apply_rule(const struct ctl_root *r, struct ctl_vm_state *st,
		      struct ctl_vm_restore *res)
{
	int want = -1;
	unsigned int cur;

	for (size_t i = st->n; i-- > 0;) {
		if (st->owner[i].value >= 0) {
			want = st->owner[i].value;
			break;
		}
	}
	if (want < 0) {
		want = st->original;
		st->original = -1;
	}
	if (want < 0)
		return 0;
	if (ctl_vm_swappiness_get(r, &cur) == 0)
		res->before = (int)cur;
	res->applied = want;
	if (res->before == want)
		return 0;
	return ctl_vm_swappiness_set(r, (unsigned int)want, NULL);
}

static void restore_init(struct ctl_vm_restore *res)
{
	memset(res, 0, sizeof(*res));
	res->applied = -1;
	res->before = -1;
}

int ctl_vm_state_leave(const struct ctl_root *r, pid_t pid,
		       struct ctl_vm_restore *res)
{
	_cleanup_close_ int lock = -1;
	struct ctl_vm_state st;
	size_t idx;
	int err, werr;

	restore_init(res);
	err = state_locked_read(r, &lock, &st);
	if (err < 0)
		return err;
	if (!find_owner(&st, pid, &idx))
		return -ESRCH;
	drop_owner(&st, idx);
	prune_dead(r, &st, res);
	res->remaining = st.n;
	err = apply_rule(r, &st, res);
	/* Keep the file when the write failed: restore can retry. */
	if (err < 0 && st.n == 0)
		return err;
	werr = state_write(r, &st);
	return err < 0 ? err : werr;
}

int ctl_vm_state_restore(const struct ctl_root *r, struct ctl_vm_restore *res)
{
	_cleanup_close_ int lock = -1;
	struct ctl_vm_state st;
	int err;

	restore_init(res);
	err = state_locked_read(r, &lock, &st);
	if (err < 0)
		return err;
	res->found = err > 0;
	prune_dead(r, &st, res);
	if (st.n) {
		res->remaining = st.n;
		res->live = st.owner[st.n - 1].pid;
		/* Write back what pruning removed; the live owners stay. */
		state_write(r, &st);
		return -EBUSY;
	}
	err = apply_rule(r, &st, res);
	if (err < 0)
		return err;
	return state_write(r, &st);
}

int ctl_vm_state_plan(const struct ctl_root *r, struct ctl_vm_restore *res)
{
	struct ctl_vm_state st;
	unsigned int cur;
	int err;

	restore_init(res);
	err = ctl_vm_state_read(r, &st);
	if (err < 0)
		return err;
	res->found = err > 0;
	for (size_t i = 0; i < st.n; i++) {
		if (!ctl_vm_pid_alive(r, st.owner[i].pid, st.owner[i].start)) {
			res->dropped++;
			continue;
		}
		res->remaining++;
		res->live = st.owner[i].pid;
	}
	if (res->remaining)
		return -EBUSY;
	/* With every owner gone, the rule leaves only the original. */
	if (st.original < 0)
		return 0;
	if (ctl_vm_swappiness_get(r, &cur) == 0)
		res->before = (int)cur;
	res->applied = st.original;
	return 0;
}
